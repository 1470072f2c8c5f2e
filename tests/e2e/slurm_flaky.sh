#!/usr/bin/env bash
# git wfmigrate flaky with its runs as Slurm jobs (--executor slurm, docs/
# executors.md and flaky.md), on the single-node test cluster (skipped, exit
# 77, without Slurm):
#
# - on tallykit (fixtures/make-flaky.sh) the 20 runs are 20 jobs, and the
#   tests are classified as fixtures/flaky.expected says, as locally; the
#   output says they were jobs and how long they queued;
# - nothing of the jobs is left after: no job directory, no ref on the
#   remote;
# - --executor slurm without a remote: 129 from the option, 128 from git
#   config.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
start_slurm

"$src/fixtures/make-flaky.sh" "$TMP/tally" >/dev/null
cd "$TMP/tally"
git init -q --bare "$TMP/remote.git"

expect_code 1 git wfmigrate flaky --oracle 'make -s test' --jobs 4 --executor slurm \
	--remote "$TMP/remote.git" --json
py '
j = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    num, cls, name = line.rstrip("\n").split(" ", 2)
    want[name] = cls
got = {t["name"]: t["classification"] for t in j["tests"]}
assert got == want, (got, want)
assert j["runs"] == 20 and j["jobs"]["jobs"] == 20 and j["jobs"]["executor"] == "slurm", j["jobs"]
assert j["jobs"]["lost"] == 0 and j["jobs"]["waitMs"] >= 0, j["jobs"]
' "$TMP/out" "$src/fixtures/flaky.expected" || { cat "$TMP/out" >&2; fail "misclassified as jobs"; }
grep -q "^flaky: 20 runs of 'make -s test' at [0-9a-f]\{7\}, 4 at once, as slurm jobs$" "$TMP/err" ||
	fail "the progress does not say the runs are jobs: $(head -n 3 "$TMP/err")"
jobs_dir=$(git rev-parse --git-common-dir)/wfmigrate/jobs
[ -z "$(ls "$jobs_dir" 2>/dev/null)" ] || fail "job directories were left: $(ls "$jobs_dir")"
[ -z "$(git -C "$TMP/remote.git" for-each-ref refs/wfmigrate)" ] ||
	fail "refs were left on the remote: $(git -C "$TMP/remote.git" for-each-ref refs/wfmigrate)"
check_repo "$TMP/tally"
pass "flaky --executor slurm: 20 runs as 20 jobs, classified as locally, nothing left behind"

expect_code 1 git wfmigrate flaky --oracle 'make -s test' --runs 4 --executor slurm \
	--remote "$TMP/remote.git"
grep -q "^ran as 4 slurm jobs, queued [0-9.]* s on average$" "$TMP/out" ||
	fail "the text report does not say the runs were jobs: $(tail -n 3 "$TMP/out")"
pass "flaky's text report says the runs were jobs"

expect_code 129 git wfmigrate flaky --oracle 'make -s test' --executor slurm
expect_stderr "^error: --executor slurm needs a shared remote"
git config wfmigrate.executor slurm
expect_code 128 git wfmigrate flaky --oracle 'make -s test'
expect_stderr "^fatal: --executor slurm needs a shared remote"
git config wfmigrate.executor k8s
expect_code 128 git wfmigrate flaky --oracle 'make -s test'
expect_stderr "^fatal: git config wfmigrate.executor expects one of local, slurm, not 'k8s'"
git config --unset wfmigrate.executor
pass "flaky: a slurm executor without a remote is 129 from the option, 128 from git config"
