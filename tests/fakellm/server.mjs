#!/usr/bin/env node
// fakellm: a loopback fake of the Anthropic Messages and OpenAI Chat
// Completions APIs, as strict as the real ones, for the tests of the HTTP
// providers and the agent loop. README.md has the whole contract.
//
//   node tests/fakellm/server.mjs [--scenario <file.json>] [--port-file <path>]
//                                 [--log <path>] [--key <key>]
//
// Listens on 127.0.0.1 at a random port; prints "listening <port>" first and
// writes "<port>\n" to --port-file (atomically) once it accepts requests.

import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'

import * as anthropic from './anthropic.mjs'
import * as openai from './openai.mjs'
import { escapeModel } from './escape.mjs'
import { Faults } from './faults.mjs'
import { checkFlakyScenario } from './flaky.mjs'
import { PLANNER_ANSWERS, guessRole, promptOf, ruleModel } from './rules.mjs'
import { Script } from './script.mjs'
import { AnthropicCache, OpenAICache, tokensOfText } from './tokens.mjs'

const MAX_BODY = 32 * 1024 * 1024 // the Messages API's request limit
const SCENARIO_KEYS = ['model', 'script', 'cacheMinTokens', 'usage', 'faults', 'spendLimit', 'latencyMs', 'planner', 'flaky', 'comment']

