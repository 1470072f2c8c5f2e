export const meta = {
  name: 'migrate',
  description: 'Make one change everywhere it is needed: an implementer per unit in its own worktree, checked by the oracle and an adversarial verifier, fixed for up to N rounds, merged through the queue',
  whenToUse: 'A change repeated across many functions or files (move callers off a deprecated API, bound every copy, rename a type) where the test command can tell a good change from a bad one',
  phases: [
    { title: 'Baseline', detail: 'run the oracle on the base commit; stop if it fails there' },
    { title: 'Select', detail: 'cut the code into units; keep those matching args.match, or ask a classifier about each',
      agents: { role: 'classifier', perUnit: 1, unless: 'match' } },
    { title: 'Implement', detail: 'one implementer per unit, each in a worktree and branch of its own',
      agents: { role: 'implementer', perUnit: 1 } },
    { title: 'Verify', detail: 'the oracle on each attempt, then a read-only verifier against the rubric',
      agents: { role: 'verifier', perUnit: [1, { arg: 'rounds', plus: 1 }] } },
    { title: 'Fix', detail: 'up to args.rounds fixers per unit, each starting from the last attempt',
      agents: { role: 'fixer', perUnit: [0, 'rounds'] } },
    { title: 'Merge', detail: 'verified branches go through the merge queue into the integration branch' },
  ],
  // A phase's `agents` says what it plans, for the card's estimate (docs/workflow-api.md,
  // "Planned agents"); Claude Code ignores the key.
  // The arguments (docs/migrate.md): git wfmigrate checks a run's against these
  // before anything runs, and shows them on the approval card. Claude Code ignores
  // this key, so the script checks its inputs itself too.
  args: {
    goal: { type: 'string', required: true, description: 'what to change, in words (the words after the options)' },
    match: { type: 'string', chunk: true, description: 'PCRE2: the units whose text matches are the work; without it a classifier agent reads every unit' },
    paths: { type: 'pathspecs', chunk: true, description: 'git pathspecs of the files to cut into units (from the current directory, as git reads them)' },
    lang: { type: 'string', chunk: true, description: 'only the files of this language (c, cpp, python, ...)' },
    query: { type: 'string', chunk: true, description: 'a tree-sitter query: only the units holding a capture' },
    maxBytes: { type: 'integer', chunk: true, description: 'pack small units and split large ones to this size' },
    rounds: { type: 'integer', default: 3, description: 'fix rounds per unit, 0 to 10' },
    rubric: { type: 'string', description: "the verifier's rubric, replacing the built-in one" },
    scope: { type: 'strings', description: 'globs of the files implementers may change besides their unit (comma-separated, or an array)' },
    unverified: { type: 'string', enum: ['keep', 'merge'], default: 'keep', description: 'an attempt no verifier could judge for lack of budget: keep its branch, or merge it' },
    allowTestEdits: { type: 'boolean', default: false, description: 'tests are in scope: agents may edit them where the goal needs it' },
  },
}

// The built-in `migrate` workflow. It is also the worked example of a harness:
// plain JavaScript, top-level await, and only the globals of docs/protocol.md.
//
//   git wfmigrate run --workflow migrate --oracle 'make test' \
//       --arg match=old_copy "move every caller of old_copy to safe_copy"
//
// What each unit goes through (docs/migrate.md has the long version):
//
//   implement ──> oracle ──pass──> verifier ──pass──> merge ──> merged
//                   │ fail            │ fail            └─refused─> rejected
//                   └────────┬────────┘
//                            v
//                 fixer (from the last attempt), then oracle and verifier
//                 again; after args.rounds fixers ──> rejected
//
// An agent that fails (null) makes its unit `failed`; a unit that needs no
// change (the implementer leaves it as it was and the verifier agrees) is
// `skipped`, as is one the classifier calls irrelevant, and one the token
// budget let no agent start on (reason "budget: ..."). Under a budget the
// engine finishes units already started before it starts new ones.

// ---------------------------------------------------------------------------
// Inputs. `goal` is the positional argument of `git wfmigrate run`.

