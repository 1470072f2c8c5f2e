#!/usr/bin/env bash
# Paths and pathspecs mean what they mean to git, everywhere (issue 11,
# point 4): relative to the current directory, with git's magic (:(top) and
# :/, :(glob), :(exclude) :! :^, :(icase), :(literal)), for `chunk`, for
# chunk() and diff() in a harness, and for a run's args.paths; checked
# before anything runs, a pathspec that matches no tracked file being an
# error that names it as typed.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
mkdir -p src/util lib docs .wfmigrate/workflows
printf 'int a(void)\n{\n\treturn 1;\n}\n' >src/a.c
printf 'int b(void)\n{\n\treturn 2;\n}\n' >src/util/b.c
printf 'int c(void)\n{\n\treturn 3;\n}\n' >lib/c.c
printf 'int top(void)\n{\n\treturn 4;\n}\n' >top.c
printf 'int odd(void)\n{\n\treturn 5;\n}\n' >'lib/we*ird.c'
printf 'notes\n' >docs/README
git add -A
git commit -qm one
git tag v1
printf 'int a(void)\n{\n\treturn 10;\n}\n' >src/a.c
printf 'int b(void)\n{\n\treturn 20;\n}\n' >src/util/b.c
git commit -qam two
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs

# ids <command...>: the unit ids chunk prints, on one line
ids() {
	expect_code 0 "$@"
	awk 'NR > 1 { print $1 }' "$TMP/out" | tr '\n' ' ' | sed 's/ $//'
}

# --- chunk: relative to the current directory, git's magic
[ "$(cd src && ids git wfmigrate chunk)" = "src/a.c::function::a src/util/b.c::function::b" ] ||
	fail "chunk from src/ is not src/"
[ "$(cd src && ids git wfmigrate chunk ../lib/c.c)" = "lib/c.c::function::c" ] || fail "../lib/c.c from src/"
[ "$(cd src && ids git wfmigrate chunk ':(glob)*.c')" = "src/a.c::function::a" ] ||
	fail ":(glob)*.c from src/ is not src/a.c alone"
[ "$(cd src && ids git wfmigrate chunk '*.c')" = "src/a.c::function::a src/util/b.c::function::b" ] ||
	fail "*.c from src/ (a '*' that matches '/')"
[ "$(ids git wfmigrate chunk ':(glob)**/b.c' ':/top.c')" = "src/util/b.c::function::b top.c::function::top" ] ||
	fail ":(glob)**/b.c and :/top.c"
[ "$(cd src && ids git wfmigrate chunk ':!util')" = "src/a.c::function::a" ] ||
	fail ":!util alone from src/ leaves util out of src/"
[ "$(cd src && ids git wfmigrate chunk ':/' ':/^src' ':(top,exclude)docs' ':!util')" = "lib/c.c::function::c lib/we*ird.c::function::odd top.c::function::top" ] ||
	fail ":/ with :/^src, :(top,exclude)docs and :!util"
[ "$(cd lib && ids git wfmigrate chunk ':(literal)we*ird.c')" = "lib/we*ird.c::function::odd" ] ||
	fail ":(literal)we*ird.c"
[ "$(ids git wfmigrate chunk ':(icase)DOCS/readme')" = "docs/README::file::README" ] || fail ":(icase)"
[ "$(cd src/util && ids git wfmigrate chunk "$repo/lib")" = "lib/c.c::function::c lib/we*ird.c::function::odd" ] ||
	fail "an absolute path inside the work tree"
pass "chunk: pathspecs relative to the current directory, with :(top) :/ :(glob) :! :^ :(exclude) :(icase) :(literal)"

(cd src && expect_code 128 git wfmigrate chunk ../nope.c ':(glob)*.c')
expect_stderr "^fatal: pathspec '../nope.c' did not match any file at 'HEAD'$"
(cd src && expect_code 128 git wfmigrate chunk ':(glob)*.h')
expect_stderr "^fatal: pathspec ':\(glob\)\*.h' did not match any file at 'HEAD'$"
(cd src && expect_code 128 git wfmigrate chunk ../../outside)
expect_stderr "^fatal: '../../outside' is outside the repository"
expect_code 129 git wfmigrate chunk ':(glob,literal)x'
expect_stderr "^error: 'literal' and 'glob' are incompatible pathspec magic"
expect_code 129 git wfmigrate chunk ':(blob)x'
expect_stderr "^error: invalid pathspec magic 'blob' in ':\(blob\)x'"
expect_code 129 git wfmigrate chunk ''
expect_stderr "^error: an empty string is not a valid pathspec"
pass "chunk: a pathspec that matches nothing is named as typed (exit 128); bad magic is a usage error"

