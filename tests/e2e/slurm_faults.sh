#!/usr/bin/env bash
# Faults around Slurm oracle jobs (--executor slurm, docs/executors.md, "When
# things fail"), on a single-node cluster this test starts and hurts
# (tests/support/slurm-cluster.sh: slurm_sn_kill, slurm_sn_restart; skipped,
# exit 77, where Slurm is not installed):
#
# a. the engine SIGKILLed while an oracle job of its run runs: the job runs
#    on, unseen, listed in the run's ledger (<job dir>/<run>.jobs); a resume
#    that cannot ask Slurm stops (128) and keeps the ledger; resume
#    cancels it (scancel: it leaves squeue's running jobs, its record says
#    CANCELLED, its worktree is removed), runs the oracle again as a new
#    job, and the run ends with that job's result; the ledger is gone;
# b. slurmd SIGKILLed while a job runs, the job's command ending while
#    slurmd is away, slurmd started again: the run ends with the right
#    result (the job survives under its slurmstepd: one job, not two);
# c. slurmctld SIGKILLed mid-run (after it saved the job's start) and
#    started again a few seconds later: the run goes on meanwhile (the job
#    that wrote its result is done; the next oracle job's sbatch waits for
#    the controller), Slurm recovers the first job from its saved state, and
#    the run ends with both results;
# d. the engine SIGKILLed again: clean cancels the orphan (its process is
#    gone, nothing will read its result) and removes the ledger and the job
#    directories.
. "$(dirname "$0")/lib.sh"

# clients give up on an absent controller after 3 s, not 18 (squeue) and 9 (sbatch)
export SLURM_SN_MESSAGE_TIMEOUT=4
start_slurm

repo=$(new_repo)
cd "$repo"
echo 'echo unused' >t.sh
git add t.sh
git commit -qm one
git tag one
git commit -q --allow-empty -m two
git tag two
git init -q --bare "$TMP/remote.git"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs

