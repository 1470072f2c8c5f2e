#!/usr/bin/env bash
# isolation: 'worktree' returns what Claude Code returns (docs/workflow-api.md,
# agent()), end to end with the real binary, a real oracle and exec agents:
#
# - a script in Claude Code's format: a worktree agent with a schema
#   resolves to the object itself (r.patch is the agent's string, no keys of
#   ours), and merge(r) merges its worktree's branch into the integration
#   branch;
# - a text-result worktree agent resolves to its text; oracle(text) tests
#   its branch (a broken branch fails where the base passes), diff(text) is
#   its change;
# - worktreeOf() gives branch, commit and changed; two agents that say the
#   same text make oracle(text) a TypeError, and their promises tell them
#   apart; a read-only verifier's result has no branch, and a failed agent
#   is null, and merge() of either is a TypeError;
# - a resume replays the run (no agent runs) to the same result;
# - the built-in migrate workflow, whose implementers and fixers all answer
#   the same text ('Done.'), still judges and merges each unit's own branch.
. "$(dirname "$0")/lib.sh"

# The agents, by label. Files under src/ hold one word; the oracle fails
# when one says BROKEN.
cat >"$TMP/agent.py" <<'PY'
import json, os, subprocess, sys
sys.stdin.read()
path = os.environ.get('WFM_AGENT_JSON_FILE')
ctx = json.load(open(path)) if path else json.loads(os.environ['WFM_AGENT_JSON'])
label = ctx['label']

def write(p, text):
    with open(p, 'w') as f:
        f.write(text + '\n')

if label == 'patcher':
    write('src/a.txt', 'new')
    patch = subprocess.run(['git', 'diff'], capture_output=True, text=True, check=True).stdout
    print(json.dumps({'patch': patch}))
elif label == 'breaker':
    write('src/b.txt', 'BROKEN')
    print('I changed src/b.txt')
elif label == 'mender':
    write('src/b.txt', 'fine')
    print('src/b.txt now says fine')
elif label in ('same1', 'same2'):
    write('src/c.txt' if label == 'same1' else 'src/d.txt', label)
    print('Done.')
elif label == 'reader':
    print(json.dumps({'verdict': 'pass'}))
elif label == 'failer':
    write('src/e.txt', 'left over')
    sys.exit(1)
else:
    sys.exit('agent.py: unexpected label %r' % label)
PY

cat >"$TMP/claude.js" <<'JS'
export const meta = {
  name: 'claude-isolation',
  description: 'Worktree agents as Claude Code returns them: the text, or the object of the schema',
}

const PATCH = { type: 'object', properties: { patch: { type: 'string' } }, required: ['patch'] }

// As Bun's scripts do: the worktree agent returns its patch
const r = await agent('Replace old with new in src/a.txt and return the patch', {
  label: 'patcher', isolation: 'worktree', schema: PATCH,
})
const added = r.patch.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++'))
const merged = await merge(r)

// text results: the oracle on the agent's branch
const broken = await agent('Edit src/b.txt', { label: 'breaker', isolation: 'worktree' })
const brokenRun = await oracle(broken)
const mended = await agent('Edit src/b.txt with care', { label: 'mender', isolation: 'worktree' })
const mendedRun = await oracle(mended)
const mendedDiff = await diff(mended)
const baseRun = await oracle()

// two agents that say the same thing: the text does not tell which, the promise does
const p1 = agent('Write src/c.txt', { label: 'same1', isolation: 'worktree' })
const p2 = agent('Write src/d.txt', { label: 'same2', isolation: 'worktree' })
const [s1, s2] = [await p1, await p2]
let ambiguous = null
try {
  await oracle(s1)
} catch (e) {
  ambiguous = `${e.name}: ${e.message}`
}
const merged2 = await merge(p2)

// a read-only verifier keeps no branch; a failed agent is null
const verdict = await agent('Review src/a.txt', {
  label: 'reader', role: 'verifier', isolation: 'worktree',
  schema: { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] },
})
const failed = await agent('Fail', { label: 'failer', isolation: 'worktree' })
const refusals = []
for (const x of [verdict, failed]) {
  try {
    await merge(x)
    refusals.push('merged')
  } catch (e) {
    refusals.push(`${e.name}: ${e.message}`)
  }
}

