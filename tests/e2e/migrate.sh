#!/usr/bin/env bash
# The migrate workflow end to end: git wfmigrate run on the cardkit fixture
# (fixtures/make-deprecated.sh) with the codemod (fixtures/codemods/
# old-to-safe.sh) as the exec agent in every role, make test as the oracle.
#
# - without --yes and without a terminal it refuses (exit 129) and creates
#   nothing under runs/; with --yes the approval card goes to stderr and
#   --json prints report.json, alone, on stdout;
# - every unit ends as fixtures/deprecated.expected says: the codemod's good
#   units are merged, the three traps rejected with the oracle's failure as
#   the reason, old_copy's definition skipped;
# - the integration branch holds exactly the merged units: one commit per
#   unit (trailers naming its branch), a tree equal to the base plus each
#   merged branch's change, changed lines only inside merged units, make test
#   passing on it, and old_copy still called in exactly the rejected units;
# - the user's branch, HEAD, index and working tree are as they were (an
#   untracked file included); git fsck --strict is clean and the only
#   worktrees are the main one and pool slots;
# - the run directory holds what docs/journal.md lists, report.md names every
#   unit, ps says finished;
# - run is the default command: `git wfmigrate <options> "a goal"` works.
# - with maxBytes, a unit split into parts keeps only the parts that hold a
#   match: agents run for those alone (issue 11, point 7).
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod="sh $src/fixtures/codemods/old-to-safe.sh"
expected=$src/fixtures/deprecated.expected
goal="move every caller of old_copy to safe_copy"

"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
base=$(git rev-parse HEAD)
echo "my notes, not for git" >notes.txt
git for-each-ref --format='%(refname) %(objectname)' >"$TMP/refs-before"
git ls-files -s >"$TMP/index-before"

# --- approval: no --yes and no terminal
expect_code 129 git wfmigrate run --workflow migrate --oracle 'make test' --arg match=old_copy \
	--provider exec --agent-cmd "$codemod" "$goal" </dev/null
expect_stderr 'no terminal to ask for approval on: pass --yes'
expect_stderr '^workflow: migrate$'
[ ! -s "$TMP/out" ] || fail "a refused run printed on stdout: $(cat "$TMP/out")"
[ ! -d "$runs" ] || [ -z "$(ls -A "$runs")" ] || fail "a refused run created $(ls "$runs")"
[ -z "$(git for-each-ref refs/heads/wfmigrate)" ] || fail "a refused run created branches"
pass "without --yes and without a terminal: exit 129, nothing created"

# --- the run
start=$(date +%s)
expect_code 0 git wfmigrate run --workflow migrate --oracle 'make test' --arg match=old_copy \
	--provider exec --agent-cmd "$codemod" --concurrency 4 --yes --json "$goal" </dev/null
cp "$TMP/out" "$TMP/report.stdout"
cp "$TMP/err" "$TMP/run.stderr"
echo "# the run took $(($(date +%s) - start)) s" >&2
run=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/report.stdout") ||
	fail "--json did not print one JSON object on stdout: $(head -c 400 "$TMP/report.stdout")"
rd=$runs/$run
for f in workflow.js args.json meta.json run.json journal.jsonl events.jsonl report.json report.md; do
	[ -s "$rd/$f" ] || fail "the run directory has no $f"
done
[ ! -e "$rd/lock" ] || fail "a finished run left its lock: $(cat "$rd/lock")"
py 'assert j(sys.argv[1]) == j(sys.argv[2]), "stdout differs from report.json"' \
	"$TMP/report.stdout" "$rd/report.json" || fail "run --json did not print report.json"
pass "run --json: exit 0, report.json on stdout ($run)"

# the approval card: name, description and phases from the script's meta, on stderr only
py '
meta, err, out = j(sys.argv[1]), open(sys.argv[2]).read(), open(sys.argv[3]).read()
assert meta["name"] == "migrate", meta
want = ["workflow: migrate", meta["description"]] + [p["title"] for p in meta["phases"]]
assert len(meta["phases"]) == 6, meta["phases"]
for w in want:
    assert w in err, "the card lacks %r" % w
    assert w not in out, "%r is on stdout" % w
assert "phases:" in err
' "$rd/meta.json" "$TMP/run.stderr" "$TMP/report.stdout" || fail "the approval card is not on stderr as it should be"
py 'a = j(sys.argv[1]); assert a == {"goal": sys.argv[2], "match": "old_copy"}, a' "$rd/args.json" "$goal" ||
	fail "args.json is not the goal and --arg"
