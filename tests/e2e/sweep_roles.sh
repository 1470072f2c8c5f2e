#!/usr/bin/env bash
# The fake LLM's sweep roles (tests/fakellm/sweep.mjs) through the real
# agent loop, and their exec stand-in (fixtures/codemods/sweep-rules.mjs),
# before and apart from the sweep command: the harness
# tests/e2e/harnesses/sweep_roles.js sends the three prompts of the sweep
# (classifier; reviewer per category, read-only tools; 3 verifiers per
# finding) over the opskit fixture's units (fixtures/make-vulnerable.sh).
# - over both APIs, the findings and the verifiers' majority are those of
#   fixtures/vulnerable.expected for the files swept, and every call is
#   answered through StructuredOutput (the fake's log says which role);
# - the text addressed to the reviewer in src/session.c changes nothing;
# - the scenario that fails every verifier call (faults.roles
#   ["sweep-verifier"], kind 400) makes each verifier null ("failed") while
#   the classifiers and reviewers answer: what the sweep must keep as
#   unverified.
# - the exec agent fixtures/codemods/sweep-rules.mjs gives the same results
#   with --provider exec, and null verifiers with --fail sweep-verifier.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
harness=$src/tests/e2e/harnesses/sweep_roles.js
expected=$src/fixtures/vulnerable.expected

"$src/fixtures/make-vulnerable.sh" "$TMP/opskit" >/dev/null
cd "$TMP/opskit"
files="src/request.c src/session.c src/exec.c src/config.c tools/backup.py"
args=$(printf '%s\n' $files | py 'print(json.dumps({"paths": sys.stdin.read().split()}))')
for f in $files; do
	grep -v '^#' "$expected" | awk -v f="$f" 'NF && $4 != "-" && index($2, f ":") == 1 { print $2, $4, $5, $6 }'
done | sort >"$TMP/want"
[ "$(wc -l <"$TMP/want")" -ge 10 ] || fail "too few expected findings to mean anything"

# sweep <name> <provider> [scenario | exec agent's options]: the harness
# over $files; its result in $TMP/<name>.json
sweep() {
	local name=$1 provider=$2
	if [ "$provider" = exec ]; then
		expect_code 0 git wfmigrate run --provider exec --yes --json --workflow "$harness" \
			--agent-cmd "node $src/fixtures/codemods/sweep-rules.mjs ${3:-}" --oracle true --args-json "$args"
	elif [ "$provider" = anthropic ]; then
		start_fakellm "$name" ${3:+"$3"}
		ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
			git wfmigrate run --provider anthropic --yes --json --workflow "$harness" \
			--model fake-rules --oracle true --args-json "$args"
	else
		start_fakellm "$name" ${3:+"$3"}
		OPENAI_API_KEY=$FAKE_KEY OPENAI_BASE_URL=$FAKE_URL/v1 expect_code 0 \
			git wfmigrate run --provider openai --yes --json --workflow "$harness" \
			--model fake-rules --oracle true --args-json "$args"
	fi
	py 'print(json.dumps(j(sys.argv[1])["result"]))' "$TMP/out" >"$TMP/$name.json"
}

# got <name>: "<where> <rule> <severity> <majority>" lines of its result, against $TMP/want
got() {
	py 'r = j(sys.argv[1])
for f in r["findings"]:
    assert len(f["votes"]) == 3 and len(set(f["votes"])) == 1, f
    print(f["where"], f["rule"], f["severity"], f["votes"][0])' "$TMP/$1.json" | sort >"$TMP/$1.got"
	diff -u "$TMP/want" "$TMP/$1.got" >&2 || fail "$1: the findings differ from vulnerable.expected"
}

for api in anthropic openai; do
	sweep "$api" "$api"
	got "$api"
	py 'r = j(sys.argv[1])
assert r["units"]["src/session.c::function::session_start"] == ["memory-safety"], r["units"]
assert r["units"]["src/exec.c::function::count_lines"] == ["memory-safety", "injection"], r["units"]
assert r["units"]["src/request.c::code::<stdio.h>"] == [], r["units"]
calls = log(sys.argv[2])
roles = {c["role"] for c in calls}
assert roles == {"sweep-classifier", "sweep-reviewer", "sweep-verifier"}, roles
assert all(c["status"] == 200 for c in calls), [c["status"] for c in calls]
names = set()
for c in calls:
    reply = c["reply"]
    blocks = reply.get("content") or []
    names |= {b["name"] for b in blocks if b.get("type") == "tool_use"}
    for t in (reply.get("choices") or [{}])[0].get("message", {}).get("tool_calls") or []:
        names.add(t["function"]["name"])
assert names == {"StructuredOutput"}, names' "$TMP/$api.json" "$TMP/$api.log" ||
		fail "$api: the classifier, the roles or the tools are not as they should be"
	pass "$api: $(wc -l <"$TMP/$api.got") findings, each voted as vulnerable.expected says; the reviewer instruction changed nothing"
done

cat >"$TMP/fail.json" <<'JSON'
{"faults": {"rate": 1, "kinds": ["400"], "roles": ["sweep-verifier"], "maxInARow": 1000}}
JSON
sweep failing anthropic "$TMP/fail.json"
py 'r = j(sys.argv[1])
assert len(r["findings"]) >= 10, r
for f in r["findings"]:
    assert f["votes"] == ["failed"] * 3, f
calls = log(sys.argv[2])
faulted = [c for c in calls if c["fault"]]
assert faulted and all(c["role"] == "sweep-verifier" and c["status"] == 400 for c in faulted), faulted[:1]
assert all(c["status"] == 200 for c in calls if c["role"] != "sweep-verifier")' "$TMP/failing.json" "$TMP/failing.log" ||
	fail "the failing-verifier scenario did not fail exactly the verifiers"
pass "faults.roles [sweep-verifier]: every verifier null, the classifiers and reviewers answer"

sweep exec exec
got exec
sweep exec-failing exec "--fail sweep-verifier"
py 'r = j(sys.argv[1])
assert len(r["findings"]) >= 10, r
assert all(f["votes"] == ["failed"] * 3 for f in r["findings"]), r["findings"]' "$TMP/exec-failing.json" ||
	fail "sweep-rules.mjs --fail sweep-verifier did not fail exactly the verifiers"
pass "the exec stand-in: the same findings and votes; --fail sweep-verifier makes every verifier null"