const A = args ?? {}
const goal = typeof A.goal === 'string' ? A.goal.trim() : ''
if (!goal) throw new Error('migrate needs a goal: git wfmigrate run --workflow migrate "<what to change>"')
const rounds = A.rounds ?? meta.args.rounds.default
if (!Number.isInteger(rounds) || rounds < 0 || rounds > 10) {
  throw new Error(`args.rounds must be a whole number from 0 to 10, not ${JSON.stringify(A.rounds)}`)
}
if (A.match !== undefined && (typeof A.match !== 'string' || A.match === '')) {
  throw new Error('args.match must be a non-empty regular expression (PCRE2), as for git wfmigrate chunk --match')
}
if (A.rubric !== undefined && (typeof A.rubric !== 'string' || !A.rubric.trim())) {
  throw new Error('args.rubric must be the text of a rubric')
}
const allowTestEdits = A.allowTestEdits === true
// What implementers and fixers may change besides their unit's file: globs, as
// one comma-separated string (--arg scope=include/*.h,src/util.h) or an array.
const extraScope = typeof A.scope === 'string' ? A.scope.split(',').map(g => g.trim()).filter(Boolean) : A.scope ?? []
if (!Array.isArray(extraScope) || extraScope.some(g => typeof g !== 'string' || g.trim() === '') ||
    (A.scope !== undefined && extraScope.length === 0)) {
  throw new Error('args.scope must be globs of the files implementers may change besides their unit, ' +
    'comma-separated (--arg scope=include/*.h,src/util.h) or an array of strings')
}
for (const glob of extraScope) {
  if (glob.endsWith('/')) throw new Error(`args.scope: '${glob}' ends with '/': '${glob}**' is everything under a directory`)
}
if (A.unverified !== undefined && !['keep', 'merge'].includes(A.unverified)) {
  throw new Error(`args.unverified must be 'keep' or 'merge', not ${JSON.stringify(A.unverified)}`)
}
// An attempt the oracle passed but no verifier could judge for lack of budget:
// 'keep' leaves its branch for review, 'merge' sends it to the merge queue.
const mergeUnverified = A.unverified === 'merge'

// The verifier's rubric: rubrics/migration.md, which the engine finds by name
// (a repository's .claude/rubrics/migration.md overrides it: docs/migrate.md).
// args.rubric, when given, replaces it whole.
const rubricText = A.rubric ?? (await rubric('migration')).trim()

// What the chunker should cut, passed through as chunk() options.
const chunkOptions = { text: true }
for (const key of ['match', 'query', 'lang', 'maxBytes', 'paths']) {
  if (A[key] !== undefined) chunkOptions[key] = A[key]
}
if (typeof A.paths === 'string') chunkOptions.paths = [A.paths]

// The engine's limits (docs/workflow-api.md, *Limits*): items per pipeline() or
// parallel() call, agents per run (--max-agents); null where it sets none.
const PER_CALL = limits.itemsPerCall ?? Infinity
const AGENTS_PER_RUN = limits.agentsPerRun ?? Infinity
const CLASSIFY_AT_MOST = 400

const VERDICT = {
  type: 'object',
  required: ['verdict', 'findings'],
  properties: {
    verdict: { type: 'string', enum: ['pass', 'fail'] },
    findings: { type: 'array', items: { type: 'string' } },
  },
}
const RELEVANT = {
  type: 'object',
  required: ['relevant'],
  properties: { relevant: { type: 'boolean' }, reason: { type: 'string' } },
}

// ---------------------------------------------------------------------------
// Baseline: an oracle that fails before any change cannot judge one.

phase('Baseline')
const base = await oracle({})
if (!base.pass) {
  throw new Error(`the oracle fails on the base commit (${describe(base)}), so it cannot tell a good ` +
    `change from a bad one: make it pass first, or give another --oracle\n${tail(base.outputTail, 20)}`)
}
log(`baseline: the oracle passes (${describe(base)})`)

// ---------------------------------------------------------------------------
// Select the units to migrate: by pattern, or by asking a classifier.

