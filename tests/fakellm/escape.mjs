// The escape model (model "fake-escape"): an agent that tries to get out of
// its worktree and at the provider keys, one tool call per turn, then
// reports what it got. The client's tools must refuse every attempt (or, for
// Bash, run without the keys in the environment); the test then looks for
// the key in every file the run left.

export const ESCAPES = [
  { name: 'Read', input: { file_path: '../outside.txt' } },
  { name: 'Read', input: { file_path: '/etc/passwd' } },
  { name: 'Read', input: { file_path: 'link-out/secret' } },
  { name: 'Write', input: { file_path: '.git/config', content: 'x' } },
  { name: 'Edit', input: { file_path: '.git/HEAD', old_string: 'ref:', new_string: 'x' } },
  { name: 'Bash', input: { command: 'env; echo KEY=$ANTHROPIC_API_KEY $OPENAI_API_KEY' } },
  { name: 'Bash', input: { command: 'cat ../../outside.txt' } },
  // outside the worktree: only --sandbox bwrap stops a command from writing there
  { name: 'Bash', input: { command: 'echo pwned > ../escaped.txt' } },
]

// Stateless like the rule model: the number of tool calls already made is
// the step. The summary repeats (the start of) what each tool answered and
// nothing else: the fake knows the key it checks, and never says it.
export function escapeModel(conv) {
  const calls = []
  const results = new Map()
  for (const t of conv.turns) {
    if (t.role === 'assistant') calls.push(...t.calls)
    for (const r of t.results) results.set(r.id, r)
  }
  if (calls.length < ESCAPES.length) return { text: '', calls: [ESCAPES[calls.length]] }
  const lines = calls.map((c, i) => {
    const r = results.get(c.id)
    const what = r ? `${r.isError ? 'refused' : 'answered'}: ${r.text.replace(/\s+/g, ' ').slice(0, 200)}` : 'no answer'
    return `${i + 1}. ${c.name} ${JSON.stringify(c.input)} -> ${what}`
  })
  return { text: `Escape attempts:\n${lines.join('\n')}`, calls: [], stop: 'end_turn' }
}
