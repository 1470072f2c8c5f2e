#!/usr/bin/env bash
# git wfmigrate flaky (docs/flaky.md) and oracle() with runs:
#
# - on tallykit (fixtures/make-flaky.sh), detection at the default 20 runs
#   classifies all 7 tests as fixtures/flaky.expected says, in each of 5
#   repetitions; the JSON has its fields; exit 1 (a flaky and a broken test);
# - the JUnit XML files a command writes give its tests;
# - a command whose output names no test is one test named after it, and
#   the output says so; a command that always fails is broken;
# - --fix with no flaky test runs nothing; --fix with flaky ones runs the
#   workflow `flaky` (here a double in .wfmigrate/workflows/ that checks its
#   arguments and calls oracle({runs}); the built-in one is workflows/flaky.js)
#   and reports its fixes;
# - oracle({runs}) in a script: runs, failures and per-test tallies; the
#   runs are journaled (killed after them, a resumed run does not rerun them);
# - SIGTERM kills the runs and gives their worktrees back (143);
# - usage errors exit 129, a command that cannot run 128.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

"$src/fixtures/make-flaky.sh" "$TMP/tally" >/dev/null
cd "$TMP/tally"

# --- detection: 5 repetitions at the default run count
for rep in 1 2 3 4 5; do
	expect_code 1 git wfmigrate flaky --oracle 'make -s test' --jobs 2 --json
	py '
j = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    num, cls, name = line.rstrip("\n").split(" ", 2)
    want[name] = cls
assert j["runs"] == 20, j["runs"]
assert j["perTest"] is True and j["formats"] == ["tap"], (j["perTest"], j["formats"])
assert j["fixes"] == [], j["fixes"]
got = {t["name"]: t["classification"] for t in j["tests"]}
if got != want:
    sys.exit("repetition %s: %s, expected %s" % (sys.argv[3], got, want))
for t in j["tests"]:
    assert t["runs"] == 20, t
    low, high = t["interval"]
    assert 0 <= low <= t["failures"] / 20 <= high <= 1, t
    if t["classification"] == "stable":
        assert t["failures"] == 0 and t["firstFailure"] is None, t
    else:
        assert t["failures"] > 0 and isinstance(t["firstFailure"], str) and t["firstFailure"], t
    if t["classification"] == "broken":
        assert t["failures"] == 20, t
flaky = [t for t in j["tests"] if t["classification"] == "flaky"][0]
assert "banana" in flaky["firstFailure"], flaky
assert j["remaining"] == 2, j["remaining"]
' "$TMP/out" "$src/fixtures/flaky.expected" "$rep" || { cat "$TMP/out" >&2; fail "repetition $rep misclassified"; }
done
pass "tallykit: 5 stable, 1 flaky, 1 broken in each of 5 repetitions of 20 runs"

# the text report: the table, the flaky test's first failure, progress on stderr
expect_code 1 git wfmigrate flaky --oracle 'make -s test' --jobs 2 --runs 30
grep -Eq '^the report lists keys by count, then by name +flaky +[0-9]+/30 +\[0\.[0-9]{2}, [01]\.[0-9]{2}\]$' "$TMP/out" ||
	{ cat "$TMP/out" >&2; fail "no table row for the flaky test"; }
grep -Eq '^merge adds the counts of another tally +broken +30/30 ' "$TMP/out" || fail "no row for the broken test"
grep -q "^first failure of 'the report lists keys by count, then by name':" "$TMP/out" || fail "no first failure"
grep -q "^7 tests, 30 runs at " "$TMP/out" || fail "no verdict line"
expect_stderr '^run [0-9]+/30 (passed|failed) in '
pass "text report: table, first failure of the flaky test, progress on stderr"

# --shuffle: each run gets its seed in WFM_SHUFFLE_SEED
cat >"$TMP/seed.sh" <<'SH'
echo "1..1"
case "$WFM_SHUFFLE_SEED" in
'' | *[!0-9]*) echo "not ok 1 - seeded"; echo "# seed '$WFM_SHUFFLE_SEED'"; exit 1 ;;
esac
echo "$WFM_SHUFFLE_SEED" >>"$SEEDS"
echo "ok 1 - seeded"
SH
SEEDS=$TMP/seeds expect_code 0 git wfmigrate flaky --oracle "sh $TMP/seed.sh" --runs 5 --jobs 2 --shuffle --json
[ "$(sort -u "$TMP/seeds" | wc -l)" = 5 ] || fail "the 5 runs did not get 5 seeds"
first=$(json 'j["shuffleSeed"]' <"$TMP/out")
[ "$(sort -n "$TMP/seeds" | head -n 1)" = "$first" ] || fail "the seeds do not start at shuffleSeed $first"
SEEDS=$TMP/seeds2 expect_code 1 git wfmigrate flaky --oracle "sh $TMP/seed.sh" --runs 2 --json
pass "--shuffle: one seed per run in WFM_SHUFFLE_SEED, from shuffleSeed"

