#!/usr/bin/env bash
# git wfmigrate resume after kill -9: the migrate workflow on part of the
# cardkit fixture (6 units: two traps, old_copy's definition, three good
# ones), with an exec agent that logs "start <label>" and "end <label>" to a
# file outside the repository around the codemod, and an oracle that logs
# its runs (and sleeps a little when it tests the integration branch).
#
# The engine is killed with SIGKILL early (Implement), in the middle, during
# the merge queue's oracle run, right after the integration branch moved,
# and once more while resuming. After each, `git wfmigrate resume`:
# - finishes with the statuses and the integration TREE of an uninterrupted
#   run, each merged unit merged once;
# - invokes no agent whose result was journaled before it started: the
#   agents it runs are exactly those of the uninterrupted run minus the
#   journaled ones, so the total is the uninterrupted count plus the agents
#   that were running at the kill;
# - ps says crashed before and done after; git fsck is clean;
# - report.json lists every session (the killed ones "crashed", with the
#   agents their events say they started), and its totals are their sums.
# Also: resume of a finished run changes nothing and runs nothing, and its
# report keeps the first session's figures in its totals; resume of a live
# run does not start a second engine; a torn journal tail is dropped.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"

# the agent: logs around the codemod; $WFM_TEST_LOG names the log
cat >"$TMP/agent.sh" <<EOF
#!/bin/sh
label=\$(printf '%s\n' "\$WFM_AGENT_JSON" | grep -o '"label":"[^"]*"' | head -n 1 | cut -d'"' -f4)
echo "start \$label" >>"\$WFM_TEST_LOG"
sleep 0.1
sh "$src/fixtures/codemods/old-to-safe.sh"
rc=\$?
echo "end \$label" >>"\$WFM_TEST_LOG"
exit \$rc
EOF
# the oracle: make test; a run on an integration commit (it has the merge
# queue's trailers) is logged as "merge" and takes a second longer, and, when
# $WFM_TEST_GO is set, does not exit before that file exists
cat >"$TMP/oracle.sh" <<'EOF'
#!/bin/sh
kind=check
git log -1 --format=%B | grep -q '^Wfmigrate-Commit:' && kind=merge
echo "ostart $kind" >>"$WFM_TEST_LOG"
[ $kind = merge ] && sleep 1
make -s test
rc=$?
echo "oend $kind" >>"$WFM_TEST_LOG"
if [ $kind = merge ] && [ -n "$WFM_TEST_GO" ]; then
	n=0
	while [ ! -e "$WFM_TEST_GO" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
fi
exit $rc
EOF

new_fixture() { # new_fixture <dir>
	"$src/fixtures/make-deprecated.sh" "$1" >/dev/null
}

# start_run <repo> <log> [<go file>]: starts the run in the background; sets $pid (git's)
start_run() {
	: >"$2"
	(cd "$1" && WFM_TEST_LOG=$2 WFM_TEST_GO=${3:-} exec git wfmigrate run --workflow migrate --oracle "sh $TMP/oracle.sh" \
		--arg match=old_copy --arg 'paths=["src/address.c","src/format.c","src/copy.c"]' \
		--provider exec --agent-cmd "sh $TMP/agent.sh" --concurrency 4 --yes --json "$goal" \
		>"$1.out" 2>"$1.err" </dev/null) &
	pid=$!
}

starts_at_least() { [ "$(grep -c '^start ' "$1")" -ge "$2" ]; }
all_ended() { # every started agent and oracle has ended (orphans of a killed engine too)
	[ "$(grep -c '^start ' "$1")" = "$(grep -c '^end ' "$1")" ] &&
		[ "$(grep -c '^ostart ' "$1")" = "$(grep -c '^oend ' "$1")" ]
}
has_line() { grep -q "$2" "$1"; }
lock_pid() { [ -s "$1/lock" ] && cut -d' ' -f1 "$1/lock"; }

# kill_engine <repo> <log>: SIGKILL to the run's process (the lock's pid),
# then waits for git and for the orphaned agents and oracles to end
kill_engine() {
	local rd epid
	rd=$(run_dir "$1")
	epid=$(lock_pid "$rd") || return 1 # it has finished
	kill -9 "$epid" 2>/dev/null || return 1 # it had already exited
	wait "$pid" && fail "git wfmigrate run exited 0 after SIGKILL"
	sleep 0.3 # an agent forked just before the kill has logged its start by now
	wait_for "the orphans of the killed run" all_ended "$2"
	return 0
}

# --- the uninterrupted run: the reference
ref=$TMP/ref
new_fixture "$ref"
base=$(git -C "$ref" rev-parse HEAD)
t0=$(date +%s)
start_run "$ref" "$TMP/ref.log"
wait "$pid" || { cat "$ref.err" >&2; fail "the uninterrupted run failed"; }
echo "# the uninterrupted run took $(($(date +%s) - t0)) s" >&2
ref_rd=$(run_dir "$ref")
ref_id=$(basename "$ref_rd")
py '
r = j(sys.argv[1])
assert r["status"] == "done", r
got = [(u["id"].split("::")[-1], u["status"]) for u in r["units"]]
assert got == [("address_set", "rejected"), ("address_set_country", "merged"), ("address_normalize_city", "merged"),
               ("old_copy", "skipped"), ("format_display_name", "rejected"), ("format_card_line", "merged")], got
' "$ref_rd/report.json" || fail "the uninterrupted run did not end as fixtures/deprecated.expected says"
sed -n 's/^start //p' "$TMP/ref.log" | sort >"$TMP/ref.labels"
[ "$(wc -l <"$TMP/ref.labels")" = 12 ] || fail "the uninterrupted run ran $(wc -l <"$TMP/ref.labels") agents, not 12"
[ -z "$(uniq -d "$TMP/ref.labels")" ] || fail "the uninterrupted run ran an agent twice: $(uniq -d "$TMP/ref.labels")"
ref_tree=$(git -C "$ref" rev-parse "wfmigrate/$ref_id/integration^{tree}")
ref_tip=$(git -C "$ref" rev-parse "wfmigrate/$ref_id/integration")
[ "$ref_tree" != "$(git -C "$ref" rev-parse "$base^{tree}")" ] || fail "the uninterrupted run merged nothing"
py 'print("\n".join(u["id"] + " " + u["status"] for u in j(sys.argv[1])["units"]))' "$ref_rd/report.json" >"$TMP/ref.statuses"
pass "the uninterrupted run: 12 agents, 3 units merged"

# --- resume of a finished run: nothing runs, nothing moves, nothing is lost
git -C "$ref" for-each-ref --format='%(refname) %(objectname)' >"$TMP/ref.refs"
cp "$ref_rd/report.json" "$TMP/ref.first.json"
lines=$(wc -l <"$ref_rd/journal.jsonl")
oracles=$(grep -c '^ostart ' "$TMP/ref.log")
(cd "$ref" && WFM_TEST_LOG=$TMP/ref.log expect_code 0 git wfmigrate resume --json "$ref_id")
py '
r = j(sys.argv[1])
assert r["status"] == "done" and r["run"] == sys.argv[2], r
t = r["totals"]
assert t["merged"] == 3 and t["agents"] == 12, t
assert r["integration"]["commit"] == sys.argv[3], r["integration"]
first = j(sys.argv[4])
s1, s2 = r["sessions"]
assert s1 == first["sessions"][0] and s1["status"] == "done" and s1["agentsRun"] == 12, (s1, first)
assert s2["session"] == 2 and s2["agentsRun"] == 0 and s2["agentsReplayed"] == 12, s2
# the totals are the sums: what the first session did is not lost
assert t["sessions"] == 2 and t["agentsRun"] == 12 and t["agentsReplayed"] == 12, t
for k in ("durationMs", "tokens", "costUsd", "engineCpuMs"):
    assert abs(t[k] - s1[k] - s2[k]) < 1e-6, (k, t, s1, s2)
assert t["durationMs"] >= first["totals"]["durationMs"], (t, first["totals"])
' "$TMP/out" "$ref_id" "$ref_tip" "$TMP/ref.first.json" || fail "resume of a finished run did something: $(cat "$TMP/out")"
grep -q '^- sessions: 2 ' "$ref_rd/report.md" || fail "report.md does not list the sessions"
# the oracle figures of the first execution are read back from the journal, not lost
py '
r, ref = j(sys.argv[1]), j(sys.argv[2])
o, want = r["oracle"], dict(ref["oracle"], replayedRuns=ref["oracle"]["runs"])
assert ref["oracle"]["replayedRuns"] == 0 and ref["oracle"]["runs"] >= 5 and ref["mergeQueue"]["batches"] >= 1, ref
assert o == want, (o, want)
assert r["mergeQueue"] == ref["mergeQueue"], (r["mergeQueue"], ref["mergeQueue"])
assert r["totals"]["rejectedByOracle"] == ref["totals"]["rejectedByOracle"] == 2, r["totals"]
' "$TMP/out" "$TMP/ref.first.json" || fail "resume of a finished run lost the oracle figures"
[ "$(grep -c '^start ' "$TMP/ref.log")" = 12 ] || fail "resume of a finished run invoked agents"
[ "$(grep -c '^ostart ' "$TMP/ref.log")" = "$oracles" ] || fail "resume of a finished run ran the oracle"
git -C "$ref" for-each-ref --format='%(refname) %(objectname)' | cmp -s - "$TMP/ref.refs" ||
	fail "resume of a finished run moved a ref"
[ "$(wc -l <"$ref_rd/journal.jsonl")" = "$lines" ] || fail "resume of a finished run added to the journal"
expect_output "^$ref_id +done " git -C "$ref" wfmigrate ps
check_repo "$ref"
pass "resume of a finished run replays everything, changes nothing, and keeps the first session's figures"

# check_resumed <repo> <log> <journal snapshot> <starts before the resume>:
# after a resume, the checks every scenario shares
check_resumed() {
	local repo=$1 log=$2 snap=$3 before=$4 rd id
	rd=$(run_dir "$repo")
	id=$(basename "$rd")
	py 'print("\n".join(u["id"] + " " + u["status"] for u in j(sys.argv[1])["units"]))' "$rd/report.json" |
		diff -u "$TMP/ref.statuses" - >&2 || {
		py 'print("\n".join("%s: %s" % (u["id"], u["reason"]) for u in j(sys.argv[1])["units"]))' "$rd/report.json" >&2
		fail "the resumed run's statuses differ from the uninterrupted run's"
	}
	sed -n 's/^start //p' "$log" | head -n "$before" >"$log.pre"
	sed -n 's/^start //p' "$log" | tail -n +"$((before + 1))" >"$log.post"
	py '
rd, snap, pre, post, ref = sys.argv[1:6]
journaled = set(journal_labels(rd, snap))
pre = [l.strip() for l in open(pre)]
post = [l.strip() for l in open(post)]
ref = set(l.strip() for l in open(ref))
again = sorted(set(post) & journaled)
assert not again, "agents journaled before the resume ran again: %s" % again
assert len(post) == len(set(post)), "the resume ran an agent twice: %s" % post
assert set(post) == ref - journaled, "the resume ran %s, not the unjournaled %s" % (
    sorted(set(post)), sorted(ref - journaled))
assert journaled <= set(pre), "journaled agents that never started: %s" % sorted(journaled - set(pre))
running = len(pre) - len(journaled)  # starts cut short by the kill(s)
r = j(os.path.join(rd, "report.json"))
assert r["status"] == "done", (r["status"], r.get("error"))
t, ss = r["totals"], r["sessions"]
last = ss[-1]
assert last["agentsRun"] == len(post) and last["agentsReplayed"] == len(journaled), (last, len(post), len(journaled))
# the killed sessions: crashed, with the agents their events say they started
assert len(ss) >= 2 and [s["status"] for s in ss[:-1]] == ["crashed"] * (len(ss) - 1), ss
assert [s["session"] for s in ss] == list(range(1, len(ss) + 1)), ss
assert t["sessions"] == len(ss) and t["agentsRun"] == sum(s["agentsRun"] for s in ss), (t, ss)
assert t["durationMs"] == sum(s["durationMs"] for s in ss), (t, ss)
started = len(pre) + len(post)  # every agent that logged its start
assert started <= t["agentsRun"] <= started + 4 * (len(ss) - 1), (t["agentsRun"], started, ss)
# the oracle runs before the kill are counted from the journal (at least the baseline)
o = r["oracle"]
assert o["replayedRuns"] >= 1 and o["runs"] >= o["replayedRuns"] and o["baselineRuns"] >= 1, o
assert o["runs"] >= t["merged"] + t["rejectedByOracle"] and o["totalMs"] > 0, (o, t)
print("# %d agents journaled before the resume, %d running at the kill, %d run by the resume"
      % (len(journaled), running, len(post)), file=sys.stderr)
' "$rd" "$snap" "$log.pre" "$log.post" "$TMP/ref.labels" || fail "the resume ran the wrong agents"
	[ "$(git -C "$repo" rev-parse "wfmigrate/$id/integration^{tree}")" = "$ref_tree" ] ||
		fail "the resumed run's integration tree differs from the uninterrupted run's"
	[ "$(git -C "$repo" rev-list --count "$base..wfmigrate/$id/integration")" = 3 ] ||
		fail "the integration branch of the resumed run does not have one commit per merged unit"
	[ -z "$(git -C "$repo" log --format='%(trailers:key=Wfmigrate-Branch,valueonly,separator=)' \
		"$base..wfmigrate/$id/integration" | sort | uniq -d)" ] || fail "a unit was merged twice"
	py '
for i, line in enumerate(open(sys.argv[1]), 1):
    rec = json.loads(line)
    assert {"key", "method", "result", "v"} <= set(rec), i
' "$rd/journal.jsonl" || fail "the journal has a bad line after the resume"
	[ -z "$(tail -c 1 "$rd/journal.jsonl")" ] || fail "the journal does not end with a newline"
	expect_output "^$id +done " git -C "$repo" wfmigrate ps
	check_repo "$repo"
}

# scenario <name> <wait condition...>: a run killed when the condition holds, then resumed
scenario() {
	local name=$1 repo=$TMP/$1 log=$TMP/$1.log rd id before
	shift
	new_fixture "$repo"
	start_run "$repo" "$log"
	wait_for "the moment to kill ($name)" "$@"
	kill_engine "$repo" "$log" || fail "$name: the run ended before the kill"
	rd=$(run_dir "$repo")
	id=$(basename "$rd")
	expect_output "^$id +crashed +- " git -C "$repo" wfmigrate ps
	cp "$rd/journal.jsonl" "$TMP/$name.journal"
	before=$(grep -c '^start ' "$log")
	(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
	grep -q "^run $id done$" "$TMP/out" || fail "$name: resume did not finish the run: $(cat "$TMP/out")"
	check_resumed "$repo" "$log" "$TMP/$name.journal" "$before"
}

# --- killed early, in the Implement phase; a live run is resumed before the kill
repo=$TMP/early
log=$TMP/early.log
new_fixture "$repo"
start_run "$repo" "$log"
wait_for "two agents" starts_at_least "$log" 2
rd=$(run_dir "$repo")
id=$(basename "$rd")
epid=$(lock_pid "$rd")
expect_output "^$id +running +$epid " git -C "$repo" wfmigrate ps
(cd "$repo" && expect_code 0 git wfmigrate resume "$id")
grep -q "run $id is running" "$TMP/err" || fail "resume of a live run says: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "resume of a live run printed on stdout: $(cat "$TMP/out")"
[ "$(lock_pid "$rd")" = "$epid" ] || fail "resume of a live run took its lock"
[ "$(cat "$rd/control")" = run ] || fail "resume of a live run wrote '$(cat "$rd/control")' to control"
pass "resume of a live run starts no second engine"
kill_engine "$repo" "$log" || fail "early: the run ended before the kill"
expect_output "^$id +crashed +- " git -C "$repo" wfmigrate ps
cp "$rd/journal.jsonl" "$TMP/early.journal"
# a crash in the middle of an append leaves a torn last line: resume drops it
printf '{"key":"0123456789abcdef0123456789abcdef01234567#1","method":"agent","res' >>"$rd/journal.jsonl"
before=$(grep -c '^start ' "$log")
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
check_resumed "$repo" "$log" "$TMP/early.journal" "$before"
pass "killed early (after $before agents started): resumed to the same tree, no journaled agent ran again"

# --- killed in the middle, then killed again while resuming
repo=$TMP/middle
log=$TMP/middle.log
new_fixture "$repo"
start_run "$repo" "$log"
wait_for "seven agents" starts_at_least "$log" 7
kill_engine "$repo" "$log" || fail "middle: the run ended before the kill"
rd=$(run_dir "$repo")
id=$(basename "$rd")
expect_output "^$id +crashed +- " git -C "$repo" wfmigrate ps
cp "$rd/journal.jsonl" "$TMP/middle.journal"
before=$(grep -c '^start ' "$log")
(cd "$repo" && WFM_TEST_LOG=$log exec git wfmigrate resume "$id" >"$repo.out2" 2>"$repo.err2" </dev/null) &
pid=$!
wait_for "an agent of the resume" starts_at_least "$log" $((before + 1))
if kill_engine "$repo" "$log"; then
	expect_output "^$id +crashed +- " git -C "$repo" wfmigrate ps
	# the report of the first execution is older than the lock of the second
	cp "$rd/journal.jsonl" "$TMP/middle.journal2"
	before2=$(grep -c '^start ' "$log")
	(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
	check_resumed "$repo" "$log" "$TMP/middle.journal2" "$before2"
	pass "killed in the middle (after $before agents) and again while resuming: same tree"
else
	wait "$pid" || fail "the resume failed: $(cat "$repo.err2")"
	check_resumed "$repo" "$log" "$TMP/middle.journal" "$before"
	pass "killed in the middle (after $before agents; the resume ended before the second kill): same tree"
fi
# every agent started: the uninterrupted run's plus those cut short by the kills, none journaled twice
py '
from collections import Counter
labels = Counter(journal_labels(sys.argv[1]))
twice = [l for l, n in labels.items() if n > 1]
assert not twice, "journaled twice: %s" % twice
assert set(labels) == set(l.strip() for l in open(sys.argv[2])), sorted(labels)
' "$rd" "$TMP/ref.labels" || fail "the journal does not hold each agent exactly once"

# --- killed while the merge queue tests the integration branch
scenario merge has_line "$TMP/merge.log" '^ostart merge'
pass "killed during the merge queue's oracle run: resumed to the same tree, no agent ran again"

# --- killed right after the integration branch moved, before the journal
# has the merges: the queue finds its own commits by their trailers. The
# merge oracle waits for a go file; the test creates it, spins on the loose
# ref until it moves, and kills the engine at once.
repo=$TMP/landed
log=$TMP/landed.log
new_fixture "$repo"
start_run "$repo" "$log" "$TMP/landed.go"
wait_for "the merge oracle to end" has_line "$log" '^oend merge'
rd=$(run_dir "$repo")
id=$(basename "$rd")
epid=$(lock_pid "$rd")
refile=$repo/.git/refs/heads/wfmigrate/$id/integration
[ -f "$refile" ] || fail "the integration branch is not a loose ref at $refile"
touch "$TMP/landed.go"
spins=0
while read -r at <"$refile" && [ "$at" = "$base" ]; do
	spins=$((spins + 1))
	[ $spins -lt 2000000 ] || fail "the integration branch did not move"
done
kill -9 "$epid" || fail "landed: the engine exited before the kill"
wait "$pid" && fail "git wfmigrate run exited 0 after SIGKILL"
sleep 0.3
wait_for "the orphans of the killed run" all_ended "$log"
expect_output "^$id +crashed +- " git -C "$repo" wfmigrate ps
cp "$rd/journal.jsonl" "$TMP/landed.journal"
merges=$(grep -c '"method":"merge"' "$TMP/landed.journal" || :)
landed=$(git -C "$repo" rev-list --count "$base..wfmigrate/$id/integration")
tests=$(grep -c '^ostart merge' "$log")
before=$(grep -c '^start ' "$log")
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
check_resumed "$repo" "$log" "$TMP/landed.journal" "$before"
[ "$landed" != 3 ] || [ "$(grep -c '^ostart merge' "$log")" = "$tests" ] ||
	fail "the resume tested the merges that had landed again"
pass "killed after the integration branch moved ($landed units landed, $merges merges journaled): not merged twice"

# --- a kill in the middle of a checkout leaves git's lock files (HEAD.lock,
# index.lock) in the slots the engine held (the pool's wfm-N.lock names the
# dead engine): they are stale, and the resume must not trip over them
repo=$TMP/stale
log=$TMP/stale.log
new_fixture "$repo"
start_run "$repo" "$log"
wait_for "two agents" starts_at_least "$log" 2
rd=$(run_dir "$repo")
id=$(basename "$rd")
epid=$(lock_pid "$rd")
kill_engine "$repo" "$log" || fail "stale: the run ended before the kill"
held=0
for l in "$repo"/.git/wfmigrate/pool/wfm-*.lock; do
	[ -e "$l" ] && [ "$(cut -d' ' -f1 "$l")" = "$epid" ] || continue
	slot=$(basename "$l" .lock)
	: >"$repo/.git/worktrees/$slot/HEAD.lock"
	: >"$repo/.git/worktrees/$slot/index.lock"
	held=$((held + 1))
done
[ $held -gt 0 ] || fail "the killed engine held no pool slot"
cp "$rd/journal.jsonl" "$TMP/stale.journal"
before=$(grep -c '^start ' "$log")
(cd "$repo" && WFM_TEST_LOG=$log expect_code 0 git wfmigrate resume "$id")
check_resumed "$repo" "$log" "$TMP/stale.journal" "$before"
pass "stale git lock files in the dead engine's $held pool slots: the resume still reaches the same tree"
