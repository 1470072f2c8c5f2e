// The rule-based model against the codemod it imitates: on every file of
// the cardkit fixture and on a file made to trip it up, the rule model
// driven through Read/Edit/StructuredOutput leaves the same files and gives
// the same answers as fixtures/codemods/old-to-safe.sh, over both APIs.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { ROOT, tempDir, startServer, runAgent, anthropicPost } from './testlib.mjs'
import { rewriteLine, planEdits, parseNumbered, fitToSchema } from './rules.mjs'

const CODEMOD = join(ROOT, 'fixtures', 'codemods', 'old-to-safe.sh')
const VERDICT = { type: 'object', additionalProperties: false, required: ['verdict', 'findings'], properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, findings: { type: 'array', items: { type: 'string' } } } }
const RELEVANT = { type: 'object', required: ['relevant'], properties: { relevant: { type: 'boolean' }, reason: { type: 'string' } } }

let srv
let fixture
before(async () => {
  srv = await startServer()
  fixture = join(tempDir(), 'cardkit')
  const r = spawnSync('bash', [join(ROOT, 'fixtures', 'make-deprecated.sh'), fixture], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
})
after(async () => { await srv?.stop() })

function unitOf(path, first, last, dir) {
  const lines = readFileSync(join(dir, path), 'utf8').split('\n')
  return { path, start_line: first, end_line: last, text: lines.slice(first - 1, last).join('\n') + '\n', id: `${path}::function::f`, name: 'f' }
}

const describeUnit = u => `function \`${u.name}\` in ${u.path}, lines ${u.start_line}-${u.end_line} (unit ${u.id})`
const fence = t => '```c\n' + t.replace(/\n$/, '') + '\n```'
const prompts = {
  implementer: u => `You are migrating one unit of code, in a git worktree of your own.\n\nGoal of the whole migration: move every caller of old_copy to safe_copy\n\nYour unit: ${describeUnit(u)}. As it is now:\n\n${fence(u.text)}`,
  fixer: u => `You are fixing an attempt at migrating one unit of code.\n\nGoal of the whole migration: move every caller of old_copy to safe_copy\n\nYour unit: ${describeUnit(u)}. Before any change:\n\n${fence(u.text)}\n\nWhat is wrong with it:\n- src/x.c:3: the oracle failed`,
  verifier: u => `You are an adversarial reviewer of one step of a code migration.\n\nGoal of the whole migration: move every caller of old_copy to safe_copy\n\nThe unit: ${describeUnit(u)}. Before the change:\n\n${fence(u.text)}\n\nThe implementer's account:\n> done`,
  classifier: u => `Decide whether one unit of code needs a change for a migration. Answer from the text below.\n\nGoal of the migration: move every caller of old_copy to safe_copy\n\nThe unit: ${describeUnit(u)}:\n\n${fence(u.text)}`,
}

function codemod(role, dir, unit) {
  const r = spawnSync('sh', [CODEMOD], { cwd: dir, input: '', encoding: 'utf8', env: { ...process.env, WFM_AGENT_JSON: JSON.stringify({ role, unit }) } })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.trim()
}

function copyOf(dir) {
  const d = join(tempDir(), 'w')
  cpSync(dir, d, { recursive: true })
  return d
}

// Implementer, then verifier, on a copy; the codemod on another copy; same results.
async function sameAsCodemod(api, dir, unit, { parallel = true } = {}) {
  const mine = copyOf(dir)
  const theirs = copyOf(dir)
  const impl = await runAgent(srv, { api, dir: mine, prompt: prompts.implementer(unit), parallel })
  const expected = codemod('implementer', theirs, unit)
  assert.equal(impl.text, expected, 'the final answer is the codemod\'s')
  assert.equal(readFileSync(join(mine, unit.path), 'utf8'), readFileSync(join(theirs, unit.path), 'utf8'), `${unit.path} as the codemod leaves it`)
  assert.ok(impl.calls.every(c => c.name === 'Read' || c.name === 'Edit'))

  const ver = await runAgent(srv, { api, dir: mine, prompt: prompts.verifier(unit), schema: VERDICT })
  assert.deepEqual(ver.submitted, JSON.parse(codemod('verifier', theirs, unit)))

  const cls = await runAgent(srv, { api, dir: mine, prompt: prompts.classifier(unit), schema: RELEVANT })
  assert.deepEqual(cls.submitted, JSON.parse(codemod('classifier', theirs, unit)))
  assert.ok(cls.calls.every(c => c.name === 'StructuredOutput'), 'the classifier answers from the prompt')

  // The fixer starts from the attempt: the codemod changes nothing more.
  const fix = await runAgent(srv, { api, dir: mine, prompt: prompts.fixer(unit) })
  assert.equal(fix.text, codemod('fixer', theirs, unit))
  assert.equal(readFileSync(join(mine, unit.path), 'utf8'), readFileSync(join(theirs, unit.path), 'utf8'))
  return { impl, ver, cls, fix }
}

for (const api of ['anthropic', 'openai']) {
  test(`${api}: every file of the cardkit fixture, as the codemod does it`, async () => {
    for (const name of readdirSync(join(fixture, 'src')).filter(f => f.endsWith('.c'))) {
      const path = `src/${name}`
      const n = readFileSync(join(fixture, path), 'utf8').split('\n').length - 1
      await sameAsCodemod(api, fixture, unitOf(path, 1, n, fixture))
    }
  })

  test(`${api}: one function of the fixture (address_set: the split call is only renamed, and the verifier lets it pass as the codemod does)`, async () => {
    const src = readFileSync(join(fixture, 'src/address.c'), 'utf8').split('\n')
    const first = src.findIndex(l => /^void address_set\(/.test(l)) + 1
    const last = src.findIndex((l, i) => i >= first && l === '}') + 1
    const { ver } = await sameAsCodemod(api, fixture, unitOf('src/address.c', first, last, fixture))
    assert.equal(ver.submitted.verdict, 'pass', 'renamed-only calls are no old_copy calls: only the build catches them')
  })

  test(`${api}: repeated lines get widened old_strings; one edit per turn without parallel calls`, async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src/dup.c'), [
      'void a(char *x) {', '\told_copy(buf, x);', '}', 'void b(char *x) {', '\told_copy(buf, x);', '\told_copy(buf, x);',
      '\told_copy(CARD(x), x);', '\tif (x) old_copy(big, f(x)); old_copy(y,', '\t\tx);', '}', '',
    ].join('\n'))
    const unit = unitOf('src/dup.c', 4, 10, dir)
    const { impl } = await sameAsCodemod(api, dir, unit, { parallel: false })
    const edits = impl.calls.filter(c => c.name === 'Edit')
    assert.equal(edits.length, 4)
    assert.ok(edits[0].input.old_string.includes('\n'), 'the first repeated line needs a neighbour to be unique')
    assert.equal(impl.replies.filter(r => (r.content ?? r.choices[0].message.tool_calls ?? []).filter(x => x.type === 'tool_use' || x.type === 'function').length > 1).length, 0, 'one call per turn')
  })

  test(`${api}: a failed tool ends the job with a text turn`, async () => {
    const dir = tempDir()
    const unit = { path: 'src/missing.c', start_line: 1, end_line: 3, text: 'old_copy(a, b);\n', id: 'src/missing.c::function::f', name: 'f' }
    const r = await runAgent(srv, { api, dir, prompt: prompts.implementer(unit) })
    assert.equal(r.calls.length, 1)
    assert.match(r.text, /^Stopping: the Read call failed: Error: src\/missing.c: no such file/)
  })

  test(`${api}: a refused StructuredOutput is retried once, bent to the schema, then given up`, async () => {
    const dir = copyOf(fixture)
    const unit = unitOf('src/copy.c', 1, 5, dir)
    const schema = { type: 'object', additionalProperties: false, required: ['relevant', 'confidence'], properties: { relevant: { type: 'boolean' }, confidence: { type: 'number' } } }
    const seen = []
    let refuse = 2
    const r = await runAgent(srv, {
      api, dir, prompt: prompts.classifier(unit), schema,
      exec: (name, input) => {
        seen.push(input)
        return refuse-- > 0 ? { text: 'Error: does not match the schema: missing "confidence"', isError: true } : { text: 'ok', isError: false }
      },
    })
    assert.deepEqual(seen, [{ relevant: false, reason: 'no old_copy call' }, { relevant: false, confidence: 0 }])
    assert.match(r.text, /refused again/)
  })
}