export function loadScenario(file) {
  if (!file) return {}
  let s
  try {
    s = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read the scenario '${file}': ${e.message}`)
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new Error(`the scenario '${file}' must hold a JSON object`)
  for (const k of Object.keys(s)) {
    if (!SCENARIO_KEYS.includes(k)) throw new Error(`the scenario '${file}' has an unknown key '${k}' (known: ${SCENARIO_KEYS.join(', ')})`)
  }
  if (s.model !== undefined && !['rules', 'escape', 'script'].includes(s.model)) {
    throw new Error(`scenario.model must be "rules", "escape" or "script", not ${JSON.stringify(s.model)}`)
  }
  if (s.planner !== undefined && (!Array.isArray(s.planner) ||
      !s.planner.every(a => PLANNER_ANSWERS.includes(a) || (a && typeof a === 'object' && !Array.isArray(a))))) {
    throw new Error(`scenario.planner must be a list of answers (${PLANNER_ANSWERS.join(', ')}, or an object)`)
  }
  if (s.flaky !== undefined) {
    const why = checkFlakyScenario(s.flaky)
    if (why) throw new Error(why)
  }
  if (s.usage !== undefined && !['full', 'none', 'partial'].includes(s.usage)) {
    throw new Error(`scenario.usage must be "full", "none" or "partial", not ${JSON.stringify(s.usage)}`)
  }
  return s
}

// A short id derived from what it names, so that a retried request gets the
// very ids of its first attempt (and the fault plan stays deterministic).
function derivedId(...parts) {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').replace(/[-_]/g, '').slice(0, 22)
}

export class FakeLLM {
  constructor({ scenario = {}, key = 'test-key-0123456789', log = null } = {}) {
    this.scenario = scenario
    this.key = key
    this.logPath = log
    this.start = Date.now()
    this.faults = new Faults(scenario.faults ?? {})
    this.script = scenario.script ? new Script(scenario.script) : null
    this.anthropicCache = new AnthropicCache({ minTokens: scenario.cacheMinTokens ?? 1024 })
    this.openaiCache = new OpenAICache()
    this.stats = { requests: 0, byStatus: {}, faults: {}, calls: [], billedTokens: 0 }
    this.timers = new Set()
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(err => {
        // A bug of the fake: say so loudly instead of hanging the client.
        process.stderr.write(`fakellm: internal error: ${err.stack ?? err}\n`)
        if (!res.headersSent) { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(`fakellm internal error: ${err.message}\n`) } else res.destroy()
      })
    })
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port))
    })
  }

  close() {
    for (const t of this.timers) clearTimeout(t)
    this.server.close()
    this.server.closeAllConnections()
  }

  // -------------------------------------------------------------------------

  async handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1')
    // Polling the statistics is not an API request: not counted, not logged.
    if (url.pathname === '/_stats' && req.method === 'GET') {
      await drain(req)
      const text = JSON.stringify(this.statsBody())
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) })
      return res.end(text)
    }
    const n = ++this.stats.requests
    const entry = { n, t: Date.now() - this.start, api: null, path: url.pathname, status: null, fault: null, role: null, body: null, reply: null }
    try {
      await this.route(req, res, url, entry)
    } finally {
      this.record(entry)
    }
  }

  // Counts and logs a request once, before its answer goes out, so that a
  // test that has its answer can read the log line.
  record(entry) {
    if (entry.recorded) return
    entry.recorded = true
    const key = entry.status === null ? 'dropped' : String(entry.status)
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1
    if (entry.fault) this.stats.faults[entry.fault] = (this.stats.faults[entry.fault] ?? 0) + 1
    if (this.logPath) {
      const { recorded: _r, ...line } = entry
      appendFileSync(this.logPath, JSON.stringify(line) + '\n')
    }
  }

  async route(req, res, url, entry) {
    const path = url.pathname
    const api = path === '/v1/messages' ? 'anthropic'
      : path === '/v1/chat/completions' || path === '/chat/completions' ? 'openai'
        : req.headers['x-api-key'] || req.headers['anthropic-version'] ? 'anthropic' : 'openai'
    entry.api = api
    const requestId = `req_fake${String(entry.n).padStart(8, '0')}${derivedId(this.start, entry.n).slice(0, 8)}`
    const headers = api === 'anthropic' ? { 'request-id': requestId } : { 'x-request-id': requestId }
    const fail = (status, type, message, code, details) => this.send(res, entry, status, api === 'anthropic'
      ? anthropic.errorBody(type, message, requestId, details)
      : openai.errorBody(message, type, null, code ?? null), headers)

    const known = (path === '/v1/messages' || path === '/v1/chat/completions' || path === '/chat/completions') && req.method === 'POST'
    if (!known) {
      await drain(req)
      return fail(404, 'not_found_error', `${req.method} ${path}: no such endpoint (fakellm serves POST /v1/messages, POST /v1/chat/completions, GET /_stats)`, 'not_found')
    }

    let raw
    try {
      raw = await readBody(req, MAX_BODY)
    } catch (e) {
      if (e.code === 'TOO_LARGE') return fail(413, 'request_too_large', `Request exceeds the maximum allowed number of bytes (${MAX_BODY})`, 'request_too_large')
      throw e
    }

    // Authentication and headers first, as the real APIs do.
    if (api === 'anthropic') {
      const bad = anthropic.checkHeaders(req.headers, this.key)
      if (bad) return fail(bad.status, bad.type, bad.message)
    } else {
      const bad = openai.checkHeaders(req.headers, this.key)
      if (bad) return this.send(res, entry, bad.status, bad.body, headers)
    }
    const ctype = String(req.headers['content-type'] ?? '')
    if (!/^application\/json\b/i.test(ctype)) {
      return fail(400, 'invalid_request_error', `content-type must be application/json, not '${ctype || '(none)'}'`)
    }
    let body
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch (e) {
      return fail(400, 'invalid_request_error', api === 'anthropic'
        ? `There was an error parsing the body of your request: ${e.message}`
        : `We could not parse the JSON body of your request. (${e.message})`)
    }
    entry.body = body

    const bodyHash = Faults.bodyHash(raw)
    this.faults.arrived(bodyHash, Date.now())

    if (this.scenario.spendLimit) {
      entry.fault = 'spendLimit'
      return api === 'anthropic'
        ? fail(429, 'rate_limit_error', 'You have reached your specified API usage limits. You will regain access on the first of next month.', null, { error_code: 'enforced_spend_limit_reached' })
        : fail(429, 'insufficient_quota', 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota')
    }

    const invalid = api === 'anthropic' ? anthropic.validate(body) : openai.validate(body)
    if (invalid) {
      return api === 'anthropic'
        ? fail(invalid.status, invalid.type, invalid.message)
        : this.send(res, entry, invalid.status, invalid.body, headers)
    }
    const conv = api === 'anthropic' ? anthropic.conversation(body) : openai.conversation(body)
    entry.role = guessRole(conv)

    // What the model says, before any fault: a truncated or stalled reply
    // is a real one cut short.
    const kind = this.modelKind(body.model)
    let scripted = null
    let turn
    if (kind === 'script') {
      scripted = this.script?.take() ?? null
      if (!scripted) return fail(400, 'invalid_request_error', `fakellm: the scenario script has no turn for this request (it has ${this.script?.turns.length ?? 0})`)
      const st = scripted.turn
      if (st.fault) {
        entry.fault = String(st.fault)
        return this.fault(res, entry, api, entry.fault, null, bodyHash, headers, fail)
      }
      if (st.status && st.status !== 200) {
        return fail(st.status, st.error?.type ?? (st.status === 429 ? 'rate_limit_error' : 'api_error'), st.error?.message ?? `scripted error ${st.status}`, st.error?.code, st.error?.details)
      }
      if (st.raw !== undefined) return this.sendRaw(res, entry, st.status ?? 200, st.raw, headers)
      turn = Script.reply(st)
    } else {
      turn = kind === 'escape' ? escapeModel(conv) : ruleModel(conv, this.scenario)
      turn = limitOutput(turn, conv.maxTokens)
    }
    turn.calls = (turn.calls ?? []).map((c, i) => ({ ...c, id: c.id ?? `${api === 'anthropic' ? 'toolu_' : 'call_'}${derivedId(bodyHash, i)}` }))

    const fault = this.faults.decide(bodyHash, { role: entry.role, prompt: promptOf(conv) })
    if (fault && ['400', '429', '500', '503', '529', 'drop'].includes(fault)) {
      // Nothing was computed on the server's side: the script turn is served again.
      if (scripted) this.script.next = scripted.index
      entry.fault = fault
      return this.fault(res, entry, api, fault, null, bodyHash, headers, fail)
    }

    const { reply, billed } = this.shape(api, body, turn, scripted?.turn, bodyHash)
    // Billed once the reply is computed, as a real provider does, whether or
    // not the client gets it (a fault below) and whatever usage it is shown.
    this.stats.billedTokens += billed
    this.stats.calls.push({ n: entry.n, api, model: body.model, role: entry.role, usage: reply.usage ?? null, billed })
    if (this.scenario.latencyMs) await sleep(this.scenario.latencyMs, this.timers)
    if (fault) {
      if (scripted) this.script.next = scripted.index
      entry.fault = fault
      return this.fault(res, entry, api, fault, reply, bodyHash, headers, fail)
    }
    return this.send(res, entry, 200, reply, headers)
  }

  modelKind(model) {
    if (this.scenario.model) return this.scenario.model
    if (this.script) return 'script'
    if (typeof model === 'string' && model.startsWith('fake-escape')) return 'escape'
    return 'rules' // fake-rules*, and any other name
  }

  // The reply body of the API for a neutral turn, with its usage, and the
  // tokens it bills: all of them, cached or not, even when the reply shows
  // less (usage "partial"/"none", or a scripted usage of null).
  shape(api, body, turn, scriptTurn, bodyHash) {
    const messageId = (api === 'anthropic' ? 'msg_' : 'chatcmpl-') + derivedId('msg', bodyHash)
    let reply, full
    if (api === 'anthropic') {
      reply = anthropic.replyBody(turn, { model: body.model, messageId, usage: null })
      full = reply.usage = anthropic.usageBody(this.anthropicCache.usage(body), reply.content)
    } else {
      reply = openai.replyBody(turn, { model: body.model, messageId, created: Math.floor(Date.now() / 1000), usage: null })
      const cacheUsage = this.openaiCache.usage(body)
      const message = reply.choices[0].message
      full = openai.usageBody(cacheUsage, message, 'full')
      const usage = openai.usageBody(cacheUsage, message, this.scenario.usage ?? 'full')
      if (usage) reply.usage = usage
      else delete reply.usage
    }
    if (scriptTurn && 'usage' in scriptTurn) {
      if (scriptTurn.usage === null) delete reply.usage
      else full = reply.usage = { ...(reply.usage ?? {}), ...scriptTurn.usage }
    }
    return { reply, billed: billedTokens(full) }
  }

  fault(res, entry, api, kind, reply, bodyHash, headers, fail) {
    switch (kind) {
      case '429': {
        const ra = this.faults.retryAfter
        const reset = new Date(Date.now() + ra * 1000).toISOString()
        const h = { ...headers, 'retry-after': String(ra) }
        if (api === 'anthropic') {
          for (const what of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
            h[`anthropic-ratelimit-${what}-limit`] = what === 'requests' ? '50' : '40000'
            h[`anthropic-ratelimit-${what}-remaining`] = '0'
            h[`anthropic-ratelimit-${what}-reset`] = reset
          }
        } else {
          Object.assign(h, { 'x-ratelimit-limit-requests': '50', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${ra}s` })
        }
        this.faults.sent429(bodyHash, Date.now())
        const body = api === 'anthropic'
          ? anthropic.errorBody('rate_limit_error', 'Number of requests has exceeded your per-minute rate limit (fakellm fault)', headers['request-id'])
          : openai.errorBody('Rate limit reached for requests (fakellm fault)', 'requests', null, 'rate_limit_exceeded')
        return this.send(res, entry, 429, body, h)
      }
      case '400': return fail(400, 'invalid_request_error', 'Invalid request (fakellm fault)')
      case '500': return fail(500, api === 'anthropic' ? 'api_error' : 'server_error', 'Internal server error (fakellm fault)')
      case '503': return fail(503, api === 'anthropic' ? 'api_error' : 'server_error', 'Service unavailable (fakellm fault)')
      case '529': return fail(529, api === 'anthropic' ? 'overloaded_error' : 'server_error', 'Overloaded (fakellm fault)')
      case 'drop':
        entry.status = null
        this.record(entry)
        res.socket?.destroy()
        return
      case 'truncate': {
        const text = Buffer.from(JSON.stringify(reply))
        entry.status = 200
        entry.reply = reply
        this.record(entry)
        res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(text.length) })
        res.write(text.subarray(0, Math.floor(text.length / 2)), () => res.socket?.destroy())
        return
      }
      case 'badjson': {
        const text = '{"id":"msg_broken","type":"message","content":[{"type":"te <html>502 Bad Gateway</html>'
        return this.sendRaw(res, entry, 200, text, headers)
      }
      case 'stall': {
        entry.status = 200
        this.record(entry)
        res.writeHead(200, { ...headers, 'content-type': 'application/json' })
        res.flushHeaders()
        return new Promise(resolve => {
          const t = setTimeout(() => { this.timers.delete(t); res.socket?.destroy(); resolve() }, this.faults.stallMs)
          this.timers.add(t)
          res.socket?.once('close', () => { clearTimeout(t); this.timers.delete(t); resolve() })
        })
      }
      default:
        throw new Error(`unknown fault kind '${kind}'`)
    }
  }

  send(res, entry, status, obj, headers) {
    entry.status = status
    entry.reply = obj
    this.record(entry)
    const text = JSON.stringify(obj)
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) })
    res.end(text)
  }

  sendRaw(res, entry, status, raw, headers) {
    entry.status = status
    entry.reply = raw
    this.record(entry)
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw)
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) })
    res.end(text)
  }

  statsBody() {
    return {
      requests: this.stats.requests,
      byStatus: this.stats.byStatus,
      faults: this.stats.faults,
      retryAfterViolations: this.faults.retryAfterViolations,
      billedTokens: this.stats.billedTokens,
      calls: this.stats.calls,
    }
  }
}

