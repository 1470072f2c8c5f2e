#!/usr/bin/env bash
# Isolation under kills: no agent ever sees another agent's edits, whatever
# killed the run and wherever.
#
# A migration of 9 units (src/mod_<i>.c: f<i>_1, f<i>_2, and tricky_<i> in
# mod_2 and mod_3, which the codemod breaks: the oracle, a C syntax check,
# rejects them) with an exec agent that writes its unit in two steps, 0.3 s
# apart, so a kill often falls between them. Its child processes run in
# process groups of their own: a SIGKILL of the engine leaves them running,
# still writing into the worktree the next holder of that slot gets.
#
# The run is killed (SIGKILL) at each point of an agent's life -- while agents
# write, with their changes staged but not committed, committed but the branch
# not moved, during a reused slot's checkout, after the merge queue's squash --
# and resumed at once, orphans still running. Then, and after a seeded loop of
# kills at random moments (WFM_STRESS_SEED, WFM_STRESS_ROUNDS):
# - every agent branch holds exactly its own unit's edit (its file, its lines,
#   the codemod's text) and nothing else;
# - statuses and the integration tree are those of an uninterrupted run;
# - nothing a killed engine started is still running; git fsck is clean.
. "$(dirname "$0")/lib.sh"

goal="move every caller of old_call to new_call"

# The codemod, shared by the agent and the checks: old_call(x) becomes
# new_call(x) (tricky_*: new_call((x), a syntax error), then the line is
# marked done.
cat >"$TMP/codemod.py" <<'PY'
def step1(lines, first, last, name):
    new = 'new_call((x)' if name.startswith('tricky') else 'new_call(x)'
    return [l.replace('old_call(x)', new) if first <= n <= last else l
            for n, l in enumerate(lines, 1)]

def step2(lines, first, last):
    return [l.replace('\n', ' /* done */\n') if first <= n <= last and 'new_call(' in l
            and '/* done */' not in l else l for n, l in enumerate(lines, 1)]

def migrated(text, first, last, name):
    lines = text.splitlines(True)
    return ''.join(step2(step1(lines, first, last, name), first, last))
PY
cat >"$TMP/agent.py" <<'PY'
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from codemod import step1, step2
sys.stdin.read()
ctx = json.loads(os.environ['WFM_AGENT_JSON'])
role, unit = ctx['role'], ctx['unit']
path, first, last = unit['path'], int(unit['start_line']), int(unit['end_line'])
name = unit['id'].split('::')[-1]
log = open(os.environ['WFM_TEST_LOG'], 'a')
def say(what):
    log.write('%s %s\n' % (what, ctx['label']))
    log.flush()
def rewrite(f):
    with open(path) as fh:
        lines = fh.readlines()
    new = f(lines)
    if new != lines:
        with open(path, 'w') as fh:
            fh.write(''.join(new))
say('start')
if role in ('implementer', 'fixer'):
    rewrite(lambda l: step1(l, first, last, name))
    say('mid')
    time.sleep(0.3)
    rewrite(lambda l: step2(l, first, last))
    print('%s: migrated lines %d-%d' % (path, first, last))
elif role == 'verifier':
    with open(path) as fh:
        left = [l for l in fh.readlines()[first - 1:last] if 'old_call(' in l]
    print(json.dumps({'verdict': 'fail' if left else 'pass', 'findings': left}))
say('end')
PY

new_fixture() { # new_fixture <dir>
	local i j
	mkdir -p "$1/src" "$1/include"
	git -C "$1" init -q
	printf 'int old_call(int);\nint new_call(int);\n' >"$1/include/api.h"
	for i in 1 2 3; do
		{
			printf '#include "api.h"\n\n'
			for j in 1 2; do
				printf 'int f%d_%d(int x)\n{\n\treturn old_call(x) + %d;\n}\n\n' $i $j $j
			done
			[ $i = 1 ] || printf 'int tricky_%d(int x)\n{\n\treturn old_call(x) * 2;\n}\n' $i
		} >"$1/src/mod_$i.c"
	done
	git -C "$1" add -A
	git -C "$1" commit -qm base
}

oracle="cc -fsyntax-only -Wall -Werror -Iinclude src/*.c"

# start_run <repo> <log> [<crash point>]: the run in the background; $pid is git's
start_run() {
	: >>"$2"
	(cd "$1" && WFM_TEST_LOG=$2 WFM_TEST_CRASH=${3:-} exec git wfmigrate run --workflow migrate \
		--oracle "$oracle" --arg 'match=old_call\(x\)' --arg rounds=1 --provider exec \
		--agent-cmd "python3 $TMP/agent.py" --concurrency 4 --yes --json "$goal" \
		>>"$1.out" 2>>"$1.err" </dev/null) &
	pid=$!
}

