#!/usr/bin/env bash
# The migrate workflow with LLM agents: git wfmigrate run --provider
# anthropic and --provider openai against the loopback fake of both APIs
# (tests/fakellm), whose rule model makes the codemod's edits through the
# Read, Edit and StructuredOutput tools, on the cardkit fixture with
# make test as the oracle.
#
# - each provider (chosen by the key in the environment, no --provider) ends
#   every unit as fixtures/deprecated.expected says, and its integration tree
#   is the exec codemod's, byte for byte; so does a run without --arg match,
#   where classifier agents pick the units, and an openai run whose replies
#   carry no usage (as local servers send), its tokens estimated;
# - the fake, as strict as the real APIs, refused no request (no 4xx in its
#   log), and after the first agent of a role the stable prefix (tools +
#   system prompt) is read from the prompt cache;
# - killed with SIGKILL mid-run and resumed, it gives the same tree and asks
#   the model nothing for the agents the journal holds;
# - with 20% of the calls faulted (429 with retry-after, 500, 503, 529,
#   dropped connections, truncated and invalid bodies) the result is the
#   same, no call took more than 7 attempts and no retry came before its
#   retry-after;
# - a budget smaller than the work is never exceeded, by the ledger's count
#   nor by the fake's, and the report says the budget ran out and which
#   units were left; --max-cost needs a price for the model;
# - the API key is in no file of the run, the pool or the repository.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
expected=$src/fixtures/deprecated.expected
goal="move every caller of old_copy to safe_copy"

"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
grep -v '^#' "$expected" | grep -v '^$' >"$TMP/expected"

# run_migrate <name> <options...>: one migrate run; its report in $TMP/<name>.json
run_migrate() {
	local name=$1
	shift
	expect_code "${WANT_CODE:-0}" git wfmigrate run --yes --json --workflow migrate \
		--oracle 'make test' --arg match=old_copy "$@" "$goal"
	cp "$TMP/out" "$TMP/$name.json"
	cp "$TMP/err" "$TMP/$name.err"
}

# statuses <name>: "<unit> <status>" lines of its report, checked against the expected file
check_statuses() {
	py 'for u in j(sys.argv[1])["units"]: print(u["id"], u["status"])' "$TMP/$1.json" >"$TMP/$1.statuses"
	diff -u "$TMP/expected" "$TMP/$1.statuses" >&2 ||
		fail "$1: the units' statuses differ from fixtures/deprecated.expected"
}

tree_of() {
	git rev-parse "$(py 'print(j(sys.argv[1])["integration"]["commit"])' "$TMP/$1.json")^{tree}"
}

# --- the exec codemod, for the tree to compare with
run_migrate exec --provider exec --agent-cmd "sh $src/fixtures/codemods/old-to-safe.sh"
check_statuses exec
exec_tree=$(tree_of exec)

# --- anthropic and openai against the fake
start_fakellm plain
# no --provider: the key in the environment chooses it
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	run_migrate anthropic --model fake-rules
grep -q "^agents: anthropic at $FAKE_URL" "$TMP/anthropic.err" ||
	fail "ANTHROPIC_API_KEY in the environment did not choose the anthropic provider"
check_statuses anthropic
[ "$(tree_of anthropic)" = "$exec_tree" ] || fail "anthropic: the integration tree is not the exec codemod's"
pass "anthropic: 12 merged, 3 rejected, 2 skipped; the integration tree is the codemod's"

unset ANTHROPIC_API_KEY
OPENAI_API_KEY=$FAKE_KEY OPENAI_BASE_URL=$FAKE_URL/v1 \
	run_migrate openai --model fake-rules
grep -q "^agents: openai at $FAKE_URL/v1" "$TMP/openai.err" ||
	fail "OPENAI_BASE_URL in the environment did not choose the openai provider"
check_statuses openai
[ "$(tree_of openai)" = "$exec_tree" ] || fail "openai: the integration tree is not the exec codemod's"
pass "openai: the same statuses and tree"

