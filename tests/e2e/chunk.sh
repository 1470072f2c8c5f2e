#!/usr/bin/env bash
# git wfmigrate chunk: the real binary on real repositories.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
mkdir -p "$repo/src/util" "$repo/py"
cat >"$repo/src/main.c" <<'EOF'
#include <stdio.h>

/* Entry point. */
int main(void)
{
	return helper(1);
}

#ifdef DEBUG
static int helper(int x) { return x; }
#else
static int helper(int x) { return 0; }
#endif
EOF
cat >"$repo/src/util/str.c" <<'EOF'
int str_len(const char *s) { int n = 0; while (s[n]) n++; return n; }
EOF
cat >"$repo/py/app.py" <<'EOF'
class App:
    def run(self):
        return "ünïcode"


def main():
    App().run()
EOF
printf 'plain text\n' >"$repo/NOTES"
git -C "$repo" add -A
git -C "$repo" commit -qm first

# The table: a header, aligned columns, repository-relative ids.
(cd "$repo" && expect_output '^ID +LANG +KIND +LINES +BYTES$' git wfmigrate chunk)
grep -Eq '^src/main\.c::function::main +c +function +3-7 +[0-9]+$' "$TMP/out" || { cat "$TMP/out"; fail "no row for main"; }
grep -Eq '^src/main\.c::code::<stdio\.h> +c +code +1-1 ' "$TMP/out" || fail "no unit for the #include"
grep -Eq '^src/main\.c::function::helper#2 +c +function +12-13 ' "$TMP/out" || fail "no #2 duplicate"
grep -Eq '^NOTES::file::NOTES +other +file +1-1 +11$' "$TMP/out" || fail "no whole-file unit"
[ "$(wc -l <"$TMP/out")" = 9 ] || { cat "$TMP/out"; fail "expected 8 units and a header"; }
pass "table"

# JSON, read back by Python.
(cd "$repo" && expect_code 0 git wfmigrate chunk --json --text)
python3 - "$TMP/out" <<'EOF' || fail "--json output is wrong"
import json, sys
units = json.load(open(sys.argv[1], encoding="utf-8"))
ids = [u["id"] for u in units]
assert ids == ["NOTES::file::NOTES", "py/app.py::class::App", "py/app.py::function::main",
               "src/main.c::code::<stdio.h>", "src/main.c::function::main",
               "src/main.c::function::helper",
               "src/main.c::function::helper#2", "src/util/str.c::function::str_len"], ids
app = units[1]
assert app["lang"] == "python" and app["kind"] == "class" and app["name"] == "App"
assert (app["start_line"], app["end_line"]) == (1, 3), app
assert app["size"] == app["end_byte"] - app["start_byte"] == len(app["text"].encode()), app
assert "ünïcode" in app["text"]
for u in units:
    for k in ("id", "path", "lang", "kind", "name", "start_line", "end_line",
              "start_byte", "end_byte", "size", "text"):
        assert k in u, (k, u)
EOF
(cd "$repo" && expect_output '^\[\]$' git wfmigrate chunk --json --match 'no such text anywhere')
pass "--json"

# From a subdirectory: pathspecs are relative to it, ids to the top.
(cd "$repo/src" && expect_code 0 git wfmigrate chunk --json)
py 'ids=[u["id"] for u in j(sys.argv[1])]; assert ids[0]=="src/main.c::code::<stdio.h>" and all(i.startswith("src/") for i in ids), ids' "$TMP/out" ||
	fail "from src/: not limited to src/"
(cd "$repo/src/util" && expect_output '^src/util/str\.c::function::str_len ' git wfmigrate chunk)
(cd "$repo/src/util" && expect_output '^py/app\.py::class::App ' git wfmigrate chunk ../../py)
(cd "$repo/src/util" && expect_output '^NOTES::file::NOTES ' git wfmigrate chunk :/NOTES)
(cd "$repo/src" && expect_output '^src/util/str\.c' git wfmigrate chunk 'util/*.c')
(cd "$repo/src" && expect_code 128 git wfmigrate chunk ../../outside)
expect_stderr "^fatal: '../../outside' is outside the repository"
(cd "$repo/src" && expect_code 128 git wfmigrate chunk no-such-file.c)
expect_stderr "^fatal: pathspec 'no-such-file.c' did not match any file at 'HEAD'"
pass "subdirectory and pathspecs"

# The object database, not the working tree.
echo 'int uncommitted(void) { return 0; }' >>"$repo/src/util/str.c"
echo 'def untracked(): pass' >"$repo/py/new.py"
(cd "$repo" && expect_code 0 git wfmigrate chunk)
! grep -q 'uncommitted\|untracked' "$TMP/out" || fail "the working tree leaked into the units"
git -C "$repo" checkout -q -- src/util/str.c
rm "$repo/py/new.py"
pass "working-tree edits are invisible"

