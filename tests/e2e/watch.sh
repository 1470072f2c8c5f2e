#!/usr/bin/env bash
# Background runs, watch, ps's figures and -q, on the migrate workflow over
# part of the cardkit fixture (3 paths, 6 units, 12 agents, 2 at once).
# The exec agent sleeps as long as $TMP/sleep says before the codemod.
#
# - run -q --json: no progress on stderr (the card still), the report alone
#   on stdout;
# - run -b: the card is approved in the foreground (--yes), the command
#   exits 0 at once with the run's id and the commands to follow it; the
#   run goes on in a process of its own that holds the run's lock, its
#   output in output.log;
# - watch in tmux (a terminal): shows the run, its phases and the agents
#   of the current phase; p pauses the run (ps says paused, the engine
#   writes its pause event), p again resumes it, s then y stops it (state
#   stopped) and watch exits 1; the terminal's screen is given back;
# - resume -b (--json: its id and pid); watch on a terminal ended by
#   SIGINT exits 130 and restores the terminal (screen, icanon, echo), the
#   run goes on; watch without a terminal: plain lines, no escape
#   sequence, the run's history first, until the run ends: exit 0, and the
#   integration tree is the one of a run in the foreground;
# - ps with the fake LLM: tokens and cost, as the report has them; the
#   agents' progress events carry their tool calls.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"
command -v tmux >/dev/null || fail "this test needs tmux"

echo 0 >"$TMP/sleep"
cat >"$TMP/agent.sh" <<EOF
#!/bin/sh
sleep "\$(cat "$TMP/sleep")"
exec sh "$src/fixtures/codemods/old-to-safe.sh"
EOF
args=(--workflow migrate --oracle "make -s test" --arg match=old_copy
	--arg 'paths=["src/address.c","src/format.c","src/copy.c"]' --concurrency 2)
exec_args=(--provider exec --agent-cmd "sh $TMP/agent.sh")

ps_state() { # <repo> <id> <state>
	git -C "$1" wfmigrate ps | grep -Eq "^$2 +$3 "
}
has_event() { grep -q "\"type\":\"$2\"" "$1/events.jsonl" 2>/dev/null; }
integration_tree() { git -C "$1" rev-parse "wfmigrate/$2/integration^{tree}"; }

# --- -q --json in the foreground: the reference
ref=$TMP/ref
"$src/fixtures/make-deprecated.sh" "$ref" >/dev/null
(cd "$ref" && expect_code 0 git wfmigrate run "${args[@]}" "${exec_args[@]}" -q --json --yes "$goal")
py 'r = json.load(sys.stdin); assert r["status"] == "done", r["status"]' <"$TMP/out" ||
	fail "run -q --json: stdout is not the report alone: $(head -c 300 "$TMP/out")"
grep -q '^workflow: migrate' "$TMP/err" || fail "run -q: no approval card on stderr"
grep -Eq '^(agent |oracle |== |merge queue: |run [0-9]+-)' "$TMP/err" &&
	fail "run -q printed progress: $(grep -E '^(agent |oracle |== |merge queue: |run )' "$TMP/err" | head -3)"
ref_id=$(basename "$(run_dir "$ref")")
ref_tree=$(integration_tree "$ref" "$ref_id")
pass "run -q --json: no progress on stderr, the report alone on stdout"

# --- run -b: detached after the approval
echo 2 >"$TMP/sleep"
repo=$TMP/bg
"$src/fixtures/make-deprecated.sh" "$repo" >/dev/null
cd "$repo"
expect_code 0 git wfmigrate run "${args[@]}" "${exec_args[@]}" -b --yes "$goal"
rd=$(run_dir "$repo")
id=$(basename "$rd")
grep -q "^workflow: migrate" "$TMP/err" || fail "run -b: no approval card"
grep -q "^run $id goes on in the background (pid [0-9]*); its output: $rd/output.log$" "$TMP/err" ||
	fail "run -b says: $(cat "$TMP/err")"
grep -q "git wfmigrate watch $id" "$TMP/err" || fail "run -b does not say how to watch the run"
grep -q "git wfmigrate stop $id" "$TMP/err" || fail "run -b does not say how to stop the run"
[ ! -s "$TMP/out" ] || fail "run -b printed on stdout: $(cat "$TMP/out")"
bgpid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$TMP/err")
[ "$(cut -d' ' -f1 "$rd/lock")" = "$bgpid" ] || fail "the lock does not name the background process"
kill -0 "$bgpid" || fail "the background process is gone"
ps_state "$repo" "$id" "running +$bgpid" || fail "ps: $(git wfmigrate ps)"
pass "run -b: approved, detached, the run's lock is the background process's"

# --- watch on a terminal: phases, agents, p, p, s y
tm new-session -d -s w -x 200 -y 50 \
	"cd '$repo' && PATH='$PATH' HOME='$HOME' GIT_CONFIG_NOSYSTEM=1 git wfmigrate watch; echo \$? >'$TMP/watch.code'; sleep 600"