# --- JUnit XML the command writes (here into the ignored build/, kept between runs)
cat >"$TMP/junit.sh" <<SH
n=\$(cat "$TMP/jcount" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$TMP/jcount"
mkdir -p build/reports
f=
if [ \$((n % 2)) -eq 0 ]; then f='<failure message="timing: 12ms &gt; 10ms">at Clock.java:7</failure>'; fi
cat >build/reports/TEST-clock.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="clock" tests="2"><testcase classname="ClockTest" name="ticks"/>
<testcase classname="ClockTest" name="fast">\$f</testcase></testsuite>
XML
echo "2 tests run"
[ -z "\$f" ]
SH
expect_code 1 git wfmigrate flaky --oracle "sh $TMP/junit.sh" --runs 4 --jobs 1 --json
py '
d = j(sys.argv[1])
assert d["formats"] == ["junit"] and d["perTest"] is True, d
t = {x["name"]: x for x in d["tests"]}
assert (t["ClockTest.ticks"]["classification"], t["ClockTest.ticks"]["failures"]) == ("stable", 0), t
assert (t["ClockTest.fast"]["classification"], t["ClockTest.fast"]["failures"]) == ("flaky", 2), t
assert t["ClockTest.fast"]["firstFailure"] == "timing: 12ms > 10ms\nat Clock.java:7", t
' "$TMP/out" || { cat "$TMP/out" >&2; fail "the JUnit XML the command wrote was not read"; }
pass "JUnit XML written by the command: per-test results"

# --- no per-test format: the command is one test named after it
cmd='bash -c '\''test $((RANDOM % 3)) -ne 0'\'''
expect_code 1 git wfmigrate flaky --oracle "$cmd" --jobs 2 --runs 30
grep -q '^no per-test results in the output' "$TMP/out" || fail "the output does not say there are no per-test results"
expect_code 1 git wfmigrate flaky --oracle "$cmd" --jobs 2 --runs 30 --json
json 'j["perTest"], len(j["tests"]), j["tests"][0]["name"], j["tests"][0]["classification"]' <"$TMP/out" >"$TMP/whole"
[ "$(cat "$TMP/whole")" = "False 1 $cmd flaky" ] || { cat "$TMP/whole" >&2; fail "the whole command is not one flaky test"; }
expect_code 1 git wfmigrate flaky --oracle 'echo nope; exit 3' --runs 3 --json
[ "$(json 'j["tests"][0]["classification"], j["tests"][0]["firstFailure"]' <"$TMP/out")" = "broken run 1 exited 3
nope" ] || { cat "$TMP/out" >&2; fail "a command that always fails is not broken"; }
expect_code 0 git wfmigrate flaky --oracle 'true' --runs 3 --json
[ "$(json 'j["tests"][0]["classification"], j["remaining"]' <"$TMP/out")" = "stable 0" ] || fail "true is not stable"
pass "no per-test format: one test named after the command (flaky, broken, stable)"

# --- --fix

# a double of workflows/flaky.js, found first (.wfmigrate/workflows/): it
# checks the arguments of the spec and reruns the oracle with runs
mkdir -p .wfmigrate/workflows
cat >.wfmigrate/workflows/flaky.js <<'JS'
export const meta = {
  name: 'flaky',
  description: 'A double of the flaky-fix harness for the tests: checks its arguments, reruns the oracle',
  args: {
    tests: { type: 'array', description: 'the flaky tests' },
    broken: { type: 'strings', description: 'the broken ones' },
    stable: { type: 'strings', description: 'the stable ones' },
    confirm: { type: 'integer', description: 'reruns in a row' },
  },
}
const t = args.tests
if (t.length !== 1 || t[0].name !== 'the report lists keys by count, then by name' ||
    t[0].runs !== 30 || !(t[0].failures > 0) || t[0].interval.length !== 2 ||
    typeof t[0].firstFailure !== 'string' || t[0].classification !== undefined)
  throw new Error('tests: ' + JSON.stringify(t))
if (JSON.stringify(args.broken) !== JSON.stringify(['merge adds the counts of another tally']) ||
    args.stable.length !== 5 || args.confirm !== 7)
  throw new Error('args: ' + JSON.stringify(args))
const o = await oracle({ runs: 4 })
return {
  fixes: [{ test: t[0].name, branch: 'wfmigrate/x/tie-break', commit: '0123456789abcdef',
            hypothesis: 'ties come out in bucket order', confirmations: 7, merged: true }],
  rounds: 1, unresolved: [],
  rerun: { runs: o.runs, failures: o.failures, pass: o.pass, tests: o.tests.length },
}
JS
expect_code 0 git wfmigrate flaky --oracle 'make -s build/test_tally' --runs 2 --fix --provider exec --agent-cmd true
expect_stderr 'no flaky test: nothing to fix'
[ -z "$(ls .git/wfmigrate/runs 2>/dev/null)" ] || fail "--fix with no flaky test made a run"
pass "--fix with no flaky test runs nothing"

# the broken test remains: exit 1
expect_code 1 git wfmigrate flaky --oracle 'make -s test' --jobs 2 --runs 30 --fix --confirm 7 \
	--provider exec --agent-cmd true --json
py '
d = j(sys.argv[1])
assert d["fixes"] == [{"test": "the report lists keys by count, then by name", "branch": "wfmigrate/x/tie-break",
    "commit": "0123456789abcdef", "hypothesis": "ties come out in bucket order", "confirmations": 7,
    "merged": True}], d["fixes"]
assert d["rounds"] == 1 and d["unresolved"] == [] and d["remaining"] == 1, d
r = j(os.path.join(sys.argv[2], "runs", d["fixRun"], "report.json"))["result"]["rerun"]
# the known failures of the run are for the merge queue: oracle() reports each run as it went
assert r == {"runs": 4, "failures": 4, "pass": False, "tests": 7}, r
' "$TMP/out" "$TMP/tally/.git/wfmigrate" || { cat "$TMP/out" "$TMP/err" >&2; fail "--fix --json does not carry the fixes"; }
grep -q "card\|flaky" "$TMP/err" || fail "no card on stderr"
expect_code 1 git wfmigrate flaky --oracle 'make -s test' --jobs 2 --runs 30 --fix --confirm 7 \
	--provider exec --agent-cmd true
grep -Eq '^    the report lists keys by count, then by name: merged 0123456, branch wfmigrate/x/tie-break, 7 confirmations$' "$TMP/out" ||
	{ cat "$TMP/out" >&2; fail "the text report does not list the fix"; }
# a fix workflow that fails (here: the double refuses --confirm 13) is an error
expect_code 128 git wfmigrate flaky --oracle 'make -s test' --jobs 2 --runs 30 --fix --confirm 13 \
	--provider exec --agent-cmd true -q
expect_stderr 'the flaky-test hunt did not finish: see git wfmigrate log '
pass "--fix runs the workflow flaky with the spec's arguments and reports its fixes"

# --- oracle({runs}) in a script: per-test tallies over sequential runs
repo=$(new_repo)
cd "$repo"
cat >t.sh <<SH
n=\$(cat "$TMP/count" 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >"$TMP/count"
echo 1..3
echo "ok 1 - always"
if [ \$((n % 2)) -eq 0 ]; then echo "not ok 2 - every other"; echo "# even run \$n"; st=1; else echo "ok 2 - every other"; st=0; fi
if [ \$n -eq 3 ]; then echo "Segmentation fault"; exit 139; fi
echo "ok 3 - last"
exit \$st
SH
git add t.sh
git commit -qm tests
cat >"$TMP/runs.js" <<'JS'
export const meta = { name: 'reruns', description: 'oracle() with runs' }
const many = await oracle({ runs: 4 })
const one = await oracle()
return { many, one }
JS
expect_code 0 git wfmigrate run --workflow "$TMP/runs.js" --oracle 'sh t.sh' --provider exec --agent-cmd true --yes --json
py '
r = j(os.path.join(sys.argv[1], "report.json"))["result"]
m, o = r["many"], r["one"]
assert (m["runs"], m["failures"], m["pass"], m["exitCode"]) == (4, 3, False, 1), m
t = {x["name"]: x for x in m["tests"]}
assert list(t) == ["always", "every other", "last"], t
assert (t["always"]["runs"], t["always"]["failures"], t["always"]["firstFailure"]) == (4, 0, None), t
assert (t["every other"]["failures"], t["every other"]["firstFailure"]) == (2, "even run 2"), t
assert t["last"]["failures"] == 1 and "run 3 exited 139 and did not report this test" in t["last"]["firstFailure"], t
assert t["every other"]["classification"] == "flaky" and len(t["last"]["interval"]) == 2, t
# the fifth run, once: passes (odd), its tests reported
assert (o["runs"], o["failures"], o["pass"], len(o["tests"])) == (1, 0, True, 3), o
' "$(run_dir "$repo")" || fail "oracle({runs: 4}) did not tally its runs"
[ "$(cat "$TMP/count")" = 5 ] || fail "the oracle ran $(cat "$TMP/count") times, expected 5"
pass "oracle({runs}): runs, failures, per-test tallies (a crash counts), the first failed run's fields"

# the runs are journaled as one request: killed after them, a resumed run
# does not make them again (the agent kills the run's process the first time)
rm -f "$TMP/count"
cat >"$TMP/kill.sh" <<SH
if [ ! -e "$TMP/killed" ]; then
	touch "$TMP/killed"
	rd=\$(ls -td "$repo"/.git/wfmigrate/runs/*/ | head -n 1)
	kill -9 "\$(cut -d' ' -f1 "\$rd/lock")"
fi
echo done
SH
cat >"$TMP/resume.js" <<'JS'
export const meta = { name: 'reruns-resumed', description: 'oracle() with runs, then an agent' }
const many = await oracle({ runs: 3 })
await agent('go on', { label: 'after' })
return { runs: many.runs, failures: many.failures }
JS
got=0
git wfmigrate run --workflow "$TMP/resume.js" --oracle 'sh t.sh' --provider exec --agent-cmd "sh $TMP/kill.sh" \
	--yes >"$TMP/out" 2>"$TMP/err" </dev/null || got=$?
[ "$got" -ge 128 ] || { cat "$TMP/err" >&2; fail "the run was not killed (exit $got)"; }
[ "$(cat "$TMP/count")" = 3 ] || fail "the oracle ran $(cat "$TMP/count") times before the kill, expected 3"
expect_code 0 git wfmigrate resume --yes
[ "$(cat "$TMP/count")" = 3 ] || fail "the resumed run ran the oracle again ($(cat "$TMP/count") runs in all)"
py '
import glob
reports = sorted(glob.glob(os.path.join(sys.argv[1], "runs", "*", "report.json")), key=os.path.getmtime)
r = j(reports[-1])["result"]
assert r == {"runs": 3, "failures": 2}, r
' "$repo/.git/wfmigrate" || fail "the resumed run did not take the journaled oracle runs"
pass "oracle({runs}) is journaled once: a resumed run does not rerun it"

# --- interrupted: the runs' process groups are killed, the worktrees given back
cd "$TMP/tally"
rm -f "$TMP/started"
git-wfmigrate flaky --oracle "touch $TMP/started; sleep 60.$$" --runs 2 --jobs 2 >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_for "the first run" test -e "$TMP/started"
kill -TERM $pid
got=0
wait $pid || got=$?
[ "$got" = 143 ] || { cat "$TMP/err" >&2; fail "interrupted flaky exited $got, expected 143"; }
expect_stderr 'interrupted after 0 of 2 runs'
! pgrep -f "sleep 60.$$" >/dev/null || fail "the runs' sleep is still running"
git worktree list --porcelain | grep -q '^locked' && fail "a pool worktree is still locked"
check_repo "$TMP/tally"
pass "SIGTERM: exit 143, the runs killed, the worktrees given back"

# --- usage errors (129) and errors (128)
cd "$TMP/tally"
expect_code 129 git wfmigrate flaky --oracle true --runs 0
expect_code 129 git wfmigrate flaky --oracle true --runs 1001
expect_code 129 git wfmigrate flaky --oracle true --jobs 0
expect_code 129 git wfmigrate flaky --oracle true --jobs many
expect_code 129 git wfmigrate flaky --oracle true --confirm 5
expect_stderr '--confirm needs --fix'
expect_code 129 git wfmigrate flaky --oracle true extra
expect_code 129 git wfmigrate flaky --bogus
expect_code 129 env -u WFMIGRATE_ORACLE git wfmigrate flaky
expect_stderr 'no oracle command'
expect_code 129 git wfmigrate flaky --oracle true --fix --provider nonesuch
expect_code 128 env WFMIGRATE_ORACLE_JOBS=lots git wfmigrate flaky --oracle true
expect_code 128 env WFMIGRATE_ORACLE_JOBS=0 git wfmigrate flaky --oracle true
expect_stderr "oracle-jobs.*not within 1-256"
empty=$(new_repo)
cd "$empty"
expect_code 128 git wfmigrate flaky --oracle true
cd "$TMP"
expect_code 128 git wfmigrate flaky --oracle true
pass "usage errors exit 129; a bad setting, no commit, no repository 128"
check_repo "$TMP/tally"
