#!/usr/bin/env bash
# A misspelled name is an error with a "did you mean", never ignored
# (issue 11, point 5): commands and options as git does it, and a run's
# arguments against the workflow's meta.args, checked before anything runs;
# the approval card lists the arguments (given and defaulted) and the unit
# count.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod="sh $src/fixtures/codemods/old-to-safe.sh"
goal="move every caller of old_copy to safe_copy"

# --- commands and options
expect_code 129 git wfmigrate rn
expect_stderr "^error: 'rn' is not a git wfmigrate command. See 'git wfmigrate -h'.$"
expect_stderr "^hint: did you mean 'run'\?$"
expect_code 129 git wfmigrate chnuk --json
expect_stderr "^hint: did you mean 'chunk'\?$"
expect_code 129 git wfmigrate help rsume
expect_stderr "^hint: did you mean 'resume'\?$"
expect_code 129 git wfmigrate p
expect_stderr "^hint: did you mean one of 'pause', 'plan', 'ps'\?$"
expect_code 129 git wfmigrate frobnicate
grep -q '^hint:' "$TMP/err" && fail "a hint for a word like no command: $(cat "$TMP/err")"
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
cd "$TMP/cardkit"
expect_code 129 git wfmigrate run --oracel 'make test' "$goal"
expect_stderr "^error: unknown option 'oracel'; did you mean '--oracle'\?$"
expect_code 129 git wfmigrate --oracel 'make test' "$goal"
expect_stderr "did you mean '--oracle'\?"
expect_code 129 git wfmigrate chunk --jsno
expect_stderr "^error: unknown option 'jsno'; did you mean '--json'\?$"
expect_code 129 git wfmigrate run --no-yse "$goal"
expect_stderr "did you mean '--no-yes'\?"
expect_code 129 git wfmigrate run --oracle-job 2 "$goal"
expect_stderr "did you mean '--oracle-jobs'\?"
expect_code 129 git wfmigrate chunk --frobnicate
expect_stderr "^error: unknown option 'frobnicate'$"
expect_code 129 git wfmigrate run --workflow migrat --provider exec --agent-cmd cat --yes "$goal" </dev/null
expect_stderr "^error: no workflow named 'migrat'; did you mean 'migrate'\? \(looked for migrat.js"
pass "a mistyped command, option or workflow: exit 129 with git's 'did you mean'"

# --- a run's arguments against meta.args, before the oracle or anything else
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
marker=$TMP/oracle-ran
# try <code> [run options...]: git wfmigrate run with the codemod and an oracle that leaves a mark
try() {
	local code=$1
	shift
	expect_code "$code" git wfmigrate run --oracle "touch '$marker'; make test" --provider exec \
		--agent-cmd "$codemod" "$@" </dev/null
}
try 129 --arg mtach=old_copy --yes "$goal"
expect_stderr "^error: workflow 'migrate' has no argument 'mtach'; did you mean 'match'\?$"
try 129 --arg zzz=1 --yes "$goal"
expect_stderr "^error: workflow 'migrate' has no argument 'zzz'; its arguments are 'goal', 'match', 'paths', "
try 129 --args-json '{"match": "old_copy", "roudns": 2}' --yes "$goal"
expect_stderr "has no argument 'roudns'; did you mean 'rounds'\?$"
try 129 --arg match=old_copy --arg rounds=many --yes "$goal"
expect_stderr "^error: argument 'rounds' of workflow 'migrate' must be a whole number, not \"many\"$"
try 129 --arg match=old_copy --arg rounds=1.5 --yes "$goal"
expect_stderr "must be a whole number, not 1.5$"
try 129 --arg match=old_copy --arg unverified=mrege --yes "$goal"
expect_stderr "^error: argument 'unverified' of workflow 'migrate' must be one of \"keep\", \"merge\", not \"mrege\"$"
try 129 --arg match=old_copy --arg allowTestEdits=yes --yes "$goal"
expect_stderr "must be true or false, not \"yes\"$"
try 129 --arg match=old_copy --yes
expect_stderr "^error: workflow 'migrate' needs a goal: give it as the words after the options"
try 129 --arg match='(' --yes "$goal"
expect_stderr "^error: invalid pattern '\(' at offset 1"
[ ! -e "$marker" ] || fail "the oracle ran before the arguments were checked"
[ ! -d "$runs" ] || [ -z "$(ls -A "$runs")" ] || fail "a refused run created $(ls "$runs")"
pass "migrate: an unknown, mistyped or missing argument stops the run before the oracle (exit 129)"

