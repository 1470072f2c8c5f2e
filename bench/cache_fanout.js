export const meta = {
  name: 'cache-fanout',
  description: 'Benchmark: n implementers over the units of a repository, each with the same rules and a unit of its own',
}

// workflows/migrate.js's implementer prompt, rules and rubric first (the
// same for every agent), the unit last: what a provider can cache is the
// role's system prompt and tools plus that first part.
const n = args.n || 50
const goal = 'move every caller of old_copy to safe_copy'
const rubric = `
1. Behaviour is preserved: same results, return values, side effects and error paths for every input the old code handled; check evaluation order, boundaries (empty, exactly full, NULL), early returns. Behaviour changes only where the goal asks for one.
2. Every occurrence in the unit is migrated: including calls split over lines, inside macro arguments or #if branches, through wrappers; nothing half-migrated (renamed but with the old arguments). An occurrence left alone has a stated, valid reason.
3. Bounds are the destination's real size: sizeof(x) only for an array in scope, never for a pointer or an array parameter (that is the pointer's size); p + off has size - off left; use the caller's size argument or the documented capacity; no invented sizes.
4. No unrelated edits: no reformatting, renames, reordering or other fixes; nothing outside the unit unless the migration needs it (then the smallest edit, explained).
5. Tests are not edited: no test file created, changed or deleted, no test skipped or weakened, unless the run allows test edits.
6. It builds and the tests pass: the oracle passed on this attempt; no new compiler warnings in the changed lines.
7. The code reads like its surroundings: the file's indentation, wrapping, naming and idioms; no comments narrating the migration.
8. No shortcuts: no alias or macro between the old and new names, no wrapper that brings the old behaviour back, no casts or pragmas to silence warnings, no code disabled or commented out.
`.trim()
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

${rubric}

Your unit: ${unit.kind} \`${unit.name}\` in ${unit.path}, lines ${unit.start_line}-${unit.end_line} (unit ${unit.id}). As it is now:

\`\`\`c
${unit.text}
\`\`\``, { role: 'implementer', isolation: 'worktree', label: `impl-${i}`, unit })))
return { agents: n, answered: results.filter(r => r).length }
