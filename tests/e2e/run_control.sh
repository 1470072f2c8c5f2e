#!/usr/bin/env bash
# pause, resume, stop and signals on live runs of the migrate workflow (part
# of the cardkit fixture: 6 units, 12 agents). The exec agent logs "start
# <label>"/"end <label>" outside the repository and sleeps, before the
# codemod, as long as the file $TMP/sleep says, in a program whose name is a
# marker ($TMP/bin/slowpoke) so that its processes can be found.
#
# - pause: no agent starts while paused (the running ones finish and are
#   journaled); resume lifts it and the run finishes as an uninterrupted one;
# - stop: the run ends (exit 1, status stopped, ps stopped), the running
#   agents' process groups are killed, the stopped agents are not journaled;
#   resume finishes it with the uninterrupted run's statuses and tree;
# - stop while the merge queue tests the integration branch: the branch does
#   not move, and resume merges each unit once;
# - a run stopped and resumed reports both sessions (stopped, then done) and
#   totals that cover them: every agent started, the time of both;
# - SIGINT to the running engine: exit 130, stopped and resumable the same
#   way, by `resume` without a run (the one there is); SIGTERM: exit 143.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"

mkdir -p "$TMP/bin"
ln -s "$(command -v sleep)" "$TMP/bin/slowpoke"
echo 0 >"$TMP/sleep"
cat >"$TMP/agent.sh" <<EOF
#!/bin/sh
label=\$(printf '%s\n' "\$WFM_AGENT_JSON" | grep -o '"label":"[^"]*"' | head -n 1 | cut -d'"' -f4)
echo "start \$label" >>"\$WFM_TEST_LOG"
"$TMP/bin/slowpoke" "\$(cat "$TMP/sleep")"
sh "$src/fixtures/codemods/old-to-safe.sh"
rc=\$?
echo "end \$label" >>"\$WFM_TEST_LOG"
exit \$rc
EOF

# the oracle: make test; on an integration commit (the merge queue's trailers)
# it logs "ostart merge" and first sleeps as long as $TMP/merge-sleep says
echo 0 >"$TMP/merge-sleep"
cat >"$TMP/oracle.sh" <<EOF
#!/bin/sh
if git log -1 --format=%B | grep -q '^Wfmigrate-Commit:'; then
	echo "ostart merge" >>"\$WFM_TEST_LOG"
	"$TMP/bin/slowpoke" "\$(cat "$TMP/merge-sleep")"
fi
exec make -s test
EOF

# start_run <repo> <log>: the run in the background, 2 agents at once; sets $pid
start_run() {
	"$src/fixtures/make-deprecated.sh" "$1" >/dev/null
	: >"$2"
	(cd "$1" && WFM_TEST_LOG=$2 exec git wfmigrate run --workflow migrate --oracle "sh $TMP/oracle.sh" \
		--arg match=old_copy --arg 'paths=["src/address.c","src/format.c","src/copy.c"]' \
		--provider exec --agent-cmd "sh $TMP/agent.sh" --concurrency 2 --yes --json "$goal" \
		>"$1.out" 2>"$1.err" </dev/null) &
	pid=$!
}

starts() { grep -c '^start ' "$1" || :; }
starts_at_least() { [ "$(starts "$1")" -ge "$2" ]; }
has_event() { grep -q "\"type\":\"$2\"" "$1/events.jsonl" 2>/dev/null; }
lock_pid() { [ -s "$1/lock" ] && cut -d' ' -f1 "$1/lock"; }
# live processes (not zombies) whose command line holds the string
alive() { ps -eo stat=,args= | awk '$1 !~ /^Z/' | grep -F -- "$1" | grep -v -F 'grep' || :; }
sleeping() { [ -n "$(alive "$TMP/bin/slowpoke")" ]; }
no_agents_left() { [ -z "$(alive "$TMP/bin/slowpoke")" ] && [ -z "$(alive "sh $TMP/agent.sh")" ]; }

# same_as_ref <repo>: the run finished with the uninterrupted run's statuses and tree
same_as_ref() {
	local rd id
	rd=$(run_dir "$1")
	id=$(basename "$rd")
	py 'print("\n".join(u["id"] + " " + u["status"] for u in j(sys.argv[1])["units"]))' "$rd/report.json" |
		diff -u "$TMP/ref.statuses" - >&2 || {
		py 'print("\n".join("%s: %s" % (u["id"], u["reason"]) for u in j(sys.argv[1])["units"]))' "$rd/report.json" >&2
		fail "$1: the statuses differ from the uninterrupted run's"
	}
	[ "$(git -C "$1" rev-parse "wfmigrate/$id/integration^{tree}")" = "$ref_tree" ] ||
		fail "$1: the integration tree differs from the uninterrupted run's"
	py '
from collections import Counter
twice = [l for l, n in Counter(journal_labels(sys.argv[1])).items() if n > 1]
assert not twice, twice
' "$rd" || fail "$1: an agent is journaled twice"
	expect_output "^$id +done " git -C "$1" wfmigrate ps
	check_repo "$1"
}

