#!/usr/bin/env bash
# The migrate workflow end to end on a project shaped like a real one: the
# ztool fixture (fixtures/make-ztool.sh), 11 C files and 3 headers built the
# autoconf way, whose oracle `./configure && make test` rewrites a tracked
# header (src/ztconf.h) every time it runs, with the careless codemod
# fixtures/codemods/ztnull-to-null.sh as the exec agent in every role.
#
# - the fixture builds the same commit every time; on it the oracle passes,
#   takes a few seconds of real work, and leaves src/ztconf.h modified (and
#   config.mk ignored); make test alone refuses to run unconfigured;
# - `chunk --match ZT_NULL` gives the units fixtures/ztool.expected lists,
#   and every line naming ZT_NULL is in one, but one comment;
# - `git wfmigrate run --yes --oracle './configure && make test' --provider
#   exec --agent-cmd <codemod> --arg match=ZT_NULL "replace ZT_NULL with
#   NULL"` exits 0, and every unit ends as fixtures/ztool.expected says;
#   the four traps are rejected with the compiler's error as the reason;
# - the integration branch holds one commit per merged unit, ZT_NULL is
#   left in exactly the rejected and skipped units, and `./configure &&
#   make test` passes on it in a fresh clone;
# - the user's branch, HEAD, index and working tree are untouched (git
#   status --porcelain is empty, whatever the oracle did to its slots);
#   after `git wfmigrate clean` no worktree but the main one is left, and
#   git fsck --strict is clean.
#
# It prints how long the oracle and the run took (not asserted): the run is
# some 43 oracle runs, each a full build, since the pool's checkout restores
# src/ztconf.h and ./configure rewrites it, and every object depends on it.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod="sh $src/fixtures/codemods/ztnull-to-null.sh"
expected=$src/fixtures/ztool.expected
goal="replace ZT_NULL with NULL"
oracle='./configure && make test'

# --- the fixture
"$src/fixtures/make-ztool.sh" "$TMP/ztool" >/dev/null
"$src/fixtures/make-ztool.sh" "$TMP/again" >/dev/null
[ "$(git -C "$TMP/ztool" rev-parse HEAD)" = "$(git -C "$TMP/again" rev-parse HEAD)" ] ||
	fail "make-ztool.sh made two different commits"
expect_code 128 "$src/fixtures/make-ztool.sh" "$TMP/again"
rm -rf "$TMP/again"
repo=$TMP/ztool
check_repo "$repo"
[ "$(git -C "$repo" ls-files | wc -l)" = 19 ] || fail "the fixture does not have its 19 files"
[ "$(git -C "$repo" ls-files -s configure | cut -c1-6)" = 100755 ] || fail "configure is not executable"
pass "make-ztool.sh builds one commit"

# --- the oracle on the base, in a clone of its own
git clone -q "$repo" "$TMP/base"
cd "$TMP/base"
expect_code 2 make test
expect_stderr 'run \./configure first'
TIMEFORMAT='%R %U %S'
{ time sh -c "$oracle" >"$TMP/base.out" 2>&1; } 2>"$TMP/base.time" ||
	{ cat "$TMP/base.out" >&2; fail "'$oracle' fails on the base"; }
read -r wall user sys <"$TMP/base.time"
base_summary=$(tail -n 1 "$TMP/base.out")
[[ "$base_summary" =~ ^[0-9]+\ passed,\ 0\ failed$ ]] || fail "the oracle's last line: $base_summary"
[ "$(git status --porcelain)" = " M src/ztconf.h" ] ||
	fail "the oracle should leave exactly src/ztconf.h modified: $(git status --porcelain)"
git diff src/ztconf.h | grep -q '^+#define ZT_CONFIGURED 1$' || fail "./configure did not write src/ztconf.h"
git check-ignore -q config.mk || fail "config.mk is not ignored"
cd "$TMP"
echo "# the oracle on the base: ${wall}s wall, $(awk "BEGIN { print $user + $sys }")s CPU ($base_summary)" >&2
pass "the oracle passes on the base ($base_summary) and leaves src/ztconf.h modified"

# --- the units
cd "$repo"
base=$(git rev-parse HEAD)
grep -v '^#' "$expected" | grep -v '^$' >"$TMP/expected"
git wfmigrate chunk --json --match ZT_NULL :/ >"$TMP/units.json"
py 'print("\n".join(u["id"] for u in j(sys.argv[1])))' "$TMP/units.json" >"$TMP/ids"
cut -d' ' -f1 "$TMP/expected" | diff -u - "$TMP/ids" >&2 ||
	fail "chunk --match ZT_NULL does not give the units of fixtures/ztool.expected"
# every line that names ZT_NULL is in a unit, but the comment before an #if
git grep -n -w ZT_NULL >"$TMP/uses"
py '
units = j(sys.argv[1])
out = []
for line in open(sys.argv[2]):
    path, n, text = line.split(":", 2)
    if not any(u["path"] == path and u["start_line"] <= int(n) <= u["end_line"] for u in units):
        out.append("%s:%s:%s" % (path, n, text.strip()))