pass "the approval card (name, description, phases) is on stderr"

# --- the statuses: fixtures/deprecated.expected, in the chunker's order
grep -v '^#' "$expected" | grep -v '^$' >"$TMP/expected"
py '
r = j(sys.argv[1])
for u in r["units"]:
    print(u["id"], u["status"])
' "$rd/report.json" >"$TMP/statuses"
diff -u "$TMP/expected" "$TMP/statuses" >&2 || fail "the units' statuses differ from fixtures/deprecated.expected"
py '
r = j(sys.argv[1])
assert r["status"] == "done" and "error" not in r, (r["status"], r.get("error"))
assert r["base"] == sys.argv[2], r["base"]
t = r["totals"]
want = {"merged": 12, "rejected": 3, "failed": 0, "skipped": 2, "agentsReplayed": 0, "agentsFailed": 0}
assert {k: t[k] for k in want} == want, t
assert t["agents"] == t["agentsRun"] > 0, t
assert sum(u["agents"] for u in r["units"]) == t["agents"], "agents per unit do not add up to the total"
res = r["result"]
assert [(u["id"], u["status"]) for u in res["units"]] == [(u["id"], u["status"]) for u in r["units"]]
assert (res["merged"], res["rejected"], res["failed"], res["skipped"]) == (12, 3, 0, 2), res
assert res["goal"] == sys.argv[3] and res["base"]["pass"] is True
for u in r["units"]:
    assert u["branch"] and u["branch"].startswith("wfmigrate/%s/" % r["run"]), u
    assert re.fullmatch("[0-9a-f]{40}", u["commit"] or ""), u
' "$rd/report.json" "$base" "$goal" || fail "report.json does not say what the run did"
pass "statuses match fixtures/deprecated.expected (12 merged, 3 rejected, 2 skipped)"

# the traps are rejected because the oracle failed: the build (two) or two tests (one)
py '
r = {u["id"]: u for u in j(sys.argv[1])["units"]}
for uid, why in [("src/address.c::function::address_set", "error"),
                 ("src/book.c::function::book_set_note", "error"),
                 ("src/format.c::function::format_display_name", "2 failed")]:
    reason = r[uid]["reason"] or ""
    assert "oracle failed" in reason and why in reason, (uid, reason)
for uid, u in r.items():
    if u["status"] == "merged":
        assert u["reason"] == "verified", (uid, u["reason"])
    if u["status"] == "skipped":
        assert u["reason"].startswith("no change needed"), (uid, u["reason"])
' "$rd/report.json" || fail "the rejected units do not give the oracle's failure as the reason"
pass "the traps are rejected with the oracle's failure as the reason"

# the reasons quote the real failure (the oracle's excerpt, docs/oracle.md), never make's wrapper
py '
r = {u["id"]: u for u in j(sys.argv[1])["units"]}
for uid, first in [("src/address.c::function::address_set", "src/address.c:9:9: error: too few arguments to function"),
                   ("src/book.c::function::book_set_note", "src/book.c:59:9: error: too few arguments to function"),
                   ("src/format.c::function::format_display_name", "FAIL format_display_name: got ")]:
    reason = r[uid]["reason"]
    assert "(" + first in reason, (uid, reason)
for u in r.values():
    assert "make: ***" not in (u["reason"] or "") and "pool/wfm-" not in (u["reason"] or ""), u
# the journal keeps the excerpt of every failed oracle() run
runs = [rec["result"]["value"] for rec in log(sys.argv[2]) if rec["method"] == "oracle"]
failed = [v for v in runs if not v["pass"]]
assert len(failed) >= 3 and all(v["excerpt"] for v in failed), failed
assert all(v["excerpt"] == [] for v in runs if v["pass"])
' "$rd/report.json" "$rd/journal.jsonl" || fail "the reasons do not quote the failing lines"
pass "the reasons quote the compiler error or the failed check, not make's Error line"

