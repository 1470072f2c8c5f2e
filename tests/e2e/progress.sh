#!/usr/bin/env bash
# The live output of a run (docs/engine.md, "Progress"), with exec agents,
# a real oracle and the real merge queue:
#
# - a script's oracle() runs are shown as they start and end (duration,
#   verdict, test counts); the merge queue's baseline, batches, bisection
#   steps, landings and refusals each have a line, printed while the queue
#   works (the merge oracle is held until the test has seen its line), and
#   an event in events.jsonl;
# - the migrate workflow says each unit's verdict as it is decided (merged,
#   or rejected/skipped with a one-line reason), the rejected units before
#   the Merge phase, the merged ones after their batch landed, each line
#   matching report.json;
# - without a terminal the output is lines only (no carriage return, no
#   escape sequence); on a terminal a status line is redrawn in place;
# - clean keeps a finished run's integration branch (its result), with
#   --all too, and removes it when the run is named with --results.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# --- the merge queue: four branches in one batch, the third breaks the tests
cat >"$TMP/agent.sh" <<'SH'
#!/bin/sh
label=$(printf '%s\n' "$WFM_AGENT_JSON" | grep -o '"label":"[^"]*"' | head -n 1 | cut -d'"' -f4)
case $label in
good-a) echo a2 >src/a.txt ;;
good-b) echo b2 >src/b.txt ;;
bad-c) echo BROKEN >src/c.txt ;;
good-d) echo d2 >src/d.txt ;;
*) echo "unexpected label $label" >&2; exit 1 ;;
esac
echo "edited for $label"
SH
cat >"$TMP/batches.js" <<'JS'
export const meta = {
  name: 'batches',
  description: 'Four branches through the merge queue at once; one of them breaks the tests',
}
const base = await oracle()
const labels = ['good-a', 'good-b', 'bad-c', 'good-d']
const agents = labels.map((label) => agent(`Edit for ${label}`, { label, isolation: 'worktree' }))
await Promise.all(agents)
const merges = await Promise.all(agents.map((p) => merge(p)))
log('the merges are decided')
return { base: base.pass, merged: merges.map((m) => m.merged), reasons: merges.map((m) => m.reason ?? null) }
JS

