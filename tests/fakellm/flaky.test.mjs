// The rule model's flaky-fix roles (flaky.mjs) on the tallykit fixture
// (fixtures/make-flaky.sh), over both APIs, through the Read, Edit and
// StructuredOutput tools: the hypothesis role reads src/tally.c and names
// the causes the scenario asks for; the fixer makes the fix of the cause it
// is given, and the fixture's flaky test then passes every run (tie-order,
// qsort) or still fails some (buffer); the judge picks the smaller diff (or
// the larger with scenario.flaky.judge); a bad scenario.flaky is refused.

import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { ROOT, tempDir, startServer, runAgent } from './testlib.mjs'
import { CAUSES, FLAKY_PROMPTS, causeKind, changedLines, flakyRole, judge } from './flaky.mjs'

const FLAKY = 'the report lists keys by count, then by name'
const HYPOTHESES = {
  type: 'object', required: ['hypotheses'],
  properties: { hypotheses: { type: 'array', items: { type: 'object', required: ['cause', 'evidence', 'files'], properties: { cause: { type: 'string' }, evidence: { type: 'string' }, files: { type: 'array', items: { type: 'string' } } } } } },
}
const FIXED = { type: 'object', required: ['summary'], properties: { summary: { type: 'string' } } }
const CHOICE = { type: 'object', required: ['winner', 'reason'], properties: { winner: { enum: ['A', 'B'] }, reason: { type: 'string' } } }

// The prompts as workflows/flaky.js starts them (the fake reads the first
// line, "Cause: " of the fixer's, the fenced diffs of the judge's).
const prompts = {
  hypothesis: () => `${FLAKY_PROMPTS.hypothesis}\nTest: ${FLAKY}\nIt failed 7 of 20 runs.\n\n(Mentions "${FLAKY_PROMPTS.fixer}" further on change nothing.)`,
  fixer: kind => `${FLAKY_PROMPTS.fixer}\nCause: ${CAUSES[kind].cause}\nEvidence: ${CAUSES[kind].evidence}\nFiles: ${CAUSES[kind].files.join(', ')}\nTest: ${FLAKY}\n`,
  judge: (a, b) => `${FLAKY_PROMPTS.judge}\nTest: ${FLAKY}\n\n=== Fix A: one ===\n${a}\n=== end of Fix A ===\n\n=== Fix B: two ===\n${b}\n=== end of Fix B ===\n`,
}

