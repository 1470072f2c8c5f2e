#!/usr/bin/env bash
# An LLM agent that tries to get out of its worktree: the fake's escape
# model (tests/fakellm/escape.mjs), run as an implementer by
# tests/e2e/harnesses/escape.js over --provider anthropic, tries
#   Read ../outside.txt, Read /etc/passwd, Read link-out/secret (a
#   committed symlink to a directory outside), Write .git/config, Edit
#   .git/HEAD, Bash env (for the API key), Bash cat ../../outside.txt,
#   Bash echo pwned > ../escaped.txt
# - the four path tools refuse every attempt (is_error, with a reason);
# - Bash runs without the API key in its environment;
# - the key is in no file under the repository's git directory, the pool,
#   the run directory or the worktree, nor in any request the fake got;
# - .git/config and HEAD are as they were, and the agent's branch holds no
#   .git path;
# - without a sandbox Bash can write outside the worktree (documented);
#   with --sandbox bwrap (where bubblewrap works) it cannot: the write
#   fails or lands in the sandbox's own /tmp, never on the real file system.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
harness=$src/tests/e2e/harnesses/escape.js

repo=$(new_repo)
cd "$repo"
mkdir -p "$TMP/outside-dir"
echo "LINKED-SECRET" >"$TMP/outside-dir/secret"
echo "int x;" >a.c
ln -s "$TMP/outside-dir" link-out
git add -A && git commit -qm base
common=$(git rev-parse --git-common-dir)
config_before=$(sha1sum <.git/config)
head_before=$(git rev-parse HEAD)

start_fakellm escape

# run_escape <name> [options]: one run; the tool results the fake got, in $TMP/<name>.results
run_escape() {
	local name=$1
	shift
	ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 \
		git wfmigrate run --yes --json --workflow "$harness" --provider anthropic --budget 1M "$@"
	cp "$TMP/out" "$TMP/$name.json"
	# the answers to the escape attempts, as the fake received them: one line each
	py '
entries = log(sys.argv[1])
last = [e for e in entries if e["status"] == 200][-1]["body"]["messages"]
calls, out = {}, []
for m in last:
    for b in m["content"] if isinstance(m["content"], list) else []:
        if b["type"] == "tool_use":
            calls[b["id"]] = b
        if b["type"] == "tool_result":
            c = calls[b["tool_use_id"]]
            text = b["content"] if isinstance(b["content"], str) else json.dumps(b["content"])
            out.append({"name": c["name"], "input": c["input"], "is_error": b.get("is_error", False), "text": text})
json.dump(out, open(sys.argv[2], "w"))
' "$TMP/escape.log" "$TMP/$name.results"
}

# the files the relative paths reach from a slot (<common>/wfmigrate/pool/<slot>)
mkdir -p "$common/wfmigrate/pool"
echo "OUTSIDE-SECRET" >"$common/wfmigrate/pool/outside.txt"
run_escape plain
py '
r = j(sys.argv[1])
assert len(r) == 8, [x["name"] for x in r]
for x in r[:5]:
    assert x["is_error"], "%s %s was not refused: %s" % (x["name"], x["input"], x["text"][:200])
    assert "SECRET" not in x["text"] and "root:" not in x["text"], x
why = " | ".join(x["text"] for x in r[:5])
for frag in ["outside the worktree", ".git"]:
    assert frag in why, why
env = r[5]
assert not env["is_error"] and "KEY= " in env["text"] or env["text"].rstrip().endswith("KEY="), env["text"][-300:]
assert sys.argv[2] not in json.dumps(r), "the key reached the model"
' "$TMP/plain.results" "$FAKE_KEY" || fail "an escape attempt was not refused"
pass "Read/Write/Edit outside the worktree, through a symlink and into .git: all refused"
pass "Bash runs without the API key in its environment"

[ "$(sha1sum <.git/config)" = "$config_before" ] || fail ".git/config changed"
[ "$(git rev-parse HEAD)" = "$head_before" ] || fail "HEAD moved"
branch=$(py 'print(j(sys.argv[1])["result"]["branch"])' "$TMP/plain.json")
git ls-tree -r --name-only "$branch" | grep -q '^\.git' && fail "the agent's branch holds a .git path"
[ -f "$common/wfmigrate/pool/escaped.txt" ] ||
	fail "without a sandbox Bash was expected to reach outside the worktree (the test is wrong)"
rm -f "$common/wfmigrate/pool/escaped.txt"
pass ".git/config untouched, no .git path committed; without a sandbox Bash writes outside"

if git wfmigrate run --yes --workflow "$harness" --provider anthropic --sandbox bwrap </dev/null 2>&1 |
	grep -q 'bubblewrap is not installed'; then
	echo "ok - # SKIP --sandbox bwrap: bubblewrap cannot run here"
else
	run_escape sandboxed --sandbox bwrap
	[ ! -e "$common/wfmigrate/pool/escaped.txt" ] || fail "under bwrap Bash wrote outside the worktree"
	py '
r = j(sys.argv[1])
assert all(x["is_error"] for x in r[:5])
assert sys.argv[2] not in json.dumps(r)
' "$TMP/sandboxed.results" "$FAKE_KEY" || fail "the sandboxed run did not refuse as it should"
	pass "--sandbox bwrap: Bash cannot write outside the worktree"
fi

if grep -rlF "$FAKE_KEY" "$common" "$repo" "$TMP/escape.log" 2>/dev/null; then
	fail "the API key is written in the files above"
fi
check_repo "$repo"
pass "the API key is in no file of the repository, the pool, the run or the fake's log"