# --- the uninterrupted run
start_run "$TMP/ref" "$TMP/ref.log"
wait "$pid" || { cat "$TMP/ref.err" >&2; fail "the uninterrupted run failed"; }
rd=$(run_dir "$TMP/ref")
py '
r = j(sys.argv[1])
assert r["status"] == "done" and r["totals"]["merged"] == 3 and r["totals"]["agents"] == 12, r["totals"]
' "$rd/report.json" || fail "the uninterrupted run did not merge 3 units with 12 agents"
py 'print("\n".join(u["id"] + " " + u["status"] for u in j(sys.argv[1])["units"]))' "$rd/report.json" >"$TMP/ref.statuses"
ref_tree=$(git -C "$TMP/ref" rev-parse "wfmigrate/$(basename "$rd")/integration^{tree}")
pass "the uninterrupted run"

# --- pause: nothing starts while paused; resume lifts it
echo 1 >"$TMP/sleep"
repo=$TMP/paused
log=$TMP/paused.log
start_run "$repo" "$log"
wait_for "two agents" starts_at_least "$log" 2
rd=$(run_dir "$repo")
id=$(basename "$rd")
epid=$(lock_pid "$rd")
(cd "$repo" && expect_code 0 git wfmigrate pause "$id")
expect_stderr "^pausing run $id"
wait_for "the engine to see the pause" has_event "$rd" pause
expect_output "^$id +paused +$epid " git -C "$repo" wfmigrate ps
sleep 0.5 # an agent the engine started just before it saw the pause has logged by now
n=$(starts "$log")
ends_at() { [ "$(grep -c '^end ' "$1")" = "$2" ]; }
wait_for "the agents running at the pause to finish" ends_at "$log" "$n"
sleep 1.5 # slots are free now: without the pause, agents would start at once
[ "$(starts "$log")" = "$n" ] || fail "$(($(starts "$log") - n)) agent(s) started while the run was paused"
[ "$(py 'print(len(journal_labels(sys.argv[1])))' "$rd")" = "$n" ] ||
	fail "the agents that finished while paused were not journaled"
kill -0 "$epid" || fail "the paused run's process is gone"
echo 0.1 >"$TMP/sleep"
(cd "$repo" && expect_code 0 git wfmigrate resume "$id")
grep -q "^run $id is running; asked it to go on$" "$TMP/err" || fail "resume of a paused run says: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "resume of a paused run printed on stdout (a message, not data): $(cat "$TMP/out")"
[ "$(cat "$rd/control")" = run ] || fail "resume did not write 'run' to control"
wait "$pid" || { tail "$repo.err" >&2; fail "the resumed run failed"; }
has_event "$rd" resume || fail "no resume event"
[ "$(starts "$log")" = 12 ] || fail "the paused and resumed run started $(starts "$log") agents, not 12"
same_as_ref "$repo"
pass "pause: no agent starts while paused ($n were running and finished); resume lifts it; same tree"

# --- stop: running agents killed, status stopped, resumable
echo 60 >"$TMP/sleep"
repo=$TMP/stopped
log=$TMP/stopped.log
start_run "$repo" "$log"
wait_for "two agents" starts_at_least "$log" 2
wait_for "the agents' sleeps" sleeping
rd=$(run_dir "$repo")
id=$(basename "$rd")
t0=$(date +%s)
(cd "$repo" && expect_code 0 git wfmigrate stop --wait "$id")
expect_stderr "^stopping run $id"
code=0
wait "$pid" || code=$?
[ "$code" = 1 ] || fail "a stopped run exited $code, not 1"
[ $(($(date +%s) - t0)) -lt 15 ] || fail "stop took $(($(date +%s) - t0)) s"
wait_for "the agents' processes to go" no_agents_left
py '
r = j(sys.argv[1])
assert r["status"] == "stopped", r["status"]
' "$rd/report.json" || fail "report.json of a stopped run: $(head -c 300 "$rd/report.json")"
py 'assert json.load(sys.stdin)["status"] == "stopped"' <"$repo.out" || fail "run --json of a stopped run did not print its report"
grep -q "\"type\":\"stop\"" "$rd/events.jsonl" || fail "no stop event"
expect_output "^$id +stopped +- " git -C "$repo" wfmigrate ps
[ ! -e "$rd/lock" ] || fail "the stopped run left its lock"
# the agents cut short were not journaled, so they run again
py '
journaled = set(journal_labels(sys.argv[1]))
started = [l.split(" ", 1)[1].strip() for l in open(sys.argv[2]) if l.startswith("start ")]
cut = [l for l in started if l not in journaled]
assert cut, "every started agent was journaled: the stop cut none short"
print(len(cut))
' "$rd" "$log" >"$TMP/cut" || fail "the stopped agents were journaled"
before=$(starts "$log")
echo 0.1 >"$TMP/sleep"
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
grep -q "^run $id done$" "$TMP/out" || fail "resume of the stopped run: $(cat "$TMP/out")"
grep -q "^all 2 sessions of the run: $(starts "$log") agents run, " "$TMP/out" ||
	fail "resume does not sum up the sessions: $(cat "$TMP/out")"
