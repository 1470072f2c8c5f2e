// Helpers for the tests of the fake itself: start the server as a child
// process (as the C tests do), talk to it with fetch, and play the client's
// side of the tool loop (Read/Edit/StructuredOutput on a directory).

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const HERE = dirname(fileURLToPath(import.meta.url))
export const ROOT = join(HERE, '..', '..')
export const KEY = 'test-key-0123456789'

export function tempDir(prefix = 'fakellm-') {
  return mkdtempSync(join(tmpdir(), prefix))
}

// Starts server.mjs; resolves once it has written its port file.
export async function startServer({ scenario, key, env } = {}) {
  const dir = tempDir()
  const args = [join(HERE, 'server.mjs'), '--port-file', join(dir, 'port'), '--log', join(dir, 'log.jsonl')]
  if (scenario) {
    writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario))
    args.push('--scenario', join(dir, 'scenario.json'))
  }
  if (key) args.push('--key', key)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  let err = ''
  child.stdout.on('data', d => { out += d })
  child.stderr.on('data', d => { err += d })
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })))
  const port = await new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (existsSync(join(dir, 'port'))) { clearInterval(t); resolve(Number(readFileSync(join(dir, 'port'), 'utf8'))) }
    }, 10)
    exited.then(r => { clearInterval(t); reject(new Error(`fakellm exited (${JSON.stringify(r)}) before listening: ${err}`)) })
  })
  const base = `http://127.0.0.1:${port}`
  return {
    port,
    base,
    dir,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    log: () => (existsSync(join(dir, 'log.jsonl')) ? readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l)) : []),
    stats: async () => (await fetch(`${base}/_stats`)).json(),
    stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return exited },
  }
}

export const anthropicHeaders = (key = KEY) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' })
export const openaiHeaders = (key = KEY) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' })

// POSTs and returns {status, headers, text, json (or undefined)}.
export async function post(url, body, headers) {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  let json
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: res.status, headers: res.headers, text, json }
}

export const anthropicPost = (srv, body, headers = anthropicHeaders()) => post(`${srv.base}/v1/messages`, body, headers)
export const openaiPost = (srv, body, headers = openaiHeaders()) => post(`${srv.base}/v1/chat/completions`, body, headers)

// ---------------------------------------------------------------------------
// The client's side of the agent loop.

const obj = (properties, required) => ({ type: 'object', properties, required })
export const TOOLS = [
  { name: 'Read', description: 'Read a file', schema: obj({ file_path: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' } }, ['file_path']) },
  { name: 'Edit', description: 'Replace a unique string', schema: obj({ file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' }, replace_all: { type: 'boolean' } }, ['file_path', 'old_string', 'new_string']) },
]

// Read as the C tool answers: numbered like cat -n.
export function readTool(dir, input) {
  const p = join(dir, input.file_path)
  if (!existsSync(p)) return { text: `Error: ${input.file_path}: no such file`, isError: true }
  const lines = readFileSync(p, 'utf8').split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return { text: lines.map((l, i) => `${String(i + 1).padStart(6)}\t${l}`).join('\n'), isError: false }
}

export function editTool(dir, input) {
  const p = join(dir, input.file_path)
  const data = readFileSync(p, 'utf8')
  let n = 0
  for (let i = data.indexOf(input.old_string); i >= 0; i = data.indexOf(input.old_string, i + 1)) n++
  if (n === 0) return { text: `Error: old_string not found in ${input.file_path}`, isError: true }
  if (n > 1 && !input.replace_all) return { text: `Error: old_string is ambiguous (${n} matches) in ${input.file_path}`, isError: true }
  writeFileSync(p, data.split(input.old_string).join(input.new_string))
  return { text: `Edited ${input.file_path}`, isError: false }
}

// Runs one agent against the fake until it stops; returns {text, submitted,
// calls, replies}. api: 'anthropic' | 'openai'. schema: StructuredOutput's.
export async function runAgent(srv, { api, model = 'fake-rules', prompt, dir, schema, parallel = true, exec }) {
  const tools = [...TOOLS]
  if (schema) tools.push({ name: 'StructuredOutput', description: 'Submit the answer', schema })
  const run = exec ?? ((name, input) => {
    if (name === 'Read') return readTool(dir, input)
    if (name === 'Edit') return editTool(dir, input)
    if (name === 'StructuredOutput') return { text: 'Accepted.', isError: false }
    return { text: `Error: no tool ${name}`, isError: true }
  })
  const calls = []
  const replies = []
  let submitted = null
  const messages = [{ role: 'user', content: prompt }]
  for (let turn = 0; turn < 20; turn++) {
    let res
    if (api === 'anthropic') {
      res = await anthropicPost(srv, {
        model, max_tokens: 4096, system: 'You are a careful engineer.', messages,
        tools: tools.map(t => ({ name: t.name, description: t.description, input_schema: t.schema })),
        ...(parallel ? {} : { tool_choice: { type: 'auto', disable_parallel_tool_use: true } }),
      })
    } else {
      res = await openaiPost(srv, {
        model, max_tokens: 4096, messages: [{ role: 'system', content: 'You are a careful engineer.' }, ...messages],
        tools: tools.map(t => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.schema } })),
        ...(parallel ? {} : { parallel_tool_calls: false }),
      })
    }
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`)
    replies.push(res.json)
    let turnCalls
    let text
    if (api === 'anthropic') {
      messages.push({ role: 'assistant', content: res.json.content })
      turnCalls = res.json.content.filter(b => b.type === 'tool_use').map(b => ({ id: b.id, name: b.name, input: b.input }))
      text = res.json.content.filter(b => b.type === 'text').map(b => b.text).join('')
    } else {
      const m = res.json.choices[0].message
      messages.push(m)
      turnCalls = (m.tool_calls ?? []).map(c => ({ id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments) }))
      text = m.content ?? ''
    }
    if (!turnCalls.length) return { text, submitted, calls, replies, messages }
    const results = turnCalls.map(c => {
      calls.push(c)
      const r = run(c.name, c.input)
      if (c.name === 'StructuredOutput' && !r.isError) submitted = c.input
      return { id: c.id, ...r }
    })
    if (api === 'anthropic') {
      messages.push({ role: 'user', content: results.map(r => ({ type: 'tool_result', tool_use_id: r.id, content: r.text, ...(r.isError ? { is_error: true } : {}) })) })
    } else {
      for (const r of results) messages.push({ role: 'tool', tool_call_id: r.id, content: r.text })
    }
  }
  throw new Error('the agent did not stop within 20 turns')
}
