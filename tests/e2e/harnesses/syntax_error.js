export const meta = { name: 'syntax-error', description: 'a syntax error on line 7' }

// tests/e2e/harness_errors.sh: the run must refuse this before the approval
// card, naming line 7 of this file.

const units = await chunk({ match: 'x' })
const n = (units.length +;
return n