phase('Select')
const units = await chunk(chunkOptions)
const outcome = new Map() // unit id -> its report entry, filled as units finish
let selected
if (A.match !== undefined) {
  selected = units
  log(`${units.length} units match /${A.match}/`)
} else {
  if (units.length > CLASSIFY_AT_MOST) {
    throw new Error(`${units.length} units to classify, one agent each: narrow them with args.match ` +
      `(--arg match=<pcre2>), args.paths or args.lang (at most ${CLASSIFY_AT_MOST} without a pattern)`)
  }
  const answers = await inSlices(units, slice => parallel(slice.map(unit => () =>
    unlessBudget(agent(classifyPrompt(unit), {
      role: 'classifier', label: `classify:${unit.id}`, phase: 'Select', unit, schema: RELEVANT,
    })))))
  selected = []
  units.forEach((unit, i) => {
    const answer = answers[i]
    if (answer instanceof NoBudget) record(unit, answer.pilot ? 'pending' : 'skipped', answer.reason)
    else if (!answer) record(unit, 'failed', 'the classifier agent failed')
    else if (answer.relevant) selected.push(unit)
    else record(unit, 'skipped', prefixed('not relevant', answer.reason, 'the classifier says it needs no change', true))
  })
  log(`the classifier keeps ${selected.length} of ${units.length} units`)
}
if (selected.length * 2 > AGENTS_PER_RUN) {
  log(`warning: ${selected.length} units need at least ${selected.length * 2} agents, ` +
    `more than the ${AGENTS_PER_RUN} a run may start: the units past the limit will fail`)
}

// ---------------------------------------------------------------------------
// Implement, verify, fix: each unit on its own, no barrier between units.

phase('Implement')
const judged = await inSlices(selected, slice => pipeline(slice, guarded(implement), guarded(review)))

// ---------------------------------------------------------------------------
// Merge: verified branches go through the merge queue, which tests them
// together on the integration branch and refuses what breaks it.

phase('Merge')
const toMerge = judged.filter(state => state && !state.status)
await inSlices(toMerge, slice => parallel(slice.map(state => () => guarded(land)(state, state.unit))))
selected.forEach(unit => {
  if (!outcome.has(unit.id)) record(unit, 'failed', 'its pipeline stopped without a result')
})

// ---------------------------------------------------------------------------
// Report, in the chunker's order.

const report = {
  goal,
  base: { pass: base.pass, exitCode: base.exitCode, summary: base.summary ?? null, durationMs: base.durationMs },
  units: units.filter(unit => outcome.has(unit.id)).map(unit => outcome.get(unit.id)),
  merged: 0,
  rejected: 0,
  failed: 0,
  skipped: 0,
  pending: 0,
}
for (const entry of report.units) report[entry.status]++
log(`merged ${report.merged}, rejected ${report.rejected}, failed ${report.failed}, skipped ${report.skipped}` +
  (report.pending ? `, pending ${report.pending} (not started: the pilot)` : ''))
return report

// ===========================================================================
// The stages. Each takes and returns a state {unit, attempt, rounds, status?};
// a state with a status is finished and passes through untouched.

async function implement(unit) {
  if (budget.remaining() <= 0) return record(unit, 'skipped', 'budget: the token budget ran out before it started')
  const attempt = await unlessBudget(worktreeAgent(implementPrompt(unit), {
    role: 'implementer', label: `impl:${unit.id}`, phase: 'Implement', unit, scope: scopeOf(unit),
  }))
  if (attempt instanceof NoBudget) return record(unit, attempt.pilot ? 'pending' : 'skipped', attempt.reason)
  if (!attempt) return record(unit, 'failed', 'the implementer agent failed')
  return { unit, attempt, rounds: 0 }
}

