#!/usr/bin/env bash
# The planner (docs/planner.md): git wfmigrate run and plan without
# --workflow ask one planner agent, through the provider, for a workflow;
# here the loopback fake (tests/fakellm), whose rule model answers a
# planner prompt with migrate for a migration goal and a harness of its own
# for any other, or with what the scenario's "planner" list says for each
# attempt.
#
# - the planner writes a harness, which is checked, runs and merges; its
#   prompt holds docs/workflow-api.md, the built-in workflows and the
#   repository's profile; its tokens are reported;
# - a harness with a syntax error goes back with the error and the second
#   one runs, with what the planner left of --budget; three bad ones (syntax, a forbidden global, no phases) stop
#   the run with exit 1 and the last error, leaving no run directory, no
#   branch, no worktree and no temporary file;
# - a migration goal gets migrate with its match argument, and the run
#   ends every unit as fixtures/deprecated.expected says;
# - plan writes the harness (to .wfmigrate/workflows/<name>.js or -o),
#   refuses to overwrite without --force, and runs nothing; run --workflow
#   runs the edited file without asking the planner;
# - with --provider exec, git config wfmigrate.workflow or --workflow the
#   planner is not asked; a budget too small for the planner stops the run;
# - run --workflow with a script that uses a forbidden global is refused
#   before anything runs.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
export TMPDIR=$TMP/tmpdir # the planner's candidate scripts go here, and must not stay
mkdir -p "$TMPDIR"

# planner_requests <log>: the planner's requests in a fake's log, one JSON per line
planner_requests() {
	py '
for e in log(sys.argv[1]):
    if e["role"] == "planner":
        print(json.dumps(e))' "$1"
}

# clean_runs: removes the runs and their branches (the pool's worktrees stay)
clean_runs() {
	rm -rf "$runs"
	git for-each-ref --format='delete %(refname)' refs/heads/wfmigrate | git update-ref --stdin
	git worktree list --porcelain >"$TMP/worktrees.before"
}

# nothing_left <what>: since clean_runs, no run directory, no branch of a run, no
# new worktree, and no candidate script in TMPDIR
nothing_left() {
	[ -z "$(ls "$runs" 2>/dev/null)" ] || fail "$1: a run directory was left: $(ls "$runs")"
	[ -z "$(git for-each-ref refs/heads/wfmigrate)" ] || fail "$1: branches were left"
	git worktree list --porcelain | cmp -s - "$TMP/worktrees.before" ||
		fail "$1: the worktrees changed: $(git worktree list)"
	[ -z "$(ls "$TMPDIR" | grep wfmigrate-plan)" ] || fail "$1: candidate scripts were left: $(ls "$TMPDIR")"
}

# --- the planner writes a harness, which runs and merges
start_fakellm plain
export ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL
goal="rewrite the old_copy callers one unit at a time"
expect_code 0 git wfmigrate run --yes --json --oracle 'make test' --model fake-rules "$goal"
cp "$TMP/out" "$TMP/written.json"
cp "$TMP/err" "$TMP/written.err"
grep -q "^planner: wrote a harness, 'fake-plan'" "$TMP/written.err" || fail "the card does not say the planner wrote a harness"
grep -Eq '^planner: fake-rules, 1 try, [1-9][0-9]* tokens' "$TMP/written.err" || fail "the planner's tokens are not reported"
grep -q '^workflow: fake-plan' "$TMP/written.err" || fail "the card does not show the planner's workflow"
py '
r = j(sys.argv[1])
assert r["result"]["units"] == 17 and r["result"]["merged"] >= 1, r["result"]
assert r["integration"]["commit"], r["integration"]
' "$TMP/written.json" || fail "the planner's harness did not merge anything"
rd=$(run_dir "$repo")
grep -q "^  name: 'fake-plan'," "$rd/workflow.js" || fail "the run's workflow.js is not the planner's harness"
planner_requests "$TMP/plain.log" >"$TMP/planner.req"
[ "$(wc -l <"$TMP/planner.req")" = 1 ] || fail "the planner was asked $(wc -l <"$TMP/planner.req") times"
# the prompt: the API reference (read from the data directory), the built-in
# workflows, the profile and the goal; the answer through StructuredOutput only
api_line=$(grep -m1 '^This page is the complete reference' "$src/docs/workflow-api.md")
[ -n "$api_line" ] || fail "docs/workflow-api.md lost the line this test looks for"
py '
e = json.loads(open(sys.argv[1]).readline())
body = e["body"]
prompt = "".join(b["text"] for b in body["messages"][0]["content"] if b["type"] == "text") \
    if isinstance(body["messages"][0]["content"], list) else body["messages"][0]["content"]
for want in [sys.argv[2], "### migrate (workflows/migrate.js)", "export const meta = {\n  name: \x27migrate\x27",
             "tracked files: 11\n", "languages (files and chunk() units): c 8 files, 46 units; other 3 files, 3 units\n", "test command (the oracle): make test",
             "README.md, its first 40 lines:", "## The goal\n\n" + sys.argv[3], "This is attempt 1 of 3."]:
    assert want in prompt, "the prompt lacks %r" % want
