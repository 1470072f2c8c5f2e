#!/usr/bin/env bash
# A budget that finishes work instead of starting it (issue 8, part 3): the
# migrate workflow with LLM agents against the loopback fake (tests/fakellm)
# on the cardkit fixture (17 units, about 12,000 tokens each), under budgets
# that fit a few units.
#
# - --budget 30000: the engine finishes the units it started before it
#   starts new ones, so at least one unit is merged; every unit it did not
#   start is skipped with a "budget: ..." reason, none failed; the tokens the
#   fake billed never pass the budget and equal what the report counts; the
#   script's budget.total is still 30000 at the end; report.md and the
#   summary line say how many tokens went to units that did not land;
# - bare agent() calls (no pipeline) run until the ledger refuses one: the
#   script then sees a refusal with err.code 'budget', budget.remaining() is
#   0 and budget.total unchanged, and the fake billed no more than the budget;
# - an item the script waits for (from another item under way) is held back
#   for the budget only while something else can happen: the run never hangs;
# - --max-cost with a verifier model far dearer than the rest: the ledger runs
#   out when the first verifier would start; implementers and fixers under
#   way still finish, the oracle and the merge queue still run, and an
#   attempt no verifier could judge is reported as such, kept unmerged by
#   default and merged with --arg unverified=merge.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"

"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
export ANTHROPIC_API_KEY=$FAKE_KEY

# the migrate workflow, and what the script's budget says once it is done
cat >"$TMP/wrapped.js" <<'EOF'
export const meta = { name: 'wrapped-migrate', description: 'migrate, then the budget as the script sees it' }
const report = await workflow('migrate', args)
return { ...report, budgetAfter: { total: budget.total, spent: budget.spent(), remaining: budget.remaining() } }
EOF

