#!/usr/bin/env bash
# The migrate workflow on the cardkit fixture (as tests/e2e/migrate.sh: the
# codemod as the exec agent, make test as the oracle) with its agents and
# oracle runs as Slurm jobs (--executor slurm --remote <bare>, docs/executors.md) on the
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
# the exec agents ran as jobs too: each pushed its work back, which the run fetched and let go
[ -n "$(git -C "$TMP/remote.git" for-each-ref "refs/wfmigrate/$slurm_run/work")" ] ||
	fail "no agent job pushed its work to the remote"
[ -z "$(git -C "$TMP/viaslurm" for-each-ref "refs/wfmigrate/$slurm_run/work")" ] ||
	fail "the fetched work of agent jobs stayed in the repository"
journal="$TMP/viaslurm/.git/wfmigrate/runs/$slurm_run/journal.jsonl"
py '
import json
agents = queued = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    r = e.get("result") or {}
    if e["method"] == "agent" and "ranOn" in r:
        assert r["ranOn"]["executor"] == "slurm" and r["ranOn"]["job"], r["ranOn"]
        agents += 1
    queued += (r.get("queue") or {}).get("jobs", 0)
assert agents > 0 and queued > 0, (agents, queued)
' "$journal" || fail "the journal does not say which agents and oracle runs were jobs"
grep -q '"ranOn"' "$TMP/local/.git/wfmigrate/runs/$local_run/journal.jsonl" &&
	fail "the local run journaled jobs"
# ps, the report and the progress say where the work ran
(cd "$TMP/viaslurm" && git wfmigrate ps) >"$TMP/ps"
grep -q "$slurm_run .* slurm jobs (" "$TMP/ps" ||
	fail "ps does not show the slurm run's jobs: $(cat "$TMP/ps")"
(cd "$TMP/viaslurm" && git wfmigrate report "$slurm_run") >"$TMP/report.md"
grep -q "^Jobs (executor slurm):" "$TMP/report.md" || fail "the report has no Jobs section"
grep -q "agents and [0-9]* oracle runs ran as jobs" "$TMP/report.md" ||
	fail "the report does not count the jobs: $(grep -A3 Jobs "$TMP/report.md")"
grep -q "\[slurm job [0-9]* on [^,]*, [0-9.]* s queued\]" "$TMP/viaslurm.err" ||
	fail "the progress does not say where the oracle ran"
[ ! -e "$TMP/local/.git/wfmigrate/jobs" ] || fail "the local run made jobs"
check_repo "$TMP/local"
check_repo "$TMP/viaslurm"
pass "migrate on cardkit with --executor slurm: the local run's integration tree and unit outcomes"