[ "$(starts "$log")" = $((12 + $(cat "$TMP/cut"))) ] ||
	fail "stop + resume started $(starts "$log") agents, not 12 + the $(cat "$TMP/cut") stopped ones"
same_as_ref "$repo"
py '
r = j(sys.argv[1])
before, started = int(sys.argv[2]), int(sys.argv[3])
s1, s2 = r["sessions"]
assert s1["status"] == "stopped" and s1["agentsRun"] == before, (s1, before)
assert s2["status"] == "done" and s2["agentsRun"] == started - before, (s2, started)
t = r["totals"]
assert t["sessions"] == 2 and t["agentsRun"] == started, (t, started)
assert t["durationMs"] == s1["durationMs"] + s2["durationMs"] and s1["durationMs"] > 0, (t, s1, s2)
assert t["tokens"] == s1["tokens"] + s2["tokens"], (t, s1, s2)
' "$rd/report.json" "$before" "$(starts "$log")" || fail "the report of a stopped and resumed run does not cover both sessions"
pass "stop: exit 1, stopped, $(cat "$TMP/cut") running agents killed; resume reaches the same tree; the totals cover both sessions"

# --- stop while the merge queue tests the integration branch
echo 0.1 >"$TMP/sleep"
echo 60 >"$TMP/merge-sleep"
repo=$TMP/stop-merge
log=$TMP/stop-merge.log
start_run "$repo" "$log"
wait_for "the merge oracle" grep -q '^ostart merge' "$log"
wait_for "its sleep" sleeping
rd=$(run_dir "$repo")
id=$(basename "$rd")
base=$(git -C "$repo" rev-parse HEAD)
(cd "$repo" && expect_code 0 git wfmigrate stop --wait "$id")
code=0
wait "$pid" || code=$?
[ "$code" = 1 ] || fail "a run stopped in the merge exited $code, not 1"
wait_for "the oracle's processes to go" no_agents_left
[ "$(git -C "$repo" rev-parse "wfmigrate/$id/integration")" = "$base" ] ||
	fail "the integration branch moved after the stop"
py '
r = j(sys.argv[1])
assert r["status"] == "stopped", r["status"]
for u in r["units"]:
    assert u["status"] != "merged", u
' "$rd/report.json" || fail "a run stopped in the merge reports merged units"
grep -q '"method":"merge"' "$rd/journal.jsonl" && fail "merges answered 'stopped' were journaled"
echo 0 >"$TMP/merge-sleep"
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume --json "$id")
py '
r = json.load(sys.stdin)
t = r["sessions"][-1]
assert t["agentsRun"] == 0 and t["agentsReplayed"] == 12, t
assert r["totals"]["agentsRun"] == r["sessions"][0]["agentsRun"] == 12, r["totals"]
' <"$TMP/out" || fail "the resume of a run stopped in the merge ran agents again"
same_as_ref "$repo"
[ "$(git -C "$repo" rev-list --count "$base..wfmigrate/$id/integration")" = 3 ] ||
	fail "the integration branch does not hold one commit per merged unit"
pass "stop during the merge oracle: the integration branch stays; resume merges each unit once"

# --- SIGINT to the engine: exit 130, stopped, resumable
echo 60 >"$TMP/sleep"
repo=$TMP/sigint
log=$TMP/sigint.log
start_run "$repo" "$log"
wait_for "two agents" starts_at_least "$log" 2
wait_for "the agents' sleeps" sleeping
rd=$(run_dir "$repo")
id=$(basename "$rd")
kill -INT "$(lock_pid "$rd")"
code=0
wait "$pid" || code=$?
[ "$code" = 130 ] || fail "SIGINT: the run exited $code, not 130"
wait_for "the agents' processes to go" no_agents_left
py 'assert j(sys.argv[1])["status"] == "stopped"' "$rd/report.json" || fail "SIGINT: the run is not stopped"
expect_output "^$id +stopped +- " git -C "$repo" wfmigrate ps
echo 0.1 >"$TMP/sleep"
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume)
expect_stderr "^resuming run $id \\(stopped\\)$"
grep -q "^run $id done$" "$TMP/out" || fail "resume without a run did not finish the one there is: $(cat "$TMP/out")"
same_as_ref "$repo"
(cd "$repo" && expect_code 1 git wfmigrate resume)
expect_stderr "^error: no run to resume"
pass "SIGINT: exit 130, stopped, agents killed; resume without a run resumes it to the same tree"

# --- SIGTERM: exit 143
echo 60 >"$TMP/sleep"
repo=$TMP/sigterm
log=$TMP/sigterm.log
start_run "$repo" "$log"
wait_for "an agent" starts_at_least "$log" 1
wait_for "the agents' sleeps" sleeping
rd=$(run_dir "$repo")
kill -TERM "$(lock_pid "$rd")"
code=0
wait "$pid" || code=$?
[ "$code" = 143 ] || fail "SIGTERM: the run exited $code, not 143"
wait_for "the agents' processes to go" no_agents_left
py 'assert j(sys.argv[1])["status"] == "stopped"' "$rd/report.json" || fail "SIGTERM: the run is not stopped"
check_repo "$repo"
pass "SIGTERM: exit 143, stopped, agents killed"
