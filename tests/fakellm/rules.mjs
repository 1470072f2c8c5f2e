// The rule-based model: does the cardkit fixture's migration
// (fixtures/make-deprecated.sh) exactly as the careless codemod
// fixtures/codemods/old-to-safe.sh does, but through tool calls, so that a
// run with an HTTP provider gives the same units merged, rejected and
// skipped as fixtures/deprecated.expected.
//
// It keeps no state: each request's conversation says how far the job is.
//
//   implementer, fixer  Read {file_path}  ->  Edit per changed line  ->  text
//   verifier            Read {file_path}  ->  StructuredOutput {verdict, findings}
//   classifier          StructuredOutput {relevant, reason} from the unit's
//                       text in the prompt (Read first if the prompt has none)
//   planner             StructuredOutput {workflow, args, why} or {script, why}
//                       (plannerAnswer: the goal and the attempt in the prompt,
//                       scenario.planner saying what each attempt answers)
//   sweep-classifier, sweep-reviewer, sweep-verifier
//                       StructuredOutput from the unit block of the prompt of
//                       workflows/sweep.js, recognised by its first line
//                       (sweep.mjs)
//   flaky-hypothesis, flaky-fixer, flaky-judge
//                       the prompts of workflows/flaky.js, recognised by
//                       their first line, on the tallykit fixture (flaky.mjs)
//
// Any tool result that is an error ends the job with a text turn. A
// StructuredOutput refused by the client is retried once with the object
// bent to the tool's schema (fitToSchema), then the model gives up.

import { flakyReply, flakyRole } from './flaky.mjs'
import { sweepAnswer, sweepRole } from './sweep.mjs'

