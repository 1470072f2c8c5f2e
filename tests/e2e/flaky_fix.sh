#!/usr/bin/env bash
# The flaky-fix harness workflows/flaky.js with LLM agents: git wfmigrate run
# --workflow flaky --provider anthropic against the loopback fake
# (tests/fakellm/flaky.mjs plays the hypothesis, fixer and judge roles) on
# the tallykit fixture (fixtures/make-flaky.sh), with make test as the oracle.
#
# The fixture's broken test ("merge adds the counts of another tally") is
# fixed by a commit on top of it first: the merge queue only merges into a
# tree whose make test passes, and without per-test results from the oracle
# the whole command then passes exactly when the flaky test does.
#
# The confirmation is 20 reruns, not the default 50, to keep the test fast:
# a fix that does not hold (the flaky test still fails one run in three)
# passes 20 runs in a row with p = (2/3)^20 ~ 3e-4.
#
# (a) hypotheses: the real cause and a wrong one; the wrong one's fix is
#     rejected by the reruns (confirmations < 20, not merged), the real one
#     is confirmed and merged, and the integration branch's make test passes
#     30 runs in a row; the hypothesis agents had read-only tools only;
# (b) two sound causes: both fixes are confirmed, a judge is asked with both
#     diffs, and its winner (the larger one, as the scenario makes the fake
#     judge prefer: not the first, not the smaller) is the one merged;
# (c) only the wrong cause: the loop ends after two rounds in a row that
#     found nothing new, the test unresolved, nothing merged;
# (exec) fixtures/codemods/flaky-fix.mjs plays the same roles with
#     --provider exec: three causes, the wrong one rejected, the judge's
#     pick of the two confirmed (the smaller) merged;
# (budget) a budget smaller than a round stops the loop after it;
# and bad arguments are refused before any agent runs.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
flaky="the report lists keys by count, then by name"

"$src/fixtures/make-flaky.sh" "$TMP/tallykit" >/dev/null
cd "$TMP/tallykit"
sed -i 's/d->n = e->n;/d->n += e->n;/' src/tally.c
git commit -qam "tally_merge adds the counts"
base=$(git rev-parse HEAD)

args=$(FLAKY=$flaky py 'print(json.dumps({
    "tests": [{"name": os.environ["FLAKY"], "runs": 20, "failures": 7, "interval": [0.18, 0.57],
               "firstFailure": "# expected \x27apple=3 banana=1 pear=1\x27, got \x27apple=3 pear=1 banana=1\x27"}],
    "broken": [],
    "stable": ["counts start at zero", "add increments a key", "keys are counted apart", "every key is visited",
               "merge adds the counts of another tally", "clear empties the tally"],
    "confirm": 20}))')

# fix <name> [scenario.json]: the harness against a fake started with the
# scenario; its report in $TMP/<name>.json, the fake's log in $TMP/<name>.log
fix() {
	start_fakellm "$1" ${2:+"$2"}
	ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
		git wfmigrate run --provider anthropic --model fake-rules --yes --json --workflow flaky \
		--oracle 'make test' --args-json "$args"
	cp "$TMP/out" "$TMP/$1.json"
	cp "$TMP/err" "$TMP/$1.err"
}

# holds <name>: the run's integration branch passes make test 30 runs in a row
holds() {
	local ref
	ref=$(py 'print(j(sys.argv[1])["integration"]["branch"])' "$TMP/$1.json")
	expect_code 0 git wfmigrate oracle --oracle 'make test' --runs 30 --ref "$ref"
}

# --- (a) a wrong cause and the real one
fix plain
FLAKY=$flaky py 'r = j(sys.argv[1])["result"]
name = os.environ["FLAKY"]
assert r["rounds"] == 1 and r["unresolved"] == [] and r["stopped"] == "done", r
assert len(r["fixes"]) == 1, r["fixes"]
f = r["fixes"][0]
assert f["test"] == name and f["merged"] is True and f["confirmations"] == 20, f
assert f["hypothesis"].startswith("tally_report sorts by count only"), f
tried = {t["hypothesis"].split(":")[0]: t for t in r["tried"]}
assert len(tried) == 2, r["tried"]
wrong = tried["the report buffer of 128 bytes in the test is too small"]
assert wrong["confirmed"] is False and wrong["confirmations"] < 20 and wrong["branch"], wrong
# the failure: the excerpt of the oracle (one run at a time), or the first failure of the test (per-test results)
assert "not ok 5 - " + name in wrong["reason"] or "got \x27apple=3 pear=1 banana=1\x27" in wrong["reason"], wrong
assert wrong["branch"] != f["branch"]
calls = log(sys.argv[2])
assert all(c["status"] == 200 for c in calls), [c["status"] for c in calls]
roles = {c["role"] for c in calls}
assert roles == {"flaky-hypothesis", "flaky-fixer"}, roles
for c in calls:
    if c["role"] == "flaky-hypothesis":
        tools = sorted(t["name"] for t in c["body"]["tools"])
        assert tools == ["Glob", "Grep", "Read", "StructuredOutput"], tools' "$TMP/plain.json" "$TMP/plain.log" ||
	fail "(a): the wrong fix was not rejected, or the real one not merged"
