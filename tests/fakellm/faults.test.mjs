// Fault injection: every kind, retry-after accounting, determinism, the
// bound on faults in a row, and the spend limit.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'

import { startServer, anthropicPost, openaiPost, anthropicHeaders, KEY } from './testlib.mjs'

const A = (content = 'hello') => ({ model: 'fake-rules', max_tokens: 64, messages: [{ role: 'user', content }] })
const O = (content = 'hello') => ({ model: 'fake-rules', messages: [{ role: 'user', content }] })
const always = (kind, extra = {}) => ({ faults: { rate: 1, kinds: [kind], maxInARow: 1, retryAfter: 1, seed: 1, ...extra } })

// The raw HTTP exchange, to see what fetch would hide: {status, headers, body, error}.
function rawPost(port, body, timeoutMs = 5000) {
  return new Promise(resolve => {
    const data = JSON.stringify(body)
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', headers: { ...anthropicHeaders(), 'content-length': Buffer.byteLength(data) } }, res => {
      const chunks = []
      const t0 = Date.now()
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), complete: res.complete }))
      res.on('error', e => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), error: e, ms: Date.now() - t0 }))
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), error: new Error('aborted'), ms: Date.now() - t0 }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')))
    req.on('error', e => resolve({ error: e }))
    req.end(data)
  })
}

test('429: retry-after and rate-limit headers; an early retry is a violation, a patient one is not', async () => {
  const s = await startServer({ scenario: always('429') })
  const first = await anthropicPost(s, A('one'))
  assert.equal(first.status, 429)
  assert.equal(first.json.error.type, 'rate_limit_error')
  assert.equal(first.headers.get('retry-after'), '1')
  assert.equal(first.headers.get('anthropic-ratelimit-requests-remaining'), '0')
  assert.ok(first.headers.get('anthropic-ratelimit-tokens-reset'))
  assert.ok(first.headers.get('request-id'))
  const early = await anthropicPost(s, A('one')) // at once: too early; maxInARow 1 lets it through
  assert.equal(early.status, 200)
  assert.equal((await s.stats()).retryAfterViolations, 1)
  assert.equal((await anthropicPost(s, A('two'))).status, 429)
  await new Promise(r => setTimeout(r, 1100))
  assert.equal((await anthropicPost(s, A('two'))).status, 200)
  const st = await s.stats()
  assert.equal(st.retryAfterViolations, 1)
  assert.deepEqual(st.byStatus, { 200: 2, 429: 2 })
  assert.deepEqual(st.faults, { 429: 2 })
  const o = await openaiPost(s, O('three'))
  assert.equal(o.status, 429)
  assert.equal(o.headers.get('retry-after'), '1')
  assert.equal(o.json.error.code, 'rate_limit_exceeded')
  const log = s.log()
  assert.deepEqual(log.map(e => e.fault), ['429', null, '429', null, '429'])
  await s.stop()
})

test('500, 503, 529: the APIs\' error shapes', async () => {
  for (const [kind, type] of [['500', 'api_error'], ['503', 'api_error'], ['529', 'overloaded_error']]) {
    const s = await startServer({ scenario: always(kind) })
    const a = await anthropicPost(s, A())
    assert.equal(a.status, Number(kind))
    assert.equal(a.json.type, 'error')
    assert.equal(a.json.error.type, type)
    const o = await openaiPost(s, O())
    assert.equal(o.status, Number(kind))
    assert.equal(o.json.error.type, 'server_error')
    await s.stop()
  }
})

test('drop: the connection closes without an answer', async () => {
  const s = await startServer({ scenario: always('drop') })
  const r = await rawPost(s.port, A())
  assert.ok(r.error, 'a transport error')
  assert.equal(r.status, undefined)
  assert.equal((await anthropicPost(s, A())).status, 200, 'the retry gets through')
  assert.equal(s.log()[0].status, null)
  assert.deepEqual((await s.stats()).byStatus, { dropped: 1, 200: 1 })
  await s.stop()
})

test('truncate: a 200 whose body stops at half its Content-Length', async () => {
  const s = await startServer({ scenario: always('truncate') })
  const r = await rawPost(s.port, A())
  assert.equal(r.status, 200)
  assert.ok(r.error || !r.complete, 'the body is incomplete')
  assert.ok(Number(r.headers['content-length']) > r.body.length)
  assert.ok(r.body.length >= Math.floor(Number(r.headers['content-length']) / 2) - 1)
  await assert.rejects(fetch(`${s.base}/v1/messages`, { method: 'POST', headers: anthropicHeaders(), body: JSON.stringify(A('other')) }).then(res => res.text()))
  await s.stop()
})

test('badjson: a 200 that is not JSON', async () => {
  const s = await startServer({ scenario: always('badjson') })
  const r = await anthropicPost(s, A())
  assert.equal(r.status, 200)
  assert.equal(r.json, undefined)
  assert.throws(() => JSON.parse(r.text))
  await s.stop()
})

test('stall: headers, then nothing until stallMs', async () => {
  const s = await startServer({ scenario: always('stall', { stallMs: 400 }) })
  const t0 = Date.now()
  const r = await rawPost(s.port, A())
  assert.equal(r.status, 200)
  assert.equal(r.body, '')
  assert.ok(Date.now() - t0 >= 350, `stalled ${Date.now() - t0} ms`)
  // A client with a shorter stall timeout gives up first.
  const t1 = Date.now()
  const c = await rawPost(s.port, A('other'), 150)
  assert.match(String(c.error?.message), /client timeout|aborted/)
  assert.ok(Date.now() - t1 < 350)
  await s.stop()
})

