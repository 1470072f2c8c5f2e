#!/usr/bin/env bash
# The migrate workflow on the cardkit fixture (as tests/e2e/migrate.sh: the
# codemod as the exec agent, make test as the oracle) with its oracle runs
# as Slurm jobs (--executor slurm --remote <bare>, docs/executors.md) on the
# single-node test cluster (skipped, exit 77, without Slurm): the same
# integration tree and unit outcomes as a local run of the same workflow,
# the tested commits on the remote, the repository clean.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
start_slurm

codemod="sh $src/fixtures/codemods/old-to-safe.sh"
goal="move every caller of old_copy to safe_copy"
# two copies of the fixture (the same trees): one run in each, at the same time
"$src/fixtures/make-deprecated.sh" "$TMP/local" >/dev/null
"$src/fixtures/make-deprecated.sh" "$TMP/viaslurm" >/dev/null
[ "$(git -C "$TMP/local" rev-parse 'HEAD^{tree}')" = "$(git -C "$TMP/viaslurm" rev-parse 'HEAD^{tree}')" ] ||
	fail "the fixture is not the same twice"
git init -q --bare "$TMP/remote.git"
migrate() {
	local dir=$1 code=0
	shift
	(cd "$dir" && git wfmigrate run --workflow migrate --oracle 'make test' --arg match=old_copy \
		--provider exec --agent-cmd "$codemod" --concurrency 4 --yes --json "$@" "$goal" \
		</dev/null >"$dir.out" 2>"$dir.err") || code=$?
	echo $code >"$dir.code"
}
migrate "$TMP/local" &
migrate "$TMP/viaslurm" --executor slurm --remote "$TMP/remote.git" --oracle-jobs 2 &
wait
for w in local viaslurm; do
	[ "$(cat "$TMP/$w.code")" = 0 ] || fail "the $w run exited $(cat "$TMP/$w.code"): $(tail -n 5 "$TMP/$w.err")"
done
local_run=$(json 'j["run"]' <"$TMP/local.out")
slurm_run=$(json 'j["run"]' <"$TMP/viaslurm.out")
lt=$(git -C "$TMP/local" rev-parse "wfmigrate/$local_run/integration^{tree}")
st=$(git -C "$TMP/viaslurm" rev-parse "wfmigrate/$slurm_run/integration^{tree}")
[ "$lt" != "$(git -C "$TMP/local" rev-parse 'HEAD^{tree}')" ] || fail "the local run merged nothing"
[ "$lt" = "$st" ] || fail "the slurm run's integration tree $st is not the local run's $lt"
py '
a = sorted((u["id"], u["status"]) for u in j(sys.argv[1])["units"])
b = sorted((u["id"], u["status"]) for u in j(sys.argv[2])["units"])
assert a == b, (a, b)
' "$TMP/local.out" "$TMP/viaslurm.out" || fail "the units did not end the same"
[ -n "$(git -C "$TMP/remote.git" for-each-ref "refs/wfmigrate/$slurm_run/commits")" ] ||
	fail "the slurm run pushed no commit to its remote"
[ -n "$(ls "$TMP/viaslurm/.git/wfmigrate/jobs")" ] || fail "the slurm run made no job"
[ ! -e "$TMP/local/.git/wfmigrate/jobs" ] || fail "the local run made jobs"
check_repo "$TMP/local"
check_repo "$TMP/viaslurm"
pass "migrate on cardkit with --executor slurm: the local run's integration tree and unit outcomes"