# last_run: the directory of the newest run
last_run() { ls -d "$runs"/* | tail -1; }

# --- a budget that fits a few units
start_fakellm fits
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --workflow "$TMP/wrapped.js" \
	--oracle 'make test' --arg match=old_copy --provider anthropic --model fake-rules \
	--budget 30000 "$goal"
rd=$(last_run)
fake_stats fits >"$TMP/fits.stats"
py '
r, s = j(sys.argv[1]), j(sys.argv[2])
units = r["units"]
by = lambda st: [u for u in units if u["status"] == st]
assert len(units) == 17, len(units)
assert len(by("merged")) >= 1, r["totals"]
assert not by("failed"), by("failed")
# the units never started are skipped for the budget; every started one was finished
for u in units:
    if u["agents"] == 0:
        assert u["status"] == "skipped" and u["reason"].startswith("budget: "), u
    else:
        assert u["status"] in ("merged", "rejected"), u
skipped = by("skipped")
assert len(skipped) >= 10 and all(u["agents"] == 0 for u in skipped), skipped
# the provider never billed more than the budget, and the run counted every token it billed
assert 0 < s["billedTokens"] <= 30000, s["billedTokens"]
assert r["totals"]["tokens"] == s["billedTokens"] == r["budget"]["spentTokens"], (r["totals"], r["budget"])
assert r["budget"]["maxTokens"] == 30000
# the script saw the user'"'"'s total to the end
assert r["result"]["budgetAfter"]["total"] == 30000, r["result"]["budgetAfter"]
assert r["result"]["budgetAfter"]["spent"] == r["totals"]["tokens"]
# the tokens of the units that did not land
lost = sum(u["tokens"] for u in units if u["status"] != "merged")
assert r["totals"]["tokensNotLanded"] == lost, (r["totals"], lost)
assert r["totals"]["budgetUnits"] == len(skipped)
' "$rd/report.json" "$TMP/fits.stats" || fail "--budget 30000: the budget did not finish the work it started"
grep -q '^tokens: [0-9]*, [0-9]* of them on units that did not land; the budget left some units undone$' "$TMP/out" ||
	fail "the summary line does not give the tokens: $(cat "$TMP/out")"
grep -q 'of them on units that did not land' "$rd/report.md" &&
	grep -q 'The budget ran out.*unit(s) were left undone' "$rd/report.md" ||
	fail "report.md does not say what the budget left undone"
# a unit is started before the next one only while the budget covers it: the
# engine said so once, and refused the rest without starting them
grep -q '^budget: no new unit is started: ' "$TMP/err" || fail "no progress line says why units were not started"
pass "--budget 30000: $(py 'r = j(sys.argv[1]); print("%d merged, %d rejected, %d skipped (budget), %d tokens billed" % (r["totals"]["merged"], r["totals"]["rejected"], r["totals"]["skipped"], r["totals"]["tokens"]))' "$rd/report.json")"

# --- bare agents until the ledger refuses one
cat >"$TMP/bare.js" <<'EOF'
export const meta = { name: 'bare', description: 'agents one after another, outside any pipeline, until refused' }
const prompt = 'Decide whether one unit of code needs a change for a migration.\n\n' +
  `Goal of the migration: ${args.goal}\n\n` +
  'The unit: function `card_init` in src/card.c, lines 1-20 (unit src/card.c::function::card_init).'
const answers = []
let refusal = null
while (answers.length < 40) {
  try {
    answers.push(await agent(prompt, { role: 'classifier', label: `ask${answers.length}` }))
  } catch (err) {
    refusal = { code: err.code ?? null, message: err.message }
    break
  }
}
return { asked: answers.length, answered: answers.filter(Boolean).length, refusal,
  total: budget.total, remaining: budget.remaining(), spent: budget.spent() }
EOF
start_fakellm bare
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/bare.js" \
	--provider anthropic --model fake-rules --budget 20000 "$goal"
cp "$TMP/out" "$TMP/bare.json"
fake_stats bare >"$TMP/bare.stats"
py '
r, s = j(sys.argv[1]), j(sys.argv[2])
v = r["result"]
assert v["answered"] >= 2 and v["asked"] < 40, v
assert v["refusal"] and v["refusal"]["code"] == "budget" and v["refusal"]["message"].startswith("budget: "), v
assert v["total"] == 20000 and v["remaining"] == 0, v
assert r["budget"]["exhausted"] and 0 < s["billedTokens"] <= 20000, (r["budget"], s["billedTokens"])
assert v["spent"] == r["totals"]["tokens"] == s["billedTokens"], (v, r["totals"], s["billedTokens"])
' "$TMP/bare.json" "$TMP/bare.stats" || fail "bare agents: the refusal, budget.total or remaining() are wrong"
pass "bare agents until refused: err.code 'budget', remaining() 0, total 20000, billed within it"

# --- a started item that waits for a new one the budget holds back: the run
# does not hang, the held item starts once nothing else can happen
cat >"$TMP/waits.js" <<'EOF'
export const meta = { name: 'waits', description: 'the first item waits for the second' }
const prompt = 'Decide whether one unit of code needs a change for a migration.\n\n' +
  'The unit: function `card_init` in src/card.c, lines 1-20 (unit src/card.c::function::card_init).'
let release
const gate = new Promise((resolve) => { release = resolve })
const out = await pipeline([0, 1], async (i) => {
  if (i === 0) {
    const first = await agent(prompt, { role: 'classifier', label: 'first' })
    await gate
    return first
  }
  try {
    return await agent(prompt, { role: 'classifier', label: 'second' })
  } finally {
    release()
  }
})
return { first: out[0] !== null, second: out[1] !== null }
EOF
start_fakellm waits
ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/waits.js" \
	--provider anthropic --model fake-rules --budget 12000 "$goal"
py '
r = j(sys.argv[1])
assert r["result"] == {"first": True, "second": True}, r["result"]
assert r["totals"]["tokens"] <= 12000
' "$TMP/out" || fail "the item the script waited for did not run"
grep -q '^budget: agent second starts though .* the script waits for it$' "$TMP/err" ||
	fail "the second item was not held back first: $(grep budget "$TMP/err")"
pass "an item the script waits for is held back for the budget, then started: the run does not hang"

# --- --max-cost with a dear verifier: the ledger runs out as the first verifier would start
git config --add wfmigrate.price 'fake-rules=3,15,3.75,0.3'
git config --add wfmigrate.price 'fake-rules-dear=300,1500'
start_fakellm dear
for mode in keep merge; do
	ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json --workflow "$TMP/wrapped.js" \
		--oracle 'make test' --arg match=old_copy --arg unverified=$mode --provider anthropic \
		--model fake-rules --model verifier=fake-rules-dear --max-cost 1 "$goal"
	cp "$TMP/out" "$TMP/dear-$mode.json"
	py '
r, mode = j(sys.argv[1]), sys.argv[2]
units = r["units"]
assert r["budget"]["exhausted"] and 0 < r["budget"]["spentUsd"] <= 1, r["budget"]
unverified = [u for u in units if "the verifier could not run" in (u["reason"] or "")]
assert unverified, [(u["id"], u["status"], u["reason"]) for u in units]
for u in units:
    why = u["reason"] or ""
    if u["status"] == "rejected":            # the traps: the oracle failed, a fixer ran
        assert "the oracle failed" in why, u
    elif u["status"] == "skipped":           # never started, or changed nothing
        assert why.startswith("budget: "), u
    elif mode == "keep":
        assert u["status"] == "failed" and why.startswith("budget: ") and \
            "the verifier could not run; the oracle passed on the attempt, kept unmerged" in why, u
    else:
        assert u["status"] == "merged" and why.startswith("unverified (--arg unverified=merge): budget: "), u
# the first unit (a trap: the oracle fails) went through its fix round
first = [u for u in units if u["id"] == "src/address.c::function::address_set"][0]
assert first["status"] == "rejected" and "the fixer of round 1 changed nothing" in first["reason"], first
merged = [u for u in units if u["status"] == "merged"]
if mode == "keep":
    assert not merged and r["integration"]["commit"] in (None, r["base"]), r["integration"]
else:
    # the merge queue ran after the budget was spent: merges cost no tokens
    assert len(merged) >= 1 and r["integration"]["commit"] not in (None, r["base"])
assert r["result"]["budgetAfter"]["total"] is None and r["result"]["budgetAfter"]["remaining"] == 0
' "$TMP/dear-$mode.json" "$mode" || fail "--max-cost, unverified=$mode: $(cat "$TMP/dear-$mode.json" | head -c 300)"
done
git diff --quiet "$(py 'print(j(sys.argv[1])["base"])' "$TMP/dear-merge.json")" \
	"$(py 'print(j(sys.argv[1])["integration"]["commit"])' "$TMP/dear-merge.json")" &&
	fail "unverified=merge: the integration branch holds no change"
pass "--max-cost spent at the first verifier: work under way finishes, unverified attempts kept, or merged with --arg unverified=merge"

check_repo "$repo"
