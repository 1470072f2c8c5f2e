#!/usr/bin/env bash
# agent({agentType}) with Claude Code's agent types (issue 9, point 3): a
# repository with a subagent file .claude/agents/code-reviewer.md and a user
# agent in ~/.claude/agents, and a workflow script in Claude Code's format.
#
# - against the loopback fake (tests/fakellm): the system prompt the model
#   is sent holds the agent file's body, the tools are exactly the type's
#   (Read, Grep, Glob for the reviewer; all six for general-purpose; Read,
#   Glob, Grep for Explore; Read and Write for the user's agent), and the
#   model is the type's (haiku: claude-haiku-4-5) before git config, or the
#   tier the type implies (Explore: the fast one);
# - resumed, nothing is asked again; resumed after the agent file's body
#   changed, the agent of that type alone runs again, with the new body;
# - --provider exec: WFM_AGENT_JSON holds the agentType object (name,
#   description, tools, disallowedTools, model, prompt, path); a read-only
#   type's edits are not kept (no branch), general-purpose's are committed;
# - an unknown agentType fails the run before any agent runs, listing the
#   built-in types and every custom one found.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
mkdir -p src .claude/agents "$HOME/.claude/agents"
printf 'int main(void) { return 0; }\n' >src/a.c
cat >.claude/agents/code-reviewer.md <<'EOF'
---
name: code-reviewer
description: Expert code review specialist. Use after writing or changing code.
tools: Read, Grep, Glob
model: haiku
---
You are a meticulous code reviewer (REVIEWER-BODY-7f3a).

Report every bug you find, with its file and line.
EOF
git add -A
git commit -qm "a program and a reviewer agent"
cat >"$HOME/.claude/agents/docs.md" <<'EOF'
---
name: doc-writer
description: Writes documentation
tools:
  - Read
  - Write
  - WebSearch
---
You write documentation (USER-BODY-91c2).
EOF
# the roles' models from git config: the type's model comes before them
git config wfmigrate.model.implementer fake-implementer
git config wfmigrate.model.reviewer fake-reviewer
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
export ANTHROPIC_API_KEY=$FAKE_KEY

cat >"$TMP/types.js" <<'EOF'
export const meta = { name: 'agent-types', description: 'one agent of each kind' }
const review = await agent('Review src/a.c (job review).', { agentType: 'code-reviewer', label: 'review' })
const general = await agent('Describe the repository (job general).', { agentType: 'general-purpose', label: 'general' })
const explore = await agent('Where is main defined? (job explore)', { agentType: 'Explore', label: 'explore' })
const docs = await agent('Document src/a.c (job docs).', { agentType: 'doc-writer', label: 'docs' })
return { review, general, explore, docs }
EOF

# requests <log>: {job: {model, system, tools}} of the fake's log, by the "(job x)" in the prompt
check_requests() {
	py '
want = json.loads(sys.argv[2])
seen = {}
for e in log(sys.argv[1]):
    assert e["status"] == 200, e
    b = e["body"]
    first = b["messages"][0]["content"]
    text = first if isinstance(first, str) else "".join(c.get("text", "") for c in first)
    job = re.search(r"job (\w+)", text).group(1)
    system = b["system"] if isinstance(b["system"], str) else "".join(s["text"] for s in b["system"])
    seen[job] = {"model": b["model"], "system": system, "tools": sorted(t["name"] for t in b.get("tools", []))}
assert sorted(seen) == sorted(want), (sorted(seen), sorted(want))
for job, w in want.items():
    got = seen[job]
    assert got["model"] == w["model"], (job, got["model"], w["model"])
    assert got["tools"] == sorted(w["tools"]), (job, got["tools"], w["tools"])
    for s in w["system"]:
        assert s in got["system"], (job, s, got["system"])
    for s in w.get("notSystem", []):
        assert s not in got["system"], (job, s, got["system"])
' "$@"
}

# --- against the fake: prompts, tools and models
start_fakellm types
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/types.js" \
	--provider anthropic "review the code"
cp "$TMP/out" "$TMP/types.json"
id=$(py 'print(j(sys.argv[1])["run"])' "$TMP/types.json")
py '
r = j(sys.argv[1])
assert r["status"] == "done", r["status"]
assert all(isinstance(v, str) and v for v in r["result"].values()), r["result"]
' "$TMP/types.json" || fail "the agents of each type did not all answer"
check_requests "$TMP/types.log" '{
  "review":  {"model": "claude-haiku-4-5", "tools": ["Read", "Grep", "Glob"],
              "system": ["You are a meticulous code reviewer (REVIEWER-BODY-7f3a).\n\nReport every bug you find, with its file and line.",
                         "can read files but not change them"],
              "notSystem": ["---", "name: code-reviewer", "careful software engineer"]},
  "general": {"model": "fake-implementer", "tools": ["Read", "Write", "Edit", "Glob", "Grep", "Bash"],
              "system": ["You are a careful software engineer"]},
  "explore": {"model": "claude-haiku-4-5", "tools": ["Read", "Glob", "Grep"],
              "system": ["You explore a code base", "can read files but not change them"]},
  "docs":    {"model": "fake-implementer", "tools": ["Read", "Write"],
              "system": ["You write documentation (USER-BODY-91c2).", "You work in a git worktree of your own"]}
}' || fail "the model was not sent the types' prompts, tools and models"
pass "the fake got each type's system prompt, exactly its tools, and its model (haiku: claude-haiku-4-5)"

