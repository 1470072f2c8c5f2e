#!/usr/bin/env bash
# Uncommitted changes to the files a run works on are named on the approval
# card (issue 11, point 6): the run starts from a commit and never sees the
# working tree. Only the run's files count: its units' files when the
# workflow says what goes to chunk(), else its paths, else every tracked
# file; staged and unstaged changes alike; untracked files never.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod="sh $src/fixtures/codemods/old-to-safe.sh"
goal="move every caller of old_copy to safe_copy"
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
cd "$TMP/cardkit"

# card [run options...]: the approval card of a migrate run, which is refused (no terminal)
card() {
	expect_code 129 git wfmigrate run --oracle 'make test' --provider exec --agent-cmd "$codemod" \
		"$@" "$goal" </dev/null
	expect_stderr 'no terminal to ask for approval on'
}

card --arg match=old_copy
grep -q 'uncommitted' "$TMP/err" && fail "a clean tree got a warning: $(cat "$TMP/err")"
pass "a clean working tree: no warning"

echo '/* mine */' >>src/card.c                       # unstaged, holds units that call old_copy
echo '/* staged */' >>src/book.c && git add src/book.c  # staged
echo '/* too */' >>tests/run_tests.c                  # no unit of it calls old_copy
echo 'scratch' >untracked.c                           # untracked: never the run's
card --arg match=old_copy
py '
err = open(sys.argv[1]).read().split("\n")
i = [n for n, l in enumerate(err) if l.startswith("warning: ") and "uncommitted" in l]
assert len(i) == 1, err
assert err[i[0]] == "warning: 2 files the run works on have uncommitted changes; the run starts from HEAD (%s) and does not see them:" % sys.argv[2][:12], err[i[0]]
assert err[i[0] + 1:i[0] + 3] == ["  src/book.c", "  src/card.c"], err[i[0]:i[0] + 4]
assert not err[i[0] + 3].startswith("  "), err[i[0] + 3]
' "$TMP/err" "$(git rev-parse HEAD)" || fail "the warning for the units' files: $(cat "$TMP/err")"
(cd src && card --arg match=old_copy --arg paths=card.c)
grep -A2 '^warning: 1 file the run works on has uncommitted changes' "$TMP/err" | grep -q '^  src/card.c$' ||
	fail "the warning within paths: $(cat "$TMP/err")"
grep -q '^  src/book.c$' "$TMP/err" && fail "a file outside the paths was named: $(cat "$TMP/err")"
pass "the card names the dirty files among the run's units (staged or not), not the others"

# a workflow that tells nothing of its units: its paths, else every tracked file
mkdir -p .wfmigrate/workflows
cat >.wfmigrate/workflows/plain.js <<'JS'
export const meta = { name: 'plain', description: 'Says nothing of what it touches' }
return args
JS
expect_code 129 git wfmigrate run --workflow plain --provider exec --agent-cmd cat </dev/null
grep -q '^warning: 3 files the run works on have uncommitted changes' "$TMP/err" ||
	fail "every tracked file of a workflow without paths: $(cat "$TMP/err")"
expect_code 129 git wfmigrate run --workflow plain --provider exec --agent-cmd cat --arg paths=tests </dev/null
grep -A1 '^warning: 1 file the run works on has uncommitted changes' "$TMP/err" | grep -q '^  tests/run_tests.c$' ||
	fail "args.paths of a workflow without meta.args: $(cat "$TMP/err")"
pass "without units: the files of args.paths, else every tracked file"

# many files: the first ten, and how many more
for i in 1 2 3 4 5 6; do echo "note $i" >"notes$i.txt"; done
git add notes*.txt && git commit -qm notes
for f in $(git ls-files src tests Makefile README.md 'notes*.txt'); do echo '/* x */' >>"$f"; done
card --arg match=old_copy --arg rounds=1
grep -q '^warning: 7 files' "$TMP/err" || fail "the count of the units' files: $(cat "$TMP/err")"
expect_code 129 git wfmigrate run --workflow plain --provider exec --agent-cmd cat </dev/null
n=$(git status --porcelain --untracked-files=no | wc -l)
grep -q "^warning: $n files the run works on have uncommitted changes" "$TMP/err" ||
	fail "the count: $(cat "$TMP/err")"
[ "$(sed -n '/^warning: /,/^[^ ]/p' "$TMP/err" | grep -c '^  [^.]')" = 10 ] || fail "not ten names: $(cat "$TMP/err")"
grep -q "^  \.\.\. and $((n - 10)) more (git status lists them)$" "$TMP/err" || fail "no count of the rest: $(cat "$TMP/err")"
pass "at most ten names, and the count of the rest"

# the run itself starts from HEAD: the edits stay where they are, unseen
git checkout -q -- . && git reset -q && git reset -q --hard HEAD~1
echo '/* mine */' >>src/card.c
cp src/card.c "$TMP/card.c.mine"
expect_code 0 git wfmigrate run --oracle 'make test' --provider exec --agent-cmd "$codemod" \
	--arg match=old_copy --arg paths=src/card.c --yes --json "$goal" </dev/null
grep -q '^warning: 1 file the run works on has uncommitted changes' "$TMP/err" || fail "no warning with --yes"
cmp -s src/card.c "$TMP/card.c.mine" || fail "the run touched the user's edited file"
py 'r = j(sys.argv[1]); assert r["totals"]["merged"] >= 1, r["totals"]' "$TMP/out" ||
	fail "the run from HEAD merged nothing: $(cat "$TMP/out")"
pass "with --yes the warning is shown and the run works from HEAD, the user's edit untouched"

check_repo "$TMP/cardkit"
