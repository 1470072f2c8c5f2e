export const meta = { name: 'throws', description: 'throws on line 9, after one request' }

// tests/e2e/harness_errors.sh: an uncaught exception fails the run with its
// message and line in report.json.
const units = await chunk({ match: 'old_copy' })
if (units.length > 0) {
  const first = units[0].id
  log(`first unit: ${first}`)
  throw new Error(`no plan for ${units.length} units (first: ${first})`)
}
return 'unreachable'
