export const meta = {
  name: 'fanout',
  description: 'Benchmark: n worktree agents at once, each edits one file',
}

const n = args.n || 400
const items = []
for (let i = 0; i < n; i++) items.push(i)
const results = await parallel(items.map((i) => () =>
  agent(`edit file ${i}`, { isolation: 'worktree', label: `fan-${i}` })))
return { agents: n, committed: results.filter((r) => r && r.changed).length }