// Judges the attempt; while it fails and rounds are left, a fixer starts
// from it and the new attempt is judged in turn.
async function review(state) {
  if (state.status) return state
  const { unit } = state
  let attempt = state.attempt
  for (let round = 0; ; round++) {
    const check = await judge(unit, attempt, round)
    if (check.failed) return record(unit, 'failed', check.failed, attempt, round)
    if (check.unverified) {
      const why = `${check.unverified.reason}: the verifier could not run`
      if (check.unchanged) return record(unit, 'skipped', `${why}; the implementer changed nothing`, attempt, round)
      if (mergeUnverified) return { unit, attempt, rounds: round, unverified: why }
      return record(unit, 'failed', `${why}; the oracle passed on the attempt, kept unmerged ` +
        '(--arg unverified=merge merges such attempts)', attempt, round)
    }
    if (check.pass && check.unchanged) {
      return record(unit, 'skipped', prefixed('no change needed', firstLine(attempt.output), 'the verifier agrees', true),
        attempt, round)
    }
    if (check.pass) return { unit, attempt, rounds: round }
    const why = check.findings.join('; ')
    if (round === rounds) {
      return rejected(unit, judgedBy(check), rounds ? `still failing after ${rounds} fix rounds: ${why}` : why,
        attempt, round)
    }
    const fix = await unlessBudget(worktreeAgent(fixPrompt(unit, attempt, check, round + 1), {
      role: 'fixer', base: attempt.branch, label: `fix${round + 1}:${unit.id}`, phase: 'Fix', unit,
      scope: scopeOf(unit),
    }))
    if (fix instanceof NoBudget) {
      return record(unit, 'failed', `${fix.reason}: the fixer of round ${round + 1} could not run; ${why}`,
        attempt, round)
    }
    if (!fix) return record(unit, 'failed', `the fixer agent of round ${round + 1} failed`, attempt, round + 1)
    if (changedNothing(fix, attempt)) {
      return rejected(unit, judgedBy(check), `the fixer of round ${round + 1} changed nothing; ${why}`, fix, round + 1)
    }
    attempt = fix
  }
}

// One judgement of one attempt: {pass, unchanged, findings, patch, run}, {failed: reason},
// or {unverified: NoBudget, unchanged, patch, run} when the budget let no verifier start.
// The oracle goes first: when the tests fail there is nothing for a verifier to weigh.
async function judge(unit, attempt, round) {
  const patch = await diff({ branch: attempt.branch })
  const unchanged = patch.trim() === ''
  let run = null
  if (!unchanged) { // an unchanged tree is the base, which passed
    run = await oracle({ branch: attempt.branch })
    if (!run.pass) {
      return { pass: false, unchanged, patch, run, findings: [`the oracle failed: ${describe(run)}`] }
    }
  }
  // The verifier reads the attempt in a worktree of its own; a read-only role keeps nothing.
  const verdict = await unlessBudget(agent(verifyPrompt(unit, attempt, patch, run), {
    role: 'verifier', isolation: 'worktree', base: attempt.branch,
    label: round ? `verify${round}:${unit.id}` : `verify:${unit.id}`, phase: 'Verify', unit, schema: VERDICT,
  }))
  if (verdict instanceof NoBudget) return { unverified: verdict, unchanged, patch, run }
  if (!verdict) return { failed: 'the verifier agent failed' }
  const findings = Array.isArray(verdict.findings) ? verdict.findings.map(String) : []
  if (verdict.verdict !== 'pass' && findings.length === 0) findings.push('the verifier failed it without a finding')
  return { pass: verdict.verdict === 'pass', unchanged, patch, run, findings }
}

async function land(state) {
  const { unit, attempt, rounds: used, unverified } = state
  const result = await merge({
    branch: attempt.branch,
    message: `${unit.path}: migrate ${unit.name}\n\n${goal}\n\nUnit: ${unit.id}\n`,
  })
  if (result.merged) {
    const how = unverified ? `unverified (--arg unverified=merge): ${unverified}; the oracle passed`
      : used ? `verified after ${used} fix round(s)` : 'verified'
    return record(unit, 'merged', how, attempt, used, result.commit)
  }
  if (result.reason === 'scope' && Array.isArray(result.outOfScope)) {
    const state = rejected(unit, 'merge-queue', `the merge queue refused it: scope (it changes ${result.outOfScope.join(', ')}, ` +
      `outside its scope ${scopeOf(unit).join(', ')}; --arg scope=<globs> adds to the scope)`, attempt, used)
    outcome.get(unit.id).outOfScope = result.outOfScope
    return state
  }
  const detail = result.detail ? ` (${oneLine(result.detail)})` : ''
  return rejected(unit, result.reason === 'oracle-failed' ? 'oracle' : 'merge-queue',
    `the merge queue refused it: ${result.reason}${detail}`, attempt, used)
}