# the oracle's cost: runs (the baselines included), time, batches, what rejected the units
py '
r = j(sys.argv[1])
o, m, t = r["oracle"], r["mergeQueue"], r["totals"]
assert t["rejectedByOracle"] == 3 and t["rejectedByVerifier"] == 0 and t["rejectedByQueue"] == 0, t
assert [u.get("rejectedBy") for u in r["units"] if u["status"] == "rejected"] == ["oracle"] * 3, r["units"]
assert o["runs"] >= t["merged"] + t["rejectedByOracle"], (o, t)
assert o["runs"] == o["requestRuns"] + o["queueRuns"], o
assert o["baselineRuns"] == 2, o  # the workflow checks the base, and so does the merge queue
assert o["replayedRuns"] == 0, o
assert 0 < o["baselineMs"] < o["totalMs"] and 0 < o["longestMs"] <= o["totalMs"], o
assert o["totalMs"] <= o["runs"] * o["longestMs"], o
assert m["batches"] >= 1 and m["oracleRuns"] == o["queueRuns"] >= m["batches"] + 1, m
assert m["batchedBranches"] >= t["merged"] and 1 <= m["largestBatch"] <= 8, m
assert m["bisectionSteps"] == 0, m  # the traps never reach the queue
md = open(sys.argv[2]).read()
want = "- %d runs (%d by the workflow" % (o["runs"], o["requestRuns"])
assert want in md and "- units rejected: 3 by the oracle, 0 by a verifier" in md, md
' "$rd/report.json" "$rd/report.md" || fail "report.json does not give the oracle's cost"
pass "report.json and report.md give the oracle's runs, time and batches, and what rejected the units"

# --- the integration branch
integ=$(py 'print(j(sys.argv[1])["integration"]["branch"])' "$rd/report.json")
tip=$(py 'print(j(sys.argv[1])["integration"]["commit"])' "$rd/report.json")
[ "$integ" = "wfmigrate/$run/integration" ] || fail "integration branch is $integ"
[ "$(git rev-parse --verify -q "refs/heads/$integ")" = "$tip" ] || fail "report.json's integration commit is not $integ"
git merge-base --is-ancestor "$base" "$tip" || fail "the integration branch does not descend from the base"

# one commit per merged unit, first parents back to the base, trailers naming the branches
py '
r = j(sys.argv[1])
merged = sorted(u["branch"] for u in r["units"] if u["status"] == "merged")
print("\n".join(merged))
' "$rd/report.json" >"$TMP/merged-branches"
[ "$(git rev-list --count --first-parent "$base..$tip")" = 12 ] ||
	fail "the integration branch has $(git rev-list --count "$base..$tip") commits, not 12"
[ "$(git rev-list --count "$base..$tip")" = 12 ] || fail "the integration branch has merge commits"
git log --format='%(trailers:key=Wfmigrate-Branch,valueonly,separator=)' "$base..$tip" |
	grep -v '^$' | sort >"$TMP/trailer-branches"
diff -u "$TMP/merged-branches" "$TMP/trailer-branches" >&2 ||
	fail "the integration commits' Wfmigrate-Branch trailers are not the merged units' branches"
git log --format='%H %(trailers:key=Wfmigrate-Commit,valueonly,separator=)' "$base..$tip" >"$TMP/links"
py '
links = dict(l.split()[::-1] for l in open(sys.argv[2]) if l.strip())  # unit commit -> integration commit
for u in j(sys.argv[1])["result"]["units"]:
    if u["status"] == "merged":
        assert links.get(u["commit"]) == u["mergeCommit"], (u["id"], u["commit"], u["mergeCommit"])
    else:
        assert u["mergeCommit"] is None and u["commit"] not in links, u
' "$rd/report.json" "$TMP/links" || fail "mergeCommit is not the integration commit that holds the unit"

# its tree is the base plus each merged unit's own change (they touch disjoint lines)
export GIT_INDEX_FILE=$TMP/squash.index
git read-tree "$base"
py '
r = j(sys.argv[1])
for u in r["units"]:
    if u["status"] == "merged":
        print(u["commit"])
' "$rd/report.json" | while read -r c; do
	git diff -U0 "$base" "$c" | git apply --cached --unidiff-zero ||
		fail "the change of $c does not apply on the others"
done
squash=$(git write-tree)
unset GIT_INDEX_FILE
[ "$squash" = "$(git rev-parse "$tip^{tree}")" ] ||
	{ git diff --stat "$squash" "$tip" >&2; fail "the integration tree is not the base plus the merged units' changes"; }

