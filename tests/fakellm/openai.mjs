// OpenAI Chat Completions (POST /v1/chat/completions): what it refuses, how
// its errors and replies look (../../../shared/reference/apis.md §6.2).

import { tokensOfText } from './tokens.mjs'

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/
const TOP_LEVEL = new Set([
  'model', 'messages', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_tokens', 'max_completion_tokens',
  'temperature', 'top_p', 'stop', 'seed', 'response_format', 'stream', 'stream_options', 'n', 'user',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'reasoning_effort',
  'metadata', 'store', 'service_tier', 'prediction', 'modalities', 'audio', 'prompt_cache_key',
  'safety_identifier', 'verbosity',
])
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])

class Invalid extends Error {
  constructor(message, param = null, code = null) {
    super(message)
    this.param = param
    this.code = code
  }
}

const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v)
const isPositiveInt = v => Number.isInteger(v) && v > 0

export function errorBody(message, type = 'invalid_request_error', param = null, code = null) {
  return { error: { message, type, param, code } }
}

export function checkHeaders(headers, key) {
  const auth = headers.authorization
  const m = typeof auth === 'string' ? /^Bearer (.+)$/.exec(auth) : null
  if (!m) {
    return { status: 401, body: errorBody("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null, 'invalid_api_key') }
  }
  if (m[1] !== key) {
    // The real API shows the key's last four characters; the fake shows none.
    return { status: 401, body: errorBody('Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key') }
  }
  return null
}

export function validate(body) {
  try {
    checkBody(body)
    return null
  } catch (e) {
    if (!(e instanceof Invalid)) throw e
    return { status: 400, body: errorBody(e.message, 'invalid_request_error', e.param, e.code) }
  }
}

function checkContentParts(c, where) {
  if (typeof c === 'string') return
  if (!Array.isArray(c)) throw new Invalid(`Invalid type for '${where}': expected a string or an array of content parts.`, where, 'invalid_type')
  c.forEach((p, k) => {
    if (!isObject(p) || !['text', 'image_url', 'input_audio', 'file', 'refusal'].includes(p.type)) {
      throw new Invalid(`Invalid value for '${where}[${k}].type'.`, `${where}[${k}].type`, 'invalid_value')
    }
    if (p.type === 'text' && typeof p.text !== 'string') throw new Invalid(`Missing required parameter: '${where}[${k}].text'.`, `${where}[${k}].text`, 'missing_required_parameter')
  })
}

function checkBody(body) {
  if (!isObject(body)) throw new Invalid('The request body must be a JSON object.')
  for (const k of Object.keys(body)) {
    if (!TOP_LEVEL.has(k)) throw new Invalid(`Unrecognized request argument supplied: ${k}`, k, 'unknown_parameter')
  }
  if (typeof body.model !== 'string' || !body.model) throw new Invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
  if (!Array.isArray(body.messages)) throw new Invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter')
  if (!body.messages.length) throw new Invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array')
  for (const k of ['max_tokens', 'max_completion_tokens']) {
    if (body[k] !== undefined && body[k] !== null && !isPositiveInt(body[k])) {
      throw new Invalid(`Invalid '${k}': integer below minimum value. Expected a value >= 1.`, k, 'integer_below_min_value')
    }
  }
  if (body.stream === true) throw new Invalid('The fake does not stream: send "stream": false or leave it out.', 'stream', 'unsupported_value')
  if (body.n !== undefined && body.n !== 1) throw new Invalid('The fake answers with one choice only (n = 1).', 'n', 'unsupported_value')

  const toolNames = new Set()
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw new Invalid("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type')
    body.tools.forEach((t, i) => {
      if (!isObject(t) || t.type !== 'function') throw new Invalid(`Invalid value for 'tools[${i}].type': expected 'function'.`, `tools[${i}].type`, 'invalid_value')
      const f = t.function
      if (!isObject(f)) throw new Invalid(`Missing required parameter: 'tools[${i}].function'.`, `tools[${i}].function`, 'missing_required_parameter')
      if (typeof f.name !== 'string' || !TOOL_NAME.test(f.name)) {
        throw new Invalid(`Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `tools[${i}].function.name`, 'invalid_value')
      }
      if (toolNames.has(f.name)) throw new Invalid(`Invalid 'tools': duplicate function name ${f.name}.`, 'tools', 'invalid_value')
      toolNames.add(f.name)
      if (f.description !== undefined && typeof f.description !== 'string') throw new Invalid(`Invalid type for 'tools[${i}].function.description': expected a string.`, `tools[${i}].function.description`, 'invalid_type')
      if (f.parameters !== undefined && !isObject(f.parameters)) throw new Invalid(`Invalid type for 'tools[${i}].function.parameters': expected an object.`, `tools[${i}].function.parameters`, 'invalid_type')
    })
  }
  const tc = body.tool_choice
  if (tc !== undefined) {
    if (typeof tc === 'string') {
      if (!['none', 'auto', 'required'].includes(tc)) throw new Invalid("Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or an object.", 'tool_choice', 'invalid_value')
      if (tc === 'required' && !toolNames.size) throw new Invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice', null)
    } else if (!isObject(tc) || tc.type !== 'function' || !isObject(tc.function) || typeof tc.function.name !== 'string') {
      throw new Invalid("Invalid value for 'tool_choice': expected {\"type\": \"function\", \"function\": {\"name\": ...}}.", 'tool_choice', 'invalid_value')
    } else if (!toolNames.has(tc.function.name)) {
      throw new Invalid(`Invalid value for 'tool_choice': no function named '${tc.function.name}' in 'tools'.`, 'tool_choice', 'invalid_value')
    }
  }
  if (body.parallel_tool_calls !== undefined && typeof body.parallel_tool_calls !== 'boolean') {
    throw new Invalid("Invalid type for 'parallel_tool_calls': expected a boolean.", 'parallel_tool_calls', 'invalid_type')
  }
  checkMessages(body.messages)
}

function checkMessages(messages) {
  const seen = new Set()
  let pending = null // ids of the last assistant message's tool calls still unanswered
  let pendingAt = -1
  messages.forEach((m, i) => {
    const where = `messages[${i}]`
    if (!isObject(m)) throw new Invalid(`Invalid type for '${where}': expected an object.`, where, 'invalid_type')
    if (!ROLES.has(m.role)) throw new Invalid(`Invalid value: '${m.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`, `${where}.role`, 'invalid_value')
    if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string') throw new Invalid(`Missing required parameter: '${where}.tool_call_id'.`, `${where}.tool_call_id`, 'missing_required_parameter')
      if (!pending || !pending.has(m.tool_call_id)) {
        throw new Invalid(`Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (${where}.tool_call_id '${m.tool_call_id}' answers no pending tool call.)`, `${where}.role`, null)
      }
      pending.delete(m.tool_call_id)
      checkContentParts(m.content, `${where}.content`)
      return
    }
    if (pending && pending.size) {
      throw new Invalid(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`, `messages.[${pendingAt}].role`, null)
    }
    pending = null
    if (m.role === 'assistant') {
      if (m.content !== undefined && m.content !== null) checkContentParts(m.content, `${where}.content`)
      if (m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls)) throw new Invalid(`Invalid type for '${where}.tool_calls': expected an array.`, `${where}.tool_calls`, 'invalid_type')
        m.tool_calls.forEach((c, k) => {
          const cw = `${where}.tool_calls[${k}]`
          if (!isObject(c) || typeof c.id !== 'string' || !c.id) throw new Invalid(`Missing required parameter: '${cw}.id'.`, `${cw}.id`, 'missing_required_parameter')
          if (c.type !== 'function') throw new Invalid(`Invalid value for '${cw}.type': expected 'function'.`, `${cw}.type`, 'invalid_value')
          if (!isObject(c.function) || typeof c.function.name !== 'string') throw new Invalid(`Missing required parameter: '${cw}.function.name'.`, `${cw}.function.name`, 'missing_required_parameter')
          if (typeof c.function.arguments !== 'string') throw new Invalid(`Invalid type for '${cw}.function.arguments': expected a string.`, `${cw}.function.arguments`, 'invalid_type')
          if (seen.has(c.id)) throw new Invalid(`Duplicate tool_call id '${c.id}' in '${cw}.id'.`, `${cw}.id`, 'invalid_value')
          seen.add(c.id)
        })
        if (m.tool_calls.length) {
          pending = new Set(m.tool_calls.map(c => c.id))
          pendingAt = i
        }
      }
      if ((m.content === undefined || m.content === null) && !(m.tool_calls?.length)) {
        throw new Invalid(`Invalid value for '${where}': an assistant message needs 'content' or 'tool_calls'.`, `${where}.content`, 'missing_required_parameter')
      }
      return
    }
    if (m.content === undefined || m.content === null) throw new Invalid(`Missing required parameter: '${where}.content'.`, `${where}.content`, 'missing_required_parameter')
    checkContentParts(m.content, `${where}.content`)
  })
  if (pending && pending.size) {
    throw new Invalid(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`, `messages.[${pendingAt}].role`, null)
  }
}

// ---------------------------------------------------------------------------
// The conversation in the neutral shape the models read (see anthropic.mjs).
// OpenAI tool messages have no error flag: the client marks a failed tool
// by starting its content with "Error" (or <tool_use_error>), which is what
// the rule model looks for.

const textOf = c => (typeof c === 'string' ? c : Array.isArray(c) ? c.filter(p => p?.type === 'text').map(p => p.text).join('\n') : '')
export const LOOKS_LIKE_ERROR = /^\s*(<tool_use_error>|error\b)/i

export function conversation(body) {
  const turns = []
  const system = []
  for (const m of body.messages) {
    if (m.role === 'system' || m.role === 'developer') { system.push(textOf(m.content)); continue }
    if (m.role === 'tool') {
      let t = turns[turns.length - 1]
      if (!t || t.role !== 'user' || !t.toolTurn) {
        t = { role: 'user', texts: [], calls: [], results: [], toolTurn: true }
        turns.push(t)
      }
      const text = textOf(m.content)
      t.results.push({ id: m.tool_call_id, text, isError: LOOKS_LIKE_ERROR.test(text) })
      continue
    }
    const calls = (m.tool_calls ?? []).map(c => {
      let input = null
      try { input = JSON.parse(c.function.arguments) } catch { /* bad JSON stays null */ }
      return { id: c.id, name: c.function.name, input, arguments: c.function.arguments }
    })
    turns.push({ role: m.role, texts: textOf(m.content) ? [textOf(m.content)] : [], calls, results: [] })
  }
  const tc = body.tool_choice
  const rf = body.response_format
  return {
    system: system.join('\n'),
    turns,
    tools: (body.tools ?? []).map(t => ({ name: t.function.name, schema: t.function.parameters ?? { type: 'object' } })),
    forcedTool: tc && typeof tc === 'object' ? tc.function.name : null,
    parallel: body.parallel_tool_calls !== false,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
    responseSchema: rf?.type === 'json_schema' ? rf.json_schema?.schema ?? null : null,
  }
}

// ---------------------------------------------------------------------------
// Replies

const FINISH = { end_turn: 'stop', tool_use: 'tool_calls', max_tokens: 'length', refusal: 'content_filter', stop_sequence: 'stop' }

export function replyBody(turn, { model, messageId, created, usage }) {
  const message = { role: 'assistant', content: turn.text ?? null, refusal: turn.refusal ?? null }
  if (turn.calls?.length) {
    message.tool_calls = turn.calls.map(c => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.input ?? {}) },
    }))
  }
  const finish = turn.stop ? (FINISH[turn.stop] ?? turn.stop) : (turn.calls?.length ? 'tool_calls' : 'stop')
  const out = {
    id: messageId,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    system_fingerprint: 'fp_fakellm',
  }
  if (usage) out.usage = usage
  return out
}

// mode: "full" | "partial" (prompt_tokens only, like some local servers) | "none"
export function usageBody(cacheUsage, message, mode = 'full') {
  if (mode === 'none') return null
  if (mode === 'partial') return { prompt_tokens: cacheUsage.total }
  const completion = Math.max(1, tokensOfText(JSON.stringify(message)))
  return {
    prompt_tokens: cacheUsage.total,
    completion_tokens: completion,
    total_tokens: cacheUsage.total + completion,
    prompt_tokens_details: { cached_tokens: cacheUsage.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }
}