# --- resume: nothing asked again; an edited agent file reruns its agents only
n=$(wc -l <"$TMP/types.log")
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate resume --json "$id"
[ "$(wc -l <"$TMP/types.log")" = "$n" ] || fail "resume asked the model again"
sed -i 's/REVIEWER-BODY-7f3a/REVIEWER-BODY-EDITED/' .claude/agents/code-reviewer.md
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate resume --json "$id"
tail -n +"$((n + 1))" "$TMP/types.log" >"$TMP/resumed.log"
check_requests "$TMP/resumed.log" '{
  "review": {"model": "claude-haiku-4-5", "tools": ["Read", "Grep", "Glob"],
             "system": ["REVIEWER-BODY-EDITED"], "notSystem": ["REVIEWER-BODY-7f3a"]}
}' || fail "resume after the agent file changed did not rerun its agent alone"
git checkout -q .claude/agents/code-reviewer.md
pass "resume replays every agent; after its file changed, the code-reviewer agent alone runs again"

# --- exec: the agentType object, and whose edits are kept
cat >"$TMP/agent.sh" <<EOF
#!/bin/sh
label=\$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["label"])' "\$WFM_AGENT_JSON_FILE")
cp "\$WFM_AGENT_JSON_FILE" "$TMP/exec-\$label.json"
echo "/* touched by \$label */" >>src/a.c
echo "edited src/a.c"
EOF
cat >"$TMP/exec.js" <<'EOF'
export const meta = { name: 'exec-types', description: 'exec agents of two types' }
// both say 'edited src/a.c': their promises tell their worktrees apart
const roP = agent('Review src/a.c.', { agentType: 'code-reviewer', isolation: 'worktree', label: 'ro' })
const ro = await roP
const rwP = agent('Fix src/a.c.', { agentType: 'general-purpose', isolation: 'worktree', label: 'rw' })
const rw = await rwP
return { ro: { output: ro, ...worktreeOf(roP) }, rw: { output: rw, ...worktreeOf(rwP) } }
EOF
expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/exec.js" --provider exec \
	--agent-cmd "sh $TMP/agent.sh" "touch the code"
cp "$TMP/out" "$TMP/exec.json"
py '
r, ro, rw, top = j(sys.argv[1]), j(sys.argv[2]), j(sys.argv[3]), sys.argv[4]
assert ro["agentType"] == {
    "name": "code-reviewer",
    "description": "Expert code review specialist. Use after writing or changing code.",
    "tools": ["Read", "Grep", "Glob"], "disallowedTools": [], "model": "haiku",
    "prompt": "You are a meticulous code reviewer (REVIEWER-BODY-7f3a).\n\nReport every bug you find, with its file and line.",
    "path": os.path.join(top, ".claude/agents/code-reviewer.md")}, ro["agentType"]
assert ro["role"] == "reviewer" and ro["writes"] is False and ro["branch"] is None, ro
gp = rw["agentType"]
assert gp["name"] == "general-purpose" and gp["tools"] is None and gp["path"] is None, gp
assert rw["role"] == "implementer" and rw["writes"] is True and rw["branch"], rw
res = r["result"]
assert res["ro"]["branch"] is None and res["ro"]["output"] == "edited src/a.c", res["ro"]
assert res["rw"]["branch"] == rw["branch"] and res["rw"]["changed"] is True, res["rw"]
' "$TMP/exec.json" "$TMP/exec-ro.json" "$TMP/exec-rw.json" "$repo" ||
	fail "the exec agents did not get their agentType, or kept the wrong edits"
rw_branch=$(py 'print(j(sys.argv[1])["result"]["rw"]["branch"])' "$TMP/exec.json")
git show "$rw_branch:src/a.c" | grep -q 'touched by rw' || fail "general-purpose's edit is not on its branch"
git show "$rw_branch:src/a.c" | grep -q 'touched by ro' && fail "the read-only agent's edit reached a branch"
[ -z "$(git for-each-ref 'refs/heads/wfmigrate/*/ro')" ] || fail "the read-only agent got a branch"
pass "exec: agentType in WFM_AGENT_JSON; the reviewer type's edits are dropped, general-purpose's committed"

# run_failed_with <text>: the last run (--json) failed with an error that holds text
run_failed_with() {
	py '
r = json.load(sys.stdin)
assert r["status"] == "failed" and sys.argv[1] in r["error"], (r["status"], r.get("error"))
assert r["totals"]["agents"] == 0, r["totals"]
' "$1" <"$TMP/out" || fail "the run did not fail with: $1"
}

# --- an unknown type: the call rejects before any agent runs, listing the known ones
cat >"$TMP/unknown.js" <<'EOF'
export const meta = { name: 'typo', description: 'a misspelt agent type' }
await agent('Review src/a.c (job typo).', { agentType: 'code-reviwer' })
EOF
start_fakellm unknown
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 git wfmigrate run --yes --json --workflow "$TMP/unknown.js" \
	--provider anthropic "review the code"
run_failed_with "agent(): unknown agentType 'code-reviwer'; known: general-purpose, Explore, Plan, workflow-subagent, code-reviewer (.claude/agents/code-reviewer.md), doc-writer (~/.claude/agents/docs.md)"
[ ! -s "$TMP/unknown.log" ] || fail "an agent ran for an unknown type"
pass "an unknown agentType fails the run before any agent, listing the known types"

# --- a broken agent file is named with its line
printf -- '---\nname: code-reviewer\ndescription: broken: here\n---\n' >.claude/agents/code-reviewer.md
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 git wfmigrate run --yes --json --workflow "$TMP/types.js" \
	--provider anthropic "review the code"
run_failed_with "agent(): .claude/agents/code-reviewer.md:3: bad YAML in the front matter: mapping values are not allowed in this context"
[ ! -s "$TMP/unknown.log" ] || fail "an agent ran with a broken agent file"
git checkout -q .claude/agents/code-reviewer.md
pass "a broken agent file fails the call, naming the file and the line"

check_repo "$repo"