return {
  patchType: typeof r.patch, keys: Object.keys(r), added, merged: merged.merged,
  broken, brokenRun: { pass: brokenRun.pass, commit: brokenRun.commit },
  mended, mendedRun: { pass: mendedRun.pass, commit: mendedRun.commit }, mendedDiff,
  baseRun: { pass: baseRun.pass, commit: baseRun.commit },
  worktrees: { r: worktreeOf(r), broken: worktreeOf(broken), mended: worktreeOf(mended) },
  same: s1 === s2 ? s1 : null, ambiguous, branches: [worktreeOf(p1).branch, worktreeOf(p2).branch],
  merged2: merged2.merged,
  verdict, verdictWorktree: worktreeOf(verdict), failed, failedWorktree: worktreeOf(failed), refusals,
}
JS

repo=$(new_repo)
cd "$repo"
mkdir src
for f in a b c d; do echo old >"src/$f.txt"; done
cat >check.sh <<'SH'
if grep -rq BROKEN src; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
SH
git add -A
git commit -qm base
base=$(git rev-parse HEAD)
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs

expect_code 0 git wfmigrate run --workflow "$TMP/claude.js" --oracle 'sh check.sh' --provider exec \
	--agent-cmd "python3 $TMP/agent.py" --yes --json </dev/null
id=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
rd=$runs/$id
cp "$rd/report.json" "$TMP/first.json"
py '
r = j(sys.argv[1])
assert r["status"] == "done", r
v = r["result"]
run, base = sys.argv[2], sys.argv[3]
br = lambda label: "wfmigrate/%s/%s" % (run, label)
tip = lambda b: subprocess.run(["git", "rev-parse", b], capture_output=True, text=True, check=True).stdout.strip()

# the schema object as Claude Code gives it, merged by merge(r)
assert v["patchType"] == "string" and v["keys"] == ["patch"], v
assert v["added"] == ["+new"], v["added"]
assert v["merged"] is True, v
w = v["worktrees"]["r"]
assert w == {"branch": br("patcher"), "commit": tip(br("patcher")), "changed": True}, w

# text results: oracle(text) ran on the branch of the agent that said it
assert v["broken"] == "I changed src/b.txt" and v["mended"] == "src/b.txt now says fine", v
assert v["worktrees"]["broken"] == {"branch": br("breaker"), "commit": tip(br("breaker")), "changed": True}, v["worktrees"]
assert v["brokenRun"] == {"pass": False, "commit": tip(br("breaker"))}, v["brokenRun"]
assert v["mendedRun"] == {"pass": True, "commit": tip(br("mender"))}, v["mendedRun"]
assert v["baseRun"] == {"pass": True, "commit": base}, v["baseRun"]
assert "-old\n+fine\n" in v["mendedDiff"] and "src/b.txt" in v["mendedDiff"], v["mendedDiff"]

# the same text twice
assert v["same"] == "Done.", v
want = ("TypeError: oracle(): the string \"Done.\" was returned by 2 worktree agents (branches %s, %s)"
        % (br("same1"), br("same2")))
assert v["ambiguous"].startswith(want) and "worktreeOf(promise)" in v["ambiguous"], v["ambiguous"]
assert v["branches"] == [br("same1"), br("same2")], v["branches"]
assert v["merged2"] is True, v

# no branch to merge: a read-only verifier, a failed agent
assert v["verdict"] == {"verdict": "pass"}, v
vw = v["verdictWorktree"]
assert vw["branch"] is None and vw["changed"] is False and re.fullmatch("[0-9a-f]{40}", vw["commit"]), vw
assert v["failed"] is None and v["failedWorktree"] is None, v
assert v["refusals"] == [
    "TypeError: merge(): that agent\x27s work was not kept: a read-only role gets a worktree, not a branch",
    "TypeError: merge(): got null, the value of a failed agent? give a worktree agent\x27s result, a branch name or options",
], v["refusals"]
' "$TMP/first.json" "$id" "$base" || fail "the script did not see what Claude Code gives: $(cat "$TMP/first.json")"
pass "a schema result is the object itself (r.patch), a text result the text; worktreeOf() gives branch, commit, changed"
pass "oracle(text) tests the agent's branch, diff(text) is its change; the same text twice is a TypeError, the promise tells"

# the integration branch holds what merge(r) and merge(p2) merged, nothing else
integ=refs/heads/wfmigrate/$id/integration
[ "$(git diff --name-only "$base" "$integ" | tr '\n' ' ')" = "src/a.txt src/d.txt " ] ||
	fail "the integration branch holds: $(git diff --stat "$base" "$integ")"