// The codemod's two patterns (old-to-safe.sh), in JavaScript. Python's \w is
// Unicode-aware, hence \p{L}\p{N}.
const CALL = /(?<![\p{L}\p{N}_*])old_copy\(/u
const CALL_G = /(?<![\p{L}\p{N}_*])old_copy\(/gu
const WHOLE_G = /(?<![\p{L}\p{N}_*])old_copy\(\s*([^,()]+?)\s*,\s*((?:[^()]|\([^()]*\))+?)\s*\)/gu

// Which job the prompt asks for: the marker that comes first in the text
// wins (a verifier's prompt quotes the implementer's answer, not its prompt).
const ROLE_MARKERS = [
  ['You are migrating', 'implementer'],
  ['You are fixing', 'fixer'],
  ['adversarial reviewer', 'verifier'],
  ['Decide whether one unit', 'classifier'],
  // src/engine/planner.c's prompt (it quotes the others' markers further on)
  ['You choose or write the workflow', 'planner'],
]
// describeUnit() of workflows/migrate.js: "... in <path>, lines <a>-<b> (unit <id>)"
const UNIT = /\bin (\S(?:.*?\S)?), lines (\d+)-(\d+) \(unit ([^)\n]+)\)/

export function promptOf(conv) {
  const first = conv.turns.find(t => t.role === 'user' && t.texts.length)
  return first ? first.texts.join('\n') : ''
}

export function guessRole(conv) {
  const text = promptOf(conv)
  // the sweep's prompts say what they are on their first line: the code
  // they quote after it cannot change that
  const sweep = sweepRole(text)
  if (sweep) return sweep
  const flaky = flakyRole(text)
  if (flaky) return flaky
  let best = null
  let at = Infinity
  for (const [marker, role] of ROLE_MARKERS) {
    const i = text.indexOf(marker)
    if (i >= 0 && i < at) { at = i; best = role }
  }
  return best
}

export function parseUnit(text) {
  const m = UNIT.exec(text)
  if (!m) return null
  return { path: m[1], first: Number(m[2]), last: Number(m[3]), id: m[4], at: m.index + m[0].length }
}

// The codemod on one line: {line, rewritten, renamed}.
export function rewriteLine(line) {
  let rewritten = 0
  let renamed = 0
  let out = line.replace(WHOLE_G, (_m, dst, src) => { rewritten++; return `safe_copy(${dst}, sizeof(${dst}), ${src})` })
  out = out.replace(CALL_G, () => { renamed++; return 'safe_copy(' })
  return { line: out, rewritten, renamed }
}

// Read's answer, numbered like `cat -n` ("     1\tline"), as a map
// number -> line; lines that are not numbered (notes, headers) are skipped.
export function parseNumbered(text) {
  const lines = new Map()
  for (const row of text.split('\n')) {
    const m = /^\s*(\d+)\t(.*)$/.exec(row.replace(/\r$/, ''))
    if (m) lines.set(Number(m[1]), m[2])
  }
  return lines
}

function occurrences(haystack, needle) {
  let n = 0
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++
  return n
}

// The Edit calls that turn the file (as Read showed it) into what the codemod
// would leave, one per changed line, each old_string unique in the file at
// the moment it is applied (widened by neighbouring lines when a line
// occurs twice).
export function planEdits(path, numbered, first, last) {
  const count = numbered.size ? Math.max(...numbered.keys()) : 0
  const cur = []
  for (let n = 1; n <= count; n++) cur.push(numbered.get(n) ?? '')
  const edits = []
  let rewritten = 0
  let renamed = 0
  for (let n = first; n <= Math.min(last, count); n++) {
    const r = rewriteLine(cur[n - 1])
    rewritten += r.rewritten
    renamed += r.renamed
    if (r.line === cur[n - 1]) continue
    const whole = cur.join('\n')
    let lo = n
    let hi = n
    while (occurrences(whole, cur.slice(lo - 1, hi).join('\n')) > 1 && (lo > 1 || hi < count)) {
      if (lo > 1 && (hi === count || n - lo <= hi - n)) lo--
      else hi++
    }
    const oldBlock = cur.slice(lo - 1, hi)
    const newBlock = oldBlock.slice()
    newBlock[n - lo] = r.line
    edits.push({ name: 'Edit', input: { file_path: path, old_string: oldBlock.join('\n'), new_string: newBlock.join('\n') } })
    cur[n - 1] = r.line
  }
  return { edits, rewritten, renamed, lines: cur }
}

// The codemod's verifier: old_copy calls left in lines first..last.
export function leftoverFindings(path, lines, first, last) {
  const out = []
  for (let n = first; n <= Math.min(last, lines.length); n++) {
    if (CALL.test(lines[n - 1])) out.push(`${path}:${n}: old_copy call left: ${lines[n - 1].trim()}`)
  }
  return out
}

export function classify(lines) {
  const calls = lines.filter(l => CALL.test(l)).length
  return { relevant: calls > 0, reason: calls ? `${calls} line(s) call old_copy` : 'no old_copy call' }
}

// The unit's text as the prompt shows it: the first fenced block after the
// unit's description (fence() of migrate.js: three or more backticks).
export function fencedAfter(text, at) {
  const m = /^(`{3,})[^\n]*\n([\s\S]*?)\n\1[ \t]*$/m.exec(text.slice(at))
  return m ? m[2] : null
}

// Bends an object to a JSON Schema: required properties filled, unknown ones
// dropped when additionalProperties is false, enum values and types fixed.
// Good enough for the small schemas of migrate.js; the point is to answer a
// validation error with something different, once.
export function fitToSchema(value, schema) {
  if (!schema || typeof schema !== 'object') return value
  if (Array.isArray(schema.enum) && !schema.enum.some(e => JSON.stringify(e) === JSON.stringify(value))) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object': {
      const obj = value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {}
      const props = schema.properties ?? {}
      if (schema.additionalProperties === false) for (const k of Object.keys(obj)) if (!(k in props)) delete obj[k]
      for (const k of Object.keys(props)) if (k in obj) obj[k] = fitToSchema(obj[k], props[k])
      for (const k of schema.required ?? []) if (!(k in obj)) obj[k] = fitToSchema(undefined, props[k] ?? {})
      return obj
    }
    case 'array': {
      let arr = Array.isArray(value) ? value.map(v => fitToSchema(v, schema.items)) : []
      if (Number.isInteger(schema.maxItems)) arr = arr.slice(0, schema.maxItems)
      while (Number.isInteger(schema.minItems) && arr.length < schema.minItems) arr.push(fitToSchema(undefined, schema.items ?? {}))
      return arr
    }
    case 'string': return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)
    case 'boolean': return typeof value === 'boolean' ? value : Boolean(value)
    case 'integer': return Number.isInteger(value) ? value : Math.round(Number(value) || 0)
    case 'number': return typeof value === 'number' ? value : Number(value) || 0
    case 'null': return null
    default: return value === undefined ? null : value
  }
}

// ---------------------------------------------------------------------------

const text = t => ({ text: t, calls: [], stop: 'end_turn' })

// All tool calls made so far with their answers: [{call, result|null}].
export function history(conv) {
  const results = new Map()
  for (const t of conv.turns) for (const r of t.results) results.set(r.id, r)
  const out = []
  for (const t of conv.turns) {
    if (t.role !== 'assistant') continue
    for (const c of t.calls) out.push({ call: c, result: results.get(c.id) ?? null })
  }
  return out
}

// The structured answer: through the StructuredOutput tool when there is
// one, else as JSON text (OpenAI response_format, or no tool at all).
function submit(conv, obj, done) {
  const tool = conv.tools.find(t => t.name === 'StructuredOutput')
  if (!tool) return text(JSON.stringify(obj))
  const tries = done.filter(h => h.call.name === 'StructuredOutput')
  if (!tries.length) return { text: '', calls: [{ name: 'StructuredOutput', input: obj }] }
  const lastTry = tries[tries.length - 1]
  if (!lastTry.result?.isError) return text('Submitted.')
  if (tries.length >= 2) return text(`StructuredOutput was refused again: ${firstLine(lastTry.result.text)}; giving up.`)
  const fitted = fitToSchema(lastTry.call.input, tool.schema)
  if (JSON.stringify(fitted) === JSON.stringify(lastTry.call.input)) {
    return text(`StructuredOutput was refused (${firstLine(lastTry.result.text)}) and I cannot see how to correct it.`)
  }
  return { text: '', calls: [{ name: 'StructuredOutput', input: fitted }] }
}

function firstLine(s) {
  return String(s ?? '').trim().split('\n')[0].slice(0, 300)
}

// --- the planner ------------------------------------------------------------

// The harness the fake planner writes: an implementer per unit that calls
// old_copy, with the prompt the implementer rule reads, each branch merged
// through the oracle-gated queue.
export const PLANNED_SCRIPT = `export const meta = {
  name: 'fake-plan',
  description: 'Written by the fake planner: an implementer per unit that calls old_copy, merged when the oracle passes',
  phases: [
    { title: 'Change', detail: 'an implementer per unit, in its own worktree' },
    { title: 'Merge', detail: 'each branch through the oracle-gated merge queue' },
  ],
}

const units = await chunk({ match: 'old_copy' })
log(\`\${units.length} units call old_copy\`)
phase('Change')
const changed = await pipeline(units, (u) => agent(
  \`You are migrating callers of old_copy to safe_copy: \${args.goal}\\n\` +
  \`The code is in \${u.path}, lines \${u.start_line}-\${u.end_line} (unit \${u.id}).\`,
  { label: u.id, unit: u, isolation: 'worktree', role: 'implementer' }))
phase('Merge')
let merged = 0
for (const r of changed) {
  if (r === null) continue
  const m = await merge(r)
  if (m.merged) merged++
}
return { units: units.length, merged }
`

// What an attempt of the planner answers (scenario.planner[attempt - 1]):
//   "rules"      the rule: a goal that says migrate (or "move every caller")
//                gets {workflow: "migrate", args: {match: "old_copy"}}, any
//                other the script above
//   "migrate", "script"   that answer whatever the goal
//   "syntax"     the script with a syntax error (a parenthesis left open)
//   "forbidden"  the script calling Date.now()
//   "nophases"   the script without meta.phases
//   "unknown"    {workflow: "no-such-workflow"}
//   an object    sent as the answer as it is
export const PLANNER_ANSWERS = ['rules', 'migrate', 'script', 'syntax', 'forbidden', 'nophases', 'unknown']

export function plannerAnswer(prompt, planned = []) {
  const goal = (/## The goal\n\n([\s\S]*?)\n(?:\n## |\nThis is attempt )/.exec(prompt) ?? [])[1] ?? ''
  const attempt = Number((/This is attempt (\d+) of \d+/.exec(prompt) ?? [])[1] ?? 1)
  let kind = planned[attempt - 1] ?? 'rules'
  if (kind && typeof kind === 'object') return kind
  if (kind === 'rules') kind = /\bmigrat|move every caller/i.test(goal) ? 'migrate' : 'script'
  const why = `fakellm planner, attempt ${attempt}: ${kind}`
  switch (kind) {
    case 'migrate': return { workflow: 'migrate', args: { match: 'old_copy' }, why }
    case 'unknown': return { workflow: 'no-such-workflow', why }
    case 'syntax': return { script: PLANNED_SCRIPT.replace("chunk({ match: 'old_copy' })", "chunk({ match: 'old_copy' }"), why }
    case 'forbidden': return { script: PLANNED_SCRIPT.replace('let merged = 0', 'let merged = 0 * Date.now()'), why }
    case 'nophases': return { script: PLANNED_SCRIPT.replace(/ {2}phases: \[[\s\S]*?\n {2}\],\n/, ''), why }
    default: return { script: PLANNED_SCRIPT, why }
  }
}

// conv: the neutral conversation (anthropic.mjs / openai.mjs conversation());
// scenario: the server's (scenario.planner for the planner).
// Returns the neutral reply {text, calls: [{name, input}], stop}.
export function ruleModel(conv, scenario = {}) {
  const prompt = promptOf(conv)
  const role = guessRole(conv)
  if (role === 'planner') return submit(conv, plannerAnswer(prompt, scenario.planner), history(conv))
  if (role?.startsWith('sweep-')) {
    const answer = sweepAnswer(prompt, role)
    return answer.error ? text(answer.error) : submit(conv, answer, history(conv))
  }
  if (role?.startsWith('flaky-')) {
    return flakyReply(conv, role, prompt, scenario, { history, submit, text, parseNumbered, firstLine })
  }
  const unit = parseUnit(prompt)
  if (!role) return text('fakellm rule model: I cannot tell the job from the prompt (no "You are migrating", "You are fixing", "adversarial reviewer" or "Decide whether one unit").')
  if (!unit) return text('fakellm rule model: the prompt names no unit ("in <path>, lines <a>-<b> (unit <id>)").')
  const done = history(conv)

  // A tool that failed (other than a refused StructuredOutput) ends the job.
  const failed = done.find(h => h.result?.isError && h.call.name !== 'StructuredOutput')
  if (failed) {
    return text(`Stopping: the ${failed.call.name} call failed: ${firstLine(failed.result.text)}`)
  }
  const read = done.find(h => h.call.name === 'Read' && h.result)
  const readCall = { text: '', calls: [{ name: 'Read', input: { file_path: unit.path } }] }

  if (role === 'classifier') {
    const unitText = fencedAfter(prompt, unit.at)
    if (unitText !== null) return submit(conv, classify(unitText.split('\n')), done)
    if (!read) return readCall
    const numbered = parseNumbered(read.result.text)
    const lines = []
    for (let n = unit.first; n <= unit.last && numbered.has(n); n++) lines.push(numbered.get(n))
    return submit(conv, classify(lines), done)
  }

  if (!read) return readCall
  const numbered = parseNumbered(read.result.text)
  // An OpenAI tool message has no error flag: a Read answer without a single
  // numbered line is taken for a refusal.
  if (!numbered.size) return text(`Stopping: Read gave no numbered lines: ${firstLine(read.result.text)}`)

  if (role === 'verifier') {
    const lines = []
    const count = numbered.size ? Math.max(...numbered.keys()) : 0
    for (let n = 1; n <= count; n++) lines.push(numbered.get(n) ?? '')
    const findings = leftoverFindings(unit.path, lines, unit.first, unit.last)
    return submit(conv, { verdict: findings.length ? 'fail' : 'pass', findings }, done)
  }

  // implementer, fixer
  const plan = planEdits(unit.path, numbered, unit.first, unit.last)
  const edited = done.filter(h => h.call.name === 'Edit').length
  if (edited < plan.edits.length) {
    const next = plan.edits.slice(edited, conv.parallel ? undefined : edited + 1)
    return { text: '', calls: next }
  }
  return text(`${unit.path} lines ${unit.first}-${unit.last}: ${plan.rewritten} calls rewritten, ${plan.renamed} renamed only`)
}
