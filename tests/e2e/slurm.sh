#!/usr/bin/env bash
# Oracle runs as Slurm jobs (--executor slurm, docs/executors.md), on a
# single-node cluster this test starts (tests/support/slurm-cluster.sh; the
# test is skipped, exit 77, where Slurm is not installed):
#
# - usage: --executor slurm without a remote, an unknown executor, a bad
#   --job-mem are usage errors (129); a bad git config value is 128;
# - oracle() through the slurm executor on a passing and a failing commit:
#   each commit is pushed to the bare remote as refs/wfmigrate/<run>/commits/
#   <commit>, each job fetches it into the node cache (--node-cache) and runs
#   there, never in the user's .git, without the API keys of the run's
#   environment; the results are those of a local run of the same script
#   (pass, exit code, excerpt, commit), each job's result.json next to its
#   output in --job-dir, and Slurm's own record shows one job per run; two
#   runs of one commit at once push it once and both pass;
# - SIGINT while the oracle job runs: the job is cancelled (scancel: its
#   record says CANCELLED), the run is stopped (exit 130); resume runs it
#   again as a job (run.json keeps the executor and absolute paths);
# - doctor checks the cluster and the remote of the slurm executor;
# - a job cancelled by someone else mid-run (an operator's scancel) is lost,
#   not failed: it is submitted again and the run ends with its result,
#   which says (ranOn.lost, the report's jobs.lost) that a job was lost.
# The migrate workflow through Slurm: tests/e2e/slurm_migrate.sh.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
start_slurm

# --- a repository with a passing and a failing commit
repo=$(new_repo)
cd "$repo"
cat >t.sh <<'SH'
echo "key: ${ANTHROPIC_API_KEY:-none}"
echo "git dir: $(git rev-parse --git-common-dir)"
echo "ok 1 - widget"
SH
git add t.sh
git commit -qm good
git tag good
cat >t.sh <<'SH'
echo "key: ${ANTHROPIC_API_KEY:-none}"
echo "git dir: $(git rev-parse --git-common-dir)"
echo "FAIL: widget is broken"
exit 3
SH
git commit -qam bad
git tag bad
git tag good2 "$(git commit-tree 'good^{tree}' -p good -m 'good again')"
git init -q --bare "$TMP/remote.git"

cat >"$TMP/two.js" <<'JS'
export const meta = { name: 'two', description: 'oracle() on a good and a bad commit' }
const good = await oracle('good')
const bad = await oracle('bad')
// at once, on one commit: one push of it, two jobs
const twice = await Promise.all([oracle('good2'), oracle('good2')])
return { good, bad, twice: twice.map((r) => r.pass) }
JS
run_two() {
	ANTHROPIC_API_KEY=sk-ant-secret-0123 expect_code 0 git wfmigrate run --workflow "$TMP/two.js" \
		--oracle 'sh t.sh' --provider exec --agent-cmd true --yes --json "$@"
}

# --- usage errors
expect_code 129 git wfmigrate run --workflow "$TMP/two.js" --oracle 'sh t.sh' --provider exec \
	--agent-cmd true --yes --executor slurm
expect_stderr "^error: --executor slurm needs a shared remote: --remote <path\|url>"
expect_code 129 git wfmigrate run --workflow "$TMP/two.js" --oracle 'sh t.sh' --provider exec \
	--agent-cmd true --yes --executor k8s
expect_stderr "^error: --executor expects one of local, slurm, not 'k8s'"
expect_code 129 git wfmigrate run --workflow "$TMP/two.js" --oracle 'sh t.sh' --provider exec \
	--agent-cmd true --yes --executor slurm --remote "$TMP/remote.git" --job-mem lots
expect_stderr "^error: --job-mem expects a size like 500M or 4G, not 'lots'"
git config wfmigrate.executor nomad
expect_code 128 git wfmigrate run --workflow "$TMP/two.js" --oracle 'sh t.sh' --provider exec \
	--agent-cmd true --yes
expect_stderr "^(error|fatal): git config wfmigrate.executor expects one of local, slurm, not 'nomad'"
git config --unset wfmigrate.executor
pass "usage: a missing remote, an unknown executor, a bad size: 129; a bad git config value: 128"