assert [t["name"] for t in body["tools"]] == ["StructuredOutput"], body["tools"]
' "$TMP/planner.req" "$api_line" "$goal" || fail "the planner's prompt is not as docs/planner.md says"
check_repo "$repo"
pass "the planner writes a harness from the API reference and a profile; it runs and merges"

# --- a harness with a syntax error goes back to the planner, the second runs
clean_runs
echo '{"planner": ["syntax", "rules"]}' >"$TMP/retry.json"
start_fakellm retry "$TMP/retry.json"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --oracle 'make test' \
	--model fake-rules --budget 500k "$goal"
grep -Eq '^planner: fake-rules, 2 tries, ' "$TMP/err" || fail "the planner was not asked twice"
# --budget holds for the planner and the run together
spent=$(sed -n 's/^planner: fake-rules, 2 tries, \([0-9]*\) tokens.*/\1/p' "$TMP/err")
left=$((500000 - spent))
grep -q "^planner: what the run may spend is what is left: $left tokens$" "$TMP/err" ||
	fail "the planner's $spent tokens were not taken off the budget"
json 'j["budget"]["maxTokens"]' <"$TMP/out" | grep -qx "$left" || fail "the run's budget is not what the planner left"
json 'j["result"]["merged"] >= 1' <"$TMP/out" | grep -qx True || fail "the second harness did not run"
planner_requests "$TMP/retry.log" >"$TMP/retry.req"
[ "$(wc -l <"$TMP/retry.req")" = 2 ] || fail "the planner was not asked exactly twice"
py '
e = json.loads(open(sys.argv[1]).readlines()[1])
text = json.dumps(e["body"]["messages"])
assert "Your previous answer was refused" in text, "no refusal in the retry"
assert "workflow.js:10:" in text and "SyntaxError: missing ) after argument list" in text, text[-600:]
assert "This is attempt 2 of 3." in text
assert "/tmp" not in text.split("Your previous answer was refused")[1], "a temporary path reached the planner"
' "$TMP/retry.req" || fail "the retry did not carry the check's error"
pass "a harness with a syntax error: the planner gets the error and the second one runs"

# --- three bad harnesses: exit 1 with the last error, nothing left behind
clean_runs
echo '{"planner": ["syntax", "forbidden", "nophases"]}' >"$TMP/bad.json"
start_fakellm bad "$TMP/bad.json"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 git wfmigrate run --yes --oracle 'make test' \
	--model fake-rules "$goal"
expect_stderr "^error: the planner's answer was refused 3 times; the last time: workflow.js: meta.phases is missing"
grep -Eq '^planner: fake-rules, 3 tries, [1-9]' "$TMP/err" || fail "the planner's tokens are not reported on failure"
grep -q '^workflow:' "$TMP/err" && fail "a card was shown for a refused harness"
py '
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 3, len(reqs)
t = json.dumps(reqs[2]["body"]["messages"])
assert "Date.now() is not allowed in a workflow" in t, "the forbidden global did not reach the third try"
' <(planner_requests "$TMP/bad.log") || fail "the planner was not told why"
nothing_left "three bad harnesses"
pass "three bad harnesses (syntax, Date.now(), no phases): exit 1, the last error, nothing left"

# a planner that names a workflow that does not exist, three times
echo '{"planner": ["unknown", "unknown", "unknown"]}' >"$TMP/unknown.json"
start_fakellm unknown "$TMP/unknown.json"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 git wfmigrate run --yes --oracle 'make test' \
	--model fake-rules "$goal"
expect_stderr "the last time: no workflow named 'no-such-workflow'"
nothing_left "an unknown workflow"
pass "an unknown workflow named three times: exit 1 with the lookup's error"

# --- a budget too small for the planner: it is never passed, the run stops
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 git wfmigrate run --yes --oracle 'make test' \
	--model fake-rules --budget 2000 "$goal"
expect_stderr '^error: the planner failed: budget: '
nothing_left "a small budget"
pass "--budget smaller than the planner's call: refused before the call, exit 1"

# --- a migration goal: migrate, with the match the planner gives
start_fakellm migrate
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --oracle 'make test' \
	--model fake-rules "migrate every caller of old_copy to safe_copy"
grep -q "^planner: chose the workflow 'migrate'" "$TMP/err" || fail "the planner did not choose migrate"
grep -Eq '^  match +old_copy$' "$TMP/err" || fail "the card does not show the planner's match"
grep -v '^#' "$src/fixtures/deprecated.expected" | grep -v '^$' >"$TMP/expected"
py 'for u in j(sys.argv[1])["units"]: print(u["id"], u["status"])' "$TMP/out" >"$TMP/statuses"
diff -u "$TMP/expected" "$TMP/statuses" >&2 || fail "migrate chosen by the planner ended the units otherwise"
pass "a migration goal: the planner chooses migrate with --arg match=old_copy, and it runs as expected"

