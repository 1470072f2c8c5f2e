// The Anthropic Messages API (POST /v1/messages): what it refuses, how its
// errors and replies look (../../../shared/reference/apis.md §6.1).
//
// validate() returns null for a request the real API would take, else
// {status, type, message} with a message in the style of the real one
// ("messages.2.content.0: unexpected `tool_use_id` ..."), so a client's
// error path sees what it would see in production.

import { tokensOfText } from './tokens.mjs'

export const VERSION = '2023-06-01'
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

const TOP_LEVEL = new Set([
  'model', 'messages', 'max_tokens', 'system', 'tools', 'tool_choice', 'stream', 'temperature',
  'top_p', 'top_k', 'stop_sequences', 'metadata', 'cache_control', 'thinking', 'service_tier',
  'container', 'mcp_servers', 'context_management',
])
const BLOCK_TYPES = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'])
const MAX_CACHE_BREAKPOINTS = 4

class Invalid extends Error {
  constructor(message, status = 400, type = 'invalid_request_error') {
    super(message)
    this.status = status
    this.type = type
  }
}

const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v)
const isPositiveInt = v => Number.isInteger(v) && v > 0

export function errorBody(type, message, requestId, details) {
  const error = { type, message }
  if (details) error.details = details
  return { type: 'error', error, request_id: requestId }
}

