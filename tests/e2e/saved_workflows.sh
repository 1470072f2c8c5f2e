#!/usr/bin/env bash
# Scripts in Claude Code's format, as a user keeps them: saved workflows
# found by name (.claude/workflows/ and .wfmigrate/workflows/ in the
# repository, ~/.claude/workflows/, by file name and by meta.name) for
# --workflow and for workflow() in a script; import() refused before
# anything runs; --args-json / --args-file giving the script any JSON value
# as args, and resume keeping it.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
echo hello >README
git add README
git commit -qm init
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
mkdir -p .claude/workflows .wfmigrate/workflows "$HOME/.claude/workflows" sub/dir

cat >.claude/workflows/review.js <<'JS'
export const meta = {
  name: 'review',
  description: 'Ask one agent to look at a file',
  phases: [{ title: 'Review' }],
}

phase('Review')
const said = await agent(`Review the file ${args.file ?? 'README'} and say what you see`)
return { workflow: meta.name, sawPrompt: said.includes('Review the file'), args }
JS

# the file name differs from meta.name: found by either
cat >.wfmigrate/workflows/summary-v2.js <<'JS'
export const meta = { name: 'summarize', description: 'A summary by two agents in turn' }

const first = await agent('Summarize the repository')
const second = await agent(`Shorten this summary: ${first.slice(0, 40)}`)
return { workflow: meta.name, steps: [first, second].filter(Boolean).length }
JS

cat >"$HOME/.claude/workflows/personal.js" <<'JS'
export const meta = { name: 'personal', description: "The user's own workflow, every repository" }
return { workflow: meta.name }
JS

cat >.claude/workflows/orchestrate.js <<'JS'
export const meta = {
  name: 'orchestrate',
  description: 'Runs saved workflows by name',
  phases: [{ title: 'Children' }],
}

phase('Children')
const a = await workflow('review', { file: 'README' })
const b = await workflow('summarize')
const c = await workflow('personal')
let missing
try {
  await workflow('no-such-child')
} catch (e) {
  missing = e.message
}
return { children: [a.workflow, b.workflow, c.workflow], reviewArgs: a.args, missing }
JS

# report <code> <workflow> [options...]: runs it, the report on stdout in $TMP/out
report() {
	local code=$1 wf=$2
	shift 2
	expect_code "$code" git wfmigrate run --workflow "$wf" --provider exec --agent-cmd cat \
		--yes --json "$@" </dev/null
}

# --- --workflow <name>: each place, by file name and by meta.name, from any folder
report 0 review
py 'r = j(sys.argv[1]); assert r["status"] == "done", r; v = r["result"]
assert v["workflow"] == "review" and v["sawPrompt"] is True, v' "$TMP/out" ||
	fail "--workflow review did not run .claude/workflows/review.js: $(cat "$TMP/out")"
for name in summarize summary-v2; do
	(cd sub/dir && report 0 "$name")
	py 'v = j(sys.argv[1])["result"]; assert v == {"workflow": "summarize", "steps": 2}, v' \
		"$TMP/out" || fail "--workflow $name (from sub/dir): $(cat "$TMP/out")"
done
report 0 personal
py 'assert j(sys.argv[1])["result"] == {"workflow": "personal"}' "$TMP/out" ||
	fail "--workflow personal did not find ~/.claude/workflows/personal.js"
pass "--workflow finds .claude/, .wfmigrate/ and ~/.claude/ workflows by file name and meta.name"

# --- workflow('<name>') in a script finds the same, and says what exists
report 0 orchestrate
py '
v = j(sys.argv[1])["result"]
assert v["children"] == ["review", "summarize", "personal"], v
assert v["reviewArgs"] == {"file": "README"}, v
m = v["missing"]
assert "no-such-child" in m, m
for known in ("orchestrate", "review", "summary-v2 (meta.name \x27summarize\x27)", "personal", "migrate (built-in)"):
    assert known in m, (known, m)
' "$TMP/out" || fail "workflow() by name: $(cat "$TMP/out")"
pass "workflow() finds saved workflows by name; an unknown one is an error listing what exists"

# --- an unknown --workflow: usage error listing what exists, no run
expect_code 129 git wfmigrate run --workflow revieww --provider exec --agent-cmd cat --yes </dev/null
expect_stderr "no workflow named 'revieww'"
expect_stderr "\.claude/workflows"
expect_stderr "review \(.*/\.claude/workflows/review\.js\)"
expect_stderr "summary-v2 \(meta.name 'summarize'\)"
expect_stderr "migrate \(built-in\)"
pass "an unknown --workflow: exit 129, the message lists the saved and built-in workflows"

