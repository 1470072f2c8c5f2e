#!/usr/bin/env bash
# The command-line front end: command table, usage errors, exit codes,
# repository discovery.
. "$(dirname "$0")/lib.sh"

expect_output '^git-wfmigrate version [0-9]+\.[0-9]+' git wfmigrate --version
expect_output '^git-wfmigrate version' git wfmigrate version
pass "--version"

expect_code 129 git wfmigrate
expect_stderr 'usage: git wfmigrate'
expect_stderr 'chunk'
expect_code 129 git wfmigrate -h
grep -q 'oracle' "$TMP/out" || fail "-h does not list the commands"
expect_output 'chunk' git wfmigrate help
pass "usage"

expect_code 129 git wfmigrate frobnicate
expect_stderr "^error: 'frobnicate' is not a git wfmigrate command"
# run is the default command: an unknown option is run's
expect_code 129 git wfmigrate --frobnicate
expect_stderr "^error: unknown option 'frobnicate'"
expect_code 129 git wfmigrate help frobnicate
pass "unknown commands and options"

for c in chunk clean oracle run resume; do
	expect_code 129 git wfmigrate "$c" -h
	grep -q "^usage: git wfmigrate $c" "$TMP/out" || fail "'$c -h' prints no usage"
	expect_output "usage: git wfmigrate $c" git wfmigrate help "$c"
	expect_code 129 git wfmigrate "$c" --no-such-option
	expect_stderr "unknown option 'no-such-option'"
done
pass "every command has -h and rejects unknown options"

outside=$(mktemp -d "$TMP/outside.XXXXXX")
for c in chunk clean oracle run resume; do
	(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 128 git wfmigrate "$c")
	expect_stderr '^fatal: not a git repository'
done
pass "outside a repository: exit 128"

# git's own dispatch finds the binary as a subcommand, and the wfmigrate
# symlink installed by cmake --install works the same.
prefix="$TMP/prefix"
cmake --install "$WFM_BUILD_DIR" --prefix "$prefix" >/dev/null
[ -x "$prefix/bin/git-wfmigrate" ] || fail "cmake --install put no git-wfmigrate in bin/"
[ -L "$prefix/bin/wfmigrate" ] || fail "cmake --install made no wfmigrate symlink"
[ -f "$prefix/share/man/man1/git-wfmigrate.1" ] || fail "cmake --install put no man page"
PATH="$prefix/bin:/usr/bin:/bin" expect_output '^git-wfmigrate version' wfmigrate --version
PATH="$prefix/bin:/usr/bin:/bin" expect_output '^git-wfmigrate version' git wfmigrate --version
grep -q '^\.TH "\?GIT-WFMIGRATE' "$prefix/share/man/man1/git-wfmigrate.1" || fail "the man page has no .TH header"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$prefix/share/man/man1/git-wfmigrate.1" 2>/dev/null | grep -q 'git wfmigrate chunk' \
		|| fail "the man page does not render"
fi
pass "installed as a git subcommand with a man page"

# An installed binary reads its own data, wherever it was installed, never
# the source tree it was built from (nor the configured prefix's copy).
[ -f "$prefix/share/git-wfmigrate/runtime/harness.mjs" ] || fail "cmake --install put no runtime"
mig="$prefix/share/git-wfmigrate/workflows/migrate.js"
sed -i 's/^  description: '"'"'/  description: '"'"'[the installed copy] /' "$mig"
grep -q 'the installed copy' "$mig" || fail "could not mark the installed migrate.js"
repo=$(new_repo)
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$repo/m.c"
git -C "$repo" add m.c && git -C "$repo" commit -qm m
(cd "$repo" && PATH="$prefix/bin:/usr/bin:/bin" WFMIGRATE_DATADIR= expect_code 0 \
	git wfmigrate run --yes --oracle true --provider exec --agent-cmd true --arg match=main "a goal")
