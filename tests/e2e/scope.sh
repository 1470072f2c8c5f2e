#!/usr/bin/env bash
# The scope guard end to end (docs/merge-queue.md, "Scope"), with the real
# binary, a real oracle and an exec agent that edits a file outside its unit.
#
# - migrate gives each implementer its unit's file as its scope: the unit
#   whose implementer also edits include/api.h keeps its branch (holding that
#   edit, with Wfmigrate-Scope trailers), its agent result says outOfScope,
#   the merge queue refuses it (reason scope) without testing it, report.json
#   and report.md give the reason with the path, and the integration branch
#   does not hold the edit; the other unit is merged;
# - with --arg scope=include/*.h the same edit is in scope and merged;
# - a workflow script: worktreeOf() of agent(..., {scope})'s text says
#   outOfScope; merge() of the text refuses with reason scope, detail and
#   outOfScope; merge({branch, allowOutOfScope: true}) merges it; the refusal of a branch made by another run needs nothing but
#   git (the trailers); bad scopes are errors of the call, before any agent.
. "$(dirname "$0")/lib.sh"

# The agent: implementers and fixers rename old_f to new_f in their unit's
# file; the implementer of src/b.c also declares new_f in include/api.h (the
# header such a migration touches). The label 'stray' (a script's agent) edits
# src/a.c and include/api.h. Verifiers pass everything.
cat >"$TMP/agent.py" <<'PY'
import json, os, sys
sys.stdin.read()
path = os.environ.get('WFM_AGENT_JSON_FILE')
ctx = json.load(open(path)) if path else json.loads(os.environ['WFM_AGENT_JSON'])
role, unit, label = ctx['role'], ctx.get('unit') or {}, ctx.get('label') or ''

def edit(p, old, new):
    with open(p) as f:
        text = f.read()
    with open(p, 'w') as f:
        f.write(text.replace(old, new))

if role == 'verifier':
    print(json.dumps({'verdict': 'pass', 'findings': []}))
elif label == 'stray':
    edit('src/a.c', 'old_f(', 'new_f(')
    with open('include/api.h', 'a') as f:
        f.write('int new_f(int);\n')
    print('edited src/a.c and include/api.h')
elif role in ('implementer', 'fixer'):
    edit(unit['path'], 'old_f(', 'new_f(')
    if unit['path'] == 'src/b.c':
        with open('include/api.h', 'a') as f:
            f.write('int new_f(int);\n')
    print('renamed the calls in %s' % unit['path'])
else:
    sys.exit('agent.py: unexpected role %s' % role)
PY

repo=$(new_repo)
cd "$repo"
mkdir src include
printf 'int old_f(int);\n' >include/api.h
printf '#include "api.h"\nint fa(void)\n{\n\treturn old_f(1);\n}\n' >src/a.c
printf '#include "api.h"\nint fb(void)\n{\n\treturn old_f(2);\n}\n' >src/b.c
cat >check.sh <<'SH'
if grep -rq BROKEN src include; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
SH
git add -A
git commit -qm base
base=$(git rev-parse HEAD)
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
agent="python3 $TMP/agent.py"
common=(--oracle 'sh check.sh' --provider exec --agent-cmd "$agent" --yes --json)

# --- migrate: the unit file is the scope
expect_code 0 git wfmigrate run --workflow migrate --arg match=old_f --arg paths=src "${common[@]}" \
	"call new_f instead of old_f" </dev/null
run1=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
rd=$runs/$run1
py '
r = j(sys.argv[1])
units = {u["id"]: u for u in r["units"]}
a, b = units["src/a.c::function::fa"], units["src/b.c::function::fb"]
assert a["status"] == "merged", a
assert b["status"] == "rejected", b
assert "scope" in b["reason"] and "include/api.h" in b["reason"] and "src/b.c" in b["reason"], b["reason"]
assert b["outOfScope"] == ["include/api.h"], b
assert "outOfScope" not in a, a
assert (r["totals"]["merged"], r["totals"]["rejected"]) == (1, 1), r["totals"]
print(b["branch"])
' "$rd/report.json" >"$TMP/b-branch" || fail "report.json does not show the scope refusal: $(cat "$rd/report.json")"
bbranch=$(cat "$TMP/b-branch")
grep -F 'src/b.c::function::fb' "$rd/report.md" | grep -F 'rejected' | grep -F 'scope' |
	grep -qF 'include/api.h' || fail "report.md does not give the scope reason: $(cat "$rd/report.md")"
