// Fault injection, decided per request and deterministic: the same scenario
// and the same sequence of request bodies give the same faults, whatever
// the timing. A body faulted maxInARow times in a row is let through, so a
// client that retries always gets there.

import { createHash } from 'node:crypto'

export const KINDS = ['429', '500', '503', '529', 'drop', 'truncate', 'badjson', 'stall']

export class Faults {
  // cfg: scenario.faults {rate, kinds, retryAfter, seed, maxInARow, stallMs}
  constructor(cfg = {}) {
    this.rate = cfg.rate ?? 0
    this.kinds = cfg.kinds ?? KINDS
    for (const k of this.kinds) {
      if (!KINDS.includes(String(k))) throw new Error(`scenario.faults.kinds: unknown kind '${k}' (known: ${KINDS.join(', ')})`)
    }
    if (typeof this.rate !== 'number' || this.rate < 0 || this.rate > 1) throw new Error('scenario.faults.rate must be a number from 0 to 1')
    this.retryAfter = cfg.retryAfter ?? 1
    this.seed = String(cfg.seed ?? 0)
    this.maxInARow = cfg.maxInARow ?? 3
    this.stallMs = cfg.stallMs ?? 30000
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

  // The fault kind for this request, or null.
  decide(hash) {
    const s = this.state(hash)
    const seen = s.seen++
    if (!this.rate || !this.kinds.length || s.inARow >= this.maxInARow) { s.inARow = 0; return null }
    const d = createHash('sha256').update(`${this.seed}\0${hash}\0${seen}`).digest()
    if (d.readUInt32BE(0) / 2 ** 32 >= this.rate) { s.inARow = 0; return null }
    s.inARow++
    return String(this.kinds[d.readUInt32BE(4) % this.kinds.length])
  }

  sent429(hash, now) {
    this.state(hash).last429At = now
  }
}
