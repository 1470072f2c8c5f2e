#!/usr/bin/env bash
# Agents without isolation, as in Claude Code: they work in one shared
# checkout of the run (never the user's working tree), each sees the edits
# of those before it, and their edits are kept on wfmigrate/<run>/shared,
# one commit per agent, for `git merge`. Read-only roles see it and change
# nothing; two agents writing one file at once: the later write wins and
# the report warns. A crash between an agent's commit and its journal
# record neither loses a journaled agent's edits nor repeats any.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
printf 'base\n' >notes.txt
git add notes.txt
git commit -qm init
head=$(git rev-parse HEAD)

# The agent: what it does is in its prompt, as a coding CLI would read it.
cat >"$TMP/agent.py" <<'PY'
import json, os, sys, time
ctx = json.loads(os.environ['WFM_AGENT_JSON'])
prompt = sys.stdin.read()
with open(os.environ['WFM_TEST_LOG'], 'a') as log:
    log.write(ctx['label'] + '\n')
def append(path, text):
    with open(path, 'a') as f:
        f.write(text)
words = prompt.split()
if words[0] == 'append':        # append <word> to <file>
    append(words[3], words[1] + '\n')
elif words[0] == 'slowly':      # slowly append <word> to <file>: read, wait, write back
    with open(words[4]) as f:
        text = f.read()
    time.sleep(1)
    with open(words[4], 'w') as f:
        f.write(text + words[2] + '\n')
elif words[0] == 'read':        # read <file> (and scribble on it: a read-only role keeps nothing)
    with open(words[1]) as f:
        text = f.read()
    append(words[1], 'scribble\n')
    print(text, end='')
    sys.exit(0)
with open(words[-1]) as f:
    print(f.read(), end='')
PY

cat >"$TMP/shared.js" <<'JS'
export const meta = {
  name: 'shared-edits',
  description: 'Agents without isolation build on each other',
  phases: [{ title: 'Write' }, { title: 'Race' }, { title: 'Read' }],
}

phase('Write')
const first = await agent('append one to notes.txt', { label: 'first' })
const second = await agent('append two to notes.txt', { label: 'second' })
phase('Race')
await parallel([
  () => agent('slowly append left to race.txt', { label: 'left' }),
  () => agent('slowly append right to race.txt', { label: 'right' }),
])
phase('Read')
const seen = await agent('read notes.txt', { label: 'reader', role: 'reviewer' })
return { first, second, seen }
JS
printf 'start\n' >"$TMP/race.txt"

run_shared() { # run_shared <code> [env...]: the script, report on stdout in $TMP/out
	local code=$1
	shift
	expect_code "$code" env WFM_TEST_LOG="$TMP/agents.log" "$@" git wfmigrate run \
		--workflow "$TMP/shared.js" --provider exec --agent-cmd "python3 $TMP/agent.py" \
		--yes --json </dev/null
}

# check_result <report.json>: what the agents saw and what the branch holds
check_result() {
	local rd id
	rd=$(run_dir "$repo")
	id=$(basename "$rd")
	py '
r = j(sys.argv[1]); repo, run, head = sys.argv[2:5]
assert r["status"] == "done", r
v = r["result"]
assert v["first"] == "base\none", v                # (an exec agent'\''s text is trimmed)
assert v["second"] == "base\none\ntwo", v          # it saw the first agent'\''s edit
assert v["seen"] == "base\none\ntwo", v            # the reviewer sees the shared checkout
s = r["shared"]
branch = "wfmigrate/%s/shared" % run
assert s["branch"] == branch, s
def git(*a):
    return subprocess.run(["git", "-C", repo] + list(a), check=True, capture_output=True,
                          text=True).stdout
assert git("rev-parse", branch).strip() == s["commit"], s
assert git("show", branch + ":notes.txt") == "base\none\ntwo\n"   # no scribble, nothing twice
assert git("show", branch + ":race.txt").splitlines()[0] == "start"
subjects = git("log", "--reverse", "--format=%s", head + ".." + branch).split("\n")[:-1]
assert subjects[:2] == ["first: append one to notes.txt",
                        "second: append two to notes.txt"], subjects
# the second racer may find nothing left to commit: the first committed both writes
assert set(x.split(":")[0] for x in subjects[2:]) <= {"left", "right"} and subjects[2:], subjects
keys = git("log", "--format=%(trailers:key=Wfmigrate-Request,valueonly)", head + ".." + branch)
assert len([k for k in keys.split() if k]) == len(subjects) >= s["commits"] > 0, (keys, s)
assert any("race.txt" in w and "left" in w and "right" in w for w in s["warnings"]), s
' "$TMP/out" "$repo" "$id" "$head" || fail "the shared checkout: $(cat "$TMP/out")"
}

cp "$TMP/race.txt" race.txt && git add race.txt && git commit -qm race && head=$(git rev-parse HEAD)
run_shared 0
check_result
[ -z "$(git status --porcelain)" ] || fail "the user's working tree changed: $(git status --porcelain)"
[ "$(git rev-parse HEAD)" = "$head" ] || fail "the user's branch moved"
grep -q "shared checkout" "$(run_dir "$repo")/report.md" || fail "report.md says nothing of the shared checkout"
check_repo "$repo"
pass "agents without isolation share one checkout: each sees the edits before it, all kept on the run's shared branch"
pass "a reviewer sees the shared checkout and keeps nothing; two writers of race.txt at once: the report warns"

# --- git merge brings the edits to the user's branch, as the report says
id=$(basename "$(run_dir "$repo")")
git merge -q --no-edit "wfmigrate/$id/shared"
[ "$(cat notes.txt)" = "$(printf 'base\none\ntwo')" ] || fail "git merge: notes.txt is $(cat notes.txt)"
git reset -q --hard "$head"
pass "git merge wfmigrate/<run>/shared brings them to the user's branch"

# --- killed after the second agent's commit, before its journal record; resumed
rm -rf "$(run_dir "$repo")"
git branch -D -q "wfmigrate/$id/shared"
: >"$TMP/agents.log"
run_shared 137 WFM_TEST_CRASH=shared-commit#2
rd=$(run_dir "$repo")
[ "$(git show "wfmigrate/$(basename "$rd")/shared:notes.txt")" = "$(printf 'base\none\ntwo')" ] ||
	fail "the crash point was not after the second commit"
expect_code 0 env WFM_TEST_LOG="$TMP/agents.log" git wfmigrate resume "$(basename "$rd")" --json
check_result
[ "$(grep -c '^first$' "$TMP/agents.log")" = 1 ] || fail "the journaled first agent ran again"
[ "$(grep -c '^second$' "$TMP/agents.log")" = 2 ] || fail "the second agent did not run again"
check_repo "$repo"
pass "killed between a commit and its journal record: resume keeps the journaled edits and repeats none"
