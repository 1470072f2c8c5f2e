#!/usr/bin/env bash
# Nothing silently out of reach: the lines a run's pattern finds in no unit.
#
# The repository has old_api( calls in units (Python functions, a C
# function, a text file that is one whole-file unit) and in a binary file,
# which is in no unit whatever the chunker covers, so this test holds as
# languages get covered; whatever else `chunk --uncovered --match` lists
# (C prototypes, today) must be listed the same way everywhere:
# - the approval card of migrate (--arg match) gives the count, the first
#   five lines as `chunk --uncovered --match` prints them and the command
#   that lists them all; --arg lang and --arg paths narrow it as they narrow
#   chunk(); a bad pattern is said, not fatal to the card;
# - report.json's outOfReach: patterns, total, the first 50 lines (path,
#   line, text), the same after a stop and two resumes; the resumed run takes
#   them from the journal (a text changed there shows), and finds them again
#   for a chunk() record that has none (journaled by an older version);
#   report.md and the printed outcome say them;
# - chunk() calls of one run: lines listed once; null without a match.
. "$(dirname "$0")/lib.sh"

goal="move every caller of old_api to new_api"
repo=$(new_repo)
cd "$repo"
mkdir -p src data
cat >src/app.py <<'EOF'
def load(x):
    return old_api(x)


def save(x):
    return old_api(x, 2)
EOF
cat >src/legacy.c <<'EOF'
int old_api(int x);

int legacy(int x)
{
	return old_api(x) + 1;
}
EOF
echo "old_api(x) is a text file: one whole-file unit" >notes.txt
{
	printf 'BLOB\0\n'
	for i in $(seq 10 69); do printf 'old_api(%d)\n' "$i"; done
} >data/blob.bin
git add -A
git commit -qm "old_api everywhere"
base=$(git rev-parse HEAD)
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs

# the agent: old_api( -> new_api( in the unit's lines; a verifier passes what has none
# left. The first implementer stops the run while $TMP/stop-once exists.
cat >"$TMP/agent.py" <<EOF
import json, os, re, subprocess, sys, time
sys.stdin.read()
ctx = json.loads(os.environ.get('WFM_AGENT_JSON') or open(os.environ['WFM_AGENT_JSON_FILE']).read())
unit, role = ctx['unit'], ctx['role']
first, last = int(unit['start_line']), int(unit['end_line'])
lines = open(unit['path'], newline='').read().split('\n')
if role in ('implementer', 'fixer'):
    if os.path.exists('$TMP/stop-once'):
        os.remove('$TMP/stop-once')
        subprocess.run(['git', 'wfmigrate', 'stop'], check=True)
        time.sleep(60)
    for n in range(first - 1, min(last, len(lines))):
        lines[n] = re.sub(r'(?<![\w*])old_api\(', 'new_api(', lines[n])
    open(unit['path'], 'w', newline='').write('\n'.join(lines))
    print('renamed')
else:
    left = [n for n in range(first - 1, min(last, len(lines))) if re.search(r'(?<![\w*])old_api\(', lines[n])]
    print(json.dumps({'verdict': 'fail' if left else 'pass', 'findings': ['left: %d' % n for n in left]}))
EOF
agent="python3 $TMP/agent.py"
run_opts=(--workflow migrate --oracle true --provider exec --agent-cmd "$agent" --concurrency 1)

# what the chunker says is out of reach, all of it
expect_code 0 git wfmigrate chunk --uncovered --match 'old_api\(' :/
cp "$TMP/out" "$TMP/chunk.txt"
expect_code 0 git wfmigrate chunk --uncovered --match 'old_api\(' --json :/
cp "$TMP/out" "$TMP/chunk.json"
total=$(wc -l <"$TMP/chunk.txt")
py '
rows, txt = j(sys.argv[1]), open(sys.argv[2]).read().splitlines()
assert len(rows) == len(txt) >= 60, (len(rows), len(txt))
paths = {r["path"] for r in rows}
assert "data/blob.bin" in paths and not paths & {"src/app.py", "notes.txt"}, paths
blob = [r for r in rows if r["path"] == "data/blob.bin"]
assert [r["start_line"] for r in blob] == list(range(2, 62)), blob
assert all(r["reason"] == "binary file" and r["end_line"] == r["start_line"] for r in blob), blob
assert "data/blob.bin:2: (binary file) old_api(10)" in txt, txt
' "$TMP/chunk.json" "$TMP/chunk.txt" || fail "chunk --uncovered --match: not the binary file's lines, one a line"
pass "chunk --uncovered --match lists each matching line in no unit ($total), the binary file's too"