test('unit: the codemod\'s regexes, line by line', () => {
  assert.deepEqual(rewriteLine('\told_copy(c->first, first);'), { line: '\tsafe_copy(c->first, sizeof(c->first), first);', rewritten: 1, renamed: 0 })
  assert.deepEqual(rewriteLine('\told_copy(CARD_FIELD(b, i, note), note);'), { line: '\tsafe_copy(CARD_FIELD(b, i, note), note);', rewritten: 0, renamed: 1 })
  assert.deepEqual(rewriteLine('char *old_copy(char *dst, const char *src)'), { line: 'char *old_copy(char *dst, const char *src)', rewritten: 0, renamed: 0 })
  assert.deepEqual(rewriteLine('\told_copy(t, c->e[0] ? c->e : "-");'), { line: '\tsafe_copy(t, sizeof(t), c->e[0] ? c->e : "-");', rewritten: 1, renamed: 0 })
  const numbered = parseNumbered('     1\tx\n     2\told_copy(a, b);\n     3\told_copy(a, b);\n')
  const plan = planEdits('f.c', numbered, 1, 3)
  assert.equal(plan.edits.length, 2)
  assert.equal(plan.edits[0].input.old_string, 'x\nold_copy(a, b);')
  assert.equal(plan.edits[1].input.old_string, 'old_copy(a, b);')
  assert.deepEqual(fitToSchema({ verdict: 'maybe', extra: 1 }, VERDICT), { verdict: 'pass', findings: [] })
})