# --- the card: the arguments given and defaulted, and the units
try 129 --arg match=old_copy --arg rounds=2 --arg scope=src/cardkit.h "$goal"
expect_stderr 'no terminal to ask for approval on'
py '
err = open(sys.argv[1]).read()
lines = err.split("\n")
i = lines.index("arguments:")
args = [l.split() for l in lines[i + 1:i + 6]]
assert args == [["match", "old_copy"], ["rounds", "2"], ["scope", "src/cardkit.h"],
                ["unverified", "keep", "(default)"], ["allowTestEdits", "false", "(default)"]], args
assert "units: 17 (chunk() with match)" in lines, err
' "$TMP/err" || fail "the card's arguments or units: $(cat "$TMP/err")"
(cd src && try 129 --arg match=old_copy --arg paths=card.c --arg paths=../src/book.c "$goal")
grep -q '^  paths  *\["src/card.c","src/book.c"\]$' "$TMP/err" || fail "the card's paths: $(cat "$TMP/err")"
grep -q '^units: [0-9]* (chunk() with match, paths)$' "$TMP/err" || fail "the card's units with paths: $(cat "$TMP/err")"
pass "the card lists the arguments given and defaulted, and the units chunk() will make"

# --- what meta.args declares decides how --arg reads a value; undeclared workflows take anything
mkdir -p .wfmigrate/workflows
cat >.wfmigrate/workflows/typed.js <<'JS'
export const meta = {
  name: 'typed',
  description: 'Returns its args',
  args: {
    name: { type: 'string', description: 'text, even when it reads as JSON' },
    n: { type: 'integer', default: 1 },
    tags: { type: 'strings' },
    opts: { type: 'object' },
  },
}
return args
JS
cat >.wfmigrate/workflows/loose.js <<'JS'
export const meta = { name: 'loose', description: 'Declares nothing' }
return args
JS
expect_code 0 git wfmigrate run --workflow typed --provider exec --agent-cmd cat --yes --json \
	--arg name=123 --arg n=4 --arg tags=a --arg tags=b,c --arg 'opts={"x":true}' </dev/null
py 'r = j(sys.argv[1])["result"]; assert r == {"goal": "", "name": "123", "n": 4, "tags": ["a", "b,c"], "opts": {"x": True}}, r' \
	"$TMP/out" || fail "typed --arg values: $(cat "$TMP/out")"
expect_code 129 git wfmigrate run --workflow typed --provider exec --agent-cmd cat --yes --arg nmae=x </dev/null
expect_stderr "^error: workflow 'typed' has no argument 'nmae'; did you mean 'name'\?$"
expect_code 129 git wfmigrate run --workflow typed --provider exec --agent-cmd cat --yes "a goal" </dev/null
expect_stderr "^error: workflow 'typed' takes no goal"
expect_code 0 git wfmigrate run --workflow loose --provider exec --agent-cmd cat --yes --json --arg mtach=x </dev/null
py 'assert j(sys.argv[1])["result"] == {"goal": "", "mtach": "x"}' "$TMP/out" ||
	fail "a workflow without meta.args refused an argument: $(cat "$TMP/out")"
pass "--arg values follow the declared types; a workflow that declares nothing takes any argument"

check_repo "$TMP/cardkit"
