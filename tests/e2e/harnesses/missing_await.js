export const meta = { name: 'missing-await', description: 'returns a Promise inside its value' }

// tests/e2e/harness_errors.sh: a value that is not JSON fails the run and
// names where the bad part is.
const units = await chunk({ match: 'old_copy' })
return { units: units.length, items: [1, 2, 3, chunk({ match: 'safe_copy' })] }