// ===========================================================================
// Prompts. Each is complete in itself: an agent knows nothing but its prompt
// and its worktree. What is the same for every unit comes first (the goal,
// the rules, the rubric), so that providers can cache that prefix; the unit
// and its evidence come last.

function implementPrompt(unit) {
  return `You are migrating one unit of code, in a git worktree of your own. Other agents are migrating other units at the same time.

Goal of the whole migration: ${goal}

How to work:
${workRules()}
- If your unit needs no change after all, change nothing and say why.
- Your final answer is one short paragraph: what you changed and why, or "no change needed: <reason>".

The change will be judged against this rubric:

${rubricText}

Your unit: ${describeUnit(unit)}. ${describeScope(unit)} As it is now:

${fenced(unit)}`
}

function fixPrompt(unit, attempt, check, round) {
  const output = check.run && !check.run.pass
    ? `\n\nThe last lines of the oracle's output:\n\n${fence(tail(check.run.outputTail, 40), 'text')}`
    : ''
  return `You are fixing an attempt at migrating one unit of code, in a git worktree of your own that starts from that attempt: repair it; start over only if it cannot be repaired. Other agents are migrating other units at the same time.

Goal of the whole migration: ${goal}

How to work:
- Fix every problem listed at the end.
${workRules()}
- Your final answer is one short paragraph: what you changed and why.

The result will be judged against this rubric:

${rubricText}

Your unit: ${describeUnit(unit)}. ${describeScope(unit)} Before any change:

${fenced(unit)}

The attempt so far (fix round ${round} of at most ${rounds}), against the base:

${check.patch.trim() ? fence(check.patch, 'diff') : '(no change)'}

What is wrong with it:
${check.findings.map(f => `- ${f}`).join('\n')}${output}`
}

function verifyPrompt(unit, attempt, patch, run) {
  const evidence = patch.trim() === ''
    ? `The implementer changed nothing, saying:\n${quote(attempt.output)}\n\nDecide whether the unit really needs no change for the goal.`
    : `The change, against the base:\n\n${fence(patch, 'diff')}\n\nThe oracle passed on it (${describe(run)}).` +
      `\n\nThe implementer's account:\n${quote(attempt.output)}`
  return `You are an adversarial reviewer of one step of a code migration: one unit, changed by another agent. Your worktree holds the attempt; read whatever you need, change nothing.

Goal of the whole migration: ${goal}

Judge the attempt against this rubric. Look for the way it is wrong, not for a reason to approve it. When you cannot confirm that a rule holds, that is a finding.${allowTestEdits ? ' This run allows test edits: rule 5 is lifted, but no test may get weaker.' : ''}

${rubricText}

Answer with verdict "pass" only if every rule holds, else "fail". Each finding is one string: path:line, the rule's number, and what is wrong, concretely enough for someone to fix it without rereading everything.

The unit: ${describeUnit(unit)}. Before the change:

${fenced(unit)}

${evidence}`
}

function classifyPrompt(unit) {
  return `Decide whether one unit of code needs a change for a migration. Answer from the text below; do not guess about code you cannot see.

Goal of the migration: ${goal}

"relevant" is true only if this unit itself must be edited to reach the goal (for example, it uses the API being replaced). A unit that merely mentions the subject, or defines the old API itself, is not relevant unless the goal says to change it. Give the reason in one sentence.

The unit: ${describeUnit(unit)}:

${fenced(unit)}`
}

// The rules implementers and fixers share.
function workRules() {
  return [
    '- Make the change the goal asks for everywhere it applies inside your unit, and keep its behaviour exactly as it is otherwise.',
    '- Edit only your unit\'s lines. If the change cannot be made without an edit elsewhere (a prototype in a header, say), make the smallest one and say why in your answer. Leave other units alone.',
    '- Change no file outside the files you may change (listed with your unit): work that does is not merged. If the change needs another file, leave it and say so in your answer.',
    allowTestEdits
      ? '- This run allows test edits where the goal needs them; never weaken, skip or delete a test.'
      : '- Do not create, change or delete tests, test data or the build rules that run them.',
    '- Follow the file\'s style. Add no comments about the migration.',
    '- You may build and run the tests. Do not commit, branch or run other git commands that change the repository: your worktree is committed for you when you finish.',
  ].join('\n')
}

