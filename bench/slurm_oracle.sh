#!/usr/bin/env bash
# bench/slurm_oracle.sh [<runs> [<oracle jobs> [<command>]]]
#
# The same oracle() calls (default 20 of `true`, all at once, the engine
# running --oracle-jobs of them at a time, default 2)
# run locally (the pool) and as Slurm jobs (--executor slurm) on a
# single-node cluster started for the purpose (tests/support/slurm-cluster.sh,
# all state in a temporary directory, stopped at the end). Prints each
# makespan, the runs per second, the cost per run over the local run, and
# from Slurm's job records (jobcomp.txt) the mean submit-to-start wait of
# the jobs (1 s resolution). Needs Slurm (scripts/setup) and munge.
set -euo pipefail
n=${1:-20}
jobs=${2:-2}
cmd=${3:-true}
here=$(cd "$(dirname "$0")" && pwd)
bin=${WFM_BIN:-$here/../build/release/git-wfmigrate}
tmp=$(mktemp -d /tmp/wfm-bench.XXXXXX)
chmod 755 "$tmp"
. "$here/../tests/support/slurm-cluster.sh"
trap 'slurm_sn_stop "$tmp/slurm" >/dev/null 2>&1 || :; rm -rf "$tmp"' EXIT
slurm_sn_start "$tmp/slurm" >/dev/null

repo=$tmp/repo
mkdir -p "$repo"
echo hello >"$repo/file"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@b commit -qm file
git init -q --bare "$tmp/remote.git"
cat >"$tmp/series.js" <<JS
export const meta = { name: 'calls', description: 'oracle() calls at once' }
return await Promise.all(Array.from({ length: $n }, () => oracle()))
JS

cd "$repo"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
run() {
	local start end
	start=$(date +%s.%N)
	"$bin" run --workflow "$tmp/series.js" --oracle "$cmd" --oracle-jobs "$jobs" --provider exec \
		--agent-cmd true --yes -q "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" "$tmp/out" >&2; exit 1; }
	end=$(date +%s.%N)
	echo "$end - $start" | bc -l
}
local_s=$(run)
slurm_s=$(run --executor slurm --remote "$tmp/remote.git")
waits=0 k=0
while read -r line; do
	sub=$(grep -o 'SubmitTime=[^ ]*' <<<"$line" | cut -d= -f2)
	sta=$(grep -o 'StartTime=[^ ]*' <<<"$line" | cut -d= -f2)
	[ -n "$sub" ] && [ -n "$sta" ] || continue
	waits=$((waits + $(date -d "$sta" +%s) - $(date -d "$sub" +%s)))
	k=$((k + 1))
done <"$tmp/slurm/jobcomp.txt"
wait_s='?'
[ $k -gt 0 ] && wait_s=$(echo "scale=2; $waits / $k" | bc -l)
printf 'runs %d, %d at a time, command %s, load %s at the start\n' "$n" "$jobs" "$cmd" "$load"
printf 'local  %6.2f s  %5.2f runs/s\n' "$local_s" "$(echo "$n / $local_s" | bc -l)"
printf 'slurm  %6.2f s  %5.2f runs/s\n' "$slurm_s" "$(echo "$n / $slurm_s" | bc -l)"
printf 'slurm costs %.2f s more per run at %d at a time (x%.1f the local makespan)\n' \
	"$(echo "($slurm_s - $local_s) * $jobs / $n" | bc -l)" "$jobs" "$(echo "$slurm_s / $local_s" | bc -l)"
printf 'mean submit-to-start wait of the jobs: %s s (jobcomp.txt, 1 s resolution)\n' "$wait_s"
