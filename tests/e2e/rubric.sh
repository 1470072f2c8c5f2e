#!/usr/bin/env bash
# The rubric and the limits a script gets from the engine (issue 12, point 7):
#
# - the migrate workflow's agents get rubrics/migration.md, whole, in their
#   prompts: the implementers', fixers' and verifiers' prompts (an exec
#   agent gets its prompt on stdin) hold the file's text exactly;
# - a repository's .claude/rubrics/migration.md overrides the built-in one,
#   as .claude/workflows/ does for workflows;
# - rubric('<unknown>') rejects with a message naming the rubric and listing
#   those there are; uncaught, the run fails with it (exit 1);
# - a script's `limits` are the engine's: WFM_ENGINE_ITEMS_PER_CALL items per
#   call and the run's --max-agents.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod=$src/fixtures/codemods/old-to-safe.sh
goal="move every caller of old_copy to safe_copy"

"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
cd "$TMP/cardkit"

# An exec agent that keeps its prompt (stdin) as <n>.<role> in $TMP/prompts,
# then works as the fixture's codemod.
mkdir -p "$TMP/prompts"
cat >"$TMP/agent.sh" <<SH
#!/bin/sh
role=\$(python3 -c 'import json, os
r = os.environ.get("WFM_AGENT_JSON") or open(os.environ["WFM_AGENT_JSON_FILE"]).read()
print(json.loads(r)["role"])')
cat >"\$(mktemp "$TMP/prompts/XXXXXX.\$role")"
exec sh "$codemod" </dev/null
SH

# migrate <rubric file>: runs the migrate workflow on src/address.c and
# checks that every implementer, fixer and verifier prompt holds the text of
# <rubric file> (without its last newline, as the workflow trims it)
migrate() {
	rm -f "$TMP/prompts/"*
	expect_code 0 git wfmigrate run --workflow migrate --oracle 'make test' --arg match=old_copy \
		--arg paths=src/address.c --provider exec --agent-cmd "sh $TMP/agent.sh" --yes --json \
		"$goal" </dev/null
	py 'r = j(sys.argv[1]); assert r["status"] == "done", r
t = r["totals"]; assert (t["merged"], t["rejected"]) == (2, 1), t' "$TMP/out" ||
		fail "the migrate run on src/address.c did not end as expected: $(head -c 600 "$TMP/out")"
	python3 - "$1" "$TMP/prompts" <<'PY' || fail "a prompt lacks the rubric $1"
import os, sys
want = open(sys.argv[1]).read().strip()
roles = {}
for name in os.listdir(sys.argv[2]):
    role = name.split(".")[1]
    prompt = open(os.path.join(sys.argv[2], name)).read()
    roles[role] = roles.get(role, 0) + 1
    assert "\n\n" + want + "\n\n" in prompt, (role, prompt[:2000])
for role in ("implementer", "fixer", "verifier"):
    assert roles.get(role), ("no prompt of a " + role, roles)
PY
}

# --- the built-in rubric, from the data directory (here the source tree)
migrate "$src/rubrics/migration.md"
pass "the implementers', fixers' and verifiers' prompts hold rubrics/migration.md whole"

# --- the repository's own rubric wins, as its workflows do
mkdir -p .claude/rubrics
{
	echo "# Our rubric"
	echo
	echo "1. The call names safe_copy, and nothing else counts (lim-marker-7f3a)."
} >.claude/rubrics/migration.md
migrate .claude/rubrics/migration.md
grep -l "Behaviour is preserved" "$TMP/prompts/"* >&2 && fail "the built-in rubric is still in a prompt"
pass "a repository's .claude/rubrics/migration.md replaces it in every prompt"
rm -r .claude

# --- an unknown rubric, and the limits
cat >"$TMP/asks.js" <<'JS'
export const meta = { name: 'asks', description: 'Asks for rubrics, returns the limits' }

let missing
try {
  await rubric('no-such-rubric')
} catch (e) {
  missing = e.message
}
const text = await rubric('migration')
return { missing, heading: text.split('\n')[0], limits }
JS
expect_code 0 git wfmigrate run --workflow "$TMP/asks.js" --provider exec --agent-cmd cat --max-agents 5 \
	--yes --json </dev/null
items=$(sed -En 's/^#define WFM_ENGINE_ITEMS_PER_CALL ([0-9]+).*/\1/p' "$src/src/engine/engine.h")
[ -n "$items" ] || fail "no WFM_ENGINE_ITEMS_PER_CALL in src/engine/engine.h"
py 'v = j(sys.argv[1])["result"]; m = v["missing"]
assert m.startswith("rubric(): no rubric named \x27no-such-rubric\x27 (looked for no-such-rubric.md in "), m
assert m.endswith("there are: migration (built-in), security (built-in)"), m
assert v["heading"].startswith("1. Behaviour is preserved: "), v
assert v["limits"] == {"itemsPerCall": int(sys.argv[2]), "agentsPerRun": 5}, v' "$TMP/out" "$items" ||
	fail "rubric() or limits: $(cat "$TMP/out")"
pass "an unknown rubric rejects, naming it and the known ones; limits are the engine's"

sed -i 's/^let missing$/await rubric("no-such-rubric")\nlet missing/' "$TMP/asks.js"
expect_code 1 git wfmigrate run --workflow "$TMP/asks.js" --provider exec --agent-cmd cat --yes --json </dev/null
py 'r = j(sys.argv[1]); assert r["status"] == "failed", r
assert "rubric(): no rubric named \x27no-such-rubric\x27" in r["error"], r["error"]' "$TMP/out" ||
	fail "the failed run's report: $(head -c 600 "$TMP/out")"
pass "uncaught, an unknown rubric fails the run with its message (exit 1)"
check_repo "$TMP/cardkit"