// Headers: the key first (401 before anything else, as the real API does).
export function checkHeaders(headers, key) {
  const given = headers['x-api-key']
  if (!given) return { status: 401, type: 'authentication_error', message: 'x-api-key header is required' }
  if (given !== key) return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' }
  const version = headers['anthropic-version']
  if (!version) return { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' }
  if (version !== VERSION) {
    return { status: 400, type: 'invalid_request_error', message: `anthropic-version: invalid version '${version}'; the fake knows only ${VERSION}` }
  }
  return null
}

export function validate(body) {
  try {
    checkBody(body)
    return null
  } catch (e) {
    if (!(e instanceof Invalid)) throw e
    return { status: e.status, type: e.type, message: e.message }
  }
}

function checkCacheControl(cc, where, counter) {
  if (cc === undefined) return
  if (!isObject(cc) || cc.type !== 'ephemeral') throw new Invalid(`${where}.cache_control.type: Input should be 'ephemeral'`)
  for (const k of Object.keys(cc)) {
    if (k !== 'type' && k !== 'ttl') throw new Invalid(`${where}.cache_control.${k}: Extra inputs are not permitted`)
  }
  if (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h') {
    throw new Invalid(`${where}.cache_control.ttl: Input should be '5m' or '1h'`)
  }
  counter.n++
}

function checkBody(body) {
  if (!isObject(body)) throw new Invalid('the request body must be a JSON object')
  for (const k of Object.keys(body)) {
    if (!TOP_LEVEL.has(k)) throw new Invalid(`${k}: Extra inputs are not permitted`)
  }
  if (typeof body.model !== 'string' || !body.model) throw new Invalid('model: Field required (a string)')
  if (body.max_tokens === undefined) throw new Invalid('max_tokens: Field required')
  if (!isPositiveInt(body.max_tokens)) throw new Invalid('max_tokens: Input should be a positive integer')
  if (body.stream === true) throw new Invalid('stream: the fake does not stream; send "stream": false or leave it out')
  const cc = { n: 0 }
  checkCacheControl(body.cache_control, 'cache_control', cc)

  // system: a string or text blocks
  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) throw new Invalid('system: Input should be a valid string or a list of text blocks')
    body.system.forEach((b, i) => {
      if (!isObject(b) || b.type !== 'text') throw new Invalid(`system.${i}.type: Input should be 'text'`)
      if (typeof b.text !== 'string' || !b.text) throw new Invalid(`system.${i}.text: text content blocks must be non-empty`)
      checkCacheControl(b.cache_control, `system.${i}`, cc)
    })
  }

  // tools
  const toolNames = new Set()
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw new Invalid('tools: Input should be a valid list')
    body.tools.forEach((t, i) => {
      if (!isObject(t)) throw new Invalid(`tools.${i}: Input should be an object`)
      if (t.type !== undefined && t.type !== 'custom') throw new Invalid(`tools.${i}.type: the fake knows only custom tools, not '${t.type}'`)
      if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) {
        throw new Invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`)
      }
      if (toolNames.has(t.name)) throw new Invalid(`tools: Tool names must be unique. Duplicate: ${t.name}`)
      toolNames.add(t.name)
      if (t.description !== undefined && typeof t.description !== 'string') throw new Invalid(`tools.${i}.custom.description: Input should be a valid string`)
      if (!isObject(t.input_schema)) throw new Invalid(`tools.${i}.custom.input_schema: Field required (an object)`)
      if (t.input_schema.type !== 'object') throw new Invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`)
      for (const k of Object.keys(t)) {
        if (!['type', 'name', 'description', 'input_schema', 'cache_control'].includes(k)) {
          throw new Invalid(`tools.${i}.custom.${k}: Extra inputs are not permitted`)
        }
      }
      checkCacheControl(t.cache_control, `tools.${i}.custom`, cc)
    })
  }

  // tool_choice
  if (body.tool_choice !== undefined) {
    const tc = body.tool_choice
    if (!isObject(tc) || !['auto', 'any', 'none', 'tool'].includes(tc.type)) {
      throw new Invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    }
    if (tc.type === 'tool') {
      if (typeof tc.name !== 'string') throw new Invalid('tool_choice.tool.name: Field required')
      if (!toolNames.has(tc.name)) throw new Invalid(`tool_choice.tool.name: no tool named '${tc.name}' in tools`)
    }
    if ((tc.type === 'any' || tc.type === 'tool') && !toolNames.size) {
      throw new Invalid(`tool_choice: '${tc.type}' needs tools`)
    }
    if (tc.disable_parallel_tool_use !== undefined && typeof tc.disable_parallel_tool_use !== 'boolean') {
      throw new Invalid(`tool_choice.${tc.type}.disable_parallel_tool_use: Input should be a valid boolean`)
    }
  }

  checkMessages(body.messages, cc)
  if (cc.n > MAX_CACHE_BREAKPOINTS) {
    throw new Invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${cc.n}.`)
  }
}

function checkMessages(messages, cc) {
  if (!Array.isArray(messages)) throw new Invalid('messages: Field required (a list)')
  if (!messages.length) throw new Invalid('messages: at least one message is required')
  const seenIds = new Set()
  messages.forEach((m, i) => {
    if (!isObject(m)) throw new Invalid(`messages.${i}: Input should be an object`)
    if (m.role !== 'user' && m.role !== 'assistant') throw new Invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`)
    if (i === 0 && m.role !== 'user') throw new Invalid('messages: first message must use the "user" role')
    if (i > 0 && m.role === messages[i - 1].role) {
      throw new Invalid(`messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row (messages.${i - 1} and messages.${i})`)
    }
    for (const k of Object.keys(m)) {
      if (k !== 'role' && k !== 'content') throw new Invalid(`messages.${i}.${k}: Extra inputs are not permitted`)
    }
    if (typeof m.content === 'string') {
      if (!m.content && !(m.role === 'assistant' && i === messages.length - 1)) {
        throw new Invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`)
      }
      return
    }
    if (!Array.isArray(m.content)) throw new Invalid(`messages.${i}.content: Input should be a valid string or list of content blocks`)
    if (!m.content.length && !(m.role === 'assistant' && i === messages.length - 1)) {
      throw new Invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`)
    }
    m.content.forEach((b, j) => checkBlock(b, `messages.${i}.content.${j}`, m.role, seenIds, cc))
  })

  // Every tool_use is answered in the very next message, tool results first,
  // and no tool_result names a tool_use that the previous message lacks.
  messages.forEach((m, i) => {
    const uses = blocks(m).filter(b => b.type === 'tool_use').map(b => b.id)
    const results = blocks(m).map((b, j) => ({ b, j })).filter(x => x.b.type === 'tool_result')
    if (m.role === 'user') {
      const prev = i > 0 ? blocks(messages[i - 1]).filter(b => b.type === 'tool_use').map(b => b.id) : []
      const answered = new Set()
      for (const { b, j } of results) {
        if (!prev.includes(b.tool_use_id)) {
          throw new Invalid(`messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`)
        }
        if (answered.has(b.tool_use_id)) {
          throw new Invalid(`messages.${i}.content.${j}: each \`tool_use\` id may be answered by only one \`tool_result\`; ${b.tool_use_id} is answered twice`)
        }
        answered.add(b.tool_use_id)
      }
      const firstOther = blocks(m).findIndex(b => b.type !== 'tool_result')
      const lastResult = results.length ? results[results.length - 1].j : -1
      if (firstOther >= 0 && firstOther < lastResult) {
        throw new Invalid(`messages.${i}.content.${firstOther}: \`tool_result\` blocks must come first in the user message, before any other content`)
      }
    }
    if (m.role === 'assistant' && uses.length) {
      const next = messages[i + 1]
      const answered = new Set(next ? blocks(next).filter(b => b.type === 'tool_result').map(b => b.tool_use_id) : [])
      const missing = uses.filter(id => !answered.has(id))
      if (missing.length) {
        throw new Invalid(`messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`)
      }
    }
  })
}

function blocks(m) {
  return Array.isArray(m.content) ? m.content : []
}