print("\n".join(out))
' "$TMP/units.json" "$TMP/uses" >"$TMP/outside"
[ "$(cat "$TMP/outside")" = "src/ztutil.h:15:* all-zero bits, which ZT_NULL being 0 promises; elsewhere, one at a time." ] ||
	fail "lines naming ZT_NULL outside every unit: $(cat "$TMP/outside")"
pass "$(wc -l <"$TMP/ids") units match ZT_NULL, as fixtures/ztool.expected lists"

# --- the codemod's contract on a few units: one JSON line out, bad input exits 2
agent_json() { # agent_json <role> <unit id>: the request the exec provider gives
	py '
u = [u for u in j(sys.argv[1]) if u["id"] == sys.argv[3]][0]
print(json.dumps({"role": sys.argv[2], "unit": u}))' "$TMP/units.json" "$1" "$2"
}
codemod_run() {
	$codemod </dev/null
}
WFM_AGENT_JSON=$(agent_json classifier README::file::README) \
	expect_output '^\{"relevant":false,"reason":"not C code"\}$' codemod_run
WFM_AGENT_JSON=$(agent_json classifier src/ztool.h::code::ZT_NULL) \
	expect_output '^\{"relevant":false,"reason":"no use of ZT_NULL"\}$' codemod_run
WFM_AGENT_JSON=$(agent_json verifier src/ztool.h::code::ZT_NULL) \
	expect_output '^\{"verdict":"pass","findings":\[\]\}$' codemod_run
WFM_AGENT_JSON=$(agent_json verifier src/crc32.c::function::zt_crc32) \
	expect_output '^\{"verdict":"fail","findings":\["src/crc32.c:[0-9]+: ZT_NULL left: if \(buf == ZT_NULL\)"\]\}$' codemod_run
(unset WFM_AGENT_JSON WFM_AGENT_JSON_FILE; expect_code 2 codemod_run)
WFM_AGENT_JSON='{"role":"reviewer","unit":{"path":"src/buf.c","start_line":1,"end_line":2}}' \
	expect_code 2 codemod_run
expect_stderr "unknown role 'reviewer'"
[ -z "$(git status --porcelain)" ] || fail "the codemod's checks changed the tree: $(git status --porcelain)"
pass "the codemod answers in JSON and fails on bad input"

# --- the run
git for-each-ref --format='%(refname) %(objectname)' >"$TMP/refs-before"
git ls-files -s >"$TMP/index-before"
start=$(date +%s)
expect_code 0 git wfmigrate run --yes --oracle "$oracle" --provider exec --agent-cmd "$codemod" \
	--arg match=ZT_NULL "$goal" </dev/null
secs=$(($(date +%s) - start))
cp "$TMP/out" "$TMP/run.stdout"
run=$(sed -n 's/^run \([^ ]*\) done$/\1/p' "$TMP/run.stdout")
[ -n "$run" ] || fail "no 'run <id> done' line: $(cat "$TMP/run.stdout")"
rd=$(git rev-parse --git-common-dir)/wfmigrate/runs/$run
[ -s "$rd/report.json" ] || fail "the run wrote no report.json"
[ ! -e "$rd/lock" ] || fail "a finished run left its lock"
py '
r = j(sys.argv[1])
for u in r["units"]:
    print(u["id"], u["status"])
' "$rd/report.json" >"$TMP/statuses"
diff -u "$TMP/expected" "$TMP/statuses" >&2 || fail "the units' statuses differ from fixtures/ztool.expected"
py '
r, want = j(sys.argv[1]), {}
for line in open(sys.argv[2]):
    status = line.split()[1]
    want[status] = want.get(status, 0) + 1
assert r["status"] == "done" and "error" not in r, (r["status"], r.get("error"))
assert r["base"] == sys.argv[3], r["base"]
t = r["totals"]
for status in ("merged", "rejected", "failed", "skipped"):
    assert t[status] == want.get(status, 0), (status, t)
assert t["agentsFailed"] == 0 and t["agentsReplayed"] == 0, t
res = r["result"]
assert res["base"]["pass"] is True, res["base"]
assert [(u["id"], u["status"]) for u in res["units"]] == [(u["id"], u["status"]) for u in r["units"]]
for u in res["units"]:
    if u["status"] == "merged":
        assert u["reason"] == "verified" and u["mergeCommit"], u
    elif u["status"] == "skipped":
        assert u["reason"].startswith("no change needed"), u
' "$rd/report.json" "$TMP/expected" "$base" || fail "report.json does not say what the run did"
merged=$(grep -c ' merged$' "$TMP/expected")
rejected=$(grep -c ' rejected$' "$TMP/expected")
grep -q "^units: $merged merged, $rejected rejected, 0 failed, 2 skipped;" "$TMP/run.stdout" ||
	fail "the summary line: $(cat "$TMP/run.stdout")"
pass "run: exit 0, every unit as fixtures/ztool.expected says ($merged merged, $rejected rejected, 2 skipped)"