test('the model is stateless: the same conversation gets the same reply, ids included', async () => {
  const unit = { path: 'src/a.c', start_line: 1, end_line: 2, text: 'x\n', id: 'u', name: 'f' }
  const body = { model: 'fake-rules-1', max_tokens: 100, messages: [{ role: 'user', content: prompts.implementer(unit) }] }
  const a = await anthropicPost(srv, body)
  const b = await anthropicPost(srv, body)
  assert.deepEqual(a.json, b.json)
  assert.equal(a.json.content[0].name, 'Read')
  assert.match(a.json.content[0].id, /^toolu_[A-Za-z0-9]+$/)
})

// The planner (src/engine/planner.c's prompt): the goal and the attempt in
// the prompt, scenario.planner saying what each attempt answers; the
// scripts it writes pass or fail the harness check as their names say.
test('planner: migrate for a migration goal, its own harness otherwise, per attempt from the scenario', async () => {
  const { plannerAnswer, PLANNED_SCRIPT } = await import('./rules.mjs')
  const prompt = (goal, attempt) => `You choose or write the workflow for a job...\n## The goal\n\n${goal}\n\nThis is attempt ${attempt} of 3.\n`
  assert.deepEqual(plannerAnswer(prompt('migrate every caller of old_copy', 1)),
    { workflow: 'migrate', args: { match: 'old_copy' }, why: 'fakellm planner, attempt 1: migrate' })
  assert.equal(plannerAnswer(prompt('rewrite old_copy callers', 1)).script, PLANNED_SCRIPT)
  const planned = ['syntax', 'forbidden', 'nophases', { workflow: 'x', why: 'y' }]
  const check = (script) => {
    const file = join(tempDir(), 'wf.js')
    writeFileSync(file, script)
    const r = spawnSync(process.execPath, [join(ROOT, 'runtime', 'harness.mjs'), '--check', file], { encoding: 'utf8' })
    return JSON.parse(r.stdout)
  }
  assert.equal(check(PLANNED_SCRIPT).type, 'meta')
  assert.equal(check(plannerAnswer(prompt('g', 1), planned).script).kind, 'syntax')
  assert.equal(check(plannerAnswer(prompt('g', 2), planned).script).kind, 'global')
  assert.equal(check(plannerAnswer(prompt('g', 3), planned).script).meta.phases, undefined)
  assert.deepEqual(plannerAnswer(prompt('g', 4), planned), { workflow: 'x', why: 'y' })
  assert.equal(plannerAnswer(prompt('rewrite', 5), planned).script, PLANNED_SCRIPT, 'past the list: the rule')

  // over the wire: the answer comes through StructuredOutput, then "Submitted."
  const s = await startServer({ scenario: { planner: ['unknown'] } })
  try {
    const schema = { type: 'object', required: ['why'], properties: { workflow: { type: 'string' }, script: { type: 'string' }, args: { type: 'object' }, why: { type: 'string' } }, additionalProperties: false }
    for (const api of ['anthropic', 'openai']) {
      const r = await runAgent(s, { api, dir: tempDir(), prompt: prompt('anything', 1), schema })
      assert.deepEqual(r.submitted, { workflow: 'no-such-workflow', why: 'fakellm planner, attempt 1: unknown' })
      assert.deepEqual(r.calls.map(c => c.name), ['StructuredOutput'])
    }
  } finally {
    await s.stop()
  }
})

test('planner: a bad scenario.planner is refused', () => {
  const f = join(tempDir(), 'bad.json')
  writeFileSync(f, JSON.stringify({ planner: ['nonsense'] }))
  const r = spawnSync(process.execPath, [join(ROOT, 'tests', 'fakellm', 'server.mjs'), '--scenario', f], { encoding: 'utf8' })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /scenario.planner must be a list of answers/)
})