[ "$(git show "$integ:src/a.txt")" = new ] || fail "merge(r) did not merge the patcher's work"
[ "$(git show "$integ:src/d.txt")" = same2 ] || fail "merge(promise) did not merge same2's work"
[ -z "$(git log --all --format=%H -- src/e.txt)" ] || fail "the failed agent's work was committed"
pass "merge(r) of a schema result and merge(promise) land their branches on the integration branch"

# resume: everything from the journal, the same result
expect_code 0 git wfmigrate resume --json "$id" </dev/null
py '
a, b = j(sys.argv[1]), j(sys.argv[2])
assert a["result"] == b["result"], (a["result"], b["result"])
s = b["sessions"][-1]  # the own figures of the resume; the totals add up the sessions
assert s["agentsRun"] == 0 and s["agentsReplayed"] == 7, b["sessions"]
assert b["totals"]["agentsRun"] == a["totals"]["agentsRun"], (a["totals"], b["totals"])
' "$TMP/first.json" "$TMP/out" || fail "the resume did not replay the run to the same result: $(cat "$TMP/out")"
pass "a resume replays the worktree records to the same values, no agent run again"

check_repo "$repo"
[ "$(git rev-parse HEAD)" = "$base" ] || fail "the user's HEAD moved"
[ -z "$(git status --porcelain)" ] || fail "the user's working tree changed: $(git status --porcelain)"
pass "the user's branch and working tree are untouched; fsck and worktrees are clean"

# --- migrate, with agents that all say the same thing. The implementer of
# src/b.c breaks it; its fixer mends it. Every implementer and fixer answers
# 'Done.'; the verifier passes what has no BROKEN left.
cat >"$TMP/same.py" <<'PY'
import json, os, sys
sys.stdin.read()
path = os.environ.get('WFM_AGENT_JSON_FILE')
ctx = json.load(open(path)) if path else json.loads(os.environ['WFM_AGENT_JSON'])
role, unit = ctx['role'], ctx.get('unit') or {}
p = unit.get('path')
if role == 'verifier':
    print(json.dumps({'verdict': 'pass', 'findings': []}))
    sys.exit(0)
with open(p) as f:
    text = f.read()
if role == 'implementer':
    text = text.replace('old_f(', 'BROKEN(' if p == 'src/b.c' else 'new_f(')
elif role == 'fixer':
    text = text.replace('BROKEN(', 'new_f(')
with open(p, 'w') as f:
    f.write(text)
print('Done.')
PY
repo2=$(new_repo)
cd "$repo2"
mkdir src
for f in a b c; do printf 'int f%s(void)\n{\n\treturn old_f(1);\n}\n' "$f" >"src/$f.c"; done
cp "$repo/check.sh" .
git add -A
git commit -qm base
base2=$(git rev-parse HEAD)
expect_code 0 git wfmigrate run --workflow migrate --arg match='old_f\(' --arg paths=src --oracle 'sh check.sh' \
	--provider exec --agent-cmd "python3 $TMP/same.py" --yes --json "call new_f instead of old_f" </dev/null
id2=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
py '
r = j(sys.argv[1])
units = {u["id"]: u for u in r["result"]["units"]}
assert sorted(units) == ["src/a.c::function::fa", "src/b.c::function::fb", "src/c.c::function::fc"], units
for uid, u in units.items():
    assert u["status"] == "merged", u
want = "wfmigrate/%s/%s" % (sys.argv[2], "fix1-src-b.c-function-fb")
assert units["src/b.c::function::fb"]["branch"] == want and units["src/b.c::function::fb"]["rounds"] == 1, units
assert units["src/a.c::function::fa"]["rounds"] == 0, units
' "$TMP/out" "$id2" || fail "migrate did not keep each unit's own branch apart: $(cat "$TMP/out")"
integ2=refs/heads/wfmigrate/$id2/integration
for f in a b c; do
	[ "$(git show "$integ2:src/$f.c" | grep -c 'new_f(')" = 1 ] || fail "src/$f.c is not migrated: $(git show "$integ2:src/$f.c")"
done
git grep -q BROKEN "$integ2" -- src && fail "the broken attempt reached the integration branch"
check_repo "$repo2"
[ "$(git rev-parse HEAD)" = "$base2" ] || fail "the user's HEAD moved"
pass "migrate: implementers and a fixer that all answer 'Done.' each have their own branch judged and merged"