let fixture
before(() => {
  fixture = join(tempDir('fakellm-flaky-'), 'tallykit')
  const r = spawnSync('bash', [join(ROOT, 'fixtures', 'make-flaky.sh'), fixture], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})

function copy() {
  const dir = join(tempDir('fakellm-flaky-'), 'tallykit')
  cpSync(fixture, dir, { recursive: true })
  return dir
}

// Builds the fixture's tests in dir and runs them n times: how many runs
// reported the flaky test failed.
function flakyFailures(dir, n) {
  const b = spawnSync('make', ['-s', 'build/test_tally'], { cwd: dir, encoding: 'utf8' })
  assert.equal(b.status, 0, `the fix does not build: ${b.stderr}`)
  let failures = 0
  for (let i = 0; i < n; i++) {
    const r = spawnSync('./build/test_tally', [], { cwd: dir, encoding: 'utf8' })
    if (new RegExp(`^not ok \\d+ - ${FLAKY}$`, 'm').test(r.stdout)) failures++
    assert.match(r.stdout, new RegExp(`^(not )?ok \\d+ - ${FLAKY}$`, 'm'))
  }
  return failures
}

test('roles by the first line only', () => {
  assert.equal(flakyRole(prompts.hypothesis()), 'flaky-hypothesis')
  assert.equal(flakyRole(prompts.fixer('tie-order')), 'flaky-fixer')
  assert.equal(flakyRole(prompts.judge('', '')), 'flaky-judge')
  assert.equal(flakyRole(`Review this:\n${FLAKY_PROMPTS.hypothesis}`), null)
  assert.equal(causeKind(prompts.fixer('buffer')), 'buffer')
  assert.equal(causeKind(`Cause: ${CAUSES.qsort.cause.slice(0, 100)}...`), 'qsort', 'a cause the harness shortened')
  assert.equal(causeKind('Cause: cosmic rays'), null)
})

for (const api of ['anthropic', 'openai']) {
  test(`${api}: hypotheses from src/tally.c; each fixer makes its fix; the real one holds, the wrong one does not`, async () => {
    const srv = await startServer({ scenario: { flaky: { hypotheses: ['tie-order', 'qsort', 'buffer'] } } })
    try {
      const dir = copy()
      const h = await runAgent(srv, { api, dir, prompt: prompts.hypothesis(), schema: HYPOTHESES })
      assert.deepEqual(h.calls.map(c => c.name), ['Read', 'StructuredOutput'])
      assert.equal(h.calls[0].input.file_path, 'src/tally.c')
      assert.deepEqual(h.submitted.hypotheses.map(x => x.cause), ['tie-order', 'qsort', 'buffer'].map(k => CAUSES[k].cause))

      for (const [kind, holds] of [['tie-order', true], ['qsort', true], ['buffer', false]]) {
        for (const parallel of [true, false]) {
          const d = copy()
          const f = await runAgent(srv, { api, dir: d, prompt: prompts.fixer(kind), schema: FIXED, parallel })
          assert.equal(f.calls.filter(c => c.name === 'Edit').length, CAUSES[kind].edits.length, `${kind}: one Edit per change`)
          assert.equal(f.submitted.summary, CAUSES[kind].summary)
          if (!parallel) continue
          // 30 runs: a fix that does not hold passes them all with p = (2/3)^30 < 1e-5
          const failures = flakyFailures(d, 30)
          if (holds) assert.equal(failures, 0, `${kind}: the fix holds`)
          else assert.ok(failures > 0, `${kind}: the wrong fix does not hold`)
          // asked again on the fixed tree: nothing left to edit
          if (kind === 'tie-order') {
            const again = await runAgent(srv, { api, dir: d, prompt: prompts.fixer(kind), schema: FIXED })
            assert.equal(again.calls.filter(c => c.name === 'Edit').length, 0)
            const h2 = await runAgent(srv, { api, dir: d, prompt: prompts.hypothesis(), schema: HYPOTHESES })
            assert.ok(!h2.submitted.hypotheses.some(x => x.cause === CAUSES['tie-order'].cause), 'a fixed cause is not proposed again')
          }
        }
      }
      const roles = new Set(srv.log().map(e => e.role))
      assert.deepEqual([...roles].sort(), ['flaky-fixer', 'flaky-hypothesis'])
    } finally {
      await srv.stop()
    }
  })

  test(`${api}: the judge picks the smaller diff, or the larger one when the scenario says so`, async () => {
    const small = '--- a/src/tally.c\n+++ b/src/tally.c\n@@ -1 +1 @@\n-a\n+b'
    const large = '--- a/src/tally.c\n+++ b/src/tally.c\n@@ -1,2 +1,3 @@\n-a\n-b\n+c\n+d\n+e'
    for (const [prefer, a, b, want] of [[undefined, small, large, 'A'], [undefined, large, small, 'B'], ['larger', small, large, 'B'], [undefined, small, small, 'A']]) {
      const srv = await startServer({ scenario: prefer ? { flaky: { judge: prefer } } : {} })
      try {
        const j = await runAgent(srv, { api, dir: tempDir(), prompt: prompts.judge(a, b), schema: CHOICE })
        assert.deepEqual(j.calls.map(c => c.name), ['StructuredOutput'])
        assert.equal(j.submitted.winner, want, `${prefer ?? 'smaller'}: ${j.submitted.reason}`)
        assert.equal(srv.log()[0].role, 'flaky-judge')
      } finally {
        await srv.stop()
      }
    }
  })
}

test('the default hypotheses are the real cause and a wrong one', async () => {
  const srv = await startServer()
  try {
    const h = await runAgent(srv, { api: 'anthropic', dir: copy(), prompt: prompts.hypothesis(), schema: HYPOTHESES })
    assert.deepEqual(h.submitted.hypotheses.map(x => x.cause), [CAUSES['tie-order'].cause, CAUSES.buffer.cause])
  } finally {
    await srv.stop()
  }
  assert.equal(changedLines('--- a/x\n+++ b/x\n-a\n+b\n c'), 2)
  assert.equal(judge('no diffs here').winner, 'A')
})

test('a bad scenario.flaky is refused', async () => {
  for (const [flaky, why] of [[{ hypotheses: ['nope'] }, /scenario\.flaky\.hypotheses/], [{ judge: 'random' }, /scenario\.flaky\.judge/], [{ other: 1 }, /unknown key 'other'/], [[], /must be an object/]]) {
    const dir = tempDir()
    writeFileSync(join(dir, 's.json'), JSON.stringify({ flaky }))
    const r = spawnSync(process.execPath, [join(ROOT, 'tests', 'fakellm', 'server.mjs'), '--scenario', join(dir, 's.json')], { encoding: 'utf8' })
    assert.equal(r.status, 2, r.stderr)
    assert.match(r.stderr, why)
  }
  assert.ok(readFileSync(join(ROOT, 'tests', 'fakellm', 'README.md'), 'utf8').includes('flaky.mjs'), 'the README names flaky.mjs')
})
