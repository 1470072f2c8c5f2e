#!/usr/bin/env bash
# Why an agent failed, and agent commands that mean what they say (issue 11,
# points 2 and 3):
#
# - an exec agent that fails with a message on stderr (python3 cannot open
#   its script): report.json's agentFailures entry has the last lines of
#   its stderr and the path of its transcript, which exists and holds the
#   whole stderr; report.md, the printed summary and the live progress
#   line say the same; the journal keeps them, so a resume reports them;
# - --agent-cmd with relative paths, given from a subdirectory: the
#   program (../../tools/agent.sh) and an argument naming a file outside
#   the repository (sh ../../tools/agent.sh) are taken from that
#   directory, an argument naming a tracked file (../src/a.c) is the
#   agent's own copy of it; run.json keeps the resolved command; a program
#   that does not exist there stops the run before the oracle runs
#   (exit 129); git config's command is taken from the top;
# - reasons never repeat their leading phrase: an implementer that answers
#   "No change needed: ..." gives the reason "no change needed: ...", and
#   report.json collapses "x: x: y" that any workflow returns to "x: y".
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
mkdir -p src sub
printf 'int a(void)\n{\n\treturn 1;\n}\n' >src/a.c
git add -A
git commit -qm "one function"
runs=$(cd "$(git rev-parse --git-common-dir)" && pwd)/wfmigrate/runs
top=$(pwd -P)

cat >"$TMP/one.js" <<'EOF'
export const meta = { name: 'one-agent', description: 'one agent in a worktree' }
const out = await agent('do it', { label: 'only', isolation: 'worktree' })
if (out === null) throw new Error('the agent failed')
return { out, units: [] }
EOF