cat >"$TMP/one.js" <<'JS'
export const meta = { name: 'one', description: 'one oracle() run' }
return await oracle('one')
JS
cat >"$TMP/two.js" <<'JS'
export const meta = { name: 'two', description: 'two oracle() runs, one after the other' }
const a = await oracle('one')
const b = await oracle('two')
return { a, b }
JS
# start_run <name> <workflow> <oracle script>: a run through Slurm in the
# background (pid in $pid), its job directories in $TMP/jobs-<name>
start_run() {
	git wfmigrate run --workflow "$2" --oracle "sh $3" --provider exec --agent-cmd true --yes \
		--json --executor slurm --remote "$TMP/remote.git" --job-dir "$TMP/jobs-$1" \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	pid=$!
}
# the newest run's directory, and the pid of its engine (git runs git-wfmigrate as its child)
newest_run() {
	local d
	d=$(ls -td "$runs"/*/ | head -n 1)
	echo "${d%/}"
}
engine_pid() { cut -d' ' -f1 "$1/lock"; }
# job_state <id>: Slurm's JobState= of a job, from scontrol or, once purged, its record
job_state() {
	{
		scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' ||
			grep "JobId=$1 " "$SLURM_DIR/jobcomp.txt" | grep -o 'JobState=[A-Z_]*'
	} | head -n 1
}
running() { squeue -h -j "$1" -t running -o %A 2>/dev/null | grep -q .; }
not_running() { ! squeue -h -j "$1" -t running,completing -o %A 2>/dev/null | grep -q .; }
jobs_in() { ls -d "$1"/*/job.* 2>/dev/null | wc -l; }

# --- a. the engine killed with its job in flight; resume cancels the orphan
cat >"$TMP/a.sh" <<SH
if [ ! -e "$TMP/a.started" ]; then touch "$TMP/a.started"; sleep 120; fi
echo "the second job"
SH
start_run a "$TMP/one.js" "$TMP/a.sh"
wait_for "the oracle job to start" test -e "$TMP/a.started"
rd=$(newest_run)
run=$(basename "$rd")
ledger=$TMP/jobs-a/$run.jobs
[ -s "$ledger" ] || fail "no ledger $ledger: $(ls "$TMP/jobs-a")"
read -r orphan orphan_dir <"$ledger"
[ "$orphan_dir" = "$(ls -d "$TMP"/jobs-a/*/job.*)" ] || fail "the ledger's line: $(cat "$ledger")"
running "$orphan" || fail "job $orphan of the ledger is not running: $(squeue -h -t all -o '%A %T')"
kill -9 "$(engine_pid "$rd")"
code=0
wait $pid || code=$?
[ "$code" != 0 ] || fail "the killed run exited 0"
# nobody cancels it: the job runs on without its engine
running "$orphan" || fail "job $orphan ended with its engine"
[ "$(job_state "$orphan")" = JobState=RUNNING ] || fail "job $orphan: $(job_state "$orphan")"
# resume cannot ask Slurm (a bad configuration): it stops, the ledger kept for the next try
: >"$TMP/empty.conf"
SLURM_CONF=$TMP/empty.conf expect_code 128 git wfmigrate resume --json "$run"
expect_stderr "^(error|fatal): cannot ask Slurm which jobs of run $run are still queued \\(listed in '$ledger'\\): "
[ "$(cat "$ledger")" = "$orphan $orphan_dir" ] || fail "the ledger changed: $(cat "$ledger")"
running "$orphan" || fail "job $orphan ended without Slurm being asked"
expect_code 0 git wfmigrate resume --json "$run"
grep -qx "cancelled 1 job an earlier process of this run left on the cluster" "$TMP/err" ||
	fail "resume did not say it cancelled the orphan: $(head -n 20 "$TMP/err")"
wait_for "the orphan $orphan to be cancelled" not_running "$orphan"
[ "$(job_state "$orphan")" = JobState=CANCELLED ] || fail "the orphan is $(job_state "$orphan"), not cancelled"
py '
r = j(sys.argv[1])["result"]
assert r["pass"] is True and "the second job" in r["outputTail"], r
' "$TMP/out" || fail "the resumed run's result is not the new job's"
[ "$(jobs_in "$TMP/jobs-a")" = 2 ] || fail "resume did not submit one job: $(ls "$TMP/jobs-a")"
[ ! -e "$ledger" ] || fail "the ledger outlived the finished run: $(cat "$ledger")"
no_worktree() { [ -z "$(ls -d "$TMPDIR"/wfm-job.* 2>/dev/null)" ]; }
wait_for "the orphan's worktree to be removed" no_worktree
check_repo "$repo"
pass "engine SIGKILLed with its job running: the job is listed in the run's ledger, resume cancels it (CANCELLED) and ends with a new job's result"

# --- b. slurmd killed while the job runs; its command ends while slurmd is away
cat >"$TMP/b.sh" <<SH
echo start >>"$TMP/b.starts"
i=0
while [ ! -e "$TMP/b.go" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
echo "b done after \$(wc -l <"$TMP/b.starts") start(s)"
SH
start_run b "$TMP/one.js" "$TMP/b.sh"
wait_for "the oracle job to start" test -s "$TMP/b.starts"
job=$(cut -d' ' -f1 "$(ls "$TMP"/jobs-b/*.jobs)")
slurm_sn_kill "$SLURM_DIR" slurmd || fail "cannot kill slurmd"
touch "$TMP/b.go"
wait_for "the job to write its result without slurmd" test -s "$(ls -d "$TMP"/jobs-b/*/job.*)/result.json"
# the job has ended but cannot be done with without slurmd: the run waits
kill -0 $pid 2>/dev/null || fail "the run ended while slurmd was away: $(cat "$TMP/b.err")"
sleep 2
slurm_sn_restart "$SLURM_DIR" slurmd || fail "cannot restart slurmd: $(tail -n 5 "$SLURM_DIR/log/slurmd.log")"
code=0
wait $pid || code=$?
[ "$code" = 0 ] || fail "the run exited $code: $(cat "$TMP/b.err")"
py '
r = j(sys.argv[1])["result"]
assert r["pass"] is True and "b done" in r["outputTail"], r
' "$TMP/b.out" || fail "the run's result is not the job's"
if [ "$(jobs_in "$TMP/jobs-b")" = 1 ]; then
	[ "$(job_state "$job")" = JobState=COMPLETED ] || fail "job $job: $(job_state "$job")"
	how="the job survived under its slurmstepd and completed"
else
	grep -q "lost" "$TMP/b.err" || fail "a second job without a lost one: $(cat "$TMP/b.err")"
	how="the job was lost ($(grep -o 'lost ([A-Z_]*' "$TMP/b.err" | head -n 1)) and submitted again"
fi
pass "slurmd SIGKILLed mid-job and restarted: the run ends with the job's result ($how)"

# --- c. slurmctld killed mid-run and restarted; the run goes on meanwhile
cat >"$TMP/c.sh" <<SH
if [ ! -e "$TMP/c.started" ]; then
	touch "$TMP/c.started"
	i=0
	while [ ! -e "$TMP/c.go" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
	echo "the first job"
else
	echo "the second job"
fi
SH
start_run c "$TMP/two.js" "$TMP/c.sh"
wait_for "the first oracle job to start" test -e "$TMP/c.started"
first=$(cut -d' ' -f1 "$(ls "$TMP"/jobs-c/*.jobs)")
wait_for "job $first to run" running "$first"
# a controller killed before it saved the job's start forgets it started
# (docs/executors.md): kill it once its saved state is newer than that
touch "$TMP/c.seen"
wait_for "slurmctld to save its state" test "$SLURM_DIR/spool/ctld/job_state" -nt "$TMP/c.seen"
slurm_sn_kill "$SLURM_DIR" slurmctld || fail "cannot kill slurmctld"
touch "$TMP/c.go"
# the first job's result is there: the engine submits the second without the controller
two_jobs() { [ "$(jobs_in "$TMP/jobs-c")" = 2 ]; }
wait_for "the engine to submit the second job" two_jobs
# sbatch gives up on the controller: the executor tries again
sbatch_again() {
	kill -0 $pid 2>/dev/null || fail "the run ended without the controller: $(cat "$TMP/c.err")"
	ps -C sbatch -o pid=,args= | grep -F "$TMP/jobs-c/" | awk '{print $1}' >>"$TMP/c.sbatch" || :
	[ "$(sort -u "$TMP/c.sbatch" | wc -l)" -ge 2 ]
}
wait_for "sbatch to be tried again" sbatch_again
slurm_sn_restart "$SLURM_DIR" slurmctld || fail "cannot restart slurmctld: $(tail -n 5 "$SLURM_DIR/log/slurmctld.log")"
code=0
wait $pid || code=$?
[ "$code" = 0 ] || fail "the run exited $code: $(cat "$TMP/c.err")"
py '
r = j(sys.argv[1])["result"]
assert r["a"]["pass"] is True and "the first job" in r["a"]["outputTail"], r["a"]
assert r["b"]["pass"] is True and "the second job" in r["b"]["outputTail"], r["b"]
' "$TMP/c.out" || fail "the run's results are not the jobs'"
! grep -q lost "$TMP/c.err" || fail "a job was lost: $(cat "$TMP/c.err")"
[ "$(jobs_in "$TMP/jobs-c")" = 2 ] || fail "not one job per oracle run: $(ls "$TMP/jobs-c")"
# Slurm kept the first job through the restart and heard of its end
wait_for "job $first to be recorded" grep -q "JobId=$first " "$SLURM_DIR/jobcomp.txt"
[ "$(job_state "$first")" = JobState=COMPLETED ] || fail "job $first: $(job_state "$first")"
[ ! -e "$TMP/jobs-c/$(basename "$(newest_run)").jobs" ] || fail "the ledger outlived the finished run"
check_repo "$repo"
pass "slurmctld SIGKILLed mid-run and restarted: the run goes on (a job with its result is done, sbatch waits for the controller) and ends with both results"

# --- d. the engine killed again; clean, not resume, cancels the orphan
cat >"$TMP/d.sh" <<SH
touch "$TMP/d.started"
sleep 120
SH
start_run d "$TMP/one.js" "$TMP/d.sh"
wait_for "the oracle job to start" test -e "$TMP/d.started"
rd=$(newest_run)
run=$(basename "$rd")
read -r orphan orphan_dir <"$TMP/jobs-d/$run.jobs"
kill -9 "$(engine_pid "$rd")"
wait $pid || :
running "$orphan" || fail "job $orphan ended with its engine"
git wfmigrate clean >"$TMP/clean.out"
grep -qx "Cancelled 1 job of run $run left on the cluster" "$TMP/clean.out" ||
	fail "clean did not cancel the orphan: $(cat "$TMP/clean.out")"
wait_for "the orphan $orphan to be cancelled" not_running "$orphan"
[ "$(job_state "$orphan")" = JobState=CANCELLED ] || fail "the orphan is $(job_state "$orphan")"
[ ! -e "$TMP/jobs-d/$run.jobs" ] && [ ! -e "$TMP/jobs-d/$run" ] ||
	fail "clean left the run's ledger or job directories: $(ls "$TMP/jobs-d")"
pass "engine SIGKILLed again: clean cancels the orphan job and removes the run's ledger and job directories"
