#!/usr/bin/env bash
# git wfmigrate oracle: a real make test in pool worktrees of a real
# repository, JSON read back with python3, flaky runs, timeouts, signals.
. "$(dirname "$0")/lib.sh"

no_locked_slots() {
	if git -C "$1" worktree list --porcelain | grep -q '^locked'; then
		git -C "$1" worktree list --porcelain >&2
		fail "a pool slot is still locked in $1"
	fi
}

# no process with this marker in its command line is left ("[x]yz" does not match itself)
no_leftovers() {
	local pat="[${1:0:1}]${1:1}" i
	for i in $(seq 50); do
		pgrep -f -- "$pat" >/dev/null || return 0
		sleep 0.1
	done
	ps -eo pid,pgid,stat,args | grep -- "$pat" >&2
	fail "processes marked '$1' outlived the oracle"
}

# --- a tiny C project whose make test prints "N passed, M failed"
repo=$(new_repo)
cd "$repo"
cat >Makefile <<'EOF'
CC ?= cc
test: calc
	./calc
calc: calc.c
	$(CC) -o calc calc.c
.PHONY: test
EOF
cat >calc.c <<'EOF'
#include <stdio.h>
static int add(int a, int b) { return a + b; }
int main(void)
{
	int passed = 0, failed = 0;
	int cases[][3] = { { 1, 1, 2 }, { 2, 3, 5 }, { -1, 1, 0 }, { 20, 22, 42 } };
	for (int i = 0; i < 4; i++) {
		if (add(cases[i][0], cases[i][1]) == cases[i][2]) {
			passed++;
		} else {
			printf("FAIL: add(%d, %d)\n", cases[i][0], cases[i][1]);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
EOF
echo calc >.gitignore
git add -A && git commit -qm "calc with tests"
good=$(git rev-parse HEAD)
sed -i 's/return a + b;/return a + b + (a > 10);/' calc.c
git commit -qam "break add for big numbers"
bad=$(git rev-parse HEAD)

# --- pass and fail, text
expect_code 0 git wfmigrate oracle --oracle 'make test' --ref HEAD~1
grep -Eq "^oracle passed in [0-9]+\.[0-9]s on ${good:0:7} \('make test' exited 0\): 4 passed, 0 failed$" "$TMP/out" \
	|| { cat "$TMP/out" >&2; fail "no pass report"; }
expect_code 1 git wfmigrate oracle --oracle 'make test'
grep -q '^    FAIL: add(20, 22)$' "$TMP/out" || { cat "$TMP/out" >&2; fail "no indented output tail"; }
grep -Eq "^oracle failed in [0-9.]+s on ${bad:0:7} \('make test' exited 2\): 3 passed, 1 failed$" "$TMP/out" \
	|| { cat "$TMP/out" >&2; fail "no failure report"; }
[ ! -e "$repo/calc" ] || fail "the oracle built in the user's working tree"
[ -z "$(git status --porcelain)" ] || fail "the user's working tree changed"
pass "make test passes on the good commit, fails on the bad one"

# --- JSON
expect_code 1 git wfmigrate oracle --oracle 'make test' --json
[ "$(json 'j["pass"], j["exitCode"], j["timedOut"], j["cancelled"], "signal" in j' <"$TMP/out")" = "False 2 False False False" ] \
	|| { cat "$TMP/out" >&2; fail "bad JSON verdict"; }
[ "$(json 'j["summary"]' <"$TMP/out")" = "{'passed': 3, 'failed': 1, 'skipped': 0, 'total': 4, 'format': 'plain'}" ] \
	|| { cat "$TMP/out" >&2; fail "bad JSON summary"; }
[ "$(json 'j["ref"], j["commit"], j["command"]' <"$TMP/out")" = "HEAD $bad make test" ] || fail "bad JSON ref/commit"
[ "$(json '"\n3 passed, 1 failed\n" in j["outputTail"], j["outputBytes"] == len(j["outputTail"].encode()), j["durationMs"] >= 0' <"$TMP/out")" = "True True True" ] \
	|| { cat "$TMP/out" >&2; fail "bad JSON output fields"; }
expect_code 0 git wfmigrate oracle --oracle 'make test' --ref "$good" --json
[ "$(json 'j["pass"], j["exitCode"], j["summary"]["passed"], j["commit"]' <"$TMP/out")" = "True 0 4 $good" ] \
	|| fail "bad JSON for the good commit"
pass "--json"

# --- the environment: the worktree's own repository, no API keys
expect_code 0 git wfmigrate oracle --oracle 'git rev-parse HEAD; git rev-parse --show-toplevel' --ref HEAD~1 --json
[ "$(json 'j["outputTail"].split()[0]' <"$TMP/out")" = "$good" ] || fail "git inside the oracle does not see the ref's commit"
top=$(json 'j["outputTail"].split()[1]' <"$TMP/out")
case "$top" in */wfmigrate/pool/*) ;; *) fail "the oracle ran in '$top', not in a pool slot" ;; esac
GIT_DIR="$repo/.git" GIT_INDEX_FILE="$repo/.git/index" expect_code 0 \
	git wfmigrate oracle --oracle 'git rev-parse HEAD' --ref HEAD~1 --json
[ "$(json 'j["outputTail"].strip()' <"$TMP/out")" = "$good" ] || fail "GIT_DIR leaked into the oracle"
ANTHROPIC_API_KEY=sk-e2e-secret OPENAI_API_KEY=sk-e2e-secret ANTHROPIC_AUTH_TOKEN=sk-e2e-secret \
	ACME_API_KEY=sk-e2e-secret expect_code 0 git wfmigrate oracle --oracle 'env; echo done' --json
json 'j["outputTail"]' <"$TMP/out" >"$TMP/env"
grep -q '^done$' "$TMP/env" || fail "the env oracle printed nothing"
! grep -q 'sk-e2e-secret' "$TMP/env" || fail "an API key is visible to the oracle"
grep -q '^PATH=' "$TMP/env" || fail "PATH is missing from the oracle's environment"
pass "environment: the slot's repository, API keys removed"

# --- where the command comes from
expect_code 129 git wfmigrate oracle
expect_stderr 'no oracle command'
expect_stderr '--oracle'
expect_stderr 'wfmigrate.oracle'
expect_stderr 'WFMIGRATE_ORACLE'
git config wfmigrate.oracle 'make test'
expect_code 0 git wfmigrate oracle --ref HEAD~1
grep -q "('make test' exited 0): 4 passed" "$TMP/out" || fail "git config wfmigrate.oracle is not used"
expect_code 0 git wfmigrate oracle --oracle 'echo from-option' # the option wins over config
grep -q "'echo from-option' exited 0" "$TMP/out" || fail "--oracle does not override the config"
git config --unset wfmigrate.oracle
WFMIGRATE_ORACLE='echo from-env' expect_code 0 git wfmigrate oracle
grep -q "'echo from-env' exited 0" "$TMP/out" || fail "WFMIGRATE_ORACLE is not used"
pass "command from --oracle, git config, environment"

# --- usage and environment errors
expect_code 129 git wfmigrate oracle --oracle true --runs 0
expect_code 129 git wfmigrate oracle --oracle true --runs 1001
expect_code 129 git wfmigrate oracle --oracle true --timeout soon
expect_stderr "bad value 'soon'"
expect_code 129 git wfmigrate oracle --oracle true stray-argument
expect_code 128 git wfmigrate oracle --oracle true --ref no-such-ref
expect_stderr "^fatal: unknown revision 'no-such-ref'"
outside=$(mktemp -d "$TMP/outside.XXXXXX")
(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 128 git wfmigrate oracle --oracle true)
expect_stderr '^fatal: not a git repository'
empty=$(new_repo)
(cd "$empty" && expect_code 128 git wfmigrate oracle --oracle true)
expect_stderr "^fatal: 'HEAD' has no commits yet"
pass "usage errors exit 129, repository errors 128"

# --- timeouts
start=$SECONDS
expect_code 1 git wfmigrate oracle --oracle 'echo waiting; sleep 30' --timeout 1
[ $((SECONDS - start)) -lt 20 ] || fail "--timeout 1 took $((SECONDS - start))s"
grep -q "^    waiting$" "$TMP/out" || fail "no output tail after a timeout"
grep -Eq "^oracle failed in [0-9.]+s on ${bad:0:7} \('echo waiting; sleep 30' timed out after 1s\)$" "$TMP/out" \
	|| { cat "$TMP/out" >&2; fail "no 'timed out' report"; }
marker="wfm-e2e-ignores-term-$$"
expect_code 1 git wfmigrate oracle --oracle "sh -c 'trap \"\" TERM; sleep 1000; : $marker'; :" --timeout 1 --json
[ "$(json 'j["timedOut"], j["pass"]' <"$TMP/out")" = "True False" ] || fail "a TERM-ignoring oracle was not timed out"
no_leftovers "$marker"
git config wfmigrate.oracle.timeout 1
expect_code 1 git wfmigrate oracle --oracle 'sleep 30'
grep -q 'timed out after 1s' "$TMP/out" || fail "wfmigrate.oracle.timeout is not used"
git config --unset wfmigrate.oracle.timeout
WFMIGRATE_ORACLE_TIMEOUT=1 expect_code 1 git wfmigrate oracle --oracle 'sleep 30'
grep -q 'timed out after 1s' "$TMP/out" || fail "WFMIGRATE_ORACLE_TIMEOUT is not used"
marker="wfm-e2e-background-$$"
start=$SECONDS
expect_code 0 git wfmigrate oracle --oracle "(sh -c 'sleep 1000; : $marker' &); echo started" --timeout 0
[ $((SECONDS - start)) -lt 20 ] || fail "a background child holding the pipe held up the oracle"
no_leftovers "$marker"
pass "timeouts kill the group; background children do not hang it"

# --- flaky hunting with --runs
count="$TMP/flaky-count"
flaky="n=\$(cat '$count' 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >'$count'; echo \"1 passed, \$((1 - n % 2)) failed\"; test \$((n % 2)) -eq 1"
expect_code 1 git wfmigrate oracle --oracle "$flaky" --runs 6 --json
[ "$(json 'j["passedRuns"], j["failedRuns"], len(j["runs"]), j["pass"], j["commit"]' <"$TMP/out")" = "3 3 6 False $bad" ] \
	|| { cat "$TMP/out" >&2; fail "bad --runs JSON"; }
[ "$(json 'tuple(r["pass"] for r in j["runs"])' <"$TMP/out")" = "True False True False True False" ] \
	|| fail "runs are not reported in order"
rm -f "$count"
expect_code 1 git wfmigrate oracle --oracle "$flaky" --runs 4
grep -Eq "^run 2/4 failed in [0-9.]+s \(exited 1\): 1 passed, 1 failed$" "$TMP/out" \
	|| { cat "$TMP/out" >&2; fail "no per-run lines"; }
grep -Eq "^oracle failed 2 of 4 runs in [0-9.]+s on ${bad:0:7} " "$TMP/out" || { cat "$TMP/out" >&2; fail "no runs summary"; }
expect_code 0 git wfmigrate oracle --oracle 'make test' --ref HEAD~1 --runs 3
grep -Eq "^oracle passed 3 of 3 runs in " "$TMP/out" || { cat "$TMP/out" >&2; fail "no all-passed summary"; }
expect_code 0 git wfmigrate oracle --oracle true --runs 1 --json
[ "$(json 'j["passedRuns"], j["failedRuns"], len(j["runs"])' <"$TMP/out")" = "1 0 1" ] || fail "--runs 1 --json is not the runs shape"
no_locked_slots "$repo"
pass "--runs counts flaky failures"

# --- signals: the child group dies, the slot is released, exit 128 + signal
for sig in INT TERM; do
	marker="wfm-e2e-signal-$sig-$$"
	started="$TMP/started-$sig"
	rm -f "$started"
	git-wfmigrate oracle --oracle "touch '$started'; sh -c 'sleep 1000; : $marker'; sleep 1000" \
		>"$TMP/sig.out" 2>"$TMP/sig.err" &
	pid=$!
	for i in $(seq 100); do [ -e "$started" ] && break; sleep 0.1; done
	[ -e "$started" ] || fail "the oracle never started"
	sleep 0.2
	kill -s "$sig" "$pid"
	code=0
	wait "$pid" || code=$?
	want=130
	[ "$sig" = TERM ] && want=143
	[ "$code" = "$want" ] || { cat "$TMP/sig.out" "$TMP/sig.err" >&2; fail "SIG$sig: exit $code, expected $want"; }
	grep -q "^oracle interrupted in .* was interrupted)$" "$TMP/sig.out" || { cat "$TMP/sig.out" >&2; fail "no interrupted report"; }
	no_leftovers "$marker"
	no_locked_slots "$repo"
done
# while a series of runs goes on: the rest is not run
marker="wfm-e2e-signal-runs-$$"
started="$TMP/started-runs"
git-wfmigrate oracle --oracle "touch '$started'; sleep 1000; : $marker" --runs 5 --json >"$TMP/sig.out" 2>"$TMP/sig.err" &
pid=$!
for i in $(seq 100); do [ -e "$started" ] && break; sleep 0.1; done
kill -INT "$pid"
code=0
wait "$pid" || code=$?
[ "$code" = 130 ] || fail "--runs interrupted: exit $code"
[ "$(json 'len(j["runs"]), j["runs"][0]["cancelled"], j["pass"]' <"$TMP/sig.out")" = "1 True False" ] \
	|| { cat "$TMP/sig.out" >&2; fail "bad JSON after an interrupt"; }
no_leftovers "$marker"
pass "SIGINT and SIGTERM kill the command's group and release the slot"

# --cold: a brand-new worktree without the warm build output, gone afterwards
cd "$repo"
printf 'warm.o\n' >.gitignore
git add .gitignore && git commit -qm "ignore warm.o"
expect_code 0 git wfmigrate oracle --oracle 'touch warm.o'
expect_code 0 git wfmigrate oracle --oracle 'test -e warm.o'
slots=$(git worktree list --porcelain | grep -c '^worktree ')
expect_code 0 git wfmigrate oracle --cold --oracle 'test ! -e warm.o && test -f calc.c'
[ "$(git worktree list --porcelain | grep -c '^worktree ')" = "$slots" ] \
	|| { git worktree list >&2; fail "--cold left a worktree behind"; }
expect_code 0 git wfmigrate oracle --oracle 'test -e warm.o'
pass "--cold runs in a fresh worktree and removes it"

no_locked_slots "$repo"
check_repo "$repo"
pass "git worktree list and git fsck are clean"
