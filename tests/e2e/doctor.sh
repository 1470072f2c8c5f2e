#!/usr/bin/env bash
# git wfmigrate doctor: one line per check (git, repository, node and the
# runtime, grammars, provider, sandbox, oracle at HEAD), a fix under each
# that fails, exit 1 when one fails and 0 otherwise; never a key printed.
. "$(dirname "$0")/lib.sh"

unset ANTHROPIC_API_KEY OPENAI_API_KEY ANTHROPIC_BASE_URL OPENAI_BASE_URL
# stdout's line for a check: "<level> <check> ..."
line() { grep -E "^[a-zA-Z]+ +$1 " "$TMP/out" || fail "no line for '$1' in: $(cat "$TMP/out")"; }
level() { [ "$(line "$1" | awk '{print $1}')" = "$2" ] || fail "'$1' is not $2: $(line "$1")"; }

repo=$(new_repo)
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$repo/m.c"
git -C "$repo" add m.c && git -C "$repo" commit -qm m
cd "$repo"

# --- all set: exec agents, an oracle that passes
git config wfmigrate.agent-cmd true
git config wfmigrate.oracle 'echo the tests ran; true'
expect_code 0 git wfmigrate doctor
for c in git repository node grammars provider oracle; do level "$c" ok; done
line repository | grep -q "$(git rev-parse --short=7 HEAD)" || fail "the repository line names no HEAD"
line grammars | grep -q 'c, cpp, python' || fail "the grammars line names no languages"
line provider | grep -q "exec: agents are 'true'" || fail "the provider line: $(line provider)"
line oracle | grep -q "'echo the tests ran; true' passed on" || fail "the oracle line: $(line oracle)"
line sandbox >/dev/null
grep -q '^0 problems' "$TMP/out" || fail "no '0 problems' line"
[ ! -s "$TMP/err" ] || fail "doctor wrote to stderr: $(cat "$TMP/err")"
pass "all set: every check ok, exit 0"

# --- an oracle that fails at HEAD: a problem with its first telling line and a fix
expect_code 1 git wfmigrate doctor --oracle 'echo "m.c:1: error: broken"; exit 2'
level oracle FAIL
line oracle | grep -q 'failed on .*exited 2.*error: broken' || fail "the oracle line: $(line oracle)"
grep -A1 '^FAIL  oracle' "$TMP/out" | grep -q 'fix: ' || fail "no fix under the failed oracle"
grep -q '^1 problem,' "$TMP/out" || fail "no '1 problem' line"
expect_code 0 git wfmigrate doctor --no-oracle --oracle false
! grep -q ' oracle ' "$TMP/out" || fail "--no-oracle still ran the oracle"
pass "a failing oracle is a problem with its excerpt; --no-oracle skips it"

# --- a provider with an API: the key's presence is said, never the key
git config --unset wfmigrate.agent-cmd
ANTHROPIC_API_KEY=sk-ant-very-secret-0123 expect_code 0 git wfmigrate doctor --no-oracle
level provider ok
line provider | grep -q 'anthropic at https://api.anthropic.com (not contacted), ANTHROPIC_API_KEY is set' ||
	fail "the provider line: $(line provider)"
level budget warn
! grep -q 'very-secret' "$TMP/out" "$TMP/err" || fail "doctor printed the key"
# no provider at all, and a bad setting: problems, not errors of doctor's own
expect_code 1 git wfmigrate doctor --no-oracle
level provider FAIL
line provider | grep -q 'set ANTHROPIC_API_KEY or OPENAI_API_KEY' || fail "the provider line: $(line provider)"
git config wfmigrate.budget lots
ANTHROPIC_API_KEY=k expect_code 1 git wfmigrate doctor --no-oracle
line provider | grep -q 'git config wfmigrate.budget' || fail "the bad setting is not named: $(line provider)"
git config --unset wfmigrate.budget
pass "provider: the key's presence, never the key; no provider and bad settings are problems"

# --- no node on PATH: the runtime cannot start, and doctor says how to fix it
mkdir -p "$TMP/bin"
ln -s "$(command -v git)" "$TMP/bin/git"
git config wfmigrate.agent-cmd true
PATH="$TMP/bin" expect_code 1 "$(command -v git-wfmigrate)" doctor --no-oracle
level node FAIL
grep -A1 '^FAIL  node' "$TMP/out" | grep -q 'fix: install Node.js 18' || fail "no fix under node: $(cat "$TMP/out")"
pass "no node: a problem with the fix"

# --- outside a repository: said, and the oracle is not tried
mkdir -p "$TMP/plain"
cd "$TMP/plain"
expect_code 1 git wfmigrate doctor
level repository FAIL
level oracle warn
line oracle | grep -q 'not tried' || fail "the oracle line: $(line oracle)"
pass "outside a repository: a problem, the oracle not tried"

# --- usage
expect_code 129 git wfmigrate doctor --frobnicate
expect_stderr '^usage: git wfmigrate doctor'
expect_code 129 git wfmigrate doctor extra
expect_stderr '^usage: git wfmigrate doctor'
expect_code 129 git wfmigrate doctor -h
grep -q '^usage: git wfmigrate doctor' "$TMP/out" || fail "-h prints no usage"
pass "usage errors: 129 with the usage text"