grep -q '^  \[the installed copy\] ' "$TMP/err" || fail "the installed binary did not read its installed workflow: $(cat "$TMP/err")"
pass "an installed binary uses its installed data"

# GIT_DIR and GIT_WORK_TREE as git honours them
repo=$(new_repo)
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$repo/m.c"
git -C "$repo" add m.c && git -C "$repo" commit -qm m
(cd "$outside" && GIT_DIR="$repo/.git" expect_output 'm\.c::function::main' git wfmigrate chunk)
(cd "$outside" && GIT_DIR="$repo/.git" GIT_WORK_TREE="$repo" expect_output 'm\.c::function::main' git wfmigrate chunk)
(cd "$repo" && GIT_DIR="$TMP/nonexistent" expect_code 128 git wfmigrate chunk)
expect_stderr "^fatal: not a git repository: '$TMP/nonexistent'"
pass "GIT_DIR and GIT_WORK_TREE"

# -h needs no repository
for c in chunk clean oracle run resume; do
	(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 129 git wfmigrate "$c" -h)
	grep -q "^usage: git wfmigrate $c" "$TMP/out" || fail "'$c -h' outside a repository prints no usage"
done
pass "-h outside a repository"

# Exit codes follow the error's class: a bad command line is a usage error
# (129, "error:" and the usage text on stderr); a bad setting in git config
# or the environment is not (128, "fatal:", naming where it is, no usage
# text). Nothing on stdout, nothing runs, and no run is made.
repo=$(new_repo)
printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$repo/m.c"
git -C "$repo" add m.c && git -C "$repo" commit -qm m
cd "$repo"
no_stdout() { [ ! -s "$TMP/out" ] || fail "$1 printed on stdout: $(cat "$TMP/out")"; }
no_usage() { ! grep -q '^usage:' "$TMP/err" || fail "$1 printed the usage text: $(cat "$TMP/err")"; }

expect_code 129 git wfmigrate oracle --oracle true --timeout soon
expect_stderr "^error: bad value 'soon' for 'oracle.timeout' \(from option\)"
expect_stderr '^usage: git wfmigrate oracle'
no_stdout "oracle --timeout soon"
git config wfmigrate.oracle.timeout soon
expect_code 128 git wfmigrate oracle --oracle true
expect_stderr "^fatal: bad value 'soon' for 'oracle.timeout' \(from git config\)"
no_usage "a bad wfmigrate.oracle.timeout"
no_stdout "a bad wfmigrate.oracle.timeout"
expect_code 128 git wfmigrate run --yes --provider exec --agent-cmd true --oracle true "a goal" </dev/null
expect_stderr "^fatal: bad value 'soon' for 'oracle.timeout' \(from git config\)"
no_usage "run with a bad wfmigrate.oracle.timeout"
no_stdout "run with a bad wfmigrate.oracle.timeout"
expect_code 0 git wfmigrate oracle --oracle true --timeout 5 # the option wins over git config
git config --unset wfmigrate.oracle.timeout
WFMIGRATE_ORACLE_TIMEOUT=-1 expect_code 128 git wfmigrate oracle --oracle true
expect_stderr "^fatal: bad value '-1' for 'oracle.timeout' \(from environment\)"
no_usage "a bad WFMIGRATE_ORACLE_TIMEOUT"
pass "a bad oracle timeout: 129 with usage from the option, 128 from git config or the environment"

git config wfmigrate.price 'some-model=cheap'
ANTHROPIC_API_KEY=k expect_code 128 git wfmigrate run --yes --provider anthropic --budget 1k --oracle true "a goal" </dev/null
expect_stderr "^fatal: git config wfmigrate.price 'some-model=cheap': "
no_usage "a bad wfmigrate.price"
no_stdout "a bad wfmigrate.price"
git config --unset wfmigrate.price
git config wfmigrate.price.some-model 1,2
ANTHROPIC_API_KEY=k expect_code 128 git wfmigrate run --yes --provider anthropic --budget 1k --oracle true "a goal" </dev/null
expect_stderr "^fatal: git config wfmigrate.price.some-model=1,2: prices are entries of wfmigrate.price itself"
no_usage "a wfmigrate.price.<model>"
git config --remove-section wfmigrate.price
pass "a bad wfmigrate.price: 128"