# Revisions.
printf 'def later():\n    pass\n' >>"$repo/py/app.py"
git -C "$repo" commit -qam second
(cd "$repo" && expect_output 'py/app\.py::function::later' git wfmigrate chunk py)
(cd "$repo" && expect_code 0 git wfmigrate chunk --rev HEAD~1 py)
! grep -q later "$TMP/out" || fail "--rev HEAD~1 shows a later function"
(cd "$repo" && expect_code 128 git wfmigrate chunk --rev no-such-rev)
expect_stderr "^fatal: unknown revision 'no-such-rev'$"
pass "--rev"

# A linked worktree reads its own HEAD.
git -C "$repo" worktree add -q --detach "$TMP/wt" HEAD~1
(cd "$TMP/wt/py" && expect_code 0 git wfmigrate chunk)
grep -q '^py/app\.py::class::App ' "$TMP/out" || fail "linked worktree: no units"
! grep -q later "$TMP/out" || fail "linked worktree: read the main worktree's HEAD"
git -C "$repo" worktree remove --force "$TMP/wt"
check_repo "$repo"
pass "linked worktree"

# Filters, packing, languages.
(cd "$repo" && expect_output '^src/main\.c::function::helper ' git wfmigrate chunk --match 'return x;')
[ "$(wc -l <"$TMP/out")" = 2 ] || fail "--match kept too much"
(cd "$repo" && expect_output '^src/util/str\.c::function::str_len ' \
	git wfmigrate chunk --query '((identifier) @i (#eq? @i "n"))')
[ "$(wc -l <"$TMP/out")" = 2 ] || fail "--query kept too much"
(cd "$repo" && expect_output '^py/app\.py::' git wfmigrate chunk --lang python)
! grep -q '^src/' "$TMP/out" || fail "--lang python shows C"
(cd "$repo" && expect_output '^NOTES::file::NOTES ' git wfmigrate chunk --lang other)
(cd "$repo" && expect_output '^src/main\.c::pack::function::helper\.\.function::helper#2 ' \
	git wfmigrate chunk --max-bytes 110 src/main.c)
(cd "$repo" && expect_output '^src/main\.c::function::main@part2 ' \
	git wfmigrate chunk --max-bytes 40 src/main.c)
(cd "$repo" && expect_output '^==> py/app\.py::class::App \(python class, lines 1-3' \
	git wfmigrate chunk --text py/app.py)
grep -q '^        return "ünïcode"$' "$TMP/out" || fail "--text prints no text"
(cd "$repo" && expect_output '\(parse timed out\)$|\(file larger than 10 bytes\)$' \
	git wfmigrate chunk --max-file-bytes 10 --threads 1 src/main.c)
pass "filters, packing and text"

# Usage errors: 129.
(cd "$repo" && expect_code 129 git wfmigrate chunk --lang cobol)
expect_stderr "^error: unknown language 'cobol' \(valid: c, cpp, python, javascript, typescript, tsx, go, rust, java, other\)"
(cd "$repo" && expect_code 129 git wfmigrate chunk --match '(unclosed')
expect_stderr "^error: invalid pattern '\(unclosed' at offset 9: missing closing parenthesis"
(cd "$repo" && expect_code 129 git wfmigrate chunk --query '(function_definition')
expect_stderr "^error: invalid query: syntax error at offset 20"
(cd "$repo" && expect_code 129 git wfmigrate chunk --query '((identifier) @i (#set! x y))')
expect_stderr "unsupported query predicate '#set!'"
(cd "$repo" && expect_code 129 git wfmigrate chunk --max-bytes zero)
(cd "$repo" && expect_code 129 git wfmigrate chunk --bogus)
expect_stderr "unknown option 'bogus'"
(cd "$repo" && expect_code 129 git wfmigrate chunk -h)
grep -q '^usage: git wfmigrate chunk \[--json\] \[--text\]' "$TMP/out" || fail "-h prints no usage"
for o in --json --text --lang --match --query --max-bytes --rev --threads --parse-timeout --max-file-bytes; do
	grep -q -- "$o" "$TMP/out" || fail "-h does not describe $o"
done
pass "usage errors"

# Repository errors: 128.
empty=$(new_repo)
(cd "$empty" && expect_code 128 git wfmigrate chunk)
expect_stderr "^fatal: 'HEAD' has no commits yet$"
outside=$(mktemp -d "$TMP/outside.XXXXXX")
(cd "$outside" && GIT_CEILING_DIRECTORIES="$TMP" expect_code 128 git wfmigrate chunk)
expect_stderr '^fatal: not a git repository'
pass "repository errors"

# Many files, several threads: the same output as one thread.
for i in $(seq 1 40); do
	mkdir -p "$repo/gen/d$((i % 5))"
	printf 'int f%d(int x) { return x + %d; }\nint g%d(void) { return 0; }\n' "$i" "$i" "$i" \
		>"$repo/gen/d$((i % 5))/f$i.c"
done
git -C "$repo" add -A
git -C "$repo" commit -qm generated
(cd "$repo" && git wfmigrate chunk --json --threads 1 >"$TMP/one.json")
(cd "$repo" && git wfmigrate chunk --json --threads 4 >"$TMP/four.json")
cmp -s "$TMP/one.json" "$TMP/four.json" || fail "--threads 4 differs from --threads 1"
[ "$(grep -c '"id"' "$TMP/one.json")" -ge 87 ] || fail "too few units"
check_repo "$repo"
pass "threads"

