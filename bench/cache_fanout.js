export const meta = {
  name: 'cache-fanout',
  description: 'Benchmark: n implementers over the units of a repository, each with the same rules and a unit of its own',
}

// workflows/migrate.js's implementer prompt, rules and rubric first (the
// same for every agent), the unit last: what a provider can cache is the
// role's system prompt and tools plus that first part.
const n = args.n || 50
const goal = 'move every caller of old_copy to safe_copy'
const rules = (await rubric('migration')).trim()
const units = await chunk({ text: true, match: 'old_copy' })
const picks = []
for (let i = 0; i < n; i++) picks.push(units[i % units.length])
const results = await parallel(picks.map((unit, i) => () =>
  agent(`You are migrating one unit of code, in a git worktree of your own. Other agents are migrating other units at the same time.

Goal of the whole migration: ${goal}

How to work:
- Make the change the goal asks for everywhere it applies inside your unit, and keep its behaviour exactly as it is otherwise.
- Edit only your unit's lines. If the change cannot be made without an edit elsewhere, make the smallest one and say why in your answer.
- Do not create, change or delete tests, test data or the build rules that run them.
- Follow the file's style. Add no comments about the migration.
- Your final answer is one short paragraph: what you changed and why, or "no change needed: <reason>".

The change will be judged against this rubric:

${rules}

Your unit: ${unit.kind} \`${unit.name}\` in ${unit.path}, lines ${unit.start_line}-${unit.end_line} (unit ${unit.id}). As it is now:

\`\`\`c
${unit.text}
\`\`\``, { role: 'implementer', isolation: 'worktree', label: `impl-${i}`, unit })))
return { agents: n, answered: results.filter(r => r).length }
