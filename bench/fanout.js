export const meta = {
  name: 'fanout',
  description: 'Benchmark: n worktree agents at once, each edits one file',
}

const n = args.n || 400
const items = []
for (let i = 0; i < n; i++) items.push(i)
// each agent's worktree record, found through its promise (the agents may all say the same text)
const results = await parallel(items.map((i) => async () => {
  const promise = agent(`edit file ${i}`, { isolation: 'worktree', label: `fan-${i}` })
  await promise
  return worktreeOf(promise)
}))
return { agents: n, committed: results.filter((r) => r && r.changed).length }