function checkBlock(b, where, role, seenIds, cc) {
  if (!isObject(b)) throw new Invalid(`${where}: Input should be a content block object`)
  if (!BLOCK_TYPES.has(b.type)) throw new Invalid(`${where}.type: Input tag '${b.type}' found using 'type' does not match any of the expected tags: ${[...BLOCK_TYPES].join(', ')}`)
  checkCacheControl(b.cache_control, where, cc)
  switch (b.type) {
    case 'text':
      if (typeof b.text !== 'string' || !b.text) throw new Invalid(`${where}.text: text content blocks must be non-empty`)
      break
    case 'image':
    case 'document':
      if (!isObject(b.source)) throw new Invalid(`${where}.source: Field required`)
      break
    case 'tool_use':
      if (role !== 'assistant') throw new Invalid(`${where}: tool_use blocks may only appear in assistant messages`)
      if (typeof b.id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(b.id)) throw new Invalid(`${where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`)
      if (seenIds.has(b.id)) throw new Invalid(`${where}: \`tool_use\` ids must be unique; ${b.id} is used twice`)
      seenIds.add(b.id)
      if (typeof b.name !== 'string' || !TOOL_NAME.test(b.name)) throw new Invalid(`${where}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`)
      if (!isObject(b.input)) throw new Invalid(`${where}.input: Input should be a valid dictionary`)
      break
    case 'tool_result':
      if (role !== 'user') throw new Invalid(`${where}: tool_result blocks may only appear in user messages`)
      if (typeof b.tool_use_id !== 'string') throw new Invalid(`${where}.tool_use_id: Field required`)
      if (b.is_error !== undefined && typeof b.is_error !== 'boolean') throw new Invalid(`${where}.is_error: Input should be a valid boolean`)
      if (b.content !== undefined && typeof b.content !== 'string') {
        if (!Array.isArray(b.content)) throw new Invalid(`${where}.content: Input should be a valid string or list of blocks`)
        b.content.forEach((x, k) => {
          if (!isObject(x) || (x.type !== 'text' && x.type !== 'image' && x.type !== 'document')) {
            throw new Invalid(`${where}.content.${k}.type: Input should be 'text', 'image' or 'document'`)
          }
          if (x.type === 'text' && (typeof x.text !== 'string' || !x.text)) throw new Invalid(`${where}.content.${k}.text: text content blocks must be non-empty`)
          checkCacheControl(x.cache_control, `${where}.content.${k}`, cc)
        })
      }
      break
    default:
      break
  }
}

// ---------------------------------------------------------------------------
// The conversation in the neutral shape the models read:
// {system, turns: [{role, texts, calls: [{id, name, input}], results: [{id, text, isError}]}],
//  tools: [{name, schema}], forcedTool, parallel}

const textOf = c => (typeof c === 'string' ? c : Array.isArray(c) ? c.filter(x => x?.type === 'text').map(x => x.text).join('\n') : '')

export function conversation(body) {
  const turns = body.messages.map(m => {
    const bs = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content
    return {
      role: m.role,
      texts: bs.filter(b => b.type === 'text').map(b => b.text),
      calls: bs.filter(b => b.type === 'tool_use').map(b => ({ id: b.id, name: b.name, input: b.input })),
      results: bs.filter(b => b.type === 'tool_result').map(b => ({ id: b.tool_use_id, text: textOf(b.content), isError: b.is_error === true })),
    }
  })
  const tc = body.tool_choice
  return {
    system: textOf(body.system),
    turns,
    tools: (body.tools ?? []).map(t => ({ name: t.name, schema: t.input_schema })),
    forcedTool: tc?.type === 'tool' ? tc.name : null,
    parallel: !(tc?.disable_parallel_tool_use === true),
    maxTokens: body.max_tokens,
  }
}

// ---------------------------------------------------------------------------
// Replies

const STOP = { stop: 'end_turn', tool_calls: 'tool_use', length: 'max_tokens', content_filter: 'refusal' }

// turn: the neutral reply {text, calls: [{id, name, input, arguments}], stop}
export function replyBody(turn, { model, messageId, usage }) {
  const content = []
  if (turn.text) content.push({ type: 'text', text: turn.text })
  for (const c of turn.calls ?? []) {
    let input = c.input
    if (input === undefined && typeof c.arguments === 'string') {
      try { input = JSON.parse(c.arguments) } catch { input = {} }
    }
    content.push({ type: 'tool_use', id: c.id, name: c.name, input: isObject(input) ? input : {} })
  }
  const stop = turn.stop ? (STOP[turn.stop] ?? turn.stop) : (turn.calls?.length ? 'tool_use' : 'end_turn')
  return {
    id: messageId,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  }
}

export function usageBody(cacheUsage, content) {
  return {
    input_tokens: cacheUsage.input,
    cache_creation_input_tokens: cacheUsage.write,
    cache_read_input_tokens: cacheUsage.read,
    cache_creation: {
      ephemeral_5m_input_tokens: cacheUsage.write - cacheUsage.write1h,
      ephemeral_1h_input_tokens: cacheUsage.write1h,
    },
    output_tokens: Math.max(1, tokensOfText(JSON.stringify(content))),
    service_tier: 'standard',
  }
}