# --- the approval card, without running: no --yes and no terminal
expect_code 129 git wfmigrate run "${run_opts[@]}" --arg 'match=old_api\(' "$goal" </dev/null
py '
err, want = open(sys.argv[1]).read().splitlines(), open(sys.argv[2]).read().splitlines()
total, base = len(want), sys.argv[3]
head = "out of reach: %d lines matching /old_api\\(/ in no unit, which no agent will see:" % total
i = err.index(head)
assert err[i + 1:i + 6] == ["  " + w for w in want[:5]], err[i:i + 7]
assert err[i + 6] == "  ... and %d more: git wfmigrate chunk --uncovered --match %s --rev %s -- :/" % (
    total - 5, "\x27old_api\\(\x27", base[:12]), err[i + 6]
assert err.index("base: " + base[:12] + "  oracle: true") < i, "the lines are not on the card"
' "$TMP/err" "$TMP/chunk.txt" "$base" || { cat "$TMP/err"; fail "the card does not list the lines out of reach"; }
# the command it gives lists them all, wherever it is typed
hint=$(grep -o 'git wfmigrate chunk --uncovered .*' "$TMP/err")
(cd src && eval "$hint" >"$TMP/hint.txt") || fail "the card's command failed: $hint"
cmp -s "$TMP/chunk.txt" "$TMP/hint.txt" || fail "the card's command lists other lines: $hint"
[ ! -d "$runs" ] || fail "a refused run created $runs"
pass "the card: the count, the first 5 lines, the command that lists them all"

# --arg lang and --arg paths narrow it as they narrow chunk(); a bad pattern is said
expect_code 129 git wfmigrate run "${run_opts[@]}" --arg 'match=old_api\(' --arg lang=python "$goal" </dev/null
expect_stderr '^out of reach: none \(every line of code matching /old_api\\\(/ is in a unit\)$'
expect_code 129 git wfmigrate run "${run_opts[@]}" --arg 'match=old_api\(' --arg 'paths=["data"]' "$goal" </dev/null
expect_stderr '^out of reach: 60 lines matching /old_api\\\(/ in no unit'
expect_stderr "^  \.\.\. and 55 more: git wfmigrate chunk --uncovered --match 'old_api\\\\\(' --rev [0-9a-f]{12} -- :/data$"
expect_code 129 git wfmigrate run "${run_opts[@]}" --arg 'match=old_api\(' --arg paths=notes.txt "$goal" </dev/null
expect_stderr '^out of reach: none '
expect_code 129 git wfmigrate run "${run_opts[@]}" --arg 'match=(old_api' "$goal" </dev/null
expect_stderr "^error: invalid pattern '\(old_api' at offset 8"
expect_code 129 git wfmigrate run "${run_opts[@]}" "$goal" </dev/null
! grep -q 'out of reach' "$TMP/err" || fail "the card speaks of reach without a pattern"
pass "the card: --arg lang and paths narrow it, a bad pattern is said, no pattern no line"

# --- the run, stopped by its first implementer
touch "$TMP/stop-once"
expect_code 1 git wfmigrate run "${run_opts[@]}" --arg 'match=old_api\(' --yes --json "$goal" </dev/null
[ ! -e "$TMP/stop-once" ] || fail "no implementer ran"
run=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
rd=$runs/$run
check_report() { # <what it is> [<text of the binary file's first line>]
	py '
r, rows = j(sys.argv[1]), j(sys.argv[2])
o = r["outOfReach"]
assert o["patterns"] == ["old_api\\("], o["patterns"]
assert o["total"] == len(rows), (o["total"], len(rows))
want = [{"path": x["path"], "line": x["start_line"]} for x in rows[:50]]
assert [{"path": l["path"], "line": l["line"]} for l in o["lines"]] == want, o["lines"]
for l in o["lines"]:
    assert ("reason" in l) == (l["path"] == "data/blob.bin"), l
blob = [l for l in o["lines"] if l["path"] == "data/blob.bin"]
if len(sys.argv) > 3:
    assert blob[0]["text"] == sys.argv[3], blob[0]
    blob = blob[1:]
assert all(l["text"] == "old_api(%d)" % (l["line"] + 8) for l in blob), blob
' "$rd/report.json" "$TMP/chunk.json" "${@:2}" || fail "report.json's outOfReach is not the chunker's list ($1)"
}
py 'assert j(sys.argv[1])["status"] == "stopped"' "$rd/report.json" || fail "the run was not stopped"
check_report "stopped run"
grep -q "^Out of reach: $total lines of code match \`old_api\\\\(\` but lie in no unit" "$rd/report.md" ||
	{ cat "$rd/report.md"; fail "report.md does not say what is out of reach"; }