# every changed line lies in a merged unit
git wfmigrate chunk --json --match old_copy --rev "$base" :/ >"$TMP/units.json"
git diff -U0 "$base" "$tip" >"$TMP/integ.diff"
py '
units, report = j(sys.argv[1]), j(sys.argv[2])
status = {u["id"]: u["status"] for u in report["units"]}
merged = [u for u in units if status.get(u["id"]) == "merged"]
path = None
n = 0
for line in open(sys.argv[3]):
    if line.startswith("--- "):
        path = line[6:].strip() if line.startswith("--- a/") else None
    m = re.match(r"@@ -(\d+)(?:,(\d+))? ", line)
    if m:
        a, cnt = int(m.group(1)), int(m.group(2) or 1)
        assert path, "a hunk of a new file"
        for ln in range(a, a + cnt):
            n += 1
            assert any(u["path"] == path and u["start_line"] <= ln <= u["end_line"] for u in merged), \
                "%s:%d changed outside the merged units" % (path, ln)
assert n > 0
' "$TMP/units.json" "$rd/report.json" "$TMP/integ.diff" || fail "the integration branch changes lines outside the merged units"

# old_copy is still called in exactly the rejected units
git wfmigrate chunk --json --match '(?<![\w*])old_copy\(' --rev "$tip" :/ >"$TMP/left.json"
py '
left = sorted(u["id"] for u in j(sys.argv[1]))
rejected = sorted(u["id"] for u in j(sys.argv[2])["units"] if u["status"] == "rejected")
assert left == rejected, (left, rejected)
' "$TMP/left.json" "$rd/report.json" || fail "old_copy calls are not left in exactly the rejected units"

# make test passes on it, in a worktree of its own
git worktree add -q --detach "$TMP/check" "$tip"
(cd "$TMP/check" && make -s test >"$TMP/make.out" 2>&1) ||
	{ cat "$TMP/make.out" >&2; fail "make test fails on the integration branch"; }
grep -Eq '^41 passed, 0 failed$' "$TMP/make.out" || fail "make test on the integration branch: $(tail -1 "$TMP/make.out")"
git worktree remove --force "$TMP/check"
pass "the integration branch holds exactly the 12 merged units, and make test passes on it"

# --- the user's repository
[ "$(git symbolic-ref HEAD)" = refs/heads/main ] || fail "HEAD is no longer main"
[ "$(git rev-parse HEAD)" = "$base" ] || fail "main moved"
[ "$(git status --porcelain)" = "?? notes.txt" ] || fail "the working tree changed: $(git status --porcelain)"
[ "$(cat notes.txt)" = "my notes, not for git" ] || fail "the untracked file changed"
git ls-files -s | cmp -s - "$TMP/index-before" || fail "the index changed"
git for-each-ref --format='%(refname) %(objectname)' | grep -v "^refs/heads/wfmigrate/$run/" |
	cmp -s - "$TMP/refs-before" || fail "refs outside wfmigrate/$run/ changed"
git for-each-ref --format='%(refname:short)' refs/heads/wfmigrate/ | grep -v "^wfmigrate/$run/" &&
	fail "branches outside wfmigrate/$run/"
check_repo "$repo"
git worktree list --porcelain | sed -n 's/^worktree //p' >"$TMP/worktrees"
[ "$(head -1 "$TMP/worktrees")" = "$(pwd -P)" ] || fail "the first worktree is not the main one"
tail -n +2 "$TMP/worktrees" | grep -v "^$(cd "$(git rev-parse --git-common-dir)" && pwd -P)/wfmigrate/pool/wfm-[0-9]*$" &&
	fail "worktrees other than the main one and pool slots"
[ "$(wc -l <"$TMP/worktrees")" -ge 2 ] || fail "no pool slots: where did the agents run?"
pass "main, HEAD, index and working tree untouched; fsck clean; only pool worktrees"

# --- the run directory
py '
for i, line in enumerate(open(sys.argv[1]), 1):
    rec = json.loads(line)
    assert set(rec) >= {"key", "method", "result", "v"} and rec["v"] == 1, (i, rec)
    assert re.fullmatch("[0-9a-f]{40}#[0-9]+", rec["key"]), (i, rec["key"])