# --- plan: writes the harness and runs nothing
clean_runs
start_fakellm plan
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate plan --json --oracle 'make test' \
	--model fake-rules "$goal"
[ -f .wfmigrate/workflows/fake-plan.js ] || fail "plan did not write .wfmigrate/workflows/fake-plan.js"
json 'j["workflow"], j["file"], j["planner"]["chose"], j["planner"]["tries"]' <"$TMP/out" |
	grep -qx "fake-plan $repo/.wfmigrate/workflows/fake-plan.js script 1" || fail "plan --json: $(cat "$TMP/out")"
expect_stderr '^workflow: fake-plan'
expect_stderr '^not run; to run it'
[ -z "$(ls "$runs" 2>/dev/null)" ] || fail "plan started a run"
py '
assert all(e["role"] == "planner" for e in log(sys.argv[1])), "plan asked more than the planner"
' "$TMP/plan.log" || fail "plan ran agents"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 128 git wfmigrate plan --oracle 'make test' --model fake-rules "$goal"
expect_stderr "exists already: give --force"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate plan --force -o "$TMP/mine.js" \
	--oracle 'make test' --model fake-rules "$goal"
cmp -s "$TMP/mine.js" .wfmigrate/workflows/fake-plan.js || fail "plan -o wrote another harness"
nothing_left "plan"
pass "plan writes the harness (.wfmigrate/workflows/<name>.js, -o), refuses to overwrite, runs nothing"

# through the OpenAI API the same harness comes back; a chosen workflow is not copied
OPENAI_API_KEY=$FAKE_KEY OPENAI_BASE_URL=$FAKE_URL/v1 expect_code 0 git wfmigrate plan \
	--provider openai -o "$TMP/openai.js" --oracle 'make test' --model fake-rules "$goal"
cmp -s "$TMP/openai.js" "$TMP/mine.js" || fail "plan --provider openai wrote another harness"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate plan --json --oracle 'make test' \
	--model fake-rules "migrate every caller of old_copy to safe_copy"
json 'j["workflow"], j["file"], j["planner"]["chose"], j["args"]["match"]' <"$TMP/out" |
	grep -qx "migrate None workflow old_copy" || fail "plan of a migration goal: $(cat "$TMP/out")"
json 'j["command"]' <"$TMP/out" | grep -qF "git wfmigrate run --workflow migrate --arg match=old_copy 'migrate every caller" ||
	fail "plan does not print the command with the planner's arguments: $(cat "$TMP/out")"
[ ! -e .wfmigrate/workflows/migrate.js ] || fail "plan copied the built-in migrate"
nothing_left "plan of a migration goal"
pass "plan over the OpenAI API; a chosen workflow: nothing written, its command with the planner's --arg"

# --- run --workflow <the edited file>: runs it, the planner is not asked
sed -i "s/description: 'Written by the fake planner/description: 'Edited by hand/" "$TMP/mine.js"
before=$(planner_requests "$TMP/plan.log" | wc -l)
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/mine.js" \
	--oracle 'make test' --model fake-rules "$goal"
expect_stderr '^  Edited by hand: an implementer per unit'
grep -q '^planner:' "$TMP/err" && fail "run --workflow asked the planner"
[ "$(planner_requests "$TMP/plan.log" | wc -l)" = "$before" ] || fail "run --workflow asked the planner"
json 'j["result"]["merged"] >= 1' <"$TMP/out" | grep -qx True || fail "the edited harness did not merge"
pass "run --workflow <edited file> runs it without the planner"

# a script with a forbidden global is refused before anything runs, as the planner's are
printf "export const meta = { name: 'x', description: 'y' }\nlog(process.env.HOME)\n" >"$TMP/bad.js"
rm -rf "$runs"
expect_code 129 git wfmigrate run --yes --workflow "$TMP/bad.js" --oracle 'make test' \
	--model fake-rules "$goal"
expect_stderr "bad.js:2:5: process is not available in a workflow"
[ -z "$(ls "$runs" 2>/dev/null)" ] || fail "a refused script started a run"
pass "run --workflow with a forbidden global: refused with its line and column"

# --- no planner: --provider exec, git config wfmigrate.workflow, no goal
start_fakellm none
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --provider exec \
	--agent-cmd "sh $src/fixtures/codemods/old-to-safe.sh" --oracle 'make test' \
	--arg match=old_copy "move every caller of old_copy to safe_copy"
expect_stderr '^workflow: migrate'
grep -q '^planner' "$TMP/err" && fail "the exec provider asked the planner"
git config wfmigrate.workflow migrate
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate plan --model fake-rules "$goal"
expect_stderr '^workflow: migrate'
git config --unset wfmigrate.workflow
[ ! -s "$TMP/none.log" ] || fail "the fake was asked: $(head -c 300 "$TMP/none.log")"
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 129 git wfmigrate run --yes --model fake-rules
expect_stderr 'give a goal'
expect_code 129 git wfmigrate plan --yes "$goal"
expect_stderr "unknown option"
pass "exec agents, git config wfmigrate.workflow: no planner; no goal: a usage error"

check_repo "$repo"