// Every token a usage object counts: Anthropic's input, output, cache writes
// and reads; OpenAI's prompt (cached included) and completion tokens.
function billedTokens(u) {
  const n = (v) => (Number.isFinite(v) ? v : 0)
  if ('prompt_tokens' in u || 'completion_tokens' in u) return n(u.prompt_tokens) + n(u.completion_tokens)
  return n(u.input_tokens) + n(u.output_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens)
}

// A reply longer than the request's max_tokens is cut there, as the real
// model would be: the text is shortened and unfinished tool calls dropped.
function limitOutput(turn, maxTokens) {
  if (!maxTokens) return turn
  const size = tokensOfText(JSON.stringify([turn.text ?? '', turn.calls ?? []]))
  if (size <= maxTokens) return turn
  return { text: (turn.text ?? '').slice(0, maxTokens * 4), calls: [], stop: 'max_tokens' }
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', c => {
      size += c.length
      if (size > limit) {
        const e = new Error('request body too large')
        e.code = 'TOO_LARGE'
        req.removeAllListeners('data')
        req.resume()
        reject(e)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function drain(req) {
  return new Promise(resolve => { req.resume(); req.on('end', resolve); req.on('error', resolve) })
}

function sleep(ms, timers) {
  return new Promise(resolve => {
    const t = setTimeout(() => { timers.delete(t); resolve() }, ms)
    timers.add(t)
  })
}

// ---------------------------------------------------------------------------
// CLI

async function main() {
  let opts
  try {
    opts = parseArgs({
      options: {
        scenario: { type: 'string' },
        'port-file': { type: 'string' },
        log: { type: 'string' },
        key: { type: 'string' },
      },
    }).values
  } catch (e) {
    process.stderr.write(`fakellm: ${e.message}\nusage: node server.mjs [--scenario <file.json>] [--port-file <path>] [--log <path>] [--key <key>]\n`)
    process.exit(129)
  }
  let fake
  try {
    fake = new FakeLLM({
      scenario: loadScenario(opts.scenario),
      key: opts.key ?? process.env.FAKELLM_KEY ?? 'test-key-0123456789',
      log: opts.log ?? null,
    })
  } catch (e) {
    process.stderr.write(`fakellm: ${e.message}\n`)
    process.exit(2)
  }
  const port = await fake.listen()
  process.stdout.write(`listening ${port}\n`)
  if (opts['port-file']) {
    const tmp = `${opts['port-file']}.tmp.${process.pid}`
    writeFileSync(tmp, `${port}\n`)
    renameSync(tmp, opts['port-file'])
  }
  const stop = () => { fake.close(); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/server.mjs')) {
  main().catch(e => { process.stderr.write(`fakellm: ${e.stack ?? e}\n`); process.exit(2) })
}
