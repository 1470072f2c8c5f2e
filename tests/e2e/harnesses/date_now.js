export const meta = { name: 'date-now', description: 'reads the clock on line 8, after one request' }

// tests/e2e/harness_errors.sh: Date.now() breaks replay, so the runtime
// throws when it runs (not when a string mentions it, as this one does).
const units = await chunk({ match: 'old_copy' })
log(`${units.length} units; Date.now() is not allowed`)

const started = Date.now()
return { started, units: units.length }
