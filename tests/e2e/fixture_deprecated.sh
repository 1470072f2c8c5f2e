#!/usr/bin/env bash
# The cardkit fixture (fixtures/make-deprecated.sh) and its exec agent
# (fixtures/codemods/old-to-safe.sh), without the engine: the properties the
# migrate workflow's end-to-end run relies on.
#
# - the fixture builds the same commit every time, and make test passes on it;
# - `git wfmigrate chunk --match old_copy` gives the units listed in
#   fixtures/deprecated.expected, and every old_copy call is in one of them;
# - each unit, taken alone through what the workflow does with it (the
#   implementer's rewrite, then make test and the verifier, then a fixer
#   round when they fail), ends with the status that file records;
# - the good units together still pass make test (what the integration
#   branch will hold), and each trap fails the way it is meant to;
# - the verifier and classifier roles print valid JSON of the workflow's
#   schemas, and bad input makes the agent fail (exit 2);
# - workflows/migrate.js asks the engine for rubrics/migration.md by name
#   and holds no copy of its rules (one source), and (when runtime/harness.mjs
#   is there) its meta passes the runtime's check and lists every phase the
#   script uses.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod=$src/fixtures/codemods/old-to-safe.sh
expected=$src/fixtures/deprecated.expected

# split_units <units.json> <dir>: for unit i, <dir>/i.id, i.path, and
# i.<role>.env: the $WFM_AGENT_JSON the exec provider gives an agent of
# that role on that unit.
split_units() {
	mkdir -p "$2"
	python3 - "$1" "$2" <<'PY'
import json, sys
units, out = json.load(open(sys.argv[1])), sys.argv[2]
schemas = {"verifier": {"type": "object", "required": ["verdict", "findings"]},
           "classifier": {"type": "object", "required": ["relevant"]}}
phases = {"classifier": "Select", "implementer": "Implement", "verifier": "Verify", "fixer": "Fix"}
for i, u in enumerate(units):
    open("%s/%d.id" % (out, i), "w").write(u["id"] + "\n")
    open("%s/%d.path" % (out, i), "w").write(u["path"] + "\n")
    for role in phases:
        open("%s/%d.%s.env" % (out, i, role), "w").write(json.dumps({
            "run": "e2e", "role": role, "label": "%s:%s" % (role, u["id"]),
            "phase": phases[role], "schema": schemas.get(role), "base": None,
            "branch": None, "unit": u,
            "args": {"goal": "move every caller of old_copy to safe_copy", "match": "old_copy"}}))
PY
}

# agent <role> <dir/i>: runs the codemod in the current directory as the
# exec provider would: a prompt on stdin, $WFM_AGENT_JSON from split_units.
agent() {
	echo "You are migrating one unit of code." | WFM_AGENT_JSON=$(cat "$2.$1.env") "$codemod"
}

# run_codemod: the agent with an empty prompt and the caller's $WFM_AGENT_JSON
run_codemod() {
	"$codemod" </dev/null
}

# check_json <schema: verdict|relevant> <file>...: each file is one line, a
# JSON object of the workflow's schema for that role.
check_json() {
	python3 - "$@" <<'PY' || fail "an agent printed something other than its JSON line"
import json, sys
kind = sys.argv[1]
for path in sys.argv[2:]:
    lines = open(path).read().splitlines()
    assert len(lines) == 1, (path, lines)
    j = json.loads(lines[0])
    if kind == "verdict":
        assert j["verdict"] in ("pass", "fail") and isinstance(j["findings"], list), path
        assert all(isinstance(f, str) for f in j["findings"]), path
        assert (j["verdict"] == "fail") == bool(j["findings"]), path
    else:
        assert isinstance(j["relevant"], bool) and isinstance(j["reason"], str), path
PY
}

# --- the fixture
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
"$src/fixtures/make-deprecated.sh" "$TMP/again" >/dev/null
[ "$(git -C "$TMP/cardkit" rev-parse HEAD)" = "$(git -C "$TMP/again" rev-parse HEAD)" ] ||
	fail "make-deprecated.sh made two different commits"
expect_code 128 "$src/fixtures/make-deprecated.sh" "$TMP/again"
check_repo "$TMP/cardkit"
cd "$TMP/cardkit"
expect_output '^[0-9]+ passed, 0 failed$' make -s test
[ -z "$(git status --porcelain)" ] || fail "make test leaves files git does not ignore"
pass "make-deprecated.sh builds one commit, make test passes on it"