test('deterministic: same seed and bodies, same faults; never more than maxInARow in a row', async () => {
  const scenario = { faults: { rate: 0.5, kinds: ['429', '500', '529', 'badjson'], retryAfter: 0, seed: 7, maxInARow: 2 } }
  const runs = []
  for (let i = 0; i < 2; i++) {
    const s = await startServer({ scenario })
    const got = []
    for (let k = 0; k < 30; k++) got.push((await anthropicPost(s, A(`body ${k % 5}`))).status)
    runs.push({ got, log: s.log().map(e => e.fault) })
    await s.stop()
  }
  assert.deepEqual(runs[0], runs[1])
  const faulted = runs[0].log.filter(Boolean).length
  assert.ok(faulted > 5 && faulted < 25, `${faulted} of 30 faulted`)

  const s = await startServer({ scenario: { faults: { rate: 1, kinds: ['500'], maxInARow: 3 } } })
  const seq = []
  for (let k = 0; k < 8; k++) seq.push((await anthropicPost(s, A('same'))).status)
  assert.deepEqual(seq, [500, 500, 500, 200, 500, 500, 500, 200])
  await s.stop()
})

test('invalid requests are never faulted', async () => {
  const s = await startServer({ scenario: always('500', { maxInARow: 100 }) })
  const r = await anthropicPost(s, { ...A(), max_tokens: -1 })
  assert.equal(r.status, 400)
  await s.stop()
})

test('spend limit: every request 429 with the code that says do not retry', async () => {
  const s = await startServer({ scenario: { spendLimit: true } })
  for (let i = 0; i < 2; i++) {
    const a = await anthropicPost(s, A())
    assert.equal(a.status, 429)
    assert.equal(a.json.error.type, 'rate_limit_error')
    assert.equal(a.json.error.details.error_code, 'enforced_spend_limit_reached')
    assert.equal(a.headers.get('retry-after'), null)
  }
  const o = await openaiPost(s, O())
  assert.equal(o.status, 429)
  assert.equal(o.json.error.code, 'insufficient_quota')
  assert.equal(o.json.error.type, 'insufficient_quota')
  // A wrong key is still a 401 first.
  assert.equal((await anthropicPost(s, A(), anthropicHeaders(KEY + 'x'))).status, 401)
  await s.stop()
})

test('400: a final error, only when asked for; roles, match and limit narrow the plan', async () => {
  const { Faults, DEFAULT_KINDS } = await import('./faults.mjs')
  assert.ok(!DEFAULT_KINDS.includes('400') && !new Faults({ rate: 1 }).kinds.includes('400'), 'not among the default kinds')

  const s = await startServer({ scenario: always('400', { maxInARow: 100 }) })
  const a = await anthropicPost(s, A())
  assert.equal(a.status, 400)
  assert.equal(a.json.error.type, 'invalid_request_error')
  const o = await openaiPost(s, O())
  assert.equal(o.status, 400)
  assert.equal(o.json.error.type, 'invalid_request_error')
  await s.stop()

  // roles: the rule model's guess from the prompt (the log's "role")
  const planner = 'You choose or write the workflow for a job.\n## The goal\n\nx\n\nThis is attempt 1 of 3.\n'
  const r = await startServer({ scenario: { faults: { rate: 1, kinds: ['503'], roles: ['planner'], maxInARow: 100 } } })
  assert.equal((await anthropicPost(r, A('hello'))).status, 200)
  assert.equal((await anthropicPost(r, A(planner))).status, 503)
  assert.equal((await openaiPost(r, O(planner))).status, 503)
  assert.deepEqual(r.log().map(e => [e.role, e.fault]), [[null, null], ['planner', '503'], ['planner', '503']])
  await r.stop()

  // match: the prompt holds the text; limit: the first so many faults of the plan
  const m = await startServer({ scenario: { faults: { rate: 1, kinds: ['500'], match: 'needle', limit: 3, maxInARow: 100 } } })
  const seq = []
  for (const body of ['hay', 'needle 1', 'hay', 'needle 1', 'needle 2', 'needle 2', 'needle 3']) seq.push((await anthropicPost(m, A(body))).status)
  assert.deepEqual(seq, [200, 500, 200, 500, 500, 200, 200])
  await m.stop()
})

test('a bad faults plan is refused at start', async () => {
  const { spawnSync } = await import('node:child_process')
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { ROOT, tempDir } = await import('./testlib.mjs')
  for (const [faults, why] of [
    [{ rate: 1, roles: 'sweep-verifier' }, /faults.roles must be a list/],
    [{ rate: 1, match: '' }, /faults.match must be a non-empty string/],
    [{ rate: 1, limit: -1 }, /faults.limit must be an integer/],
    [{ rate: 1, role: ['x'] }, /unknown key 'role'/],
    [{ rate: 1, kinds: ['418'] }, /unknown kind '418'/],
  ]) {
    const f = join(tempDir(), 'bad.json')
    writeFileSync(f, JSON.stringify({ faults }))
    const p = spawnSync(process.execPath, [join(ROOT, 'tests', 'fakellm', 'server.mjs'), '--scenario', f], { encoding: 'utf8' })
    assert.equal(p.status, 2, p.stderr)
    assert.match(p.stderr, why)
  }
})