# the newest run's directory
newest_run() {
	ls -td "$runs"/*/ | head -n 1 | sed 's:/$::'
}

# --- a failing agent: its stderr's tail and its transcript, everywhere
cat >"$TMP/fails.sh" <<'EOF'
#!/bin/sh
echo "starting up" >&2
for i in 1 2 3 4 5 6 7 8 9 10; do echo "noise line $i" >&2; done
exec python3 ../../codemod_c.py
EOF
chmod +x "$TMP/fails.sh"
expect_code 1 git wfmigrate run --workflow "$TMP/one.js" --provider exec \
	--agent-cmd "$TMP/fails.sh" --yes
rd=$(newest_run)
py '
r = j(sys.argv[1])
f = r["agentFailures"]
assert len(f) == 1, f
f = f[0]
assert f["label"] == "only" and f["reason"] == "exit status 2", f
lines = f["stderr"].split("\n")
assert len(lines) == 6, lines
assert lines[0] == "noise line 6", lines
assert "can\x27t open file" in lines[-1] and "codemod_c.py" in lines[-1], lines
assert "starting up" not in f["stderr"], f["stderr"]
t = f["transcript"]
assert t.startswith(sys.argv[2] + "/agents/") and t.endswith(".jsonl"), (t, sys.argv[2])
out = [json.loads(l) for l in open(t) if json.loads(l)["type"] == "output"][0]
assert "starting up" in out["stderr"] and "codemod_c.py" in out["stderr"], out
' "$rd/report.json" "$rd" || fail "report.json does not give the failed agent's stderr and transcript"
grep -q "can't open file" "$rd/report.md" || fail "report.md lacks the failed agent's stderr"
grep -q "transcript: \`$rd/agents/" "$rd/report.md" || fail "report.md lacks the transcript's path"
# the summary (stdout) and the live progress line (stderr)
grep -q '^agents that failed: 1$' "$TMP/out" || fail "the summary does not count the failed agent: $(cat "$TMP/out")"
grep -q "^  only: exit status 2$" "$TMP/out" || fail "the summary lacks the failure: $(cat "$TMP/out")"
grep -q "^    | .*can't open file .*codemod_c.py" "$TMP/out" || fail "the summary lacks the stderr tail: $(cat "$TMP/out")"
grep -q "^    transcript: $rd/agents/.*\.jsonl$" "$TMP/out" || fail "the summary lacks the transcript: $(cat "$TMP/out")"
grep -q "^agent only failed: exit status 2: .*python3: can't open file .*codemod_c.py" "$TMP/err" ||
	fail "the progress line does not say why the agent failed: $(cat "$TMP/err")"
grep -q "^  transcript: $rd/agents/.*\.jsonl$" "$TMP/err" || fail "the progress lines lack the transcript: $(cat "$TMP/err")"
pass "a failed exec agent: its stderr's tail and transcript in report.json, report.md, the summary and progress"

# the journal keeps them: a resume of the failed run answers the agent from it and reports the same
run=$(basename "$rd")
cp "$rd/report.json" "$TMP/first.json"
expect_code 1 git wfmigrate resume "$run"
py '
a, b = j(sys.argv[1])["agentFailures"], j(sys.argv[2])["agentFailures"]
assert a == b, (a, b)
' "$TMP/first.json" "$rd/report.json" || fail "a resume lost the failed agent's stderr or transcript"
pass "resumed, the failed agent (from the journal) keeps its stderr and transcript"

# --- relative paths in --agent-cmd, from a subdirectory
mkdir -p "$TMP/tools"
cat >"$TMP/tools/agent.sh" <<'EOF'
#!/bin/sh
# prints where it runs and the arguments it was given, checking they exist there
echo "cwd=$(pwd -P)"
for a in "$@"; do
	[ -e "$a" ] || { echo "missing: $a" >&2; exit 3; }
	echo "arg=$a"
done
echo done >marker.txt
EOF
chmod +x "$TMP/tools/agent.sh"
tools=$(cd "$TMP/tools" && pwd -P)
cd sub
expect_code 0 git wfmigrate run --workflow "$TMP/one.js" --provider exec \
	--agent-cmd "../../tools/agent.sh ../src/a.c" --yes --json
rd=$(newest_run)
py '
r, s = j(sys.argv[1]), j(sys.argv[2])
assert s["agentCmd"] == sys.argv[3] + "/agent.sh src/a.c" or s["agentCmd"] == sys.argv[3] + "/agent.sh ./src/a.c", s["agentCmd"]
assert r["status"] == "done" and not r["agentFailures"], r
out = r["result"]["out"]
assert "arg=./src/a.c" in out, out
assert "/wfmigrate/pool/" in out.split("\n")[0], out
' "$rd/report.json" "$rd/run.json" "$tools" || fail "a relative --agent-cmd from a subdirectory: $(cat "$rd/run.json")"
[ ! -e "$top/src/marker.txt" ] && [ ! -e marker.txt ] && [ ! -e "$top/marker.txt" ] ||
	fail "the agent wrote into the user's working tree"

# an argument naming a script outside the repository, the program from PATH
expect_code 0 git wfmigrate run --workflow "$TMP/one.js" --provider exec \
	--agent-cmd "sh ../../tools/agent.sh" --yes --json
rd=$(newest_run)
py '
r, s = j(sys.argv[1]), j(sys.argv[2])
assert s["agentCmd"] == "sh " + sys.argv[3] + "/agent.sh", s["agentCmd"]
assert r["status"] == "done" and not r["agentFailures"], r["agentFailures"]
' "$rd/report.json" "$rd/run.json" "$tools" || fail "an interpreter's script given relative: $(cat "$rd/run.json")"
pass "--agent-cmd from a subdirectory: the program and a script argument are taken from there, a tracked file is the agent's copy"

# a program that is not there: refused before anything runs
nruns=$(ls "$runs" | wc -l)
expect_code 129 git wfmigrate run --workflow "$TMP/one.js" --provider exec --oracle 'touch oracle-ran' \
	--agent-cmd "./codemod.py --all" --yes
expect_stderr "error: the agent command's program './codemod.py' does not exist in '$top/sub'"
[ "$(ls "$runs" | wc -l)" = "$nruns" ] || fail "a refused run created a run directory"
cd "$top"

# git config's command is taken from the top of the working tree
git config wfmigrate.agent-cmd "../tools/agent.sh"
cd sub
expect_code 0 git wfmigrate run --workflow "$TMP/one.js" --provider exec --yes --json
rd=$(newest_run)
py '
s = j(sys.argv[1])
assert s["agentCmd"] == sys.argv[2] + "/tools/agent.sh", s["agentCmd"]
' "$rd/run.json" "$(dirname "$top")" || fail "git config's agent command: $(cat "$rd/run.json")"
cd "$top"
git config --unset wfmigrate.agent-cmd
pass "a program that does not exist stops the run before the oracle (129); git config's is taken from the top"

# --- reasons say their leading phrase once
cat >"$TMP/nochange.sh" <<'EOF'
#!/bin/sh
role=$(python3 -c 'import json, os; print(json.loads(os.environ["WFM_AGENT_JSON"])["role"])')
case $role in
verifier) echo '{"verdict":"pass","findings":[]}' ;;
*) echo "No change needed: no convertible call in this unit." ;;
esac
EOF
chmod +x "$TMP/nochange.sh"
expect_code 0 git wfmigrate run --oracle true --arg match=return --provider exec \
	--agent-cmd "$TMP/nochange.sh" --yes --json "nothing to do"
rd=$(newest_run)
py '
r = j(sys.argv[1])
assert [(u["status"], u["reason"]) for u in r["units"]] == \
    [("skipped", "no change needed: no convertible call in this unit.")], r["units"]
assert r["result"]["units"][0]["reason"] == r["units"][0]["reason"], r["result"]["units"]
' "$rd/report.json" || fail "the implementer's 'No change needed:' is repeated in the reason"

cat >"$TMP/repeats.js" <<'EOF'
export const meta = { name: 'repeats', description: 'reasons that repeat their phrase' }
return { units: [
  { id: 'a', status: 'skipped', reason: 'no change needed: No change needed: **no change needed**: none here' },
  { id: 'b', status: 'failed', reason: 'error: error handling is what broke' },
  { id: 'c', status: 'skipped', reason: 'budget: budget: ran out' },
  { id: 'd', status: 'skipped', reason: 'not relevant: ' },
] }
EOF
expect_code 0 git wfmigrate run --workflow "$TMP/repeats.js" --provider exec --agent-cmd true --yes --json
py '
r = j(sys.argv[1])
got = [u["reason"] for u in r["units"]]
assert got == ["no change needed: none here", "error: error handling is what broke", "budget: ran out",
               "not relevant"], got
' "$TMP/out" || fail "report.json repeats a reason's leading phrase"
pass "reasons say their leading phrase once (migrate's own, and any workflow's in report.json)"
check_repo "$repo"