ev = [json.loads(line) for line in open(sys.argv[2])]
assert ev[0]["type"] == "start" and ev[-1] == dict(ev[-1], type="end", status="done"), (ev[0], ev[-1])
phases = [e["title"] for e in ev if e["type"] == "phase"]
assert phases == ["Baseline", "Select", "Implement", "Merge"], phases
' "$rd/journal.jsonl" "$rd/events.jsonl" || fail "journal.jsonl or events.jsonl is malformed"
py '
md, r = open(sys.argv[1]).read(), j(sys.argv[2])
assert md.startswith("# Run %s: done" % r["run"]), md[:80]
for u in r["units"]:
    row = [l for l in md.splitlines() if "`%s`" % u["id"] in l]
    assert len(row) == 1 and "| %s |" % u["status"] in row[0], (u["id"], row)
assert "12 merged, 3 rejected, 0 failed, 2 skipped" in md
' "$rd/report.md" "$rd/report.json" || fail "report.md does not name every unit with its status"
expect_output "^$run +done +- " git wfmigrate ps
pass "the run directory: journal, events, report.md; ps says done"

# --- run is the default command; a goal given as several words
expect_code 0 git wfmigrate --oracle 'make test' --arg match=old_copy --arg paths=src/format.c \
	--provider exec --agent-cmd "$codemod" --concurrency 4 --yes "goal with" spaces </dev/null
grep -Eq '^run [0-9]{8}-[0-9]{6}-[0-9a-f]{6} done$' "$TMP/out" || fail "no 'run ... done' line: $(cat "$TMP/out")"
grep -q '^units: 1 merged, 1 rejected, 0 failed, 0 skipped;' "$TMP/out" || fail "the summary line: $(cat "$TMP/out")"
grep -Eq '^oracle: [0-9]+ runs in [0-9]+\.[0-9] s \(2 on the base commit\); merge queue: 1 batch, 0 bisection steps$' "$TMP/out" ||
	fail "no oracle line in the summary: $(cat "$TMP/out")"
run2=$(sed -n 's/^run \([^ ]*\) done$/\1/p' "$TMP/out")
[ "$run2" != "$run" ] || fail "the second run has the first one's id"
py 'a = j(sys.argv[1]); assert a["goal"] == "goal with spaces", a' "$runs/$run2/args.json" ||
	fail "the goal's words were not joined: $(cat "$runs/$run2/args.json")"
py '
r = j(sys.argv[1])
got = [(u["id"], u["status"]) for u in r["units"]]
want = [("src/format.c::function::format_display_name", "rejected"), ("src/format.c::function::format_card_line", "merged")]
assert r["status"] == "done" and got == want, (r["status"], got)
' "$runs/$run2/report.json" || fail "the default command's run did not do its work"
[ "$(git rev-parse HEAD)" = "$base" ] && [ "$(git status --porcelain)" = "?? notes.txt" ] ||
	fail "the second run touched the user's branch or working tree"
check_repo "$repo"
pass "git wfmigrate <options> <goal words> runs the workflow (run is the default command)"

# --- maxBytes: a split unit keeps only the parts that match, and only those get agents
expect_code 0 git wfmigrate --oracle 'make test' --arg match=old_copy --arg paths=src/export.c \
	--arg maxBytes=300 --provider exec --agent-cmd "$codemod" --concurrency 4 --yes --json "$goal" </dev/null
run3=$(py 'print(json.load(sys.stdin)["run"])' <"$TMP/out")
git wfmigrate chunk --json --text --max-bytes 300 --rev "$base" src/export.c >"$TMP/parts.json"
py '
r, parts = j(sys.argv[1]), j(sys.argv[2])
got = [(u["id"], u["status"]) for u in r["units"]]
want = [("src/export.c::function::export_vcard@part1", "merged"),
        ("src/export.c::function::import_csv_line@part3", "merged")]
assert r["status"] == "done" and got == want, (r["status"], got)
# the parts without an old_copy call exist, and no agent was asked about them
idle = [u["id"] for u in parts if "old_copy" not in u.get("text", "") and u["id"] not in dict(want)]
assert set(idle) >= {"src/export.c::function::export_vcard@part2",
                     "src/export.c::function::import_csv_line@part1",
                     "src/export.c::function::import_csv_line@part2"}, idle
asked = {rec["result"].get("unit") for rec in log(sys.argv[3]) if rec["method"] == "agent"}
assert asked == set(dict(want)), asked
assert r["totals"]["agents"] == 4, r["totals"]
' "$runs/$run3/report.json" "$TMP/parts.json" "$runs/$run3/journal.jsonl" ||
	fail "maxBytes: agents ran for parts of a split unit that hold no match"
pass "maxBytes: of a split unit only the parts that match get agents (an implementer and a verifier each)"