# without --arg match a classifier agent judges every unit of the fixture: the
# same units are migrated; old_copy's definition and all the others are skipped
start_fakellm classify
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
	git wfmigrate run --yes --json --workflow migrate --oracle 'make test' --model fake-rules "$goal"
cp "$TMP/out" "$TMP/classified.json"
py '
r = j(sys.argv[1])
want = dict(line.split() for line in open(sys.argv[2]))
got = {u["id"]: u for u in r["units"]}
for uid, status in want.items():
    if status == "skipped":
        assert got[uid]["status"] == "skipped" and "not relevant" in got[uid]["reason"], got[uid]
    else:
        assert got[uid]["status"] == status, (uid, got[uid])
others = [u for uid, u in got.items() if uid not in want]
assert others and all(u["status"] == "skipped" and "not relevant" in u["reason"] for u in others), others[:2]
' "$TMP/classified.json" "$TMP/expected" || fail "the classifier path gave other statuses"
[ "$(tree_of classified)" = "$exec_tree" ] || fail "classified: the integration tree is not the codemod's"
pass "without --arg match: classifier agents keep the same units, the tree is the codemod's"

# a local server that reports no usage at all (Ollama-like): counted from the bytes, budget kept
echo '{"usage": "none"}' >"$TMP/nousage.json"
start_fakellm nousage "$TMP/nousage.json"
OPENAI_API_KEY=$FAKE_KEY OPENAI_BASE_URL=$FAKE_URL/v1 run_migrate nousage --provider openai --model fake-rules --budget 2M
check_statuses nousage
py '
r = j(sys.argv[1])
assert 0 < r["totals"]["tokens"] <= 2000000 and r["budget"]["spentTokens"] == r["totals"]["tokens"], r["totals"]
assert all("usage" not in e["reply"] for e in log(sys.argv[2]) if e["status"] == 200)
' "$TMP/nousage.json" "$TMP/nousage.log" || fail "usage a server left out was not estimated"
pass "openai replies without usage (as local servers send): the same result, tokens estimated"

py '
entries = log(sys.argv[1])
bad = [(e["n"], e["status"], e.get("reply")) for e in entries if e["status"] != 200]
assert not bad, "the fake refused requests: %r" % bad[:3]
apis = {e["api"] for e in entries}
assert apis == {"anthropic", "openai"}, apis
' "$TMP/plain.log" || fail "the fake refused requests the real APIs would refuse too"
py '
r = j(sys.argv[1])
t = r["totals"]
assert t["tokens"] > 0 and t["cacheReadTokens"] > 0, t
assert sum(u["tokens"] for u in r["units"]) <= t["tokens"], "unit tokens exceed the total"
assert all(u["agents"] > 0 and u["tokens"] > 0 for u in r["units"]), r["units"]
# every anthropic call after the first of its role reads the prefix from the cache
first, later_misses = set(), 0
for e in log(sys.argv[2]):
    if e["api"] != "anthropic" or e["status"] != 200:
        continue
    u = e["reply"]["usage"]
    if e["role"] in first and u["cache_read_input_tokens"] == 0:
        later_misses += 1
    first.add(e["role"])
assert later_misses == 0, "%d calls after the first of their role missed the cache" % later_misses
' "$TMP/anthropic.json" "$TMP/plain.log" || fail "tokens or the prompt cache are not accounted for"
pass "the fake refused nothing; tokens are counted per unit; the prefix is read from the cache"

# --- killed mid-run (kill -9) and resumed: journaled agents make no call again
echo '{"latencyMs": 100}' >"$TMP/slow.json"
start_fakellm slow "$TMP/slow.json"
ls "$runs" >"$TMP/runs-before"
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL git wfmigrate run --yes --json \
	--workflow migrate --oracle 'make test' --arg match=old_copy --provider anthropic \
	--model fake-rules "$goal" >"$TMP/killed.out" 2>"$TMP/killed.err" &
