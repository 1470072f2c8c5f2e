// The rule model's flaky-fix roles: the three prompts of workflows/flaky.js
// (issue 15), recognised by their first lines, played on the tallykit
// fixture (fixtures/make-flaky.sh), whose test "the report lists keys by
// count, then by name" fails one run in three.
//
//   hypothesis  "Flaky test: why does this test fail only sometimes?"
//               Read src/tally.c -> {hypotheses: [{cause, evidence, files}]}:
//               the causes scenario.flaky.hypotheses names (CAUSES below;
//               default: the real one, then a wrong one), those whose fix
//               the file does not hold already
//   fixer       "Fix this flaky test by the cause given:" + "Cause: <cause>"
//               Read the file of that cause -> Edit its fix -> {summary};
//               a cause it does not know: {summary} without an edit
//   judge       "Two fixes for the same flaky test: which is the smaller sound one?"
//               -> {winner: "A"|"B", reason}: the diff with fewer changed
//               lines (scenario.flaky.judge "larger": the other), A on a tie
//
// The answers are pure functions of the conversation, as the other roles'.

export const FLAKY_PROMPTS = {
  hypothesis: 'Flaky test: why does this test fail only sometimes?',
  fixer: 'Fix this flaky test by the cause given:',
  judge: 'Two fixes for the same flaky test: which is the smaller sound one?',
}

// The causes the hypothesis role knows, by kind, each with the fix the fixer
// role makes for it: edits [{file, old, new}] of the fixture's files.
//   tie-order  the real cause; the fix: a tie-break by name in by_count (one line)
//   qsort      the same cause seen from the sort: a sound but larger fix that
//              replaces qsort with an insertion sort by count, then name
//   buffer     a wrong cause: the fix (a larger buffer in the test) changes
//              nothing, and the confirmation reruns reject it
export const CAUSES = {
  'tie-order': {
    cause: 'tally_report sorts by count only (by_count in src/tally.c returns 0 for equal counts): keys of equal count come out in bucket order, which depends on the hash salt read from /dev/urandom, so banana and pear swap places in one run out of three',
    evidence: 'src/tally.c: by_count compares n only; hash() shifts by t->salt, set from /dev/urandom in tally_new()',
    files: ['src/tally.c'],
    summary: 'by_count breaks ties by name, so keys of equal count are reported in name order whatever the salt',
    edits: [{
      file: 'src/tally.c',
      old: '\treturn x->n < y->n ? 1 : x->n > y->n ? -1 : 0;',
      new: '\treturn x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->key, y->key);',
    }],
  },
  qsort: {
    cause: 'tally_report orders the entries with qsort, which is not stable, over the salted bucket order: the order of keys of equal count is undefined and changes with the salt',
    evidence: 'src/tally.c: qsort(all, nr, sizeof(*all), by_count) in tally_report',
    files: ['src/tally.c'],
    summary: 'tally_report sorts with an insertion sort by count, then by name, instead of qsort',
    edits: [
      {
        file: 'src/tally.c',
        old: 'static int by_count(const void *a, const void *b)\n{\n\tconst struct entry *x = *(const struct entry *const *)a;\n\tconst struct entry *y = *(const struct entry *const *)b;\n\n\treturn x->n < y->n ? 1 : x->n > y->n ? -1 : 0;\n}\n\n',
        new: '',
      },
      {
        file: 'src/tally.c',
        old: '\tqsort(all, nr, sizeof(*all), by_count);',
        new: [
          '\t/* by count, then by name: a total order, whatever the bucket order */',
          '\tfor (size_t i = 1; i < nr; i++) {',
          '\t\tconst struct entry *e = all[i];',
          '\t\tsize_t j = i;',
          '',
          '\t\twhile (j > 0 && (all[j - 1]->n < e->n ||',
          '\t\t\t\t (all[j - 1]->n == e->n && strcmp(all[j - 1]->key, e->key) > 0))) {',
          '\t\t\tall[j] = all[j - 1];',
          '\t\t\tj--;',
          '\t\t}',
          '\t\tall[j] = e;',
          '\t}',
        ].join('\n'),
      },
    ],
  },
  buffer: {
    cause: 'the report buffer of 128 bytes in the test is too small: the report is cut short and the comparison fails',
    evidence: 'tests/test_tally.c: char buf[128] in report_by_count_then_name',
    files: ['tests/test_tally.c'],
    summary: 'the test gives tally_report a 4096-byte buffer',
    edits: [{ file: 'tests/test_tally.c', old: '\tchar buf[128];', new: '\tchar buf[4096];' }],
  },
}
export const CAUSE_KINDS = Object.keys(CAUSES)
export const DEFAULT_HYPOTHESES = ['tie-order', 'buffer']

// The fake's job for a prompt whose first line is one of the flaky fix's, else null.
export function flakyRole(prompt) {
  const first = String(prompt).split('\n', 1)[0].replace(/\r$/, '')
  if (first === FLAKY_PROMPTS.hypothesis) return 'flaky-hypothesis'
  if (first === FLAKY_PROMPTS.fixer) return 'flaky-fixer'
  if (first === FLAKY_PROMPTS.judge) return 'flaky-judge'
  return null
}

// scenario.flaky: {hypotheses?: [kind...], judge?: "smaller"|"larger"}; the
// reason it is wrong, or null.
export function checkFlakyScenario(s) {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return 'scenario.flaky must be an object {hypotheses?, judge?}'
  for (const k of Object.keys(s)) if (k !== 'hypotheses' && k !== 'judge') return `scenario.flaky has an unknown key '${k}' (it takes hypotheses, judge)`
  if (s.hypotheses !== undefined && (!Array.isArray(s.hypotheses) || !s.hypotheses.every(h => CAUSE_KINDS.includes(h)))) {
    return `scenario.flaky.hypotheses must be a list of ${CAUSE_KINDS.join(', ')}`
  }
  if (s.judge !== undefined && s.judge !== 'smaller' && s.judge !== 'larger') return 'scenario.flaky.judge must be "smaller" or "larger"'
  return null
}

