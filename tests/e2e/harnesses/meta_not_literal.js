export const meta = { name: n, description: 'the name is a variable' }

// tests/e2e/harness_errors.sh: meta must be a pure literal.
const n = 'x'
return n