pass "migrate: the unit that edits include/api.h is rejected for its scope, in report.json and report.md"

# its branch is kept, with the edit and the scope on record
[ "$(git diff --name-only "$base" "$bbranch" | sort | tr '\n' ' ')" = "include/api.h src/b.c " ] ||
	fail "the rejected branch does not hold its work: $(git diff --stat "$base" "$bbranch")"
git log -1 --format=%B "$bbranch" | git interpret-trailers --parse >"$TMP/trailers"
grep -qx 'Wfmigrate-Scope: src/b.c' "$TMP/trailers" || fail "no scope trailer: $(cat "$TMP/trailers")"
grep -qx 'Wfmigrate-Role: implementer' "$TMP/trailers" || fail "no role trailer: $(cat "$TMP/trailers")"
# the agent's result (journaled) said so
py '
seen = 0
for line in open(sys.argv[1]):
    rec = json.loads(line)
    v = (rec.get("result") or {}).get("value")
    if isinstance(v, dict) and v.get("branch") == sys.argv[2]:
        assert v["outOfScope"] == ["include/api.h"], v
        seen += 1
    if isinstance(v, dict) and v.get("reason") == "scope":
        assert v["merged"] is False and v["outOfScope"] == ["include/api.h"], v
        assert "include/api.h added" not in v["detail"] and "include/api.h modified" in v["detail"], v
        seen += 1
assert seen == 2, seen
' "$rd/journal.jsonl" "$bbranch" || fail "the journal lacks the agent's outOfScope or the merge's refusal"
pass "its branch holds the edit, its commit records the scope, the agent result and merge() say outOfScope"

# the integration branch has the merged unit only; the refused branch was never tested
integ=refs/heads/wfmigrate/$run1/integration
[ "$(git diff --name-only "$base" "$integ")" = src/a.c ] ||
	fail "the integration branch holds more than src/a.c: $(git diff --stat "$base" "$integ")"
git show "$integ:include/api.h" | grep -q new_f && fail "the out-of-scope edit reached the integration branch"
[ "$(git rev-list --count "$base..$integ")" = 1 ] || fail "the integration branch has $(git rev-list --count "$base..$integ") commits"
git log --format=%B "$integ" | grep -qF "$bbranch" && fail "the refused branch is named on the integration branch"
check_repo "$repo"
pass "the integration branch holds src/a.c only"

# --- migrate with --arg scope: the header is in scope, both merge
expect_code 0 git wfmigrate run --workflow migrate --arg match=old_f --arg paths=src \
	--arg 'scope=include/*.h' "${common[@]}" "call new_f instead of old_f" </dev/null
run2=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
py '
r = j(sys.argv[1])
assert [(u["id"], u["status"]) for u in r["units"]] == [
    ("src/a.c::function::fa", "merged"), ("src/b.c::function::fb", "merged")], r["units"]
' "$runs/$run2/report.json" || fail "with --arg scope both units should merge: $(cat "$runs/$run2/report.json")"
integ2=refs/heads/wfmigrate/$run2/integration
[ "$(git diff --name-only "$base" "$integ2" | tr '\n' ' ')" = "include/api.h src/a.c src/b.c " ] ||
	fail "the integration branch lacks the header: $(git diff --stat "$base" "$integ2")"
git show "$integ2:include/api.h" | grep -qx 'int new_f(int);' || fail "the header edit is not merged"
b2=$(py 'print([u["branch"] for u in j(sys.argv[1])["units"] if u["id"].startswith("src/b.c")][0])' \
	"$runs/$run2/report.json")
[ "$(git log -1 --format=%B "$b2" | git interpret-trailers --parse | grep Scope | tr '\n' ' ')" = \
	"Wfmigrate-Scope: src/b.c Wfmigrate-Scope: include/*.h " ] || fail "the scope trailers are not the unit file and --arg scope"
pass "migrate --arg scope=include/*.h: the header edit is in scope and merged"

# a bad --arg scope stops the run before anything starts
expect_code 1 git wfmigrate run --workflow migrate --arg match=old_f --arg scope=include/ \
	"${common[@]}" "call new_f instead of old_f" </dev/null
grep -qF "args.scope: 'include/' ends with '/'" "$TMP/err" "$TMP/out" ||
	fail "a bad --arg scope is not named: $(cat "$TMP/err")"
pass "a bad --arg scope is an error naming it"

