export const meta = { name: 'failing-agents', description: 'agents that hang, print garbage or a wrong object for a schema, exit 1; and one that works' }

// tests/e2e/harness_errors.sh: a failed agent is null in the script, never
// an exception; the script returns what each call gave.
const schema = {
  type: 'object',
  required: ['verdict', 'findings'],
  properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, findings: { type: 'array' } },
}
const calls = {
  ok: () => agent('say something', { label: 'ok' }),
  hang: () => agent('take your time', { label: 'hang' }),
  garbage: () => agent('judge this', { label: 'garbage', schema, role: 'verifier' }),
  mismatch: () => agent('judge that', { label: 'mismatch', schema, role: 'verifier' }),
  exit1: () => agent('change something, then fail', { label: 'exit1', isolation: 'worktree' }),
}
const names = Object.keys(calls)
const results = await parallel(names.map((name) => async () => {
  try {
    const value = await calls[name]()
    return { value, type: value === null ? 'null' : typeof value }
  } catch (err) {
    return { threw: `${err.name}: ${err.message}` }
  }
}))
const seen = {}
names.forEach((name, i) => { seen[name] = results[i] })
return seen