merged=$(py 'print(j(sys.argv[1])["result"]["fixes"][0]["mergeCommit"])' "$TMP/plain.json")
git diff --stat "$base" "$merged" | grep -q '^ src/tally.c | 2 +-$' || fail "(a): the merged fix is not the one-line tie-break in src/tally.c"
git show "$merged:src/tally.c" | grep -q 'strcmp(x->key, y->key)' || fail "(a): by_count breaks no tie"
holds plain
pass "(a) the wrong fix failed its reruns and was not merged; the tie-break was confirmed by 20 reruns and merged; the integration passes 30 runs"

# --- (b) two sound fixes: the judge's winner is merged
cat >"$TMP/two.json" <<'JSON'
{"flaky": {"hypotheses": ["tie-order", "qsort", "buffer"], "judge": "larger"}}
JSON
fix two "$TMP/two.json"
py 'r = j(sys.argv[1])["result"]
assert r["rounds"] == 1 and r["unresolved"] == [], r
confirmed = [t for t in r["tried"] if t["confirmed"]]
assert len(confirmed) == 2 and all(t["confirmations"] == 20 for t in confirmed), r["tried"]
f = r["fixes"][0]
assert f["merged"] is True and f["hypothesis"].startswith("tally_report orders the entries with qsort"), f
calls = log(sys.argv[2])
judges = [c for c in calls if c["role"] == "flaky-judge"]
assert judges, "no judge was asked"
prompt = judges[0]["body"]["messages"][0]["content"]
prompt = prompt if isinstance(prompt, str) else "".join(b.get("text", "") for b in prompt)
assert prompt.startswith("Two fixes for the same flaky test: which is the smaller sound one?\n"), prompt[:200]
assert "=== Fix A: tally_report sorts by count only" in prompt and "=== Fix B: tally_report orders the entries with qsort" in prompt, prompt
assert "+\treturn x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->key, y->key);" in prompt, "the first diff is not in the prompt"
assert "-\tqsort(all, nr, sizeof(*all), by_count);" in prompt, "the second diff is not in the prompt"
assert sum(1 for c in judges if any(b.get("name") == "StructuredOutput" for b in c["reply"]["content"])) == 1, "one judgement"' \
	"$TMP/two.json" "$TMP/two.log" || fail "(b): the judge was not asked, or its winner not merged"
merged=$(py 'print(j(sys.argv[1])["result"]["fixes"][0]["mergeCommit"])' "$TMP/two.json")
git show "$merged:src/tally.c" | grep -q 'a total order, whatever the bucket order' || fail "(b): the integration does not hold the judge's winner"
git show "$merged:src/tally.c" | grep -q 'by_count' && fail "(b): the integration holds the loser's fix"
holds two
pass "(b) two fixes confirmed; the judge was asked with both diffs and its winner (the larger, by the scenario) was merged"

# --- (c) no cause leads to a fix
cat >"$TMP/wrong.json" <<'JSON'
{"flaky": {"hypotheses": ["buffer"]}}
JSON
fix wrong "$TMP/wrong.json"
FLAKY=$flaky py 'r = j(sys.argv[1])["result"]
assert r["fixes"] == [] and r["unresolved"] == [os.environ["FLAKY"]], r
assert r["rounds"] == 3 and r["stopped"] == "no-progress", r
assert len(r["tried"]) == 1 and r["tried"][0]["confirmed"] is False, r["tried"]
calls = log(sys.argv[2])
hyp = [c for c in calls if c["role"] == "flaky-hypothesis" and c["body"]["messages"][-1]["role"] == "user" and len(c["body"]["messages"]) == 1]
assert len(hyp) == 9, len(hyp)   # 3 agents in each of 3 rounds
later = [c["body"]["messages"][0]["content"] for c in hyp[3:]]
later = [p if isinstance(p, str) else "".join(b.get("text", "") for b in p) for p in later]
assert all("its fix did not hold: it passed" in p for p in later), later[0]
fixers = [c for c in calls if c["role"] == "flaky-fixer" and len(c["body"]["messages"]) == 1]
assert len(fixers) == 1, "a cause is tried once"' "$TMP/wrong.json" "$TMP/wrong.log" ||
	fail "(c): the loop did not end after two empty rounds with the test unresolved"
integration=$(py 'print(j(sys.argv[1])["integration"]["branch"])' "$TMP/wrong.json")
if git rev-parse -q --verify "$integration" >/dev/null; then
	[ "$(git rev-parse "$integration")" = "$base" ] || fail "(c): something was merged"
fi
pass "(c) only a wrong cause: 3 rounds (two found nothing new), the test unresolved, nothing merged"

