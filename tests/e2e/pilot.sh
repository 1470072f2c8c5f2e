#!/usr/bin/env bash
# Pilot runs (--pilot <n>) on the cardkit fixture with the migrate workflow:
#
# - exec agents (the codemod): the pilot starts agents for 2 units, then
#   the run stops (exit 1, report.json: stopped, stopReason pilot, the
#   other units pending) and shows the pilot's units and the run
#   extrapolated; resume without a terminal or --yes is refused (129)
#   and runs nothing; resume --yes shows the continuation's card, runs
#   only the units left (every agent label starts once over both
#   sessions; the pilot's agents come from the journal), and the
#   integration tree is an uninterrupted run's;
# - LLM agents against the fake provider (tests/fakellm), priced with
#   wfmigrate.price: the pilot shows tokens and USD per unit, and the
#   continuation's card (resumed in tmux, answered "r") extrapolates from
#   them (checked against report.json's figures); the resume asks the
#   model nothing for the pilot's agents, and the tree is the same.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
agent="sh $src/fixtures/codemods/old-to-safe.sh"
opts=(--workflow migrate --oracle 'make test' --arg match=old_copy
	--arg paths=src/address.c --arg paths=src/export.c --arg paths=src/copy.c)
newest() { ls -t "$runs" | head -n 1; }
tree_of() { git rev-parse "$(json 'j["integration"]["commit"]' <"$1")^{tree}"; }
# started <stderr file>: the labels of the agents that session started, sorted
started() { sed -n 's/^agent \([^ ]*\) started$/\1/p' "$1" | sort; }

# --- bad values
expect_code 129 git wfmigrate run --yes --pilot 0 "${opts[@]}" --agent-cmd "$agent" "$goal"
grep -q "^error: option '--pilot' must be between 1 and 100000, not 0$" "$TMP/err" || fail "--pilot 0: $(cat "$TMP/err")"
WFMIGRATE_PILOT=two expect_code 128 git wfmigrate run --yes "${opts[@]}" --agent-cmd "$agent" "$goal"
grep -q "^fatal: bad value 'two' for 'pilot' (from environment)" "$TMP/err" || fail "WFMIGRATE_PILOT=two: $(cat "$TMP/err")"
[ ! -d "$runs" ] || [ -z "$(ls "$runs")" ] || fail "a bad --pilot created a run"
pass "a bad pilot value is a usage error (129), or an environment error (128)"

# --- an uninterrupted run, for the tree to compare with
expect_code 0 git wfmigrate run --yes --json "${opts[@]}" --agent-cmd "$agent" "$goal"
cp "$TMP/out" "$TMP/whole.json"
whole_tree=$(tree_of "$TMP/whole.json")
units=$(json 'len(j["units"])' <"$TMP/whole.json")
[ "$units" -ge 5 ] || fail "expected at least 5 units, got $units"

# --- the pilot: 2 units, then stop
expect_code 1 git wfmigrate run --yes --json --pilot 2 "${opts[@]}" --agent-cmd "$agent" "$goal"
cp "$TMP/out" "$TMP/pilot.json"
cp "$TMP/err" "$TMP/pilot.err"
rid=$(newest)
rd=$runs/$rid
py '
r = j(sys.argv[1]); n = int(sys.argv[2])
assert r["status"] == "stopped" and r["stopReason"] == "pilot", (r["status"], r.get("stopReason"))
assert r["pilot"] == {"limit": 2, "started": 2, "refused": n - 2}, r["pilot"]
worked = [u for u in r["units"] if u["agents"] > 0]
pending = [u for u in r["units"] if u["status"] == "pending"]
assert len(worked) == 2 and len(pending) == n - 2, r["units"]
assert all(u["reason"].startswith("pilot: not started") for u in pending), pending
assert r["totals"]["pending"] == n - 2, r["totals"]
' "$TMP/pilot.json" "$units" || fail "the pilot's report is not a pilot's"
grep -q '^settings: pilot 2$' "$TMP/pilot.err" || fail "the card does not show the pilot"
grep -q "^pilot: agents start for 2 of the $units units, then the run stops; " "$TMP/pilot.err" ||
	fail "the card does not say what the pilot does"
