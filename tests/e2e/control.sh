#!/usr/bin/env bash
# git wfmigrate ps, pause and stop on run directories made by hand: one
# whose lock names a live process (a background sleep), one whose holder
# died, one that finished. Checked through the files the engine reads.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
echo one >a.txt
git add a.txt && git commit -qm one
common=$(cd "$(git rev-parse --git-common-dir)" && pwd -P)
runs=$common/wfmigrate/runs

# no runs yet: nothing to list, and ps says so (on stderr: stdout is data)
expect_code 0 git wfmigrate ps
[ -s "$TMP/out" ] && fail "ps printed something without runs"
expect_stderr "^no runs in this repository"
expect_output '^\[\]$' git wfmigrate ps --json
expect_code 128 git wfmigrate stop
expect_stderr '^fatal: no run is running'
pass "ps without runs"

sleep 600 &
live=$!
trap 'kill $live 2>/dev/null || true; rm -rf "$TMP"' EXIT
sh -c 'exit 0' &
dead=$!
wait $dead

# the format wfm_rundir_create writes
make_run() { # <id> <workflow> <lock pid or ''>
	mkdir -p "$runs/$1/agents"
	echo 'export const meta = { name: "x", description: "y" };' >"$runs/$1/workflow.js"
	printf '{"goal":"the goal of %s"}\n' "$2" >"$runs/$1/args.json"
	printf '{"name":"%s","id":"%s","created":%s}\n' "$2" "$1" 1790000000000 >"$runs/$1/meta.json"
	if [ -n "$3" ]; then echo "$3" >"$runs/$1/lock"; fi
}
make_run 20260922-100000-aaaaaa migrate "$live"
make_run 20260922-100001-bbbbbb sweep "$dead"
make_run 20260922-100002-cccccc flaky ''
echo '{"status":"done"}' >"$runs/20260922-100002-cccccc/report.json"

