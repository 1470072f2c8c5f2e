export const meta = {
  name: 'sweep-roles',
  description: 'the three prompts of the security sweep (issue 14) over some units, as workflows/sweep.js sends them: a classifier, a reviewer per category, 3 verifiers per finding',
  phases: [{ title: 'Review', detail: 'classify, review, verify each unit' }],
}

// tests/e2e/sweep_roles.sh: the fake LLM's sweep roles through the real
// agent loop. Returns each unit's categories and each finding with the
// verifiers' votes ("failed" for a verifier that returned null).
const CATEGORIES = ['memory-safety', 'injection', 'secrets', 'crypto', 'path-traversal', 'authz', 'deserialization', 'other']
const FINDING = {
  type: 'object',
  properties: {
    rule: { type: 'string' }, severity: { enum: ['low', 'medium', 'high', 'critical'] }, file: { type: 'string' },
    startLine: { type: 'integer' }, endLine: { type: 'integer' }, evidence: { type: 'string' }, explanation: { type: 'string' },
  },
  required: ['rule', 'severity', 'file', 'startLine', 'endLine', 'evidence', 'explanation'],
}
const CLASSIFY = { type: 'object', properties: { categories: { type: 'array', items: { enum: CATEGORIES } } }, required: ['categories'] }
const REVIEW = { type: 'object', properties: { findings: { type: 'array', items: FINDING } }, required: ['findings'] }
const VERDICT = { type: 'object', properties: { verdict: { enum: ['confirmed', 'refuted'] }, reason: { type: 'string' } }, required: ['verdict', 'reason'] }
const READ_ONLY = ['Read', 'Grep', 'Glob']

const block = (u) => `Unit: ${u.id} (${u.path}:${u.start_line}-${u.end_line}, ${u.lang})\n` +
  u.text.replace(/\n$/, '').split('\n').map((l, i) => `${u.start_line + i}| ${l}`).join('\n')

const units = await chunk({ text: true, paths: args.paths })
phase('Review')
const out = { units: {}, findings: [] }
for (const u of units) {
  const c = await agent(`Security triage: which categories does this unit need reviewing for?\n${block(u)}\n`,
    { role: 'classifier', label: `classify ${u.id}`, schema: CLASSIFY })
  out.units[u.id] = c === null ? null : c.categories
  for (const category of c?.categories ?? []) {
    const r = await agent(`Security review: ${category}\n${block(u)}\n\n(the rubric)\n`,
      { role: 'reviewer', tools: READ_ONLY, label: `review ${category} ${u.id}`, schema: REVIEW })
    for (const f of r?.findings ?? []) {
      const votes = await parallel([0, 1, 2].map((i) => () => agent(`Refute this finding if you can:\n${JSON.stringify(f)}\n${block(u)}\n`,
        { role: 'reviewer', tools: READ_ONLY, label: `verify ${i} ${f.file}:${f.startLine}`, schema: VERDICT })))
      out.findings.push({ where: `${f.file}:${f.startLine}-${f.endLine}`, rule: f.rule, severity: f.severity, votes: votes.map((v) => (v === null ? 'failed' : v.verdict)) })
    }
  }
}
return out
