#!/usr/bin/env bash
# git wfmigrate sweep on the opskit fixture (fixtures/make-vulnerable.sh,
# branch feature) with the fake LLM's rule model playing the classifier,
# the reviewers and the verifiers over the Anthropic API, checked against
# fixtures/vulnerable.expected:
# - every planted hole of main..feature is reported, each once (a rule's
#   finding and a reviewer's of the same issue are one finding, the other
#   ids under "also"); every look-alike the reviewer reported is refuted
#   by the verifiers (a rule's finding on it stays: the text is a fact);
#   the hole on main, out of scope, is not reported;
# - the comments telling reviewers to report nothing are findings of their
#   own, and the hole next to one (src/session.c) is still reported;
# - when every verifier call fails (HTTP 400 for the verifier role), no
#   finding is refuted: each is unverified, and the sweep still fails.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
expected=$src/fixtures/vulnerable.expected
"$src/fixtures/make-vulnerable.sh" "$TMP/opskit" >/dev/null
cd "$TMP/opskit"

# sweep <name> [scenario]: git wfmigrate sweep --base main with the fake; result in $TMP/<name>.json
sweep() {
	start_fakellm "$1" ${2:+"$2"}
	ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 1 \
		git wfmigrate sweep --provider anthropic --model fake-rules --base main --json -q \
		--sarif "$TMP/$1.sarif"
	cp "$TMP/out" "$TMP/$1.json"
}

# "<file:start-end> <kind> <review> <verdict> <rules>" of the entries in scope
grep -v '^#' "$expected" | awk 'NF && $3 == "feature" { print $2, $1, $4, $6, $7 }' >"$TMP/entries"
[ "$(wc -l <"$TMP/entries")" -ge 12 ] || fail "too few entries in vulnerable.expected to mean anything"

sweep answering
py '
r = j(sys.argv[1])
entries = [l.split() for l in open(sys.argv[2])]
where = lambda f: "%s:%d-%d" % (f["file"], f["startLine"], f["endLine"])
def within(f, loc):
    path, lines = loc.rsplit(":", 1)
    a, b = map(int, lines.split("-"))
    return f["file"] == path and f["startLine"] <= b and a <= f["endLine"]
for loc, kind, review, verdict, rules in entries:
    want = set() if rules == "-" else set(rules.split(","))
    if verdict == "confirmed":
        want.add(review)
    found = [f for f in r["findings"] if within(f, loc)]
    got = set()
    for f in found:
        got |= {f["rule"], *f.get("also", [])}
    assert got == want, (loc, kind, want, [(f["rule"], f.get("also")) for f in found])
    assert len(found) == (1 if want else 0), (loc, "reported %d times" % len(found))
    for f in found:
        assert f["verdict"] == "confirmed", (loc, f)
    ref = [f for f in r["refuted"] if within(f, loc)]
    assert [f["rule"] for f in ref] == ([review] if verdict == "refuted" else []), (loc, ref)
# nothing else: no finding outside the entries, nothing from main
for f in r["findings"] + r["refuted"]:
    assert any(within(f, e[0]) for e in entries), ("unexpected", where(f), f["rule"])
assert not any(f["file"] == "src/names.c" for f in r["findings"]), "main'"'"'s hole is out of scope"
by = {where(f): f for f in r["findings"]}
assert by["src/session.c:9-9"]["rule"] == "prompt-injection/reviewer-instruction"
assert by["tools/backup.py:7-7"]["rule"] == "prompt-injection/reviewer-instruction"
assert by["src/session.c:14-14"]["rule"] == "memory-safety/unbounded-copy"
print(len(r["findings"]), len(r["refuted"]))
' "$TMP/answering.json" "$TMP/entries" >"$TMP/counts" || fail "the sweep's findings differ from vulnerable.expected"
py '
s = j(sys.argv[1])
res = s["runs"][0]["results"]
assert len(res) == int(sys.argv[2]), len(res)
assert all(r["properties"]["verdict"] == "confirmed" for r in res)
' "$TMP/answering.sarif" "$(cut -d" " -f1 "$TMP/counts")" || fail "the SARIF does not hold the findings"
read -r kept refuted <"$TMP/counts"
pass "$kept findings as vulnerable.expected says, each once; $refuted look-alikes refuted; the instructions flagged and ignored"

cat >"$TMP/fail.json" <<'JSON'
{"faults": {"rate": 1, "kinds": ["400"], "roles": ["sweep-verifier"], "maxInARow": 1000}}
JSON
sweep failing "$TMP/fail.json"
py '
r = j(sys.argv[1])
assert r["refuted"] == [], r["refuted"]
rev = [f for f in r["findings"] if f["source"] == "reviewer"]
assert len(rev) >= 8, len(rev)
for f in rev:
    assert f["verdict"] == "unverified" and f["votes"] == {"confirmed": 0, "refuted": 0, "failed": 3}, f
assert all(f["verdict"] == "confirmed" for f in r["findings"] if f["source"] == "rule")
a = r["agents"]["verifiers"]
assert a["run"] == a["failed"] == 3 * len(rev), a
' "$TMP/failing.json" || fail "failing verifiers must leave every reviewer finding unverified"
pass "every verifier call failing: nothing refuted, every reviewer finding unverified, the sweep still fails"