# --- oracle() as Slurm jobs, and the same locally
run_two
local_run=$(json 'j["run"]' <"$TMP/out")
git config wfmigrate.executor slurm
git config wfmigrate.remote "$TMP/remote.git"
run_two --node-cache "$TMP/cache" --job-dir "$TMP/jobs" --job-cpus 1 --job-mem 100M
git config --unset wfmigrate.executor
slurm_run=$(json 'j["run"]' <"$TMP/out")
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
py '
local, slurm = (j(os.path.join(sys.argv[1], r, "report.json")) for r in sys.argv[2:4])
for name in ("good", "bad"):
    a, b = local["result"][name], slurm["result"][name]
    for k in ("pass", "exitCode", "commit", "excerpt", "command", "ref"):
        assert a[k] == b[k], (name, k, a[k], b[k])
    assert "key: none" in b["outputTail"], b["outputTail"]
    assert "sk-ant" not in b["outputTail"], b["outputTail"]
assert local["result"]["twice"] == slurm["result"]["twice"] == [True, True], (local["result"], slurm["result"])
g, b = slurm["result"]["good"], slurm["result"]["bad"]
assert g["pass"] is True and g["exitCode"] == 0, g
assert b["pass"] is False and b["exitCode"] == 3 and b["excerpt"] == ["FAIL: widget is broken"], b
assert sys.argv[4] + "/wfmigrate-cache/" in g["outputTail"], g["outputTail"]
assert ".git/worktrees/" not in g["outputTail"] or sys.argv[4] in g["outputTail"], g["outputTail"]
' "$runs" "$local_run" "$slurm_run" "$TMP/cache" || fail "the slurm run's oracle results differ from the local run's"
for t in good bad; do
	c=$(git rev-parse "$t")
	[ "$(git -C "$TMP/remote.git" rev-parse "refs/wfmigrate/$slurm_run/commits/$c")" = "$c" ] ||
		fail "the remote has no refs/wfmigrate/$slurm_run/commits/$c"
done
[ "$(ls -d "$TMP"/jobs/*/job.* | wc -l)" = 4 ] || fail "not one job directory per oracle run: $(ls "$TMP/jobs")"
for d in "$TMP"/jobs/*/job.*; do
	[ -s "$d/result.json" ] && [ -s "$d/output" ] && [ -s "$d/job.sh" ] || fail "$d lacks a file: $(ls "$d")"
	! grep -q sk-ant "$d/output" || fail "the API key reached job $d"
done
grep -q 'JobState=COMPLETED' "$SLURM_DIR/jobcomp.txt" || fail "Slurm recorded no completed job"
[ "$(grep -c 'Name=wfm-oracle' "$SLURM_DIR/jobcomp.txt")" = 4 ] ||
	fail "Slurm did not record four oracle jobs: $(cat "$SLURM_DIR/jobcomp.txt")"
check_repo "$repo"
pass "oracle() as Slurm jobs: the results of a local run, from the remote and the node cache, no API key"

# --- SIGINT while an oracle job runs: the job is cancelled, the run stopped
cat >"$TMP/slow.js" <<'JS'
export const meta = { name: 'slow', description: 'a long oracle() run' }
return await oracle('good')
JS
cat >"$TMP/slow.sh" <<SH
if [ ! -e "$TMP/started" ]; then touch "$TMP/started"; sleep 120; fi
echo "not so slow now"
SH
git wfmigrate run --workflow "$TMP/slow.js" --oracle "sh $TMP/slow.sh" --provider exec \
	--agent-cmd true --yes --executor slurm --remote ../remote.git --job-dir ../jobs2 \
	>"$TMP/slow.out" 2>"$TMP/slow.err" &
pid=$!
wait_for "the oracle job to start" test -e "$TMP/started"
job=$(squeue -h -t running -o %A | head -n 1)
[ -n "$job" ] || fail "no running job"
rd=$(ls -td "$runs"/*/ | head -n 1)
rd=${rd%/}
# the engine's own process (git runs git-wfmigrate as its child)
kill -INT "$(cut -d' ' -f1 "$rd/lock")"
code=0
wait $pid || code=$?
[ "$code" = 130 ] || fail "SIGINT: the run exited $code, not 130: $(cat "$TMP/slow.err")"
state() { { scontrol show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || grep "JobId=$job " "$SLURM_DIR/jobcomp.txt" | grep -o 'JobState=[A-Z_]*'; } | head -n 1; }
cancelled() { [ "$(state)" = JobState=CANCELLED ] && ! squeue -h -j "$job" -t running,completing -o %A 2>/dev/null | grep -q .; }
wait_for "job $job to be cancelled" cancelled
[ -z "$(ls -d "$TMPDIR"/wfm-job.* 2>/dev/null)" ] || fail "the cancelled job left its worktree: $(ls "$TMPDIR")"
py 'assert j(sys.argv[1])["status"] == "stopped"' "$rd/report.json" || fail "the run is not stopped"
# relative paths are kept absolute, for the jobs and for a resume from anywhere
py '
c = j(sys.argv[1])
assert (c["executor"], c["remote"], c["jobDir"]) == ("slurm", sys.argv[2], sys.argv[3]), c
' "$rd/run.json" "$(cd "$TMP/remote.git" && pwd -P)" "$(cd "$TMP" && pwd -P)/jobs2" || fail "run.json does not keep absolute paths"
[ -s "$(ls -d "$TMP"/jobs2/*/job.* | head -n 1)/job.sh" ] || fail "no job in --job-dir ../jobs2"
# resume runs the cancelled oracle again, as a job (run.json keeps the executor)
expect_code 0 git wfmigrate resume --json "$(basename "$rd")"
py '
r = j(sys.argv[1])["result"]
assert r["pass"] is True and "not so slow now" in r["outputTail"], r
' "$TMP/out" || fail "the resumed run did not run the oracle again"
[ "$(ls -d "$TMP"/jobs2/*/job.* | wc -l)" = 2 ] || fail "resume did not submit a job: $(ls "$TMP/jobs2")"
pass "SIGINT: the oracle job is cancelled (scancel), the run stopped with exit 130, resume submits it again; relative paths made absolute"