# --- a budget smaller than a round: the loop stops there, the budget kept
start_fakellm budget
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
	git wfmigrate run --provider anthropic --model fake-rules --yes --json --budget 12000 --workflow flaky \
	--oracle 'make test' --args-json "$args"
cp "$TMP/out" "$TMP/budget.json"
FLAKY=$flaky py 'o = j(sys.argv[1])
r = o["result"]
assert r["stopped"] == "budget" and r["rounds"] == 1 and r["unresolved"] == [os.environ["FLAKY"]], r
assert r["fixes"] == [] and all(t.get("reason") != "the fixer failed" for t in r["tried"]), r["tried"]
assert o["budget"]["spentTokens"] <= 12000, o["budget"]' "$TMP/budget.json" ||
	fail "budget: the loop did not stop at the budget"
pass "budget: the loop stops at the budget (stopped: budget), the test unresolved, the budget kept"

# --- the exec stand-in (fixtures/codemods/flaky-fix.mjs): the same roles;
# three causes, two fixes confirmed, its judge prefers the smaller one
expect_code 0 git wfmigrate run --provider exec --yes --json --workflow flaky --oracle 'make test' \
	--agent-cmd "node $src/fixtures/codemods/flaky-fix.mjs --hypotheses tie-order,qsort,buffer" --args-json "$args"
cp "$TMP/out" "$TMP/exec.json"
py 'r = j(sys.argv[1])["result"]
assert r["rounds"] == 1 and r["unresolved"] == [], r
ok = sorted(t["hypothesis"][:20] for t in r["tried"] if t["confirmed"])
assert ok == ["tally_report orders ", "tally_report sorts b"], r["tried"]
bad = [t for t in r["tried"] if not t["confirmed"]]
assert len(bad) == 1 and bad[0]["confirmations"] < 20 and bad[0]["hypothesis"].startswith("the report buffer"), bad
f = r["fixes"][0]
assert f["merged"] is True and f["hypothesis"].startswith("tally_report sorts by count only"), f' "$TMP/exec.json" ||
	fail "exec: the stand-in did not give the same results"
holds exec
pass "exec stand-in: the wrong fix rejected, two confirmed, the smaller one judged best and merged"

# --- bad arguments
expect_code 129 git wfmigrate run --provider exec --agent-cmd true --yes --workflow flaky --oracle 'make test' \
	--args-json '{"confirm": 5}'
expect_stderr "tests"
for bad in '{"tests": []}' '{"tests": [{"name": "x"}], "confirm": 0}' '{"tests": [{"runs": 3}]}'; do
	WANT=$(git wfmigrate run --provider exec --agent-cmd true --yes --workflow flaky --oracle 'make test' \
		--args-json "$bad" >"$TMP/out" 2>"$TMP/err"; echo $?)
	[ "$WANT" != 0 ] || fail "flaky accepted $bad"
	grep -Eq 'args\.(tests|confirm)' "$TMP/err" || { cat "$TMP/err" >&2; fail "no clear message for $bad"; }
done
pass "bad arguments: refused with the argument named"
check_repo "$TMP/tallykit"

# --- the whole job: git wfmigrate flaky --fix on the fixture as it is, the
# broken test included. Detection finds the flaky and the broken test; they
# are the run's known failures, so the merge queue's runs (on the base, and
# on the fix) judge the other tests: the broken test does not block the
# merge, nor does the flaky one failing a single run. The fix is merged;
# the broken test remains, so the command exits 1.
"$src/fixtures/make-flaky.sh" "$TMP/whole" >/dev/null
cd "$TMP/whole"
start_fakellm whole
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 \
	git wfmigrate flaky --oracle 'make test' --jobs 2 --fix --confirm 20 --provider anthropic \
	--model fake-rules --json -q
FLAKY=$flaky py 'r = j(sys.argv[1])
cls = {t["name"]: t["classification"] for t in r["tests"]}
assert cls[os.environ["FLAKY"]] == "flaky" and cls["merge adds the counts of another tally"] == "broken", cls
assert len(r["fixes"]) == 1, r["fixes"]
f = r["fixes"][0]
assert f["test"] == os.environ["FLAKY"] and f["merged"] is True and f["confirmations"] == 20, f' "$TMP/out" ||
	{ cat "$TMP/out" "$TMP/err" >&2; fail "flaky --fix did not merge the fix with the broken test in the tree"; }
run=$(ls -t "$(git rev-parse --git-common-dir)/wfmigrate/runs" | head -1)
py 'c = j(sys.argv[1]); assert sorted(c["knownFailures"]) == sorted(sys.argv[2:]), c["knownFailures"]' \
	"$(git rev-parse --git-common-dir)/wfmigrate/runs/$run/run.json" "$flaky" \
	"merge adds the counts of another tally" || fail "run.json does not keep the known failures"
git show "wfmigrate/$run/integration:src/tally.c" | grep -q strcmp || fail "the tie-break is not on the integration branch"
pass "flaky --fix with a broken test in the tree: the broken and flaky tests are known failures; the fix is merged, exit 1"
check_repo "$TMP/whole"