# bad option values: the usage text too, whoever checks them
expect_code 129 git wfmigrate chunk --threads 5000
expect_stderr "^error: option '--threads' must be between 0 and 1024, not 5000$"
expect_stderr '^usage: git wfmigrate chunk'
no_stdout "chunk --threads 5000"
expect_code 129 git wfmigrate chunk --lang cobol
expect_stderr "^error: unknown language 'cobol'"
expect_stderr '^usage: git wfmigrate chunk'
expect_code 129 git wfmigrate run --yes --provider exec --agent-cmd true --budget lots "a goal" </dev/null
expect_stderr "^error: --budget expects a number of tokens"
expect_stderr '^usage: git wfmigrate run'
expect_code 129 git wfmigrate oracle
expect_stderr '^error: no oracle command'
expect_stderr '^usage: git wfmigrate oracle'
expect_code 129 git wfmigrate resume a b
expect_stderr '^error: resume takes one run$'
expect_stderr '^usage: git wfmigrate resume'
pass "bad option values and arguments: 129 with the usage text"
runs="$(git rev-parse --git-common-dir)/wfmigrate/runs"
run_exec=(git wfmigrate run --yes --oracle true --provider exec --agent-cmd true --arg match=main "a goal")
git config wfmigrate.oracle.timeout soon
expect_code 128 git wfmigrate oracle --oracle true
expect_stderr "^fatal: bad value 'soon' for 'oracle\\.timeout' \\(from git config\\): expected a number$"
expect_code 128 "${run_exec[@]}"
expect_stderr "^fatal: bad value 'soon' for 'oracle\\.timeout' \\(from git config\\): expected a number$"
expect_code 129 git wfmigrate oracle --oracle true --timeout soon
expect_stderr "\\(from option\\)"
git config --unset wfmigrate.oracle.timeout
WFMIGRATE_ORACLE_TIMEOUT=soon expect_code 128 git wfmigrate oracle --oracle true
expect_stderr "\\(from environment\\)"
git config wfmigrate.budget lots
expect_code 128 "${run_exec[@]}"
expect_stderr "^fatal: git config wfmigrate.budget expects a number of tokens"
expect_code 129 "${run_exec[@]}" --budget lots
expect_stderr "^error: --budget expects a number of tokens"
git config --unset wfmigrate.budget
WFMIGRATE_CONCURRENCY=0 expect_code 128 "${run_exec[@]}"
expect_stderr "^fatal: bad value '0' for 'concurrency' \\(from environment\\): expected a number from 1 to 256$"
git config wfmigrate.provider gemini
expect_code 128 git wfmigrate run --yes --oracle true --agent-cmd true --arg match=main "a goal"
expect_stderr "^fatal: git config wfmigrate\\.provider: unknown provider 'gemini' \\(exec, anthropic or openai\\)$"
expect_code 129 "${run_exec[@]}" --provider gemini
expect_stderr "^error: unknown provider 'gemini' \\(exec, anthropic or openai\\)$"
git config --unset wfmigrate.provider
git config --add wfmigrate.price 'm=lots'
OPENAI_BASE_URL=http://127.0.0.1:9/v1 expect_code 128 git wfmigrate run --yes --oracle true --provider openai --arg match=main "a goal"
expect_stderr "^fatal: git config wfmigrate.price 'm=lots': "
git config --unset-all wfmigrate.price
[ ! -d "$runs" ] || [ -z "$(ls -A "$runs")" ] || fail "a run with a bad setting was made: $(ls "$runs")"
pass "a bad value in git config or the environment: exit 128, naming where it is; on the command line: 129"