// The kind of the cause a fixer's prompt gives ("Cause: <text>"), or null.
export function causeKind(prompt) {
  const m = /^Cause: (.*)$/m.exec(String(prompt))
  if (!m) return null
  const text = m[1].trim()
  for (const kind of CAUSE_KINDS) {
    // the harness may shorten a long cause: its start names it
    if (text === CAUSES[kind].cause || (text.endsWith('...') && CAUSES[kind].cause.startsWith(text.slice(0, -3)))) return kind
  }
  return null
}

// Whether a file's text (as Read gave it) still needs the cause's fix: every
// edit's old text is there.
export function needsFix(kind, file, content) {
  return CAUSES[kind].edits.filter(e => e.file === file).every(e => content.includes(e.old))
}

// The hypotheses for a tally.c as Read showed it (null: it could not be read).
export function hypotheses(kinds, tallyC) {
  return {
    hypotheses: kinds
      .filter(k => tallyC === null || CAUSES[k].edits.every(e => e.file !== 'src/tally.c' || tallyC.includes(e.old)))
      .map(k => ({ cause: CAUSES[k].cause, evidence: CAUSES[k].evidence, files: CAUSES[k].files })),
  }
}

// The two diffs of a judge's prompt, between "=== Fix A: ... ===" and
// "=== end of Fix A ===" (B the same): {A, B} texts, or null.
export function judgeDiffs(prompt) {
  const out = {}
  for (const side of ['A', 'B']) {
    const m = new RegExp(`^=== Fix ${side}: .*===\\n([\\s\\S]*?)\\n=== end of Fix ${side} ===$`, 'm').exec(String(prompt))
    if (!m) return null
    out[side] = m[1]
  }
  return out
}

// Lines a unified diff adds or removes.
export function changedLines(diff) {
  return String(diff).split('\n').filter(l => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l)).length
}

export function judge(prompt, prefer = 'smaller') {
  const d = judgeDiffs(prompt)
  if (!d) return { winner: 'A', reason: 'fakellm: the prompt holds no two diffs ("=== Fix A: ... ===" ... "=== end of Fix B ==="); A by default' }
  const a = changedLines(d.A)
  const b = changedLines(d.B)
  const pickB = prefer === 'larger' ? b > a : b < a
  const winner = pickB ? 'B' : 'A'
  return { winner, reason: `fix ${winner} changes ${winner === 'A' ? a : b} line(s), fix ${winner === 'A' ? 'B' : 'A'} ${winner === 'A' ? b : a}: the ${prefer} one wins` }
}

// The reply for a flaky-fix role. h: the rule model's helpers {history,
// submit, text, parseNumbered, firstLine}.
export function flakyReply(conv, role, prompt, scenario, h) {
  const cfg = scenario.flaky ?? {}
  const done = h.history(conv)
  if (role === 'flaky-judge') return h.submit(conv, judge(prompt, cfg.judge), done)

  const failed = done.find(x => x.result?.isError && x.call.name !== 'StructuredOutput')
  const readOf = file => done.find(x => x.call.name === 'Read' && x.call.input?.file_path === file && x.result)
  const contentOf = r => {
    const n = h.parseNumbered(r.result.text)
    const count = n.size ? Math.max(...n.keys()) : 0
    const lines = []
    for (let i = 1; i <= count; i++) lines.push(n.get(i) ?? '')
    return lines.join('\n') + '\n'
  }

  if (role === 'flaky-hypothesis') {
    const kinds = cfg.hypotheses ?? DEFAULT_HYPOTHESES
    const read = readOf('src/tally.c')
    if (!read) {
      if (failed) return h.submit(conv, hypotheses(kinds, null), done)
      return { text: '', calls: [{ name: 'Read', input: { file_path: 'src/tally.c' } }] }
    }
    return h.submit(conv, hypotheses(kinds, read.result.isError ? null : contentOf(read)), done)
  }

  // flaky-fixer
  if (failed) return h.text(`Stopping: the ${failed.call.name} call failed: ${h.firstLine(failed.result.text)}`)
  const kind = causeKind(prompt)
  if (!kind) return h.submit(conv, { summary: 'fakellm: I do not know this cause; nothing changed' }, done)
  const c = CAUSES[kind]
  const files = [...new Set(c.edits.map(e => e.file))]
  const unread = files.find(f => !readOf(f))
  if (unread) return { text: '', calls: [{ name: 'Read', input: { file_path: unread } }] }
  const edited = done.filter(x => x.call.name === 'Edit').length
  if (edited === 0) {
    const todo = files.filter(f => needsFix(kind, f, contentOf(readOf(f))))
    if (!todo.length) return h.submit(conv, { summary: `nothing to change: ${files.join(', ')} already hold the fix` }, done)
    const edits = c.edits.map(e => ({ name: 'Edit', input: { file_path: e.file, old_string: e.old, new_string: e.new } }))
    return { text: '', calls: conv.parallel ? edits : edits.slice(0, 1) }
  }
  if (edited < c.edits.length) {
    return { text: '', calls: [{ name: 'Edit', input: { file_path: c.edits[edited].file, old_string: c.edits[edited].old, new_string: c.edits[edited].new } }] }
  }
  return h.submit(conv, { summary: c.summary }, done)
}