// ===========================================================================
// Helpers.

// Records a unit's final entry in the report, and says it in the progress
// ("unit <id>: merged (verified)", "unit <id>: rejected: <reason>"); returns
// the finished state.
function record(unit, status, reason, attempt = null, used = 0, mergeCommit = null) {
  log(status === 'merged' ? `unit ${unit.id}: merged (${oneLine(reason)})` : `unit ${unit.id}: ${status}: ${oneLine(reason)}`)
  outcome.set(unit.id, {
    id: unit.id,
    path: unit.path,
    status,
    reason: onePhrase(reason),
    branch: attempt?.branch ?? null,
    commit: attempt?.commit ?? null,
    mergeCommit,
    rounds: used,
  })
  return { unit, attempt, rounds: used, status }
}

// A unit rejected by `by` ('oracle', 'verifier' or 'merge-queue'): the report
// counts the rejections by what made them (totals.rejectedByOracle...).
function rejected(unit, by, reason, attempt, used) {
  const state = record(unit, 'rejected', reason, attempt, used)
  outcome.get(unit.id).rejectedBy = by
  return state
}

// What failed a judged attempt: the oracle, or else the verifier's findings.
function judgedBy(check) {
  return check.run && !check.run.pass ? 'oracle' : 'verifier'
}

// What agent() gives when the run's budget let the agent not start: the engine
// refuses it with err.code 'budget' (docs/protocol.md); or when a pilot run
// (--pilot <n>) has started its units: err.code 'pilot', and the unit stays
// pending for `git wfmigrate resume`. Other errors go on.
// (A function, not a class: it is used before this line runs.)
function NoBudget(err) {
  this.pilot = err?.code === 'pilot'
  this.reason = this.pilot ? String(err?.message ?? err) : prefixed('budget', String(err?.message ?? err))
}

async function unlessBudget(promise) {
  try {
    return await promise
  } catch (err) {
    if (err?.code === 'budget' || err?.code === 'pilot') return new NoBudget(err)
    throw err
  }
}

// A stage that throws would drop its unit from the pipeline without a word;
// this makes the unit `failed` with the error's message instead.
function guarded(stage) {
  return async (state, unit) => {
    try {
      return await stage(state, unit)
    } catch (err) {
      return record(unit, 'failed', prefixed('error', err?.message ?? String(err)), state?.attempt ?? null)
    }
  }
}

// Runs fn over slices of at most PER_CALL items and joins the results.
async function inSlices(items, fn) {
  const out = []
  for (let i = 0; i < items.length; i += PER_CALL) out.push(...await fn(items.slice(i, i + PER_CALL)))
  return out
}

// An implementer or fixer in a worktree of its own: {output, branch, commit, changed,
// outOfScope?}, its text and worktreeOf() its promise (two agents may say the same
// text, each promise is its own); null when the agent failed.
async function worktreeAgent(prompt, opts) {
  const promise = agent(prompt, { ...opts, isolation: 'worktree' })
  const output = await promise
  return output === null ? null : { output, ...worktreeOf(promise) }
}

