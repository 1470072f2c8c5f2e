export const meta = { name: 'date-now', description: 'reads the clock on line 8, after one request' }

// tests/e2e/harness_errors.sh: the clock breaks replay. The check refuses Date.now() before the run;
// reached through another name it throws when it runs (not when a string mentions it, as this one does).
const units = await chunk({ match: 'old_copy' })
log(`${units.length} units; Date.now() is not allowed`)
const clock = Date
const started = clock.now()
return { started, units: units.length }