# the live run's events (engine/run_status.h): 2 of 3 agents ended, 6 units,
# tokens and USD of the ended agents and the running one so far; a torn last line
cat >"$runs/20260922-100000-aaaaaa/events.jsonl" <<'EOF'
{"ts":1790000000000,"type":"start","provider":"anthropic","maxTokens":null,"maxUsd":null}
{"ts":1790000000001,"type":"units","count":6}
{"ts":1790000000002,"type":"agent","state":"start","id":1,"label":"a","phase":"Implement"}
{"ts":1790000000003,"type":"agent","state":"start","id":2,"label":"b","phase":"Implement"}
{"ts":1790000000004,"type":"agent","state":"start","id":3,"label":"c","phase":"Implement"}
{"ts":1790000000005,"type":"agent","state":"end","id":1,"label":"a","tokens":12000,"costUsd":0.25,"failed":false}
{"ts":1790000000006,"type":"agent","state":"end","id":2,"label":"b","tokens":500,"costUsd":0.25,"failed":true}
{"ts":1790000000007,"type":"agent","state":"progress","id":3,"label":"c","tokens":1000,"costUsd":0.5}
{"ts":1790000000008,"type":"agent","state":"progress","id":3,"label":"c","tokens":1500,"cost
EOF
expect_output "^20260922-100000-aaaaaa +running +$live +[0-9-]+ [0-9:]+ +[0-9]+d +2/3 agents, 6 units +13.5k +[$]1.00 +migrate$" git wfmigrate ps
grep -Eq '^20260922-100001-bbbbbb +crashed +- .* +- +0 +- +sweep$' "$TMP/out" || fail "no crashed run: $(cat "$TMP/out")"
grep -Eq '^20260922-100002-cccccc +done +- .* flaky$' "$TMP/out" || fail "no done run: $(cat "$TMP/out")"
head -1 "$TMP/out" | grep -Eq '^RUN +STATE +PID +STARTED +AGE +PROGRESS +TOKENS +COST +WORKFLOW$' || fail "ps has no header"
expect_output "\"id\":\"20260922-100000-aaaaaa\",\"state\":\"running\",\"pid\":$live,\"started\":1790000000000,\"workflow\":\"migrate\",\"goal\":\"the goal of migrate\"" \
	git wfmigrate ps --json
grep -q '"state":"crashed","pid":null' "$TMP/out" || fail "ps --json: no crashed run"
grep -q '"progress":"2/3 agents, 6 units","agents":{"started":3,"running":1,"done":1,"failed":1},"units":6,"unitsDecided":null,"tokens":13500,"costUsd":1}' "$TMP/out" ||
	fail "ps --json: no figures of the live run: $(cat "$TMP/out")"
pass "ps lists every run with its state"

# pause: the control file the engine polls; by a unique prefix or with no run named
expect_code 0 git wfmigrate pause 20260922-100000
expect_stderr '^pausing run 20260922-100000-aaaaaa'
[ "$(cat "$runs/20260922-100000-aaaaaa/control")" = pause ] || fail "pause wrote no control file"
ls "$runs/20260922-100000-aaaaaa" | grep -q tmp && fail "pause left a temporary file"
expect_output '^20260922-100000-aaaaaa +paused ' git wfmigrate ps
expect_code 0 git wfmigrate pause
expect_stderr 'is paused already'
[ -s "$TMP/out" ] && fail "pause printed on stdout: $(cat "$TMP/out")"
pass "pause writes control"

# resume of a live run lifts its pause: a message on stderr, as pause and stop
# say theirs; stdout is for data (resume --json's report)
expect_code 0 git wfmigrate resume 20260922-100000-aaaaaa
expect_stderr '^run 20260922-100000-aaaaaa is running; asked it to go on$'
[ -s "$TMP/out" ] && fail "resume of a live run printed on stdout: $(cat "$TMP/out")"
[ "$(cat "$runs/20260922-100000-aaaaaa/control")" = run ] || fail "resume wrote no 'run' to control"
expect_output '^20260922-100000-aaaaaa +running ' git wfmigrate ps
pass "resume of a live run: its message on stderr"

# stop: the same file
expect_code 0 git wfmigrate stop 20260922-100000-aaaaaa
expect_stderr "^stopping run 20260922-100000-aaaaaa \\(pid $live\\)"
[ -s "$TMP/out" ] && fail "stop printed on stdout: $(cat "$TMP/out")"
[ "$(cat "$runs/20260922-100000-aaaaaa/control")" = stop ] || fail "stop wrote no control file"
expect_output '^20260922-100000-aaaaaa +stopping ' git wfmigrate ps
expect_code 0 git wfmigrate stop
expect_stderr 'is stopping already'
expect_code 1 git wfmigrate pause 20260922-100000-aaaaaa
expect_stderr 'is stopping'
pass "stop writes control"

# runs whose process is not alive
expect_code 1 git wfmigrate stop 20260922-100001-bbbbbb
expect_stderr '^error: run 20260922-100001-bbbbbb is not running \(crashed\)'
[ -e "$runs/20260922-100001-bbbbbb/control" ] && fail "stop of a dead run wrote control"
expect_code 1 git wfmigrate pause 20260922-100002
expect_stderr '^error: run 20260922-100002-cccccc is not running \(done\)'
pass "pause and stop of a run that is not running: exit 1"
for c in pause stop; do
	expect_code 129 git wfmigrate "$c" 20260922-100000-aaaaaa 20260922-100001-bbbbbb
	expect_stderr '^error: too many arguments'
	expect_stderr "^usage: git wfmigrate $c"
done
pass "pause and stop of two runs: a usage error"

# --wait returns once the process is gone; the run is then stopped (resumable)
# (the process is killed once stop is waiting: under load, stop may start late)
git wfmigrate stop --wait 20260922-100000-aaaaaa >"$TMP/out" 2>"$TMP/err" &
waiter=$!
for _ in $(seq 600); do grep -q 'is stopping already' "$TMP/err" && break; sleep 0.1; done
kill $live
wait $waiter || fail "stop --wait exited $?: $(cat "$TMP/err")"
expect_stderr 'run 20260922-100000-aaaaaa stopped; .git wfmigrate resume 20260922-100000-aaaaaa. starts it again'
expect_output '^20260922-100000-aaaaaa +stopped +- ' git wfmigrate ps
pass "stop --wait"

# unknown, ambiguous and malformed names
expect_code 128 git wfmigrate stop nope
expect_stderr "^fatal: no run 'nope'"
expect_code 128 git wfmigrate pause 20260922
expect_stderr "^fatal: run id '20260922' is ambiguous: 20260922-100000-aaaaaa, 20260922-100001-bbbbbb"
expect_code 128 git wfmigrate stop ../runs
expect_stderr "is not a run id"
expect_code 128 git wfmigrate pause
expect_stderr '^fatal: no run is running'
expect_code 129 git wfmigrate stop a b
expect_code 129 git wfmigrate ps extra
pass "unknown run: exit 128 with a message"

# resume without a run: several can be resumed, so it lists them (state and
# goal) and asks for one; the done one is not among them
expect_code 129 git wfmigrate resume
expect_stderr '^error: 2 runs can be resumed: name one'
expect_stderr '^  20260922-100000-aaaaaa  stopped   the goal of migrate$'
expect_stderr '^  20260922-100001-bbbbbb  crashed   the goal of sweep$'
grep -q cccccc "$TMP/err" && fail "resume lists a done run"
[ -e "$runs/20260922-100001-bbbbbb/lock" ] && [ "$(cat "$runs/20260922-100001-bbbbbb/lock")" = "$dead" ] ||
	fail "resume without a run touched a run"
pass "resume without a run lists the runs it could resume, with their state and goal"

# from a linked worktree and a subdirectory: the runs of the common directory
git worktree add -q ../wt-control
mkdir -p sub
(cd ../wt-control && expect_output '^20260922-100001-bbbbbb +crashed' git wfmigrate ps)
(cd sub && expect_output '^20260922-100002-cccccc +done' git wfmigrate ps)
git worktree remove ../wt-control
pass "ps from a linked worktree"

outside=$(mktemp -d "$TMP/outside.XXXXXX")
for c in ps pause stop; do
	(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 128 git wfmigrate "$c")
	expect_stderr '^fatal: not a git repository'
	(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 129 git wfmigrate "$c" -h)
	grep -q "^usage: git wfmigrate $c" "$TMP/out" || fail "'$c -h' prints no usage"
	expect_code 129 git wfmigrate "$c" --no-such-option
done
pass "outside a repository: exit 128; -h: 129"

check_repo "$repo"