// The globs an implementer or fixer of unit may change: the unit's file (all
// of them for a pack), exactly, and args.scope.
function scopeOf(unit) {
  const files = [unit.path]
  for (const member of Array.isArray(unit.members) ? unit.members : []) {
    const path = String(member).split('::')[0]
    if (path && !files.includes(path)) files.push(path)
  }
  // a path is a glob that matches itself: its special characters escaped, and
  // anchored at the top ('/main.c'), since a glob without '/' matches at any depth
  const exact = files.map(f => (f.includes('/') ? '' : '/') + f.replace(/[*?[\\]/g, c => `\\${c}`))
  return [...exact, ...extraScope.filter(g => !exact.includes(g))]
}

function describeScope(unit) {
  return `The files you may change: ${scopeOf(unit).map(g => `\`${g}\``).join(', ')} (globs).`
}

function changedNothing(fix, previous) {
  if (fix.commit && fix.commit === previous.commit) return true
  return fix.changed === false || (Array.isArray(fix.changed) && fix.changed.length === 0)
}

// "exited 2: 39 passed, 2 failed", and for a failed run the most telling lines of
// its output, most telling first: the oracle's excerpt (docs/oracle.md), e.g.
// "exited 2 (./minigzip: out of memory; *** zlib test FAILED ***)".
function describe(run) {
  const s = run.summary
  const how = run.exitCode === null || run.exitCode === undefined ? 'was killed' : `exited ${run.exitCode}`
  const counts = s ? `: ${s.passed} passed, ${s.failed} failed` : ''
  const lines = run.pass ? [] : Array.isArray(run.excerpt) ? run.excerpt : []
  return `${how}${counts}${lines.length ? ` (${lines.join('; ')})` : ''}`
}

// A detail of several lines (a list under a heading) as one line, for a reason.
function oneLine(text) {
  return String(text).split('\n').map(line => line.trim()).filter(Boolean)
    .reduce((out, line) => out === '' ? line : `${out}${out.endsWith(':') ? ' ' : '; '}${line}`, '')
}

function describeUnit(unit) {
  return `${unit.kind} \`${unit.name}\` in ${unit.path}, lines ${unit.start_line}-${unit.end_line} (unit ${unit.id})`
}

function fenced(unit) {
  if (typeof unit.text !== 'string') return `(read lines ${unit.start_line}-${unit.end_line} of ${unit.path})`
  return fence(unit.text, unit.lang === 'other' ? '' : unit.lang)
}

// A Markdown code fence longer than any run of backticks in the text.
function fence(text, lang) {
  const longest = Math.max(2, ...(String(text).match(/`+/g) ?? []).map(run => run.length))
  const bar = '`'.repeat(longest + 1)
  return `${bar}${lang}\n${String(text).replace(/\n$/, '')}\n${bar}`
}

function quote(text) {
  const s = typeof text === 'string' && text.trim() ? text.trim() : '(nothing)'
  return s.split('\n').map(line => `> ${line}`).join('\n')
}

// "phrase: text", saying the phrase once: agents are asked to begin their
// answer with "no change needed: <reason>", an error's message may start with
// "error:" already. fallback stands in for a text that is only the phrase.
// Only a phrase followed by a colon is taken for a repetition, unless loose
// ("No change needed, the unit has no calls" too).
function prefixed(phrase, text, fallback = '', loose = false) {
  const rest = stripPhrase(phrase, typeof text === 'string' ? text : '', loose) || fallback
  return rest ? `${phrase}: ${rest}` : phrase
}

// text without phrase at its start, however often it is said there
// ("No change needed: no change needed: ..."), nor the emphasis around it
// ("**No change needed**: ...").
function stripPhrase(phrase, text, loose = false) {
  const words = phrase.trim().split(/\s+/).map(w => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+')
  const after = loose ? '\\b[\\s*_`"\':.,;!\\u2013\\u2014-]*' : '[*_`"\']*\\s*:'
  const lead = new RegExp(`^[\\s*_\`"'>]*${words}${after}\\s*`, 'i')
  let rest = text.trim()
  for (let before = null; before !== rest;) {
    before = rest
    rest = rest.replace(lead, '').trim()
  }
  return rest
}

// A reason never says its leading phrase twice: "x: x: y" is "x: y", for
// reasons whose parts come from agents or from the engine.
function onePhrase(reason) {
  if (typeof reason !== 'string') return reason
  const m = /^([^:\n]{1,80}):\s*/.exec(reason)
  if (!m) return reason
  const rest = stripPhrase(m[1], reason.slice(m[0].length))
  return rest ? `${m[1]}: ${rest}` : m[1]
}

// A reason on one line for the progress: its first line, at most 200 characters.
function oneLine(text) {
  const lines = String(text ?? '').trim().split('\n')
  const s = lines[0].replace(/\s+/g, ' ').trim()
  return s.length > 200 ? `${s.slice(0, 199)}…` : lines.length > 1 ? `${s} …` : s
}

function firstLine(text) {
  return typeof text === 'string' ? text.trim().split('\n')[0].slice(0, 200) : ''
}

function tail(text, lines) {
  if (typeof text !== 'string' || text === '') return '(no output)'
  return text.replace(/\n$/, '').split('\n').slice(-lines).join('\n')
}