# --- a harness: chunk() and diff() read pathspecs from the top, with magic
cat >.wfmigrate/workflows/list.js <<'JS'
export const meta = {
  name: 'list',
  description: 'Lists the units of args.paths and what changed in them since v1',
  args: { paths: { type: 'pathspecs', chunk: true, description: 'what to list' } },
}
const units = await chunk({ paths: args.paths })
const changed = await diff({ from: 'v1', to: 'HEAD', paths: args.paths ?? [] })
const literal = await chunk({ paths: ':(glob)src/*.c' })
return {
  ids: units.map(u => u.id),
  changed: changed.split('\n').filter(l => l.startsWith('+++ ')).map(l => l.slice(6)),
  literal: literal.map(u => u.id),
  paths: args.paths ?? null,
}
JS
# report <code> [options...]: runs the list workflow, the report on stdout in $TMP/out
report() {
	local code=$1
	shift
	expect_code "$code" git wfmigrate run --workflow list --provider exec --agent-cmd cat \
		--oracle "touch '$TMP/oracle-ran'" --yes --json "$@" </dev/null
}
(cd src && report 0 --arg paths=../lib --arg 'paths=:!../lib/we*' --arg 'paths=:(glob)*.c')
py '
v = j(sys.argv[1])["result"]
assert v["ids"] == ["lib/c.c::function::c", "src/a.c::function::a"], v
assert v["changed"] == ["src/a.c"], v
assert v["literal"] == ["src/a.c::function::a"], v
assert v["paths"] == ["lib", ":(exclude)lib/we*", ":(glob)src/*.c"], v
' "$TMP/out" || fail "args.paths from src/: $(cat "$TMP/out")"
id=$(py 'print(j(sys.argv[1])["run"])' "$TMP/out")
py 'assert j(sys.argv[1])["paths"] == ["lib", ":(exclude)lib/we*", ":(glob)src/*.c"]' "$runs/$id/args.json" ||
	fail "args.json does not keep the pathspecs from the top: $(cat "$runs/$id/args.json")"
grep -q '^  paths  \["lib",":(exclude)lib/we\*",":(glob)src/\*\.c"\]$' "$TMP/err" ||
	fail "the card does not show the paths from the top: $(cat "$TMP/err")"
grep -q '^units: 2 (chunk() with paths)$' "$TMP/err" || fail "the card does not count the units: $(cat "$TMP/err")"
# resumed from another directory, the saved pathspecs mean the same
(cd docs && expect_code 0 git wfmigrate resume --json "$id" </dev/null)
py 'v = j(sys.argv[1])["result"]; assert v["ids"] == ["lib/c.c::function::c", "src/a.c::function::a"], v' \
	"$TMP/out" || fail "resume from docs/: $(cat "$TMP/out")"
pass "run: args.paths from the current directory, with magic, saved from the top for chunk() and diff(); resume keeps them"

# a workflow that declares nothing: args.paths is read as pathspecs all the same
cat >.wfmigrate/workflows/bare.js <<'JS'
export const meta = { name: 'bare', description: 'Chunks args.paths, nothing declared' }
return (await chunk({ paths: args.paths })).map(u => u.id)
JS
(cd src/util && expect_code 0 git wfmigrate run --workflow bare --provider exec --agent-cmd cat --yes --json \
	--arg paths=../a.c </dev/null)
py 'assert j(sys.argv[1])["result"] == ["src/a.c::function::a"], j(sys.argv[1])' "$TMP/out" ||
	fail "args.paths of a workflow without meta.args: $(cat "$TMP/out")"
pass "run: args.paths of a workflow that declares no arguments are pathspecs too"

# --- checked before anything runs: no oracle, no run directory
rm -f "$TMP/oracle-ran"
nruns=$(ls "$runs" | wc -l)
(cd src && report 128 --arg paths=../adler32.c)
expect_stderr "^fatal: pathspec '../adler32.c' did not match any file at 'HEAD'$"
grep -q '^workflow:' "$TMP/err" && fail "the card was shown for a pathspec that matches nothing"
(cd src && report 128 --arg paths=../../elsewhere)
expect_stderr "^fatal: args.paths: '../../elsewhere' is outside the repository"
(cd src && report 129 --arg 'paths=:(glob,literal)x')
expect_stderr "^error: args.paths: 'literal' and 'glob' are incompatible"
report 129 --arg paths='[]'
expect_stderr "^error: argument 'paths' of workflow 'list' must be a pathspec or an array of pathspecs"
(cd src && expect_code 128 git wfmigrate run --provider exec --agent-cmd cat --oracle "touch '$TMP/oracle-ran'" \
	--arg match=x --arg 'paths=:(glob)*.h' --yes "a goal" </dev/null)
expect_stderr "^fatal: pathspec ':\(glob\)\*.h' did not match any file at 'HEAD'$"
[ ! -e "$TMP/oracle-ran" ] || fail "the oracle ran before the pathspecs were checked"
[ "$(ls "$runs" | wc -l)" = "$nruns" ] || fail "a refused run created a run directory"
pass "a bad pathspec stops run before the card, the oracle and any run directory (exit 128 or 129)"

check_repo "$repo"