grep -q "^pilot: 2 units started; no other starts$" "$TMP/pilot.err" || fail "no progress line for the pilot"
grep -q "^stopped: the pilot ran 2 units; 'git wfmigrate resume $rid' runs the rest$" "$TMP/pilot.err" ||
	fail "the pilot does not say how to go on"
[ "$(started "$TMP/pilot.err" | sed 's/^[a-z0-9]*://' | sort -u | wc -l)" = 2 ] ||
	fail "the pilot started agents for other than 2 units"
expect_code 1 git wfmigrate run --yes --pilot 2 "${opts[@]}" --agent-cmd "$agent" "$goal"
grep -q '^pilot: 2 units started: ' "$TMP/out" || fail "no pilot summary in the outcome"
grep -Eq "^all $units units, extrapolated from the pilot's: [0-9]+(-[0-9]+)? agents \(tokens and cost not metered: exec agents\)$" "$TMP/out" ||
	{ cat "$TMP/out" >&2; fail "no extrapolation in the outcome"; }
pass "--pilot 2 starts 2 units, stops (pilot), leaves the rest pending and extrapolates"

# --- resume: refused without a terminal or --yes, then run
journal_before=$(wc -l <"$rd/journal.jsonl")
expect_code 129 git wfmigrate resume "$rid" </dev/null
grep -q '^error: no terminal to ask for approval on: pass --yes to run without asking$' "$TMP/err" ||
	fail "resume of a pilot without a terminal is not refused"
grep -q "^run $rid: the pilot ran 2 units; the rest of the run:$" "$TMP/err" ||
	fail "no continuation card before the refusal"
[ "$(wc -l <"$rd/journal.jsonl")" = "$journal_before" ] || fail "the refused resume ran something"
json 'j["pilot"]' <"$rd/run.json" | grep -qx 2 || fail "the refused resume lifted the pilot"

expect_code 0 git wfmigrate resume --yes --json "$rid"
cp "$TMP/out" "$TMP/resumed.json"
cp "$TMP/err" "$TMP/resumed.err"
grep -q "^all $units units, extrapolated from the pilot's: " "$TMP/resumed.err" ||
	fail "the continuation's card has no estimate"
json 'j["pilot"]' <"$rd/run.json" | grep -qx 0 || fail "resume did not lift the pilot"
py '
r = j(sys.argv[1]); p = j(sys.argv[2])
s = r["sessions"][-1]
assert r["status"] == "done" and r["totals"]["pending"] == 0, r["totals"]
assert s["agentsReplayed"] == p["totals"]["agentsRun"], (s, p["totals"])
assert r["totals"]["agentsRun"] == p["totals"]["agentsRun"] + s["agentsRun"], r["totals"]
' "$TMP/resumed.json" "$TMP/pilot.json" || fail "the resume ran journaled agents again"
started "$TMP/pilot.err" >"$TMP/labels1"
started "$TMP/resumed.err" >"$TMP/labels2"
[ -s "$TMP/labels1" ] && [ -s "$TMP/labels2" ] || fail "no agent started in one of the sessions"
[ -z "$(comm -12 "$TMP/labels1" "$TMP/labels2")" ] ||
	fail "agents started in both sessions: $(comm -12 "$TMP/labels1" "$TMP/labels2")"
[ "$(tree_of "$TMP/resumed.json")" = "$whole_tree" ] ||
	fail "pilot + resume: the integration tree is not the uninterrupted run's"
py '
a = {u["id"]: u["status"] for u in j(sys.argv[1])["units"]}
b = {u["id"]: u["status"] for u in j(sys.argv[2])["units"]}
assert a == b, (a, b)' "$TMP/whole.json" "$TMP/resumed.json" || fail "the units ended otherwise"
check_repo "$repo"
pass "resume --yes runs only the units left; the tree and statuses are an uninterrupted run's"