pid=$!
# grep -c prints 0 itself when nothing matches (and exits 1), nothing without the file
agents_journaled() {
	local n
	n=$(grep -c '"method":"agent"' "$1/journal.jsonl" 2>/dev/null) || :
	echo "${n:-0}"
}
rd=
for _ in $(seq 600); do
	new=$(ls "$runs" | grep -vxF -f "$TMP/runs-before" || :)
	[ -n "$new" ] && rd=$runs/$new && [ "$(agents_journaled "$rd")" -ge 8 ] && break
	sleep 0.05
done
[ -n "$rd" ] && [ "$(agents_journaled "$rd")" -ge 8 ] || fail "the run to kill did not get going"
kill -9 "$(cut -d' ' -f1 "$rd/lock")"
wait "$pid" && fail "the killed run exited 0"
sleep 1 # an oracle it started ends by itself
before=$(agents_journaled "$rd")
requests=$(wc -l <"$TMP/slow.log")
[ "$before" -lt 34 ] || fail "the run finished before it was killed"
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
	git wfmigrate resume --json "$(basename "$rd")"
cp "$TMP/out" "$TMP/resumed.json"
check_statuses resumed
[ "$(tree_of resumed)" = "$exec_tree" ] || fail "resumed: the integration tree is not the codemod's"
py '
r = j(sys.argv[1])
t = r["sessions"][-1]  # the own figures of the resume (the totals add the killed session in)
before, requests = int(sys.argv[3]), int(sys.argv[4])
assert len(r["sessions"]) == 2 and r["sessions"][0]["status"] == "crashed", r["sessions"]
assert r["totals"]["agentsRun"] == r["sessions"][0]["agentsRun"] + t["agentsRun"], r["sessions"]
assert t["agentsReplayed"] == before, (t, before)
assert t["agentsRun"] + t["agentsReplayed"] == 34, t
# every agent that ran again started one conversation: its first call has one message
firsts = [e for e in log(sys.argv[2])[requests:] if e["status"] == 200 and len(e["body"]["messages"]) == 1]
assert len(firsts) == t["agentsRun"], (len(firsts), t)
' "$TMP/resumed.json" "$TMP/slow.log" "$before" "$requests" ||
	fail "the resume asked the model again for journaled agents"
pass "kill -9 after $before agents, resume: the same result, journaled agents not asked again"

# --- 20% of the calls faulted
cat >"$TMP/faults.json" <<'EOF'
{"faults": {"rate": 0.2, "kinds": ["429", "500", "503", "529", "drop", "truncate", "badjson"],
            "retryAfter": 1, "seed": 11, "maxInARow": 3}}
EOF
start_fakellm faults "$TMP/faults.json"
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	run_migrate faulted --provider anthropic --model fake-rules
check_statuses faulted
[ "$(tree_of faulted)" = "$exec_tree" ] || fail "faulted: the integration tree is not the codemod's"
fake_stats faults >"$TMP/faults.stats"
py '
s = j(sys.argv[1])
# about 100 calls at a rate of 0.2, decided by a hash of each body: 20 or so
assert sum(s["faults"].values()) >= 5, "too few faults to mean anything: %r" % s["faults"]
assert len(s["faults"]) >= 4, "too few kinds of faults: %r" % s["faults"]
assert s["retryAfterViolations"] == 0, "retries came before retry-after: %r" % s
attempts = []
import glob, os
for path in glob.glob(os.path.join(sys.argv[2], j(sys.argv[3])["run"], "agents", "*.jsonl")):
    for rec in log(path):
        if rec["type"] == "call":
            attempts.append(rec["attempts"])
assert attempts and max(attempts) <= 7, "a call took %d attempts" % max(attempts)
assert any(a > 1 for a in attempts), "no call was retried"
print("faults %r, calls %d, retried %d" % (s["faults"], len(attempts), sum(a > 1 for a in attempts)))
' "$TMP/faults.stats" "$runs" "$TMP/faulted.json" || fail "the faulted run did not retry as it should"
pass "20% of calls faulted: the same result, bounded retries, retry-after respected"