# resume_bg <repo> <log>: a resume in the background; $pid is git's
resume_bg() {
	(cd "$1" && WFM_TEST_LOG=$2 exec git wfmigrate resume "$(basename "$(run_dir "$1")")" \
		>>"$1.out" 2>>"$1.err" </dev/null) &
	pid=$!
}

count_at_least() { [ "$(grep -c "^$2 " "$1" 2>/dev/null)" -ge "$3" ]; }
lock_or_ended() { [ -s "$(run_dir "$1")/lock" ] || ! kill -0 "$pid" 2>/dev/null; }

# kill_now <repo>: SIGKILL to the engine (the run lock's pid), orphans left
# running; its "<pid>.<start>" is added to $repo.killed. 1 if it had ended.
kill_now() {
	local rd lock
	rd=$(run_dir "$1")
	lock=$(cat "$rd/lock" 2>/dev/null) || return 1
	[ -n "$lock" ] || return 1
	kill -9 "${lock%% *}" 2>/dev/null || return 1
	echo "${lock%% *}.${lock#* }" >>"$1.killed"
	wait "$pid" && fail "the engine exited 0 after SIGKILL"
	return 0
}

# finish <repo> <log>: resumes to the end (once the one in the background has ended)
finish() {
	local id
	wait "$pid" 2>/dev/null || :
	id=$(basename "$(run_dir "$1")")
	(cd "$1" && WFM_TEST_LOG=$2 expect_code 0 git wfmigrate resume "$id")
	grep -q "^run $id done$" "$TMP/out" || fail "resume did not finish the run: $(cat "$TMP/out")"
}

# wait_crash <repo>: the engine killed itself at its crash point
wait_crash() {
	local rc=0
	wait "$pid" || rc=$?
	[ $rc != 0 ] || fail "$1: the run finished without reaching its crash point"
	[ -s "$(run_dir "$1")/lock" ] || fail "$1: the run failed without a crash: $(tail -n 5 "$1.err")"
	echo "$(run_dir "$1" | xargs -I{} cat {}/lock | tr ' ' .)" >>"$1.killed"
}

# check <repo> <name>: the isolation checks
check() {
	local repo=$1 name=$2 rd id
	rd=$(run_dir "$repo")
	id=$(basename "$rd")
	python3 - "$repo" "$rd" "$id" "$TMP/ref.statuses" "$repo.killed" "$TMP" <<'PY' ||
import json, os, subprocess, sys
repo, rd, run, ref_statuses, killed_file, tmp = sys.argv[1:7]
sys.path.insert(0, tmp)
from codemod import migrated
def git(*a):
    return subprocess.run(['git', '-C', repo] + list(a), check=True, capture_output=True,
                          text=True).stdout
r = json.load(open(os.path.join(rd, 'report.json')))
assert r['status'] == 'done', (r['status'], r.get('error'))
got = '\n'.join(u['id'] + ' ' + u['status'] for u in r['units'])
want = open(ref_statuses).read().strip()
why = '\n'.join('%s: %s' % (u['id'], u.get('reason')) for u in r['units']
                if u['id'] + ' ' + u['status'] not in want.split('\n'))
assert got == want, 'statuses differ from the uninterrupted run:\n%s\nvs\n%s\nwhy:\n%s' % (
    got, want, why + '\nagent failures: %s' % json.dumps(r.get('agentFailures')))
base = git('rev-parse', 'main').strip()
# every agent branch: its unit's file, exactly as the codemod makes it, nothing else
seen = 0
for name in sorted(os.listdir(os.path.join(rd, 'agents'))):
    with open(os.path.join(rd, 'agents', name)) as f:
        req = json.loads(f.readline()).get('request', {})
    branch, unit = req.get('branch'), req.get('unit')
    if req.get('role') not in ('implementer', 'fixer') or not branch:
        continue
    if subprocess.run(['git', '-C', repo, 'rev-parse', '-q', '--verify', 'refs/heads/' + branch],
                      capture_output=True).returncode:
        continue  # killed before it committed
    seen += 1
    path, first, last = unit['path'], int(unit['start_line']), int(unit['end_line'])
    files = git('diff', '--name-only', base, branch).split()
    assert files == [path], '%s changes %s, not only %s' % (branch, files, path)
    want = migrated(git('show', '%s:%s' % (base, path)), first, last, unit['id'].split('::')[-1])
    have = git('show', '%s:%s' % (branch, path))
    assert have == want, '%s holds edits that are not its own:\n%s' % (
        branch, git('diff', base, branch))
assert seen >= 9, 'only %d agent branches' % seen
# nothing the killed engines started still runs
marks = set('WFM_OWNER=' + l.strip() for l in open(killed_file) if l.strip())
for p in os.listdir('/proc'):
    if not p.isdigit():
        continue
    try:
        env = set(open('/proc/%s/environ' % p, 'rb').read().decode('utf-8', 'replace').split('\0'))
    except OSError:
        continue
    left = env & marks
    assert not left, 'process %s of a killed engine (%s) still runs' % (p, left)
PY
		fail "$name: isolation broken"
	[ "$(git -C "$repo" rev-parse "wfmigrate/$id/integration^{tree}")" = "$ref_tree" ] ||
		fail "$name: the integration tree differs from the uninterrupted run's"
	check_repo "$repo"
}