# --- a job cancelled by someone else is lost, and submitted again
cat >"$TMP/once.sh" <<SH
if [ ! -e "$TMP/once" ]; then touch "$TMP/once"; sleep 120; fi
echo "second try"
SH
cat >"$TMP/once.js" <<'JS'
export const meta = { name: 'once', description: 'an oracle() run whose first job is cancelled' }
return await oracle('good')
JS
git wfmigrate run --workflow "$TMP/once.js" --oracle "sh $TMP/once.sh" --provider exec \
	--agent-cmd true --yes --json --executor slurm --remote "$TMP/remote.git" --job-dir "$TMP/jobs3" \
	>"$TMP/once.out" 2>"$TMP/once.err" &
pid=$!
wait_for "the first job to start" test -e "$TMP/once"
first=$(squeue -h -t running -o %A | head -n 1)
[ -n "$first" ] || fail "no running job"
scancel "$first"
code=0
wait $pid || code=$?
[ "$code" = 0 ] || fail "the run exited $code: $(cat "$TMP/once.err")"
py '
r = j(sys.argv[1])["result"]
assert r["pass"] is True and "second try" in r["outputTail"], r
assert r["ranOn"]["lost"] == 1 and r["ranOn"]["lostStates"] == "CANCELLED", r["ranOn"]
assert j(sys.argv[1])["jobs"]["lost"] == 1, j(sys.argv[1])["jobs"]
' "$TMP/once.out" || fail "the second job's result is not the run's, or it does not say a job was lost"
[ "$(ls -d "$TMP"/jobs3/*/job.* | wc -l)" = 2 ] || fail "the lost job was not submitted again: $(ls "$TMP/jobs3")"
grep -q "JobId=$first .*JobState=CANCELLED" "$SLURM_DIR/jobcomp.txt" || fail "job $first is not recorded cancelled"
grep -Eq "^oracle job on [0-9a-f]{7} lost \(CANCELLED, attempt 1\): submitted again$" "$TMP/once.err" ||
	fail "the run did not say the job was lost: $(cat "$TMP/once.err")"
pass "a job cancelled by someone else is lost and submitted again; the run ends with the second job's result"


# --- doctor: the executor line
git config wfmigrate.executor slurm
git wfmigrate doctor --no-oracle >"$TMP/out" 2>&1 || :
grep -Eq '^ok +executor +slurm: partitions main\* up 1; remote .*/remote.git \(readable\)$' "$TMP/out" ||
	fail "doctor's executor line: $(cat "$TMP/out")"
git config wfmigrate.remote "$TMP/nowhere.git"
expect_code 1 git wfmigrate doctor --no-oracle
grep -Eq "^FAIL +executor +slurm: cannot read the remote '$TMP/nowhere.git'" "$TMP/out" ||
	fail "doctor's executor line: $(cat "$TMP/out")"
git config --unset wfmigrate.executor
git wfmigrate doctor --no-oracle >"$TMP/out" 2>&1 || :
grep -Eq '^ok +executor +local: ' "$TMP/out" || fail "doctor's executor line: $(cat "$TMP/out")"
pass "doctor: the slurm executor's cluster and remote checked, an unreadable remote is a problem"
