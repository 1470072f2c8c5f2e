// Fault injection, decided per request and deterministic: the same scenario
// and the same sequence of request bodies give the same faults, whatever
// the timing. A body faulted maxInARow times in a row is let through, so a
// client that retries always gets there. roles, match and limit narrow the
// plan to some requests: those of a role (as guessRole names it), those
// whose prompt holds a text, the first so many.

import { createHash } from 'node:crypto'

export const KINDS = ['429', '500', '503', '529', 'drop', 'truncate', 'badjson', 'stall', '400']
// without scenario.faults.kinds; '400' (a final error, which a client does
// not retry) only when asked for
export const DEFAULT_KINDS = KINDS.filter(k => k !== '400')

export class Faults {
  // cfg: scenario.faults {rate, kinds, retryAfter, seed, maxInARow, stallMs, roles, match, limit}
  constructor(cfg = {}) {
    const known = ['rate', 'kinds', 'retryAfter', 'seed', 'maxInARow', 'stallMs', 'roles', 'match', 'limit']
    for (const k of Object.keys(cfg)) {
      if (!known.includes(k)) throw new Error(`scenario.faults: unknown key '${k}' (known: ${known.join(', ')})`)
    }
    this.rate = cfg.rate ?? 0
    this.kinds = cfg.kinds ?? DEFAULT_KINDS
    for (const k of this.kinds) {
      if (!KINDS.includes(String(k))) throw new Error(`scenario.faults.kinds: unknown kind '${k}' (known: ${KINDS.join(', ')})`)
    }
    if (typeof this.rate !== 'number' || this.rate < 0 || this.rate > 1) throw new Error('scenario.faults.rate must be a number from 0 to 1')
    this.retryAfter = cfg.retryAfter ?? 1
    this.seed = String(cfg.seed ?? 0)
    this.maxInARow = cfg.maxInARow ?? 3
    this.stallMs = cfg.stallMs ?? 30000
    this.roles = cfg.roles ?? null
    if (this.roles !== null && (!Array.isArray(this.roles) || !this.roles.every(r => typeof r === 'string'))) {
      throw new Error('scenario.faults.roles must be a list of role names (as the log\'s "role" says them)')
    }
    this.match = cfg.match ?? null
    if (this.match !== null && (typeof this.match !== 'string' || !this.match)) throw new Error('scenario.faults.match must be a non-empty string')
    this.limit = cfg.limit ?? null
    if (this.limit !== null && !(Number.isInteger(this.limit) && this.limit >= 0)) throw new Error('scenario.faults.limit must be an integer from 0')
    this.injected = 0
    this.bodies = new Map() // body hash -> {seen, inARow, last429At}
    this.retryAfterViolations = 0
  }

  static bodyHash(raw) {
    return createHash('sha256').update(raw).digest('hex')
  }

  state(hash) {
    let s = this.bodies.get(hash)
    if (!s) { s = { seen: 0, inARow: 0, last429At: null }; this.bodies.set(hash, s) }
    return s
  }

  // Called once per arriving request, before anything is decided: a retry
  // of a body that got a 429 less than retry-after seconds ago is a violation.
  arrived(hash, now) {
    const s = this.state(hash)
    if (s.last429At !== null) {
      if (now - s.last429At < this.retryAfter * 1000) this.retryAfterViolations++
      s.last429At = null
    }
  }

  // The fault kind for this request, or null. req: {role, prompt} of the
  // request, for roles and match; a request they leave out is not faulted
  // and leaves the plan as it was.
  decide(hash, req = {}) {
    if (this.roles && !this.roles.includes(req.role)) return null
    if (this.match && !String(req.prompt ?? '').includes(this.match)) return null
    const s = this.state(hash)
    const seen = s.seen++
    if (!this.rate || !this.kinds.length || s.inARow >= this.maxInARow) { s.inARow = 0; return null }
    const d = createHash('sha256').update(`${this.seed}\0${hash}\0${seen}`).digest()
    if (d.readUInt32BE(0) / 2 ** 32 >= this.rate) { s.inARow = 0; return null }
    if (this.limit !== null && this.injected >= this.limit) { s.inARow = 0; return null }
    this.injected++
    s.inARow++
    return String(this.kinds[d.readUInt32BE(4) % this.kinds.length])
  }

  sent429(hash, now) {
    this.state(hash).last429At = now
  }
}
