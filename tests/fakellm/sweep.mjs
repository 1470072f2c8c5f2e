// The rule model's sweep roles: the three prompts of workflows/sweep.js
// (issue 14), recognised by their first lines, answered from the unit
// block the prompt holds (line-numbered code), without tools.
//
//   classifier  "Security triage: which categories does this unit need reviewing for?"
//               -> {categories}: the categories some line of the unit is a
//                  candidate for (CANDIDATES below)
//   reviewer    "Security review: <category>"
//               -> {findings}: one per candidate line of that category, the
//                  safe look-alikes too (a reviewer over-reports; the
//                  verifiers refute)
//   verifier    "Refute this finding if you can:" + the finding as one line of JSON
//               -> {verdict, reason}: refuted for a look-alike (refutation()),
//                  confirmed otherwise
//
// It is a rule model: text in the code that addresses the reviewer ("report
// no findings") changes nothing, which is what the sweep's quarantine wants
// of a real model. The answers are pure functions of the prompt.

export const CATEGORIES = ['memory-safety', 'injection', 'secrets', 'crypto', 'path-traversal', 'authz', 'deserialization', 'other']

const CLASSIFIER = 'Security triage: which categories does this unit need reviewing for?'
const REVIEWER = /^Security review: (\S+)\s*$/
const VERIFIER = 'Refute this finding if you can:'

// The fake's job for a prompt whose first line is one of the sweep's, else null.
export function sweepRole(prompt) {
  const first = String(prompt).split('\n', 1)[0].replace(/\r$/, '')
  if (first === CLASSIFIER) return 'sweep-classifier'
  if (REVIEWER.test(first)) return 'sweep-reviewer'
  if (first === VERIFIER) return 'sweep-verifier'
  return null
}

// The unit block:
//   Unit: <id> (<path>:<startLine>-<endLine>, <lang>)
//   <n>| <code line>
//   ...
// -> {id, path, first, last, lang, lines: Map n -> line}, or null.
export function parseUnitBlock(text) {
  const rows = String(text).split('\n')
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].replace(/\r$/, '')
    // a chunk id starts with its path ("<path>::<kind>::<name>"), which
    // tells the two apart when either holds " ("
    const m = /^Unit: ((.*?)::.*) \(\2:(\d+)-(\d+), ([^,()]+)\)\s*$/.exec(row) ?? /^Unit: (.*) \(()(.*):(\d+)-(\d+), ([^,()]+)\)\s*$/.exec(row)?.filter((_, k) => k !== 2)
    if (!m) continue
    const lines = new Map()
    for (let j = i + 1; j < rows.length; j++) {
      const l = /^(\d+)\|(?: (.*))?$/.exec(rows[j].replace(/\r$/, ''))
      if (!l) break
      lines.set(Number(l[1]), l[2] ?? '')
    }
    return { id: m[1], path: m[2], first: Number(m[3]), last: Number(m[4]), lang: m[5], lines }
  }
  return null
}

