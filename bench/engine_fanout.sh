#!/usr/bin/env bash
# bench/engine_fanout.sh [<agents> [<concurrency> [<sleep seconds>]]]
#
# N exec agents in worktrees (each sleeps, then edits one file) at a given
# concurrency, on a throw-away repository of 300 files. Prints the makespan
# against the ideal (N x sleep / concurrency) and the engine's own CPU time
# per agent (report.json's totals.engineCpuMs: getrusage(RUSAGE_SELF) of the
# git-wfmigrate process, all threads, not its children: pool acquire,
# commit, journal, scheduling).
set -euo pipefail
n=${1:-400}
conc=${2:-16}
nap=${3:-0.5}
here=$(cd "$(dirname "$0")" && pwd)
bin=${WFM_BIN:-$here/../build/release/git-wfmigrate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

repo=$tmp/repo
mkdir -p "$repo/files"
for i in $(seq 0 299); do printf 'file %d\n' "$i" >"$repo/files/f$i.txt"; done
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@b commit -qm files

# The agent: sleeps, then appends to files/f<i % 300>.txt, i from its label
# "fan-<i>". Plain sh with no other process than sleep: what the agent
# itself costs is not the engine's.
cat >"$tmp/agent.sh" <<'AGENT'
sleep "$WFM_NAP"
i=${WFM_AGENT_JSON#*\"label\":\"fan-}
i=${i%%\"*}
echo edited >>"files/f$((i % 300)).txt"
AGENT

cd "$repo"
# the machine's load when the run starts: figures taken under load are not comparable
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
start=$(date +%s.%N)
"$bin" run --workflow "$here/fanout.js" --arg n="$n" \
	--provider exec --agent-cmd "WFM_NAP=$nap . $tmp/agent.sh" --concurrency "$conc" --yes --json \
	>"$tmp/report.json" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
end=$(date +%s.%N)
python3 - "$n" "$conc" "$nap" "$start" "$end" "$tmp/report.json" "$load" <<'PY'
import json, sys
n, conc, nap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
start, end = map(float, sys.argv[4:6])
report = json.load(open(sys.argv[6]))
print(f"load average (1 min) at the start: {sys.argv[7]}")
cpu = report['totals']['engineCpuMs'] / 1000.0
makespan = end - start
ideal = n * nap / conc
print(f"agents {n}, concurrency {conc}, each sleeps {nap}s")
print(f"committed {report['result']['committed']} of {n}; status {report['status']}")
print(f"makespan {makespan:.2f}s, ideal {ideal:.2f}s, efficiency {ideal / makespan:.1%}")
print(f"engine CPU {cpu:.2f}s = {cpu * 1000 / n:.1f} ms per agent (goal < 15)")
PY