screen() { tm capture-pane -p -t w; }
shows() { screen | grep -Eq "$1"; }
wait_for "watch to show the Implement phase, selected" shows "^> Implement +[0-9]+ +[0-9]+ +[0-9]+ "
wait_for "watch to show a running implementer" shows "^  running +impl:src/"
shows "^run $id +running +[0-9]+:[0-9]{2} +pid $bgpid" || fail "watch's first line: $(screen | head -1)"
shows "^  Baseline " || fail "watch shows no Baseline phase: $(screen)"
shows "^  Select " || fail "watch shows no Select phase: $(screen)"
shows "^progress: [0-9]+/[0-9]+ agents, 6 units" || fail "watch shows no progress: $(screen)"
shows "^merge queue: " || fail "watch shows no merge queue: $(screen)"
shows "budget: none" || fail "watch shows no budget: $(screen)"
pass "watch: the run, its phases, the agents of the current phase"

tm send-keys -t w p
wait_for "ps to say paused" ps_state "$repo" "$id" paused
wait_for "the engine to pause" has_event "$rd" pause
wait_for "watch to say paused" shows "^run $id +paused "
tm send-keys -t w p
wait_for "ps to say running" ps_state "$repo" "$id" running
wait_for "the engine to resume" has_event "$rd" resume
pass "watch: p pauses the run, p again resumes it"

tm send-keys -t w s
wait_for "watch to ask before stopping" shows "stop run $id\\? y stops it"
ps_state "$repo" "$id" running || fail "s alone stopped the run"
tm send-keys -t w y
wait_for "the run to stop" ps_state "$repo" "$id" stopped
wait_for "watch to end" test -s "$TMP/watch.code"
[ "$(cat "$TMP/watch.code")" = 1 ] || fail "watch of a stopped run exited $(cat "$TMP/watch.code"), not 1"
shows "^run $id stopped: [0-9]+/[0-9]+ units, 0 tokens$" ||
	fail "watch did not give the screen back with the outcome: $(screen)"
shows "^  Implement: [0-9]+ agents done, [0-9]+ failed; " || fail "watch left no summary of the phases: $(screen)"
py 'assert j(sys.argv[1])["status"] == "stopped"' "$rd/report.json" || fail "the report is not stopped"
grep -q "^agent impl:src/" "$rd/output.log" || fail "output.log has no progress: $(head "$rd/output.log")"
grep -q "^run $id stopped; continue it with" "$rd/output.log" || fail "output.log has no outcome"
pass "watch: s then y stops the run; watch exits 1; output.log has the run's output"

# --- resume -b that cannot write its output: an error, the run stays resumable
mv "$rd/output.log" "$TMP/output.log"
mkdir "$rd/output.log"
expect_code 128 git wfmigrate resume -b "$id" </dev/null
expect_stderr "^fatal: cannot carry run $id on in the background: .*output.log: Is a directory"
ps_state "$repo" "$id" stopped || fail "a failed resume -b left the run $(git wfmigrate ps)"
[ ! -e "$rd/lock" ] || fail "a failed resume -b left the run's lock"
rmdir "$rd/output.log"
mv "$TMP/output.log" "$rd/output.log"
pass "resume -b that cannot write output.log: exit 128, the run stays stopped"

# --- resume -b; watch on a terminal ended by SIGINT gives the terminal back
echo 1 >"$TMP/sleep"
expect_code 0 git wfmigrate resume -b --json "$id" </dev/null
grep -q "^run $id goes on in the background" "$TMP/err" || fail "resume -b says: $(cat "$TMP/err")"
py '
o = json.load(sys.stdin)
assert o["id"] == sys.argv[1] and o["pid"] > 0 and o["output"] == sys.argv[2] + "/output.log", o
' "$id" "$rd" <"$TMP/out" || fail "resume -b --json printed: $(cat "$TMP/out")"
tm new-session -d -s w2 -x 120 -y 40 \
	"trap : INT; cd '$repo' && PATH='$PATH' HOME='$HOME' GIT_CONFIG_NOSYSTEM=1 git wfmigrate watch; echo \$? >'$TMP/w2.code'; stty -a >'$TMP/w2.stty'; sleep 600"
screen2() { tm capture-pane -p -t w2; }
wait_for "watch to show the resumed run" eval 'screen2 | grep -Eq "^run $id +running .*\(resumed\)"'
# the pane's shell lives on (trap), to say how watch ended and how it left the terminal
tm send-keys -t w2 C-c
wait_for "watch to end on SIGINT" test -s "$TMP/w2.stty"
[ "$(cat "$TMP/w2.code")" = 130 ] || fail "watch ended by SIGINT exited $(cat "$TMP/w2.code"), not 130"
grep -Eq '(^| )icanon( |$)' "$TMP/w2.stty" && grep -Eq '(^| )echo( |$)' "$TMP/w2.stty" ||
	fail "watch left the terminal without icanon or echo: $(cat "$TMP/w2.stty")"