grep -q '^- `data/blob.bin:2: (binary file) old_api(10)`$' "$rd/report.md" || fail "report.md does not list the lines"
grep -q "^- \.\.\. and $((total - 50)) more$" "$rd/report.md" || fail "report.md does not count the lines it leaves out"
pass "report.json and report.md of the stopped run: $total lines, the first 50"

# --- resume: the lines come from the journal (a text changed there shows)
py '
path = sys.argv[1]
recs = log(path)
chunks = [r for r in recs if r["method"] == "chunk"]
assert len(chunks) == 1 and len(chunks[0]["result"]["outOfReach"]) == int(sys.argv[2]), chunks
for l in chunks[0]["result"]["outOfReach"]:
    if l["path"] == "data/blob.bin" and l["line"] == 2:
        l["text"] = "FROM THE JOURNAL"
with open(path, "w") as f:
    for r in recs:
        f.write(json.dumps(r, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n")
' "$rd/journal.jsonl" "$total" || fail "the journal does not hold the chunk() call's lines out of reach"
expect_code 0 git wfmigrate resume "$run"
grep -q "^out of reach: $total lines matching /old_api\\\\(/ in no unit, which no agent could change:$" "$TMP/out" ||
	{ cat "$TMP/out"; fail "the outcome does not say what is out of reach"; }
grep -q '^  \.\.\. and [0-9]* more (see the report)$' "$TMP/out" || fail "the outcome does not count the rest"
py 'r = j(sys.argv[1]); assert r["status"] == "done" and r["totals"]["requestsReplayed"] >= 2, r["totals"]' \
	"$rd/report.json" || fail "the resumed run did not finish from the journal"
check_report "resumed run" "FROM THE JOURNAL"
pass "resume: the lines out of reach come from the journal, not from chunking again"

# a chunk() record without them (an older version's): found again on resume
py '
path = sys.argv[1]
recs = log(path)
for r in recs:
    r["result"].pop("outOfReach", None)
with open(path, "w") as f:
    for r in recs:
        f.write(json.dumps(r, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n")
' "$rd/journal.jsonl"
expect_code 0 git wfmigrate resume --json "$run"
py 'r = j(sys.argv[1]); assert r["sessions"][-1]["agentsRun"] == 0, r["sessions"]' "$rd/report.json" ||
	fail "resuming a finished run ran agents"
check_report "resumed run, old journal"
pass "resume of a chunk() record journaled without them: found again"
check_repo "$repo"

# --- chunk() calls of one run: each line once, whatever calls list it; null without a match
cat >"$TMP/two.js" <<'JS'
export const meta = { name: 'two-patterns', description: 'chunk() three times' }
const a = await chunk({ match: 'old_api\\(' })
const b = await chunk({ match: 'old_api\\(1\\d\\)', paths: ['data'] })
const c = await chunk({ match: 'nothing matches this', lang: 'python' })
return { a: a.length, b: b.length, c: c.length }
JS
expect_code 0 git wfmigrate run --workflow "$TMP/two.js" --provider exec --agent-cmd true --yes --json </dev/null
py '
r, rows = j(sys.argv[1]), j(sys.argv[2])
o = r["outOfReach"]
assert o["patterns"] == ["old_api\\(", "old_api\\(1\\d\\)", "nothing matches this"], o["patterns"]
assert o["total"] == len(rows), (o["total"], len(rows))
keys = [(l["path"], l["line"]) for l in o["lines"]]
assert keys == sorted(set(keys)) and len(keys) == 50, keys
' "$TMP/out" "$TMP/chunk.json" || fail "lines listed by two chunk() calls are not listed once"
cat >"$TMP/none.js" <<'JS'
export const meta = { name: 'no-pattern', description: 'chunk() without a match' }
return (await chunk({ lang: 'python' })).length
JS
expect_code 0 git wfmigrate run --workflow "$TMP/none.js" --provider exec --agent-cmd true --yes --json </dev/null
py 'r = j(sys.argv[1]); assert r["outOfReach"] is None, r["outOfReach"]' "$TMP/out" ||
	fail "outOfReach is not null for a run without a pattern"
pass "several chunk() calls: each line once; no pattern: null"