# --- the units
git wfmigrate chunk --json --text --match old_copy :/ >"$TMP/units.json"
json 'len(j)' <"$TMP/units.json" >"$TMP/n"
[ "$(cat "$TMP/n")" = 17 ] || fail "expected 17 units matching old_copy, got $(cat "$TMP/n")"
calls=$(grep -o '[^*[:alnum:]_]old_copy(' src/*.c | wc -l)
[ "$calls" = 33 ] || fail "expected 33 calls of old_copy, found $calls"
in_units=$(json 'sum(u["text"].count("old_copy(") - u["text"].count("*old_copy(") for u in j)' \
	<"$TMP/units.json")
[ "$in_units" = "$calls" ] || fail "the units hold $in_units calls of old_copy, the files $calls"
git wfmigrate chunk --json --text :/ | json '[u["id"] for u in j if "old_copy" in u["text"]]' >"$TMP/all-ids"
json '[u["id"] for u in j]' <"$TMP/units.json" >"$TMP/ids"
diff -u "$TMP/all-ids" "$TMP/ids" >&2 || fail "--match old_copy left out a unit that names old_copy"
pass "17 units hold the 33 calls of old_copy"

# --- each unit alone, as the workflow treats it
n=$(cat "$TMP/n")
split_units "$TMP/units.json" "$TMP/u"
: >"$TMP/statuses"
for i in $(seq 0 $((n - 1))); do
	u=$TMP/u/$i
	id=$(cat "$u.id")
	git reset -q --hard

	agent classifier "$u" >"$u.class" || fail "classifier failed on $id"
	agent verifier "$u" >"$u.verdict-before" || fail "verifier failed on $id"
	agent implementer "$u" >"$u.impl" || fail "implementer failed on $id"
	edited=$(git diff --name-only)
	[ -z "$edited" ] || [ "$edited" = "$(cat "$u.path")" ] || fail "the implementer of $id edited $edited"
	agent verifier "$u" >"$u.verdict" || fail "verifier failed on $id"
	grep -q '"verdict":"pass"' "$u.verdict" || fail "$id: the verifier fails the codemod's own rewrite"

	if git diff --quiet; then
		grep -q '"relevant":false' "$u.class" || fail "$id: the classifier calls a unit that needs no change relevant"
		status=skipped
	else
		grep -q '"relevant":true' "$u.class" || fail "$id: the classifier calls a changed unit irrelevant"
		grep -q '"verdict":"fail"' "$u.verdict-before" || fail "$id: the verifier passes the unit before any change"
		if make -s test >"$u.make" 2>&1; then
			status=merged
		else
			git diff >"$u.diff"
			agent fixer "$u" >/dev/null || fail "fixer failed on $id"
			git diff | cmp -s - "$u.diff" || fail "$id: the fixer changed a rewritten unit"
			status=rejected
		fi
	fi
	echo "$id $status" >>"$TMP/statuses"
done
git reset -q --hard
check_json verdict "$TMP"/u/*.verdict "$TMP"/u/*.verdict-before
check_json relevant "$TMP"/u/*.class
grep -v '^#' "$expected" | grep -v '^$' >"$TMP/expected"
diff -u "$TMP/expected" "$TMP/statuses" >&2 ||
	fail "the units' outcomes differ from fixtures/deprecated.expected"
pass "each unit ends as fixtures/deprecated.expected says"

# --- how the traps fail
trap_out() { # trap_out <id>: make's output for that unit's rewrite
	cat "$(grep -lxF "$1" "$TMP"/u/*.id | sed 's/\.id$/.make/')"
}
trap_out 'src/address.c::function::address_set' | grep -q 'too few arguments' ||
	fail "the two-line call in address_set does not break the build"
trap_out 'src/book.c::function::book_set_note' | grep -q 'too few arguments' ||
	fail "the macro argument in book_set_note does not break the build"
trap_out 'src/format.c::function::format_display_name' >"$TMP/out"
grep -Eq '^[0-9]+ passed, 2 failed$' "$TMP/out" ||
	fail "sizeof(a pointer) in format_display_name builds but does not fail 2 tests"
grep -q "^FAIL format_display_name: got 'Ada Lovelac'" "$TMP/out" ||
	fail "format_display_name does not fail by truncation at the pointer's size"
pass "two traps break the build, one is cut at sizeof(char *) and fails tests"

# --- the good units together: what the integration branch holds
grep ' merged$' "$TMP/expected" | cut -d' ' -f1 >"$TMP/good"
for i in $(seq 0 $((n - 1))); do
	grep -qxF "$(cat "$TMP/u/$i.id")" "$TMP/good" || continue
	agent implementer "$TMP/u/$i" >/dev/null
done
expect_output '^[0-9]+ passed, 0 failed$' make -s test
left=$(grep -l '[^*[:alnum:]_]old_copy(' src/*.c | tr '\n' ' ')
[ "$left" = "src/address.c src/book.c src/format.c " ] ||
	fail "after the good units, old_copy is still called in: $left"
git reset -q --hard
pass "the $(wc -l <"$TMP/good") good units together pass make test"

# --- the agent's contract: JSON out, failures as exit 2
i=$(grep -lxF 'src/card.c::function::card_merge' "$TMP"/u/*.id | sed 's/\.id$//')
grep -q '"verdict":"fail"' "$i.verdict-before" || fail "the verifier passes card_merge before any change"
[ "$(json 'len(j["findings"])' <"$i.verdict-before")" = 4 ] || fail "the verifier does not list card_merge's 4 calls"
# without "text" in the unit, the classifier reads the unit's lines from the file
git wfmigrate chunk --json :/src/copy.c |
	python3 -c 'import json, sys; print(json.dumps([u for u in json.load(sys.stdin) if u["kind"] == "function"]))' \
	>"$TMP/copy.json"
split_units "$TMP/copy.json" "$TMP/c"
[ "$(cat "$TMP/c/0.id" "$TMP/c/1.id" | tr '\n' ' ')" = \
	"src/copy.c::function::old_copy src/copy.c::function::safe_copy " ] || fail "unexpected units in src/copy.c"
agent classifier "$TMP/c/0" >"$TMP/c/0.class"
agent classifier "$TMP/c/1" >"$TMP/c/1.class"
check_json relevant "$TMP"/c/*.class
grep -q '"relevant":false' "$TMP/c/0.class" || fail "old_copy's definition is classified as a call"
grep -q '"relevant":false' "$TMP/c/1.class" || fail "safe_copy is classified as relevant"
(unset WFM_AGENT_JSON WFM_AGENT_JSON_FILE; expect_code 2 run_codemod)
expect_stderr 'neither WFM_AGENT_JSON nor WFM_AGENT_JSON_FILE is set'
# a request too big for the environment comes in a file
(unset WFM_AGENT_JSON; WFM_AGENT_JSON_FILE=$i.verifier.env expect_output '"verdict":"fail"' run_codemod)
(unset WFM_AGENT_JSON; WFM_AGENT_JSON_FILE=$TMP/none expect_code 2 run_codemod)
expect_stderr 'cannot read WFM_AGENT_JSON_FILE'
WFM_AGENT_JSON='{"role":"implementer"' expect_code 2 run_codemod
expect_stderr 'not JSON'
WFM_AGENT_JSON='{"role":"reviewer","unit":{"path":"src/card.c","start_line":1,"end_line":2}}' \
	expect_code 2 run_codemod
expect_stderr "unknown role 'reviewer'"
WFM_AGENT_JSON='{"role":"verifier","unit":{"path":"nope.c","start_line":1,"end_line":2}}' \
	expect_code 2 run_codemod
expect_stderr 'cannot read nope.c'
[ -z "$(git status --porcelain)" ] || fail "the agent's failures left edits behind"
pass "verifier and classifier print JSON; bad input fails the agent"

# --- the workflow takes its rubric from rubrics/migration.md, and has no copy
sed -En 's/^[0-9]+\. ([^:]+):.*/\1/p' "$src/rubrics/migration.md" >"$TMP/rules.md"
[ "$(wc -l <"$TMP/rules.md")" = 8 ] || fail "rubrics/migration.md does not hold 8 numbered rules"
grep -q "await rubric('migration')" "$src/workflows/migrate.js" ||
	fail "workflows/migrate.js does not ask for rubric('migration')"
if grep -nFf "$TMP/rules.md" "$src/workflows/migrate.js" >&2; then
	fail "workflows/migrate.js holds a copy of rules of rubrics/migration.md"
fi
if [ -f "$src/runtime/harness.mjs" ]; then
	node --experimental-vm-modules --disallow-code-generation-from-strings \
		"$src/runtime/harness.mjs" --check "$src/workflows/migrate.js" >"$TMP/meta" ||
		{ cat "$TMP/meta" >&2; fail "workflows/migrate.js does not pass the runtime's --check"; }
	[ "$(json 'j["meta"]["name"]' <"$TMP/meta")" = migrate ] || fail "migrate.js's meta is not named migrate"
	# every phase the script names, by phase() or an agent's phase option, is one of meta.phases
	json '[p["title"] for p in j["meta"]["phases"]]' <"$TMP/meta" | sort >"$TMP/phases"
	grep -Eo "phase(\('|: ')[A-Za-z]+'" "$src/workflows/migrate.js" | sed -E "s/^phase(\('|: ')//; s/'$//" |
		sort -u | comm -23 - "$TMP/phases" >"$TMP/stray"
	[ ! -s "$TMP/stray" ] || fail "migrate.js uses phases meta.phases lacks: $(cat "$TMP/stray")"
	pass "migrate.js passes the runtime's check; it takes its rubric from rubrics/migration.md"
else
	pass "migrate.js takes its rubric from rubrics/migration.md (no runtime/harness.mjs to check it with)"
fi