// What makes a line a candidate, per category: {re, rule, severity, code,
// explain}. code: the pattern is looked for in the line without its
// comments (a call named in a comment is no call); a secret counts in a
// comment too. The first row that matches a line decides its finding.
const CANDIDATES = {
  'memory-safety': [
    { re: /\bgets\s*\(/, rule: 'memory-safety/unbounded-read', severity: 'critical', code: true,
      explain: () => 'gets() reads a line of any length into a fixed buffer' },
    { re: /\b(strcpy|strcat|stpcpy|wcscpy|wcscat|strncpy|strncat|memcpy|memmove)\s*\(/, rule: 'memory-safety/unbounded-copy', severity: 'high', code: true,
      explain: (m, args) => `${m[1]}() copies into ${args[0] ?? 'its destination'} without a check that it fits` },
    { re: /\b(sprintf|vsprintf|snprintf|vsnprintf)\s*\(/, rule: 'memory-safety/format-overflow', severity: 'high', code: true,
      explain: (m, args) => `${m[1]}() formats into ${args[0] ?? 'its destination'}; the result may not fit` },
  ],
  injection: [
    { re: /\b(system|popen|execl|execlp|execle|execv|execvp|execvpe)\s*\(/, rule: 'injection/command-injection', severity: 'critical', code: true,
      explain: m => `${m[1]}() runs a command; if any part of it comes from input, that input runs commands` },
    { re: /\bshell\s*=\s*True\b/, rule: 'injection/command-injection', severity: 'critical', code: true, call: /\b(?:subprocess\.)?(?:run|call|check_call|check_output|Popen)\s*\(/,
      explain: () => 'a subprocess with shell=True: if any part of the command comes from input, that input runs commands' },
    { re: /\bchild_process\.exec(?:Sync)?\s*\(|\bexec\.Command\(\s*"(?:ba)?sh"\s*,\s*"-c"|\bRuntime\.getRuntime\(\)\.exec\s*\(/, rule: 'injection/command-injection', severity: 'critical', code: true,
      explain: () => 'runs a shell command; if any part of it comes from input, that input runs commands' },
    { re: /\b(eval|exec)\s*\(|\bnew Function\s*\(/, rule: 'injection/code-injection', severity: 'critical', code: true,
      explain: () => 'runs code made at run time; if any part of it comes from input, that input runs as code' },
  ],
  secrets: [
    { re: /-----BEGIN ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----/, rule: 'secrets/private-key', severity: 'critical', code: false,
      explain: () => 'a private key committed in the source: anyone who reads the repository holds it' },
    { re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, rule: 'secrets/hard-coded-key', severity: 'high', code: false,
      explain: m => `an AWS access key id committed in the source (${m[0]})` },
    { re: /\bghp_[A-Za-z0-9]{36}\b|\bxox[baprs]-[A-Za-z0-9-]{10,}|\bsk_live_[A-Za-z0-9]{24,}/, rule: 'secrets/hard-coded-token', severity: 'high', code: false,
      explain: () => 'an API token committed in the source' },
  ],
}

// The line without its comments (C, C++, JS, Go, Java: // and /* */ on the
// line, and the inside of a block comment's continuation lines; Python: #).
// Strings are kept; a comment marker inside a string is rare enough here.
export function codeOf(line, lang) {
  if (lang === 'python') return line.replace(/(^|\s)#.*$/, '$1')
  const t = line.trim()
  if (t.startsWith('*') || (t.startsWith('/*') && !t.includes('*/'))) return ''
  return line.replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '')
}

// The arguments of the call whose "(" ends at text[open]: top-level
// comma-separated, trimmed; quotes and brackets respected. An unclosed call
// gives what there is.
export function callArgs(text, open) {
  const args = []
  let depth = 0
  let cur = ''
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]
    if (c === '"' || c === "'") {
      let j = i + 1
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1
      cur += text.slice(i, j + 1)
      i = j
      continue
    }
    if (c === '(' || c === '[' || c === '{') depth++
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) { args.push(cur.trim()); return args }
      depth--
    }
    if (c === ',' && depth === 0) { args.push(cur.trim()); cur = ''; continue }
    cur += c
  }
  if (cur.trim()) args.push(cur.trim())
  return args
}

// A constant string: one or more adjacent C literals, or one Python/JS
// literal without a prefix that formats it (f"", %-formatting, +).
// -> its length in bytes of content (escapes counted as one), or -1.
export function literalLength(arg) {
  const s = String(arg ?? '').trim()
  const parts = s.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g)
  if (!parts || parts.join('').replace(/\s+/g, '') !== s.replace(/\s+/g, '')) return -1
  let n = 0
  for (const p of parts) n += p.slice(1, -1).replace(/\\(x[0-9a-fA-F]+|[0-7]{1,3}|.)/g, '_').length
  return n
}

const isSizeofOf = (size, dst) => {
  const d = dst.replace(/\s+/g, '')
  const s = String(size ?? '').replace(/\s+/g, '')
  return s === `sizeof(${d})` || s === `sizeof${d}`
}

const escapeRe = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// The size of `char <name>[N]` declared in the unit, or null.
function arraySize(lines, name) {
  if (!/^[A-Za-z_]\w*$/.test(name)) return null
  const re = new RegExp(`\\b(?:char|wchar_t)\\s+(?:[A-Za-z_]\\w*\\s*\\[[^\\]]*\\]\\s*,\\s*)*${escapeRe(name)}\\s*\\[\\s*(\\d+)\\s*\\]`)
  for (const l of lines) {
    const m = re.exec(l)
    if (m) return Number(m[1])
  }
  return null
}

// Every candidate of one category in the unit: [{row, m, args, n, end, line}].
function candidates(unit, category) {
  const out = []
  const rows = CANDIDATES[category] ?? []
  const numbers = [...unit.lines.keys()].sort((a, b) => a - b)
  for (const n of numbers) {
    const line = unit.lines.get(n)
    const code = codeOf(line, unit.lang)
    for (const row of rows) {
      const text = row.code ? code : line
      const m = row.re.exec(text)
      if (!m) continue
      // the call's arguments: the call the row names (shell=True: the
      // subprocess call on the line), else the match when it ends in "("
      const call = row.call ? row.call.exec(text) : m
      const at = call ? call.index + call[0].length - 1 : -1
      const args = at >= 0 && text[at] === '(' ? callArgs(text, at) : []
      let end = n
      if (row.rule === 'secrets/private-key') {
        const close = numbers.find(k => k > n && /-----END ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----/.test(unit.lines.get(k)))
        if (close) end = close
      }
      out.push({ row, m, args, n, end, line })
      break
    }
  }
  return out
}

export function classify(unit) {
  return { categories: CATEGORIES.filter(c => candidates(unit, c).length > 0) }
}

export function review(unit, category) {
  return {
    findings: candidates(unit, category).map(c => {
      const evidence = []
      for (let k = c.n; k <= c.end; k++) evidence.push(unit.lines.get(k) ?? '')
      return {
        rule: c.row.rule,
        severity: c.row.severity,
        file: unit.path,
        startLine: c.n,
        endLine: c.end,
        evidence: evidence.join('\n'),
        explanation: c.row.explain(c.m, c.args),
      }
    }),
  }
}

// The verdict on a finding: {verdict, reason}. The lines of the finding
// (from the unit block, else its evidence) are matched against every
// category's candidates; it is refuted when each of them is safe (judge()).
export function judgeFinding(unit, finding) {
  const rows = []
  const first = Number(finding?.startLine)
  const last = Number(finding?.endLine ?? finding?.startLine)
  if (unit && Number.isInteger(first)) {
    for (let n = first; n <= (Number.isInteger(last) ? last : first); n++) if (unit.lines.has(n)) rows.push([n, unit.lines.get(n)])
  }
  if (!rows.length && typeof finding?.evidence === 'string') finding.evidence.split('\n').forEach((l, i) => rows.push([(first || 1) + i, l]))
  const where = `${finding?.file ?? unit?.path ?? '?'}:${Number.isInteger(first) ? first : '?'}`
  const sub = { path: unit?.path ?? finding?.file, lang: unit?.lang ?? '', lines: new Map(rows) }
  const all = unit ? [...unit.lines.values()] : rows.map(r => r[1])
  const found = Object.keys(CANDIDATES).flatMap(cat => candidates(sub, cat))
  if (!found.length) return { verdict: 'confirmed', reason: `${where}: nothing in these lines shows the finding wrong` }
  const reasons = []
  for (const c of found) {
    const j = judge(c, all)
    if (!j.safe) return { verdict: 'confirmed', reason: `${where}: ${j.reason}` }
    reasons.push(j.reason)
  }
  return { verdict: 'refuted', reason: `${where}: ${reasons.join('; ')}` }
}

// One candidate: {safe, reason}.
function judge(c, unitLines) {
  const { row, m, args } = c
  const safe = reason => ({ safe: true, reason })
  const unsafe = reason => ({ safe: false, reason })
  switch (row.rule) {
    case 'secrets/hard-coded-key':
      return /EXAMPLE/.test(m[0]) ? safe(`${m[0]} is AWS's documented example key id, not a credential`)
        : unsafe(`${m[0]} is not AWS's example key id: a real-looking credential in the source`)
    case 'secrets/private-key':
      return unsafe('a private key block in the source; no test key says it is one')
    case 'memory-safety/unbounded-copy': {
      const fn = m[1]
      const [dst, src, size] = args
      if (dst && ['strncpy', 'memcpy', 'memmove'].includes(fn) && isSizeofOf(size, dst)) return safe(`${fn}() is bounded by ${size}, the size of ${dst}`)
      if (dst && (fn === 'strcpy' || fn === 'stpcpy')) {
        const len = literalLength(src)
        const room = arraySize(unitLines, dst)
        if (len >= 0 && room !== null && len + 1 <= room) return safe(`the source is a string literal of ${len + 1} bytes and ${dst} holds ${room}`)
        if (len >= 0 && room !== null) return unsafe(`the literal needs ${len + 1} bytes and ${dst} holds ${room}`)
      }
      return unsafe(`${fn}() into ${dst ?? 'its destination'} from ${src ?? 'its source'}: not a literal known to fit, and nothing bounds the copy`)
    }
    case 'memory-safety/format-overflow': {
      const fn = m[1]
      const [dst, size] = args
      if ((fn === 'snprintf' || fn === 'vsnprintf') && dst && isSizeofOf(size, dst)) return safe(`${fn}() is bounded by ${size}, the size of ${dst}: it truncates, it cannot overflow`)
      return unsafe(`${fn}() into ${dst ?? 'its destination'} is not bounded by the size of ${dst ?? 'the destination'}`)
    }
    case 'injection/command-injection':
    case 'injection/code-injection': {
      const cmd = args[0]
      return literalLength(cmd) >= 0 ? safe(`a constant command (${cmd}): nothing from input reaches it`)
        : unsafe(`the command (${cmd ?? 'its first argument'}) is not a constant: what builds it reaches ${row.rule === 'injection/code-injection' ? 'the interpreter' : 'the shell'}`)
    }
    default:
      return unsafe(`${row.rule}: nothing shown makes it safe`)
  }
}

export function verify(prompt) {
  const line = String(prompt).split('\n').slice(1).find(l => l.trim())
  let finding = null
  try {
    finding = JSON.parse(line ?? '')
    if (!finding || typeof finding !== 'object' || Array.isArray(finding)) throw new Error('not an object')
  } catch {
    return { verdict: 'confirmed', reason: 'the finding is not one line of JSON; nothing to refute it with' }
  }
  return judgeFinding(parseUnitBlock(prompt), finding)
}

// The answer object for a sweep prompt, or {error} (a text turn) when the
// prompt lacks what the role needs.
export function sweepAnswer(prompt, role) {
  if (role === 'sweep-verifier') return verify(prompt)
  const unit = parseUnitBlock(prompt)
  if (!unit) return { error: 'fakellm rule model: the sweep prompt has no unit block ("Unit: <id> (<path>:<a>-<b>, <lang>)" and numbered lines)' }
  if (role === 'sweep-classifier') return classify(unit)
  const category = REVIEWER.exec(String(prompt).split('\n', 1)[0])[1]
  return review(unit, category)
}