repo=$(new_repo)
cd "$repo"
mkdir src
for f in a b c d; do echo old >"src/$f.txt"; done
# the oracle: a test count; on an integration commit (the queue's trailers)
# it first waits for the file $WFM_TEST_GO, or a second with $WFM_TEST_SLOW
cat >check.sh <<'SH'
if git log -1 --format=%B | grep -q '^Wfmigrate-Commit:'; then
	n=0
	while [ -n "$WFM_TEST_GO" ] && [ ! -e "$WFM_TEST_GO" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
	[ -z "$WFM_TEST_SLOW" ] || sleep 1
fi
if grep -rq BROKEN src; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
SH
git add -A
git commit -qm base
base=$(git rev-parse --short=7 HEAD)

WFM_TEST_GO=$TMP/go git wfmigrate run --workflow "$TMP/batches.js" --oracle 'sh check.sh' \
	--provider exec --agent-cmd "sh $TMP/agent.sh" --yes --json </dev/null >"$TMP/batches.out" 2>"$TMP/batches.err" &
pid=$!
has_line() { grep -q -- "$2" "$1"; }
wait_for "the first batch's line" has_line "$TMP/batches.err" '^merge queue: batch 1: oracle started on 4 branches'
kill -0 $pid || fail "the run ended before its first batch was tested"
grep -q '^merge queue: batch 1: failed' "$TMP/batches.err" && fail "the batch ended before its oracle was let go"
touch "$TMP/go"
wait $pid || { cat "$TMP/batches.err" >&2; fail "the batches run failed"; }
id=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/batches.out")
rd=$(run_dir "$repo")
py '
r = j(sys.argv[1])
assert r["result"]["merged"] == [True, True, False, True], r["result"]
assert r["result"]["reasons"][2] == "oracle-failed", r["result"]
' "$rd/report.json" || fail "the merge queue did not refuse only bad-c"

# the lines, in this order (others may come between them)
cat >"$TMP/want" <<EOF
^oracle started on the base \($base\)$
^oracle passed on the base \($base\) in [0-9.]+ s \(1 passed, 0 failed\)$
^merge queue: oracle started on the base $base, to count its passing tests$
^merge queue: the base passed in [0-9.]+ s \(1 passed, 0 failed\)$
^merge queue: batch 1: oracle started on 4 branches on $base: good-a, good-b, bad-c and 1 more$
^merge queue: batch 1: failed in [0-9.]+ s: exited 1: 0 passed, 1 failed; bisecting$
^merge queue: batch 1: bisecting: oracle started on the first 2 of 4 branches: good-a, good-b$
^merge queue: batch 1: passed in [0-9.]+ s \(1 passed, 0 failed\)$
^merge queue: batch 1: 2 branches merged; the integration branch is at [0-9a-f]{7}$
^merge queue: batch 1: bisecting: oracle started on the first 1 of 2 branches: bad-c$
^merge queue: batch 1: failed in [0-9.]+ s: exited 1: 0 passed, 1 failed$
^merge queue: refused bad-c: oracle-failed \(oracle failed on [0-9a-f]{7} \('sh check.sh' exited 1\): 0 passed, 1 failed \.\.\.\)$
^merge queue: batch 2: oracle started on 1 branch on [0-9a-f]{7}: good-d$
^merge queue: batch 2: passed in [0-9.]+ s \(1 passed, 0 failed\)$
^merge queue: batch 2: 1 branch merged; the integration branch is at [0-9a-f]{7}$
^the merges are decided$
EOF
py '
import re
lines = open(sys.argv[1]).read().split("\n")
at = 0
for want in open(sys.argv[2]).read().split("\n"):
    if not want:
        continue
    while at < len(lines) and not re.search(want, lines[at]):
        at += 1
    assert at < len(lines), "no line matching %r after the ones before it" % want
    at += 1
' "$TMP/batches.err" "$TMP/want" || { cat "$TMP/batches.err" >&2; fail "the progress lines of the merge queue"; }
grep -q $'\r\|\033' "$TMP/batches.err" && fail "without a terminal the output holds a carriage return or an escape"
py '
steps = [(e.get("batch"), e.get("step")) for e in log(sys.argv[1]) if e["type"] == "merge" and e["step"] != "queued"]
assert steps[:2] == [(0, "test"), (0, "tested")], steps
for s in ("test", "tested", "landed", "decided"):
    assert (1, s) in steps and (2, s) in steps, (s, steps)
oracles = [e for e in log(sys.argv[1]) if e["type"] == "oracle"]
assert [e["state"] for e in oracles] == ["start", "end"] and oracles[1]["pass"], oracles
agents = [e for e in log(sys.argv[1]) if e["type"] == "agent"]
assert sorted(e["state"] for e in agents) == ["end"] * 4 + ["start"] * 4, agents
' "$rd/events.jsonl" || fail "events.jsonl lacks the oracle, merge or agent events"
pass "oracle runs, the merge queue's batches, bisection, landings and refusals are shown as they happen"

# --- on a terminal: the same lines, and a status line redrawn under them
rm -f "$TMP/go"
TERM=xterm WFM_TEST_SLOW=1 script -qfec "git wfmigrate run --workflow '$TMP/batches.js' --oracle 'sh check.sh' \
	--provider exec --agent-cmd 'sh $TMP/agent.sh' --yes </dev/null" /dev/null >"$TMP/tty.out" 2>&1 ||
	{ cat "$TMP/tty.out" >&2; fail "the run on a terminal failed"; }
grep -q $'\r\033\\[K\\[[A-Za-z ]* [0-9]*:[0-9][0-9]\\] agents: [0-9]* running' "$TMP/tty.out" ||
	{ cat -v "$TMP/tty.out" | tail -n 20 >&2; fail "no status line on a terminal"; }
grep -q $'\r\033\\[K\\[run [0-9]*:[0-9][0-9]\\] merge queue: batch 1 (4 branches) [0-9]*:[0-9][0-9]' "$TMP/tty.out" ||
	{ cat -v "$TMP/tty.out" | tail -n 20 >&2; fail "the status line does not show the merge queue's oracle run"; }
grep -q '^merge queue: batch 1: bisecting: oracle started on the first 2 of 4 branches' <(tr '\r' '\n' <"$TMP/tty.out" | sed 's/\x1b\[K//g') ||
	fail "the progress lines are missing on a terminal"
tail -n 1 "$TMP/tty.out" | grep -q $'\033' && fail "the status line is left on the screen at the end"
pass "on a terminal, a status line is redrawn under the progress lines"

# --- the migrate workflow: each unit's verdict as it is decided
fixture=$TMP/cardkit
"$src/fixtures/make-deprecated.sh" "$fixture" >/dev/null
cd "$fixture"
expect_code 0 git wfmigrate run --workflow migrate --oracle 'make -s test' --arg match=old_copy \
	--arg 'paths=["src/address.c","src/format.c","src/copy.c"]' \
	--provider exec --agent-cmd "sh $src/fixtures/codemods/old-to-safe.sh" --yes --json \
	"move every caller of old_copy to safe_copy" </dev/null
cp "$TMP/err" "$TMP/migrate.err"
rd=$(run_dir "$fixture")
id=$(basename "$rd")
py '
import re
r = j(sys.argv[1])
lines = open(sys.argv[2]).read().split("\n")
def at(pattern):
    hits = [i for i, l in enumerate(lines) if re.search(pattern, l)]
    assert len(hits) == 1, (pattern, hits)
    return hits[0]
merge = at(r"^== Merge$")
summary = at(r"^merged 3, rejected 2, failed 0, skipped 1$")
landed = [i for i, l in enumerate(lines) if re.match(r"merge queue: batch \d+: \d+ branch(es)? merged", l)]
assert landed, "no batch landed"
units = r["units"]
assert sorted(u["status"] for u in units) == ["merged"] * 3 + ["rejected"] * 2 + ["skipped"], units
for u in units:
    reason = u["reason"].split("\n")[0].strip()
    if u["status"] == "merged":
        i = at("^unit %s: merged \\(%s\\)$" % (re.escape(u["id"]), re.escape(reason)))
        assert landed[0] < i < summary, (u["id"], i, landed, summary)
    else:
        i = at("^unit %s: %s: %s" % (re.escape(u["id"]), u["status"], re.escape(reason[:150])))
        assert i < merge, "the verdict on %s came after the Merge phase began" % u["id"]
    assert len(lines[i]) < 300, lines[i]
assert any(re.match(r"oracle (passed|failed) on impl-src-[a-z_.-]+ \([0-9a-f]{7}\) in [0-9.]+ s", l) for l in lines[:merge])
assert any(re.match(r"oracle failed on impl-src-address\.c-function-address_set \([0-9a-f]{7}\) in [0-9.]+ s: exited 2", l) for l in lines)
' "$rd/report.json" "$TMP/migrate.err" || { cat "$TMP/migrate.err" >&2; fail "the units' verdicts are not shown as they are decided"; }
grep -q $'\r\|\033' "$TMP/migrate.err" && fail "without a terminal the output holds a carriage return or an escape"
pass "migrate: each unit's verdict is shown when it is decided, as report.json says"

# --- clean keeps the result of the run; --results takes it
expect_code 0 git wfmigrate clean --all
grep -q "^Removing branch wfmigrate/$id/impl-" "$TMP/out" || fail "clean --all kept the agents' branches"
grep -q "integration" "$TMP/out" && fail "clean --all names the integration branch: $(cat "$TMP/out")"
grep -qx "kept 1 result of a run (--results <run> removes it); -v lists them" "$TMP/out" ||
	fail "clean --all does not count the result it keeps: $(cat "$TMP/out")"
git rev-parse -q --verify "wfmigrate/$id/integration" >/dev/null || fail "clean --all removed the integration branch"
expect_code 0 git wfmigrate clean --results "${id%-*}"
grep -qx "Removing branch wfmigrate/$id/integration (--results $id)" "$TMP/out" ||
	fail "clean --results did not remove the integration branch: $(cat "$TMP/out")"
git rev-parse -q --verify "wfmigrate/$id/integration" >/dev/null && fail "the integration branch is still there"
check_repo "$fixture"
pass "clean --all keeps the run's integration branch; clean --results <run> removes it"