# The traps are rejected because the oracle failed, and the reason names the
# compiler's error: today the workflow gives the first output line that says
# "error" (gcc's words, or clang's).
py '
r = {u["id"]: u for u in j(sys.argv[1])["units"]}
traps = {
    "src/adler32.c::function::zt_adler32":
        r"src/adler32\.c:\d+:\d+: error: (.NULL. undeclared|use of undeclared identifier .NULL.)",
    "src/varint.c::function::zt_varint_get":
        r"src/varint\.c:\d+:\d+: error: (returning .void \*. from a function with return type .int. makes integer from pointer"
        r"|incompatible pointer to integer conversion returning .void \*. from a function with result type .int.)",
    "src/ztool.h::macro::zt_buf_empty":
        r"(src/ztool\.h|src/stream\.c|tests/run_tests\.c):\d+:\d+: error: comparison between pointer and integer",
    "src/ztutil.h::macro::ZT_CLEAR_PTRS": r"src/ztutil\.h:17:\d+: error: ",
}
for uid, u in r.items():
    if u["status"] != "rejected":
        continue
    assert uid in traps, "%s is rejected but is no trap: %s" % (uid, u["reason"])
    reason = u["reason"]
    assert re.search(r"the oracle failed: exited 2 \(", reason), (uid, reason)
    assert re.search(traps[uid], reason), (uid, reason)
    print("#   %s: %s" % (uid, reason), file=sys.stderr)
' "$rd/report.json" || fail "the rejected units do not give the compiler's error as the reason"
pass "the four traps are rejected with the compiler's error as the reason"

# --- the integration branch
integ=wfmigrate/$run/integration
tip=$(py 'print(j(sys.argv[1])["integration"]["commit"])' "$rd/report.json")
[ "$(git rev-parse --verify -q "refs/heads/$integ")" = "$tip" ] || fail "report.json's integration commit is not $integ"
git merge-base --is-ancestor "$base" "$tip" || fail "the integration branch does not descend from the base"
[ "$(git rev-list --count --first-parent "$base..$tip")" = "$merged" ] ||
	fail "the integration branch has $(git rev-list --count --first-parent "$base..$tip") commits, not $merged"
[ "$(git rev-list --count --merges "$base..$tip")" = 0 ] || fail "the integration branch has merge commits"
# ZT_NULL is left in exactly the units that were not merged
git wfmigrate chunk --json --match ZT_NULL --rev "$tip" :/ >"$TMP/left.json"
py '
left = sorted(u["id"] for u in j(sys.argv[1]))
kept = sorted(u["id"] for u in j(sys.argv[2])["units"] if u["status"] != "merged")
assert left == kept, (left, kept)
' "$TMP/left.json" "$rd/report.json" || fail "ZT_NULL is not left in exactly the rejected and skipped units"
# the oracle passes on it, in a fresh clone, with as many tests as on the base
git clone -q -b "$integ" "$repo" "$TMP/integ"
(cd "$TMP/integ" && sh -c "$oracle") >"$TMP/integ.out" 2>&1 ||
	{ tail -n 20 "$TMP/integ.out" >&2; fail "'$oracle' fails on the integration branch"; }
[ "$(tail -n 1 "$TMP/integ.out")" = "$base_summary" ] ||
	fail "on the integration branch: $(tail -n 1 "$TMP/integ.out"), on the base: $base_summary"
pass "the integration branch holds the $merged merged units, and '$oracle' passes on it in a fresh clone"

# --- the user's repository
[ "$(git symbolic-ref HEAD)" = refs/heads/main ] || fail "HEAD is no longer main"
[ "$(git rev-parse HEAD)" = "$base" ] || fail "main moved"
[ -z "$(git status --porcelain)" ] || fail "the working tree changed: $(git status --porcelain)"
git ls-files -s | cmp -s - "$TMP/index-before" || fail "the index changed"
git for-each-ref --format='%(refname) %(objectname)' | grep -v "^refs/heads/wfmigrate/$run/" |
	cmp -s - "$TMP/refs-before" || fail "refs outside wfmigrate/$run/ changed"
check_repo "$repo"
pass "main, HEAD, index and working tree untouched"

# what the run cost (not asserted): the oracle runs of the attempts (and the
# baseline), from the journal, and the merge queue's batches, one oracle run
# each, from the integration branch's reflog
runs=$(py 'print(sum(1 for r in log(sys.argv[1]) if r["method"] == "oracle"))' "$rd/journal.jsonl")
batches=$(($(git reflog show "refs/heads/$integ" | wc -l) - 1))
echo "# the run took ${secs}s: $runs oracle runs for the baseline and the attempts, $batches merge batches" >&2

# --- clean
expect_code 0 git wfmigrate clean
[ "$(git worktree list --porcelain | grep -c '^worktree ')" = 1 ] ||
	{ git worktree list >&2; fail "worktrees are left after git wfmigrate clean"; }
[ -z "$(git status --porcelain)" ] || fail "clean changed the working tree: $(git status --porcelain)"
check_repo "$repo"
pass "after git wfmigrate clean: no worktree but the main one, git fsck clean"