# --- the uninterrupted run
ref=$TMP/ref
new_fixture "$ref"
: >"$ref.killed"
start_run "$ref" "$TMP/ref.log"
wait "$pid" || { cat "$ref.err" >&2; fail "the uninterrupted run failed"; }
ref_rd=$(run_dir "$ref")
ref_id=$(basename "$ref_rd")
py '
r = j(sys.argv[1])
print("\n".join(u["id"] + " " + u["status"] for u in r["units"]))' "$ref_rd/report.json" >"$TMP/ref.statuses"
[ "$(grep -c ' merged$' "$TMP/ref.statuses")" = 6 ] && [ "$(grep -c ' rejected$' "$TMP/ref.statuses")" = 2 ] ||
	fail "the uninterrupted run did not merge the 6 good units and reject the 2 broken ones: $(cat "$TMP/ref.statuses")"
ref_tree=$(git -C "$ref" rev-parse "wfmigrate/$ref_id/integration^{tree}")
check "$ref" uninterrupted
pass "the uninterrupted run: 6 units merged, 2 rejected, every branch its own unit's edit"

# --- killed while agents write (between their two steps), resumed at once
repo=$TMP/write
new_fixture "$repo"
start_run "$repo" "$repo.log"
wait_for "three agents in the middle of writing" count_at_least "$repo.log" mid 3
kill_now "$repo" || fail "write: the run ended before the kill"
# a kill while a branch moved leaves its ref's lock file, which git never removes
refs=$repo/.git/refs/heads/wfmigrate/$(basename "$(run_dir "$repo")")
mkdir -p "$refs"
for unit in 1.c-function-f1_1 2.c-function-f2_2 3.c-function-tricky_3; do
	: >"$refs/impl-src-mod_$unit.lock"
done
: >"$refs/integration.lock"
finish "$repo" "$repo.log"
[ -z "$(find "$refs" -name '*.lock')" ] || fail "write: ref lock files are left: $(find "$refs" -name '*.lock')"
check "$repo" write
pass "killed while agents write, resumed with their orphans still running: isolation holds"
pass "lock files a killed run left on its branches are removed on resume"

# --- crash points: staged, committed, a reused slot's checkout, the squash
for point in commit-staged#3 commit-head#4 checkout#2 squash#1; do
	repo=$TMP/${point%#*}
	new_fixture "$repo"
	start_run "$repo" "$repo.log" "$point"
	wait_crash "$repo"
	finish "$repo" "$repo.log"
	check "$repo" "$point"
	pass "killed at crash point $point, resumed at once: isolation holds"
done

# --- the issue's case: killed, resumed, killed again while resuming, resumed to the end
repo=$TMP/twice
new_fixture "$repo"
start_run "$repo" "$repo.log"
wait_for "two agents in the middle of writing" count_at_least "$repo.log" mid 2
kill_now "$repo" || fail "twice: the run ended before the first kill"
before=$(grep -c '^mid ' "$repo.log")
resume_bg "$repo" "$repo.log"
wait_for "the resume's agents to write" count_at_least "$repo.log" mid $((before + 2))
kill_now "$repo" || :
finish "$repo" "$repo.log"
check "$repo" twice
pass "killed, resumed, killed while resuming, resumed: the uninterrupted tree"

# --- stress: kills at random moments, seeded and bounded
seed=${WFM_STRESS_SEED:-$(date +%s)}
rounds=${WFM_STRESS_ROUNDS:-2}
echo "# stress: WFM_STRESS_SEED=$seed WFM_STRESS_ROUNDS=$rounds" >&2
RANDOM=$seed
for round in $(seq "$rounds"); do
	repo=$TMP/stress$round
	new_fixture "$repo"
	start_run "$repo" "$repo.log"
	kills=0
	for k in 1 2 3; do
		# 0.3 to 3.2 s in: anywhere from the first agents to the merge queue
		sleep "$((RANDOM % 30 / 10)).$((RANDOM % 10))"
		wait_for "the run's lock" lock_or_ended "$repo"
		if kill_now "$repo"; then
			kills=$((kills + 1))
			resume_bg "$repo" "$repo.log"
		else
			break
		fi
	done
	kill_now "$repo" && kills=$((kills + 1))
	finish "$repo" "$repo.log"
	check "$repo" "stress round $round (seed $seed)"
	pass "stress round $round: $kills kill(s) at random moments, resumed each time: isolation holds"
done
