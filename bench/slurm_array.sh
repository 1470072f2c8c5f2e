#!/usr/bin/env bash
# bench/slurm_array.sh [<jobs>]
#
# Whether job arrays would help the Slurm executor: <jobs> (default 20)
# trivial jobs on a single-node cluster started for the purpose
# (tests/support/slurm-cluster.sh, stopped at the end), submitted as that
# many `sbatch` calls and as one `sbatch --array`, each timed from the
# first sbatch until squeue lists none; twice each. Prints the time the
# submissions took and the makespan. Needs Slurm (scripts/setup).
set -euo pipefail
n=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/wfm-bench.XXXXXX)
chmod 755 "$tmp"
. "$here/../tests/support/slurm-cluster.sh"
trap 'slurm_sn_stop "$tmp/slurm" >/dev/null 2>&1 || :; rm -rf "$tmp"' EXIT
slurm_sn_start "$tmp/slurm" >/dev/null
printf '#!/bin/sh\necho "${SLURM_ARRAY_TASK_ID:-$1}" >"%s/out.${SLURM_ARRAY_TASK_ID:-$1}"\n' "$tmp" >"$tmp/job.sh"
chmod +x "$tmp/job.sh"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
drain() { while [ -n "$(squeue -h -o %A)" ]; do sleep 0.05; done; }
report() {
	local what=$1 t0=$2 t1=$3 t2
	drain
	t2=$(date +%s.%N)
	[ "$(ls "$tmp"/out.* | wc -l)" = "$n" ] || { echo "not every job ran" >&2; exit 1; }
	rm -f "$tmp"/out.*
	printf '%-16s sbatch %5.2f s, all done %6.2f s\n' "$what" "$(echo "$t1 - $t0" | bc -l)" \
		"$(echo "$t2 - $t0" | bc -l)"
}
echo "$n trivial jobs, one node, load $load at the start"
for round in 1 2; do
	t0=$(date +%s.%N)
	for i in $(seq 0 $((n - 1))); do
		sbatch --parsable -o /dev/null --wrap "$tmp/job.sh $i" >/dev/null
	done
	report "$n single jobs:" "$t0" "$(date +%s.%N)"
	t0=$(date +%s.%N)
	sbatch --parsable -o /dev/null --array=0-$((n - 1)) "$tmp/job.sh" >/dev/null
	report "array of $n:" "$t0" "$(date +%s.%N)"
done