# --- import() is refused by the check, before the approval card and any agent
nruns=$(ls "$runs" | wc -l)
cat >.claude/workflows/dynamic.js <<'JS'
export const meta = { name: 'dynamic', description: 'Loads a helper module' }

// a comment may say import('x'), and a string may hold "import(": neither is a call
const note = "import( is only text here"
const first = await agent('Plan the work')
const { helper } = await import('./helper.mjs')
return helper(first, note)
JS
expect_code 129 git wfmigrate run --workflow dynamic --provider exec --agent-cmd cat --yes </dev/null
expect_stderr "dynamic.js:6:26: SyntaxError: import\(\) is not available in a workflow"
grep -q '^workflow:' "$TMP/err" && fail "the approval card was shown for a script using import()"
[ "$(ls "$runs" | wc -l)" = "$nruns" ] || fail "a script using import() created a run"
sed -i '/await import/d; s/return helper(first, note)/return { first: first.length > 0, note }/' \
	.claude/workflows/dynamic.js
report 0 dynamic
py 'v = j(sys.argv[1])["result"]; assert v == {"first": True, "note": "import( is only text here"}, v' \
	"$TMP/out" || fail "import( in a comment or string was refused: $(cat "$TMP/out" "$TMP/err")"
pass "import() refused before the approval card (exit 129, no run); the text import( is not"

# --- --args-json / --args-file: any JSON value as args
cat >.claude/workflows/echo-args.js <<'JS'
export const meta = { name: 'echo-args', description: 'Returns its args' }
return { args, kind: Array.isArray(args) ? 'array' : typeof args }
JS
report 0 echo-args --args-json '["a.c", "b.c", 3]'
py 'assert j(sys.argv[1])["result"] == {"args": ["a.c", "b.c", 3], "kind": "array"}' "$TMP/out" ||
	fail "--args-json array: $(cat "$TMP/out")"
report 0 echo-args --args-json 42
py 'assert j(sys.argv[1])["result"] == {"args": 42, "kind": "number"}' "$TMP/out" ||
	fail "--args-json number: $(cat "$TMP/out")"
report 0 echo-args --args-json '{"files": ["x"], "mode": "fast", "goal": "kept"}' --arg mode=slow --arg n=2
py 'assert j(sys.argv[1])["result"] == {"args": {"files": ["x"], "mode": "slow", "goal": "kept", "n": 2}, "kind": "object"}' \
	"$TMP/out" || fail "--args-json object with --arg on top: $(cat "$TMP/out")"
printf '{"deep": {"list": [true, null]}}\n' >"$TMP/args.json"
report 0 echo-args --args-file "$TMP/args.json" --arg extra=x tidy up
py 'assert j(sys.argv[1])["result"]["args"] == {"deep": {"list": [True, None]}, "extra": "x", "goal": "tidy up"}' \
	"$TMP/out" || fail "--args-file with --arg and goal words: $(cat "$TMP/out")"
id=$(py 'print(j(sys.argv[1])["run"])' "$TMP/out")
expect_code 0 git wfmigrate resume --json "$id" </dev/null
py 'assert j(sys.argv[1])["result"]["args"] == {"deep": {"list": [True, None]}, "extra": "x", "goal": "tidy up"}' \
	"$TMP/out" || fail "resume did not give the script the same args: $(cat "$TMP/out")"
report 0 echo-args
py 'assert j(sys.argv[1])["result"]["args"] == {"goal": ""}' "$TMP/out" ||
	fail "without --args-json args is not {goal: ''}: $(cat "$TMP/out")"
pass "--args-json / --args-file give the script any JSON value; --arg and goal words go on top; resume keeps them"

nruns=$(ls "$runs" | wc -l)
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-json '{"a": 1,}' </dev/null
expect_stderr "^error: --args-json: invalid JSON at byte"
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-file "$TMP/none.json" </dev/null
expect_stderr "^error: cannot read '.*none.json'"
printf '[1,' >"$TMP/bad.json"
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-file "$TMP/bad.json" </dev/null
expect_stderr "^error: --args-file .*bad.json: invalid JSON"
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-json '[1]' --arg a=1 </dev/null
expect_stderr "^error: --args-json is not an object: --arg cannot add to it"
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-json '"s"' a goal </dev/null
expect_stderr "not an object: a goal cannot add to it"
expect_code 129 git wfmigrate run --workflow echo-args --agent-cmd cat --yes --args-json 1 --args-file "$TMP/args.json" </dev/null
expect_stderr "cannot be combined"
[ "$(ls "$runs" | wc -l)" = "$nruns" ] || fail "a refused --args-json created a run"
pass "bad --args-json / --args-file: exit 129 with the reason, no run"

check_repo "$repo"