# --- a budget smaller than the work
start_fakellm budget
WANT_CODE=0 ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	run_migrate budget --provider anthropic --model fake-rules --budget 40k
py '
r = j(sys.argv[1])
b = r["budget"]
assert b["spentTokens"] <= 40000, b
assert r["totals"]["tokens"] <= 40000, r["totals"]
spent = 0
for e in log(sys.argv[2]):
    u = (e.get("reply") or {}).get("usage")
    if u:
        spent += u["input_tokens"] + u["output_tokens"] + u.get("cache_creation_input_tokens", 0) + u.get("cache_read_input_tokens", 0)
assert spent <= 40000, "the fake served %d tokens" % spent
left = [u for u in r["units"] if u["status"] != "merged"]
assert len(left) > 3, "a 40k budget should leave units undone: %r" % r["totals"]
# units are finished before new ones start (tests/e2e/llm_budget.sh has more)
assert r["totals"]["merged"] >= 1, r["totals"]
assert all(u["reason"].startswith("budget: ") for u in left if u["status"] == "skipped"), left
' "$TMP/budget.json" "$TMP/budget.log" || fail "the budget was not kept or not reported"
rd=$(ls -d "$runs"/* | tail -1)
grep -q 'The budget ran out' "$rd/report.md" || fail "report.md does not say the budget ran out"
pass "--budget 40k: never exceeded (ledger and fake agree), the units left are reported"

# --max-cost needs a price for the model: without one the agents cannot start
WANT_CODE=0 ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	run_migrate nocost --provider anthropic --model fake-rules --max-cost 1
py '
r = j(sys.argv[1])
assert r["totals"]["tokens"] == 0, r["totals"]
assert all(u["status"] == "failed" and "no price is known for model" in u["reason"] for u in r["units"]), r["units"][:2]
' "$TMP/nocost.json" || fail "--max-cost ran agents with a model of unknown price"
git config --add wfmigrate.price 'fake-rules=3,15,3.75,0.3'
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL \
	run_migrate cost --provider anthropic --model fake-rules --max-cost 0.05
py '
r = j(sys.argv[1])
assert 0 < r["totals"]["costUsd"] <= 0.05 and r["budget"]["spentUsd"] <= 0.05, (r["totals"], r["budget"])
assert r["budget"]["maxCostUsd"] == 0.05
' "$TMP/cost.json" || fail "--max-cost 0.05 was not kept"
pass "--max-cost: refused without a price, kept with one (git config wfmigrate.price)"

# --- usage errors
expect_code 129 git wfmigrate run --yes --workflow migrate "$goal"
expect_stderr 'no one to run the agents: set ANTHROPIC_API_KEY or OPENAI_API_KEY'
expect_code 129 git wfmigrate run --yes --provider anthropic --workflow migrate "$goal"
expect_stderr 'needs an API key in ANTHROPIC_API_KEY'
expect_code 129 git wfmigrate run --yes --provider gemini --workflow migrate "$goal"
expect_stderr "unknown provider 'gemini'"
ANTHROPIC_API_KEY=x expect_code 129 git wfmigrate run --yes --provider anthropic --model wizard=x "$goal"
expect_stderr "unknown role"
ANTHROPIC_API_KEY=x expect_code 129 git wfmigrate run --yes --provider anthropic --budget lots "$goal"
expect_stderr "expects a number of tokens"
pass "no provider or key, a missing key, an unknown provider or role, a bad budget: usage errors"

# --- no key anywhere
if grep -rlF "$FAKE_KEY" "$(git rev-parse --git-common-dir)" "$repo" 2>/dev/null; then
	fail "the API key is written in the files above"
fi
check_repo "$repo"
pass "the API key is in no file of the runs, the pool or the repository"
