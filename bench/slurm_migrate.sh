#!/usr/bin/env bash
# bench/slurm_migrate.sh [<concurrency>]
#
# The migrate workflow on the cardkit fixture (fixtures/make-deprecated.sh,
# the codemod as the exec agent, `make test` as the oracle), once with
# everything here and once with its agents and oracle runs as Slurm jobs
# (--executor slurm) on a single-node cluster started for the purpose
# (tests/support/slurm-cluster.sh, stopped at the end). Prints both
# makespans, how many agents and oracle runs were jobs and their mean and
# longest queue wait (from the report: `jobs`, millisecond resolution), and
# whether both runs merged the same tree. Needs Slurm (scripts/setup).
set -euo pipefail
conc=${1:-4}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
bin=${WFM_BIN:-$src/build/release/git-wfmigrate}
tmp=$(mktemp -d /tmp/wfm-bench.XXXXXX)
chmod 755 "$tmp"
. "$src/tests/support/slurm-cluster.sh"
trap 'slurm_sn_stop "$tmp/slurm" >/dev/null 2>&1 || :; rm -rf "$tmp"' EXIT
slurm_sn_start "$tmp/slurm" >/dev/null
git init -q --bare "$tmp/remote.git"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

run() {
	local dir=$1 start end
	shift
	"$src/fixtures/make-deprecated.sh" "$dir" >/dev/null
	cd "$dir"
	start=$(date +%s.%N)
	"$bin" run --workflow migrate --oracle 'make test' --arg match=old_copy --provider exec \
		--agent-cmd "sh $src/fixtures/codemods/old-to-safe.sh" --concurrency "$conc" --yes -q \
		--json "$@" "move every caller of old_copy to safe_copy" >"$dir.json" 2>"$dir.err" ||
		{ cat "$dir.err" >&2; exit 1; }
	end=$(date +%s.%N)
	cd "$tmp"
	echo "$end - $start" | bc -l
}
local_s=$(run "$tmp/local")
slurm_s=$(run "$tmp/slurm-run" --executor slurm --remote "$tmp/remote.git" --oracle-jobs "$conc")
python3 - "$tmp/local.json" "$tmp/slurm-run.json" "$local_s" "$slurm_s" "$conc" "$load" <<'PY'
import json, sys
lr, sr = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ls, ss, conc, load = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
j = sr["jobs"]
n = j["agents"] + j["oracleRuns"]
print("migrate on cardkit, %s at a time, load %s at the start" % (conc, load))
print("local  %6.2f s  %d agents, %d oracle runs" % (ls, lr["totals"]["agents"], lr["oracle"]["runs"]))
print("slurm  %6.2f s  %d agents and %d oracle runs as jobs (x%.1f the local makespan)"
      % (ss, j["agents"], j["oracleRuns"], ss / ls))
print("queue wait per job: mean %.2f s, longest %.2f s" % (j["waitMs"] / n / 1000, j["longestWaitMs"] / 1000))
units = lambda r: sorted((u["id"], u["status"]) for u in r["units"])
print("the same units merged and rejected: %s" % (units(lr) == units(sr)))
PY
