# Sourced by the end-to-end tests (tests/e2e/*.sh). CTest puts the built
# git-wfmigrate first on PATH, so `git wfmigrate` runs the binary under test.
#
#   . "$(dirname "$0")/lib.sh"
#   repo=$(new_repo)               # empty repository with an identity, in $TMP
#   expect_code 129 git wfmigrate chunk --bogus
#   expect_output 'pattern' cmd... # exit 0 and stdout matches (grep -E)
#   check_repo "$repo"             # git fsck and git worktree list are clean
#   wait_for "what" cmd...         # polls cmd for up to 60 s
#   py 'print(j(sys.argv[1])["status"])' "$rd/report.json"   # python3 with helpers
#   json 'j["pass"], j["commit"]' <"$TMP/out"                 # one JSON value's parts
#   tm new-session -d -s t -x 200 -y 50 'cmd'; term_wait t '^EXIT=0$'   # a terminal
#   start_slurm                    # a single-node Slurm cluster in $TMP/slurm (skips
#                                  # the test, exit 77, when Slurm is not installed)
#
# Everything lives under one temporary directory removed on exit.
set -eu
set -o pipefail

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wfm-e2e.XXXXXX")
FAKE_PIDS=
SLURM_DIR=
# on exit: the cluster (start_slurm), the fakes (start_fakellm), the terminals (tm), then $TMP
cleanup() {
	if [ -n "$SLURM_DIR" ]; then slurm_sn_stop "$SLURM_DIR" >/dev/null 2>&1 || :; fi
	if [ -S "$TMP/tmux.sock" ]; then term_kill; fi
	if [ -n "$FAKE_PIDS" ]; then kill $FAKE_PIDS 2>/dev/null || :; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
export GIT_CONFIG_NOSYSTEM=1
export HOME="$TMP/home"
mkdir -p "$HOME"
git config --global user.name "E2E Test"
git config --global user.email e2e@example.com
git config --global init.defaultBranch main
git config --global advice.detachedHead false

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "ok - $*"
}

new_repo() {
	local dir
	dir=$(mktemp -d "$TMP/repo.XXXXXX")
	git -C "$dir" init -q
	echo "$dir"
}

# expect_code <code> <command...>: runs the command, fails unless it exits with <code>.
# Its stdout and stderr are kept in $TMP/out and $TMP/err.
expect_code() {
	local want=$1 got=0
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" || got=$?
	if [ "$got" != "$want" ]; then
		echo "--- stdout" >&2; cat "$TMP/out" >&2
		echo "--- stderr" >&2; cat "$TMP/err" >&2
		fail "'$*' exited $got, expected $want"
	fi
}

# expect_output <extended regex> <command...>: exit 0 and stdout matches.
expect_output() {
	local re=$1
	shift
	expect_code 0 "$@"
	grep -Eq -- "$re" "$TMP/out" || { cat "$TMP/out" >&2; fail "'$*' printed nothing matching '$re'"; }
}

# expect_stderr <extended regex>: the last command's stderr matches.
expect_stderr() {
	grep -Eq -- "$1" "$TMP/err" || { cat "$TMP/err" >&2; fail "stderr does not match '$1'"; }
}

# check_repo <dir>: git fsck is clean and every listed worktree is valid.
check_repo() {
	local out
	out=$(git -C "$1" fsck --strict 2>&1) || fail "git fsck failed in $1: $out"
	if git -C "$1" worktree list --porcelain | grep -q '^prunable'; then
		git -C "$1" worktree list --porcelain >&2
		fail "git worktree list shows prunable entries in $1"
	fi
	if git -C "$1" worktree list | grep -q '0000000'; then
		fail "git worktree list shows a half-made entry in $1"
	fi
}

# py <python code> [args...]: python3 with json, os, re, subprocess, sys,
# j(path) (a JSON file), log(path) (a JSON-lines file as a list) and
# journal_labels(rundir[, journal]): the labels of the agents a run's
# journal holds (a torn last line left out, as the engine leaves it)
py() {
	local code=$1
	shift
	python3 -c "import json, os, re, subprocess, sys
def j(path):
    with open(path) as f:
        return json.load(f)
def log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
def journal_labels(rd, journal=None):
    out = []
    with open(journal or os.path.join(rd, 'journal.jsonl')) as f:
        lines = f.read().split('\\n')
    if lines[-1] != '':
        lines = lines[:-1]  # a torn tail: the engine drops it
    for line in lines:
        if not line:
            continue
        rec = json.loads(line)
        if rec['method'] != 'agent':
            continue
        with open(os.path.join(rd, 'agents', rec['key'].replace('#', '-') + '.jsonl')) as f:
            out.append(json.loads(f.readline())['request']['label'])
    return out
$code" "$@"
}

