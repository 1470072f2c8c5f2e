export const meta = { name: 'too-many-items', description: '5000 items to parallel() and pipeline(): an error, never a truncation' }

// tests/e2e/harness_errors.sh: both calls reject before anything starts;
// the script returns what it saw.
const items = Array.from({ length: 5000 }, (_, i) => i)
const seen = {}
try {
  const out = await parallel(items.map((i) => () => agent(`item ${i}`, { label: `p${i}` })))
  seen.parallel = `resolved with ${out.length} results`
} catch (err) {
  seen.parallel = `${err.name}: ${err.message}`
}
try {
  const out = await pipeline(items, (i) => agent(`item ${i}`, { label: `s${i}` }))
  seen.pipeline = `resolved with ${out.length} results`
} catch (err) {
  seen.pipeline = `${err.name}: ${err.message}`
}
// the limit itself is fine
const ok = await parallel(items.slice(0, 4096).map((i) => () => i * 2))
seen.atLimit = ok.length
return seen