# --- LLM agents against the fake, priced
start_fakellm plain
git config --add wfmigrate.price 'fake-rules=3,15,3.75,0.3'
export ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL
expect_code 1 git wfmigrate run --yes --pilot 2 "${opts[@]}" --provider anthropic --model fake-rules "$goal"
cp "$TMP/out" "$TMP/llm-pilot.out"
lid=$(newest)
lrd=$runs/$lid
cp "$lrd/report.json" "$TMP/llm-pilot.json"
grep -Eq '^  \S+ +(merged|rejected|skipped|failed) +[0-9]+ agents? +[1-9][0-9]* tokens +\$0\.[0-9]{4}$' "$TMP/llm-pilot.out" ||
	{ cat "$TMP/llm-pilot.out" >&2; fail "the pilot shows no tokens and USD per unit"; }
requests=$(wc -l <"$TMP/plain.log")

# the continuation, on a terminal: its card, then "r"
screen() { term_history pilot; }
wait_screen() { term_wait pilot "$1"; }
printf '%s\n' "cd $(printf %q "$repo")" \
	"git wfmigrate resume --json $lid >$(printf %q "$TMP/llm-resumed.json"); echo EXIT=\$?" >"$TMP/cmd.sh"
tm new-session -d -x 200 -y 50 -s pilot "bash --norc --noprofile $TMP/cmd.sh; sleep 600"
wait_screen 'Run the rest\? \[r\]un, \[v\]iew the script, \[a\]bort: '
screen >"$TMP/llm-card"
# the card's estimate is the pilot's figures: spent + units left x [cheapest, dearest]
py '
import re
r = j(sys.argv[1]); card = open(sys.argv[2]).read()
worked = [u for u in r["units"] if u["agents"] > 0]
left = sum(1 for u in r["units"] if u["status"] == "pending")
t = r["totals"]
def k(n):  # ui/status.c, wfm_ui_add_tokens()
    if n < 1000: return str(n)
    if n < 100000 and n % 1000: return "%.1fk" % (n / 1e3)
    if n < 999500: return "%dk" % ((n + 500) // 1000)
    return "%dM" % (n // 1000000) if n % 1000000 == 0 else "%.2fM" % (n / 1e6)
lo = t["tokens"] + left * min(u["tokens"] for u in worked)
hi = t["tokens"] + left * max(u["tokens"] for u in worked)
ulo = t["costUsd"] + left * min(u["costUsd"] for u in worked)
uhi = t["costUsd"] + left * max(u["costUsd"] for u in worked)
want = "tokens, $%.2f-$%.2f" % (ulo, uhi)
line = [l for l in card.splitlines() if "extrapolated from the pilot" in l]
assert line, card
assert "%s-%s %s" % (k(lo), k(hi), want) in line[0], (line[0], k(lo), k(hi), want)
assert left > 0 and t["costUsd"] > 0
' "$TMP/llm-pilot.json" "$TMP/llm-card" || { cat "$TMP/llm-card" >&2; fail "the continuation's estimate is not the pilot's figures"; }
tm send-keys -t pilot r Enter
wait_screen '^EXIT='
screen | grep -q '^EXIT=0$' || { screen >&2; fail "the resumed LLM run did not succeed"; }
term_kill
py '
r = j(sys.argv[1]); p = j(sys.argv[2]); requests = int(sys.argv[4])
s = r["sessions"][-1]
assert s["agentsReplayed"] == p["totals"]["agentsRun"], (s, p["totals"])
firsts = [e for e in log(sys.argv[3])[requests:] if e["status"] == 200 and len(e["body"]["messages"]) == 1]
assert len(firsts) == s["agentsRun"], (len(firsts), s)
' "$TMP/llm-resumed.json" "$TMP/llm-pilot.json" "$TMP/plain.log" "$requests" ||
	fail "the LLM resume asked the model again for the pilot's agents"
[ "$(tree_of "$TMP/llm-resumed.json")" = "$whole_tree" ] ||
	fail "LLM pilot + resume: the integration tree is not the uninterrupted run's"
pass "LLM pilot: tokens and USD per unit; the continuation's card extrapolates them; nothing asked twice"