# json <python expression over j> < file: the expression's value over the
# JSON on stdin; a tuple's items on one line, a list's one per line
json() {
	py 'j = json.load(sys.stdin)
r = eval(sys.argv[1])
if isinstance(r, tuple):
    print(*r)
elif isinstance(r, list):
    print(*r, sep="\n")
else:
    print(r)' "$1"
}

# run_dir <repo>: the one run directory of the repository ("" when none)
run_dir() {
	local d
	d=$(ls -d "$1"/.git/wfmigrate/runs/*/ 2>/dev/null | head -n 1)
	echo "${d%/}"
}

# wait_for <what> <command...>: polls the command until it succeeds, for up to 60 s
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1200); do
		if "$@"; then return 0; fi
		sleep 0.05
	done
	fail "timed out waiting for $what"
}

# start_fakellm <name> [scenario.json]: starts tests/fakellm/server.mjs on a
# random loopback port with its request log in $TMP/<name>.log; sets
# FAKE_URL (http://127.0.0.1:<port>) and FAKE_KEY. Stopped on exit.
FAKE_KEY=test-key-0123456789
start_fakellm() {
	local name=$1 scenario=${2:-} src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
	local i
	rm -f "$TMP/$name.port"
	node "$src/tests/fakellm/server.mjs" --port-file "$TMP/$name.port" --log "$TMP/$name.log" \
		--key "$FAKE_KEY" ${scenario:+--scenario "$scenario"} >"$TMP/$name.server" 2>&1 &
	FAKE_PIDS="$FAKE_PIDS $!"
	for i in $(seq 100); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.1
	done
	[ -s "$TMP/$name.port" ] || fail "fakellm did not start: $(cat "$TMP/$name.server")"
	FAKE_URL=http://127.0.0.1:$(cat "$TMP/$name.port")
}

# fake_stats <name>: the fake's /_stats as JSON on stdout
fake_stats() {
	node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t))' \
		"http://127.0.0.1:$(cat "$TMP/$1.port")/_stats"
}

# Terminals, for what needs one (the approval card's question, watch, a
# pager): tmux on a server of its own, killed on exit.
#   tm <tmux command...>              e.g. tm new-session -d -s t -x 200 -y 50 'cmd'
#   term_history <session>            its whole history, wrapped lines joined
#   term_wait <session> <regex> [<n>] until n (default 1) lines of the history
#                                     match, for up to 120 s
#   term_kill                         kills the server and waits until it is
#                                     gone (a new session started while it
#                                     exits dies with it: "server exited
#                                     unexpectedly")
tm() { tmux -S "$TMP/tmux.sock" "$@"; }
term_kill() {
	local pid i
	pid=$(tm display-message -p '#{pid}' 2>/dev/null) || return 0
	tm kill-server 2>/dev/null || :
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
}
term_history() { tm capture-pane -p -J -S - -t "$1"; }
term_wait() {
	local i
	for i in $(seq 1200); do
		[ "$(term_history "$1" | grep -Ec -- "$2" || :)" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	term_history "$1" >&2
	fail "the terminal never showed ${3:-1} line(s) matching /$2/"
}

# start_slurm: starts a single-node Slurm cluster (tests/support/slurm-cluster.sh)
# with all its state in $TMP/slurm and exports SLURM_CONF; stopped on exit (its
# jobs cancelled, its daemons killed by pid). Exits 77 (CTest: skipped) when
# the Slurm or munge programs are missing (scripts/setup installs them).
start_slurm() {
	local src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)} b
	for b in slurmctld slurmd sbatch squeue scontrol scancel sinfo sdiag munged; do
		if ! command -v "$b" >/dev/null 2>&1; then
			echo "SKIP: $b not found: Slurm is not installed (scripts/setup installs slurmctld slurmd slurm-client munge)" >&2
			exit 77
		fi
	done
	# munged wants every directory above its socket searchable by all
	chmod 755 "$TMP"
	[ ${#TMP} -le 74 ] || fail "\$TMP ($TMP) is too long for the munge socket path; set TMPDIR shorter"
	. "$src/tests/support/slurm-cluster.sh"
	SLURM_DIR=$TMP/slurm
	slurm_sn_start "$SLURM_DIR" >"$TMP/slurm.start" 2>&1 ||
		fail "the test cluster did not start: $(cat "$TMP/slurm.start")"
	export SLURM_CONF=$SLURM_DIR/slurm.conf
	# the jobs' worktrees and node cache (${TMPDIR:-/tmp}) stay in $TMP too
	export TMPDIR=$TMP/tmp
	mkdir -p "$TMPDIR"
}