# --- a workflow script
cat >"$TMP/scope.js" <<'JS'
export const meta = { name: 'scope-check', description: 'the scope guard from a script' }

const stray = await agent('edit a.c and the header', { label: 'stray', isolation: 'worktree', scope: ['src/a.c'] })
const refused = await merge(stray)
const allowed = await merge({ branch: worktreeOf(stray).branch, allowOutOfScope: true })
const other = await merge(args.other)
const errors = []
for (const opts of [
  { isolation: 'worktree', scope: 'src/a.c' },
  { isolation: 'worktree', scope: [1] },
  { isolation: 'worktree', scope: [] },
  { isolation: 'worktree', scope: ['include/'] },
  { isolation: 'worktree', scope: ['./src/a.c'] },
  { isolation: 'worktree', role: 'verifier', scope: ['src/a.c'] },
  { scope: ['src/a.c'] },
]) {
  try {
    await agent('never runs', { label: 'bad', ...opts })
    errors.push('ran')
  } catch (e) {
    errors.push(`${e.name}: ${e.message}`)
  }
}
return { stray, worktree: worktreeOf(stray), refused, allowed, other, errors }
JS
expect_code 0 git wfmigrate run --workflow "$TMP/scope.js" --arg "other=$bbranch" "${common[@]}" </dev/null
run3=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
py '
r = j(sys.argv[1])["result"]
assert r["stray"] == "edited src/a.c and include/api.h", r["stray"]
s = r["worktree"]
assert s["changed"] is True and s["outOfScope"] == ["include/api.h"], s
assert s["branch"].startswith("wfmigrate/") and re.fullmatch("[0-9a-f]{40}", s["commit"]), s
ref = r["refused"]
assert ref["merged"] is False and ref["reason"] == "scope", ref
assert ref["outOfScope"] == ["include/api.h"], ref
assert ref["detail"] == "changes files outside its scope (\x27src/a.c\x27):\n    include/api.h modified", ref["detail"]
assert r["allowed"]["merged"] is True and re.fullmatch("[0-9a-f]{40}", r["allowed"]["commit"]), r["allowed"]
# a branch of another run: its trailers are all the queue needs
o = r["other"]
assert o["merged"] is False and o["reason"] == "scope" and o["outOfScope"] == ["include/api.h"], o
want = [
    "TypeError: agent(): option \x27scope\x27 must be a non-empty array of globs (non-empty strings) (got the string \"src/a.c\")",
    "TypeError: agent(): option \x27scope\x27 must be a non-empty array of globs (non-empty strings) (got an array)",
    "TypeError: agent(): option \x27scope\x27 must be a non-empty array of globs (non-empty strings) (got an array)",
    "Error: agent(): scope glob \x27include/\x27 ends with \x27/\x27: \x27include/**\x27 is everything under a directory",
    "Error: agent(): scope glob \x27./src/a.c\x27 has an empty, \x27.\x27 or \x27..\x27 component: globs are paths from the top of the repository",
    "Error: agent(): \x27scope\x27 is for agents whose work is committed: isolation \x27worktree\x27 and a role that writes",
    "Error: agent(): \x27scope\x27 is for agents whose work is committed: isolation \x27worktree\x27 and a role that writes",
]
assert r["errors"] == want, r["errors"]
' "$runs/$run3/report.json" || fail "the script did not see what it should: $(cat "$runs/$run3/report.json")"
# the bad calls started no agent and made no branch
py 'r = j(sys.argv[1]); assert r["totals"]["agents"] == 1, r["totals"]' "$runs/$run3/report.json" ||
	fail "a bad scope started an agent"
[ -z "$(git for-each-ref "refs/heads/wfmigrate/$run3/bad*")" ] || fail "a bad scope made a branch"
integ3=refs/heads/wfmigrate/$run3/integration
git show "$integ3:include/api.h" | grep -qx 'int new_f(int);' || fail "allowOutOfScope did not merge the header edit"
[ "$(git rev-list --count "$base..$integ3")" = 1 ] || fail "the integration branch of the script has $(git rev-list --count "$base..$integ3") commits"
pass "a script: outOfScope in the result, merge() refuses with reason scope, allowOutOfScope merges, bad scopes are errors"

check_repo "$repo"
[ "$(git status --porcelain)" = "" ] || fail "the user's working tree changed: $(git status --porcelain)"
[ "$(git rev-parse HEAD)" = "$base" ] || fail "the user's HEAD moved"
pass "the user's branch and working tree are untouched; fsck and worktrees are clean"
