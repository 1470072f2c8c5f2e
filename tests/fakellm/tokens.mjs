// Token estimates and the two prompt caches (Anthropic's explicit
// breakpoints, OpenAI's automatic prefix cache).
//
// A token is ceil(bytes / 4) of JSON text: crude, but the same rule on the
// client's side (wfm_llm_estimate_tokens) and here, so budgets and the
// benchmark's cache shares come out in whole, predictable numbers.

import { createHash } from 'node:crypto'

export function tokensOf(bytes) {
  return Math.ceil(bytes / 4)
}

export function tokensOfText(text) {
  return tokensOf(Buffer.byteLength(text, 'utf8'))
}

// JSON with object keys sorted at every level: two requests that differ only
// in key order count as the same prefix (the client builds its JSON with
// cJSON, whose order is stable anyway).
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map(k => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

// A copy of a block without its cache_control: the marker says where a
// prefix ends; it is not part of the cached content, so moving a breakpoint
// from one block to a later one still reads the earlier prefix.
function stripCacheControl(block) {
  if (!block || typeof block !== 'object' || Array.isArray(block)) return block
  const { cache_control: _drop, ...rest } = block
  if (Array.isArray(rest.content)) rest.content = rest.content.map(stripCacheControl)
  return rest
}

const TTL_MS = { '5m': 5 * 60 * 1000, '1h': 60 * 60 * 1000 }
// How many blocks before a breakpoint Anthropic looks back for an earlier
// cache hit (documented as "about 20").
const LOOKBACK = 20

// The Anthropic request cut into the blocks caching counts, in the order
// tools -> system -> messages; each knows whether it carries a breakpoint.
function anthropicSegments(body) {
  const segs = []
  const push = (value, cc) => segs.push({ text: canonical(value) + '\n', cc: cc ?? null })
  for (const tool of body.tools ?? []) push({ tool: stripCacheControl(tool) }, tool.cache_control)
  if (typeof body.system === 'string') push({ system: body.system })
  else for (const b of body.system ?? []) push({ system: stripCacheControl(b) }, b.cache_control)
  body.messages.forEach((m, i) => {
    if (typeof m.content === 'string') push({ m: i, role: m.role, text: m.content })
    else {
      for (const b of m.content) {
        // a cache_control inside a tool_result's content marks the tool_result
        const inner = Array.isArray(b.content) ? b.content.find(x => x && x.cache_control) : null
        push({ m: i, role: m.role, block: stripCacheControl(b) }, b.cache_control ?? inner?.cache_control)
      }
    }
  })
  // Automatic caching: a top-level cache_control puts a breakpoint on the
  // last block.
  if (body.cache_control && segs.length) segs[segs.length - 1].cc ??= body.cache_control
  return segs
}

export class AnthropicCache {
  constructor({ minTokens = 1024, now = () => Date.now() } = {}) {
    this.minTokens = minTokens
    this.now = now
    this.entries = new Map() // prefix hash -> expiry time (ms)
  }

  // The usage numbers for one valid request: every input token lands in
  // exactly one of input_tokens, cache_creation_input_tokens and
  // cache_read_input_tokens.
  usage(body) {
    const segs = anthropicSegments(body)
    const h = createHash('sha256').update(`anthropic\0${body.model}\0`)
    const hashes = []
    const ends = [] // tokens of the prefix ending with block i
    let bytes = 0
    for (const s of segs) {
      h.update(s.text)
      bytes += Buffer.byteLength(s.text, 'utf8')
      hashes.push(h.copy().digest('hex'))
      ends.push(tokensOf(bytes))
    }
    const total = tokensOf(bytes)
    const breakpoints = segs.map((s, i) => (s.cc ? i : -1)).filter(i => i >= 0)
    const none = { input: total, read: 0, write: 0, write1h: 0 }
    if (!breakpoints.length) return none
    const last = breakpoints[breakpoints.length - 1]
    if (ends[last] < this.minTokens) return none // silently not cached

    const now = this.now()
    const live = i => (this.entries.get(hashes[i]) ?? 0) > now
    let readEnd = -1
    for (const bp of breakpoints) {
      for (let j = bp; j >= Math.max(0, bp - LOOKBACK); j--) {
        if (ends[j] >= this.minTokens && live(j)) { readEnd = Math.max(readEnd, j); break }
      }
    }
    const read = readEnd >= 0 ? ends[readEnd] : 0
    const write = ends[last] - read
    // Remember (or refresh) every breakpoint's prefix for its own TTL.
    for (const bp of breakpoints) {
      if (ends[bp] < this.minTokens) continue
      const ttl = TTL_MS[segs[bp].cc.ttl ?? '5m'] ?? TTL_MS['5m']
      this.entries.set(hashes[bp], Math.max(this.entries.get(hashes[bp]) ?? 0, now + ttl))
    }
    if (readEnd >= 0 && readEnd !== last) {
      const ttl = TTL_MS['5m']
      this.entries.set(hashes[readEnd], Math.max(this.entries.get(hashes[readEnd]) ?? 0, now + ttl))
    }
    const is1h = (segs[last].cc.ttl ?? '5m') === '1h'
    return { input: total - ends[last], read, write, write1h: is1h ? write : 0 }
  }
}

// OpenAI caches by itself: the longest prefix of the prompt seen before, in
// steps of 128 tokens from 1024 on.
const OPENAI_MIN = 1024
const OPENAI_STEP = 128
const OPENAI_TTL_MS = 10 * 60 * 1000

export class OpenAICache {
  constructor({ now = () => Date.now() } = {}) {
    this.now = now
    this.entries = new Map()
  }

  usage(body) {
    // One piece per message after the tools, so that a longer conversation
    // starts with the very bytes of the shorter one.
    const parts = [canonical({ tools: body.tools ?? null }) + '\n']
    for (const m of body.messages) parts.push(canonical(m) + '\n')
    const text = Buffer.from(parts.join(''), 'utf8')
    const total = tokensOf(text.length)
    const h = createHash('sha256').update(`openai\0${body.model}\0`)
    const now = this.now()
    let cached = 0
    let pos = 0
    for (let k = OPENAI_MIN; k * 4 <= text.length; k += OPENAI_STEP) {
      h.update(text.subarray(pos, k * 4))
      pos = k * 4
      const key = h.copy().digest('hex')
      if ((this.entries.get(key) ?? 0) > now) cached = k
      this.entries.set(key, now + OPENAI_TTL_MS)
    }
    return { total, cached }
  }
}