# Non-ASCII names line up: columns count characters, not bytes.
uni=$(new_repo)
printf 'def ünï():\n    pass\n\ndef plain():\n    pass\n' >"$uni/ñame.py"
git -C "$uni" add -A
git -C "$uni" commit -qm unicode
(cd "$uni" && expect_code 0 git wfmigrate chunk)
python3 - "$TMP/out" <<'PY' || { cat "$TMP/out"; fail "the table is not aligned"; }
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(rows) == 3, rows
assert len({r.index("python") for r in rows[1:]} | {rows[0].index("LANG")}) == 1, rows
assert len({len(r) for r in rows}) == 1, rows
PY
pass "alignment"

# --uncovered: every line of code of every language is in some unit, the
# #include and the #ifdef, #else, #endif around the two helpers too.
(cd "$repo" && expect_code 0 git wfmigrate chunk --uncovered -- ':/src/main.c' ':/py' ':/NOTES')
[ ! -s "$TMP/out" ] || fail "--uncovered lists covered code"
(cd "$repo" && expect_output '^\[\]$' git wfmigrate chunk --uncovered --json --text -- ':/src/main.c')
pass "uncovered"

# C++: annotation macros are blanked before parsing; macro-defined tests are units.
cxx=$(new_repo)
mkdir -p "$cxx/src" "$cxx/test"
cat >"$cxx/src/registry.h" <<'EOF'
#define REG_API __attribute__((visibility("default")))
REG_BEGIN_NAMESPACE
class REG_API Registry {
 public:
  void Add() REG_LOCKS_EXCLUDED(mu_);
};
REG_END_NAMESPACE
class REG_SPECIAL Widget {
};
EOF
cat >"$cxx/src/registry.cc" <<'EOF'
#include "registry.h"

void Registry::Add() REG_LOCKS_EXCLUDED(mu_) {
  n_++;
}
EOF
cat >"$cxx/test/registry_test.cc" <<'EOF'
#ifdef HAVE_THREADS
#include <thread>
#endif

TEST(RegistryTest, Adds) {
  Registry r;
  r.Add();
}

TEST_CASE("registry adds", "[registry]") {
  REQUIRE(true);
}
EOF
git -C "$cxx" add -A
git -C "$cxx" commit -qm cxx
git -C "$cxx" config wfmigrate.chunk.ignoreMacro REG_SPECIAL
(cd "$cxx" && expect_code 0 git wfmigrate chunk --json)
python3 - "$TMP/out" <<'PY' || { cat "$TMP/out"; fail "C++ macros: wrong units"; }
import json, sys
units = {u["id"]: u for u in json.load(open(sys.argv[1]))}
want = {
    "src/registry.cc::method::Registry::Add": (3, 5),
    "src/registry.h::class::Registry": (2, 7),  # with the REG_*_NAMESPACE lines
    "src/registry.h::class::Widget": (8, 9),
    "test/registry_test.cc::test::RegistryTest.Adds": (5, 8),
    "test/registry_test.cc::test::registry adds": (10, 12),
}
for i, (a, b) in want.items():
    assert (units[i]["start_line"], units[i]["end_line"]) == (a, b), units[i]
# the rest is code: the #define, the #include lines
assert all(u["kind"] == "code" for i, u in units.items() if i not in want), sorted(units)
PY
# the lines of a blanked macro alone (REG_BEGIN_NAMESPACE) are in units too
(cd "$cxx" && expect_code 0 git wfmigrate chunk --uncovered)
[ ! -s "$TMP/out" ] || { cat "$TMP/out"; fail "C++ macros: lines in no unit"; }
git -C "$cxx" config --add wfmigrate.chunk.ignoreMacro 'REG SPECIAL'
# a bad setting in git config is not a bad command line: 128, no usage text
(cd "$cxx" && expect_code 128 git wfmigrate chunk)
expect_stderr "^fatal: bad config wfmigrate.chunk.ignoreMacro: 'REG SPECIAL' is not a macro name"
! grep -q '^usage:' "$TMP/err" || fail "a bad wfmigrate.chunk.ignoreMacro printed the usage text"
check_repo "$cxx"
pass "C++ annotation macros and tests"

# This repository's own JavaScript is in units, every line of code of it.
# This repository's own code is in units, every line of it: the C of src/ and
# tests/, the JavaScript of runtime/ and tests/runtime/, the scripts' Python.
own=$(new_repo)
src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cp -R "$src/src" "$src/runtime" "$src/tests" "$own/"
git -C "$own" add -A
git -C "$own" commit -qm own
(cd "$own" && expect_code 0 git wfmigrate chunk --uncovered)
[ ! -s "$TMP/out" ] || { cat "$TMP/out"; fail "src/, runtime/ or tests/ have code in no unit"; }
[ "$(git -C "$own" ls-files '*.js' '*.mjs' | wc -l)" -ge 5 ] || fail "no JavaScript to check"
[ "$(git -C "$own" ls-files '*.c' '*.h' | wc -l)" -ge 100 ] || fail "no C to check"
pass "uncovered: src/, runtime/ and tests/"