! screen2 | grep -q 'PHASE' || fail "watch left its view on the screen: $(screen2)"
ps_state "$repo" "$id" running || fail "the run did not go on when watch was interrupted"
pass "resume -b; SIGINT ends watch (130) with the terminal restored, and the run goes on"

# --- then watch without a terminal until the end
echo 0 >"$TMP/sleep"
expect_code 0 git wfmigrate watch "$id" </dev/null
plain=$TMP/plain.out
cp "$TMP/out" "$plain"
head -1 "$plain" | grep -q "^watching run $id (" || fail "watch: no first line: $(head -1 "$plain")"
grep -q '^== Implement$' "$plain" || fail "watch: no phase line"
grep -q '^agent impl:src/[^ ]* started (implementer, exec)$' "$plain" || fail "watch: no agent line"
grep -q '^stopping: git wfmigrate stop$' "$plain" || fail "watch: not the run's history"
grep -q '^paused: ' "$plain" || fail "watch: the pause is not in the history"
[ "$(tail -1 "$plain")" = "run $id done" ] || fail "watch's last line: $(tail -1 "$plain")"
! grep -q $'\033' "$plain" || fail "watch without a terminal wrote escape sequences"
! ps_state "$repo" "$id" "(running|paused|stopping)" || fail "watch ended before the run"
# the background session's output: its progress, then its report (--json)
tail -n +"$(grep -n '^{' "$rd/output.log" | tail -1 | cut -d: -f1)" "$rd/output.log" |
	py 'assert json.load(sys.stdin)["status"] == "done"' ||
	fail "output.log does not end with the resumed session's report"
[ "$(integration_tree "$repo" "$id")" = "$ref_tree" ] ||
	fail "stopped in watch and resumed in the background, the run's tree is not the foreground run's"
check_repo "$repo"
pass "watch without a terminal: plain lines until the run is done (exit 0); same tree"

# a finished run: its history, then the exit code of its end
expect_code 0 git wfmigrate watch "${id:0:15}" </dev/null
[ "$(tail -1 "$TMP/out")" = "run $id done" ] || fail "watch of a done run: $(tail -1 "$TMP/out")"
(cd "$ref" && expect_code 0 git wfmigrate watch </dev/null)
grep -q "^watching run $ref_id (done)" "$TMP/out" || fail "watch without a run: $(head -1 "$TMP/out")"
expect_code 129 git wfmigrate watch a b
expect_code 128 git wfmigrate watch 19990101-000000-000000
expect_stderr "no run '19990101-000000-000000'"
empty=$(new_repo)
(cd "$empty" && git commit -q --allow-empty -m x && expect_code 1 git wfmigrate watch </dev/null)
expect_stderr "no runs in this repository"
pass "watch of a finished run, without a run, and its errors"

# --- ps: progress, tokens, cost and age with LLM agents
term_kill
start_fakellm llm
llm=$TMP/llm
"$src/fixtures/make-deprecated.sh" "$llm" >/dev/null
cd "$llm"
git config wfmigrate.price "fake-rules=3,15"
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	expect_code 0 git wfmigrate run "${args[@]}" --model fake-rules -q --json --yes "$goal"
cp "$TMP/out" "$TMP/llm.json"
lid=$(basename "$(run_dir "$llm")")
read -r tokens usd < <(py 't = j(sys.argv[1])["totals"]; print(t["tokens"], t["costUsd"])' "$TMP/llm.json")
py 'assert float(sys.argv[1]) > 0 and float(sys.argv[2]) > 0' "$tokens" "$usd" ||
	fail "the fake LLM run spent nothing: $tokens tokens, \$$usd"
expect_code 0 git wfmigrate ps --json
py '
r = json.load(sys.stdin)[0]
t = j(sys.argv[1])["totals"]
units = j(sys.argv[1])["units"]
assert r["tokens"] == t["tokens"] and abs(r["costUsd"] - t["costUsd"]) < 1e-9, (r, t)
assert r["units"] == len(units) == 6 and r["unitsDecided"] == 6, r
assert r["progress"] == "6/6 units" and 0 <= r["ageMs"] < 3600000, r
' "$TMP/llm.json" <"$TMP/out" || fail "ps --json: $(cat "$TMP/out")"
expect_output "^$lid +done +- +[0-9-]+ [0-9:]+ +[0-9]+s +6/6 units +[0-9.]+k +[$][0-9]+[.][0-9]{2} +migrate$" \
	git wfmigrate ps
py '
evs = [json.loads(l) for l in open(sys.argv[1])]
prog = [e for e in evs if e["type"] == "agent" and e.get("state") == "progress"]
assert prog and any(e["toolCalls"] > 0 for e in prog), prog[:3]
starts = [e for e in evs if e["type"] == "agent" and e.get("state") == "start"]
assert all(e["model"] == "fake-rules" and e["role"] for e in starts), starts[:3]
assert any(e["type"] == "budget" for e in evs)
' "$(run_dir "$llm")/events.jsonl" || fail "the LLM run's events have no agent progress with tool calls"
pass "ps: progress, tokens, cost and age of an LLM run, as its report has them"
