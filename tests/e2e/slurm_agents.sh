#!/usr/bin/env bash
# Exec agents as Slurm jobs (--provider exec --executor slurm,
# docs/executors.md), on the single-node test cluster (skipped, exit 77,
# without Slurm):
#
# - a worktree agent runs on a node at its base commit: the prompt on its
#   stdin, the request in WFM_AGENT_JSON and WFM_AGENT_JSON_FILE, no API
#   key; what it committed itself and what it left uncommitted both come
#   back on its branch, with the run's trailers on top; its JSON output is
#   checked against the schema; the journal and the report say it was a
#   job, and the ref the engine fetched its work through is gone;
# - an agent job that fails: the reason and the last lines of its stderr
#   reach the report, as for an agent run here;
# - SIGINT while an agent job runs: the job is cancelled, the run stopped
#   (130); resume runs the agent again as a job and the run ends with its
#   work;
# - clean removes the job directories and remote refs of the runs that
#   ended; --dry-run only names them.
. "$(dirname "$0")/lib.sh"

start_slurm

repo=$(new_repo)
cd "$repo"
printf 'one\n' >a.txt
git add a.txt
git commit -qm base
git init -q --bare "$TMP/remote.git"
runs=$(cd "$(git rev-parse --git-common-dir)" && pwd)/wfmigrate/runs
newest_run() { ls -td "$runs"/*/ | head -n 1 | sed 's:/$::'; }
slurm() {
	git wfmigrate run --provider exec --yes --executor slurm --remote "$TMP/remote.git" \
		--job-dir "$TMP/jobs" "$@"
}

cat >"$TMP/one.js" <<'JS'
export const meta = { name: 'one-agent', description: 'one agent in a worktree' }
const schema = { type: 'object', properties: { done: { type: 'boolean' } }, required: ['done'] }
const out = await agent('change a.txt', { label: 'only', isolation: 'worktree', schema })
if (out === null) throw new Error('the agent failed')
return { out, units: [] }
JS
cat >"$TMP/agent.sh" <<'SH'
#!/bin/sh
cat >prompt.txt
cp "$WFM_AGENT_JSON_FILE" request.json
printf '%s\n' "$WFM_AGENT_JSON" | grep -q '"role"' || exit 7
echo "key: ${ANTHROPIC_API_KEY:-none}" >env.txt
echo two >>a.txt
git add a.txt && git -c user.name=agent -c user.email=agent@example.com commit -qm "the agent's own"
echo "left behind" >left.txt
echo "thinking..." >&2
echo '{"done": true}'
SH
chmod +x "$TMP/agent.sh"

ANTHROPIC_API_KEY=sk-ant-secret-0123 expect_code 0 slurm --workflow "$TMP/one.js" \
	--agent-cmd "$TMP/agent.sh" --json
rd=$(newest_run)
run=$(basename "$rd")
py 'assert j(sys.argv[1])["result"]["out"] == {"done": True}, j(sys.argv[1])["result"]' "$TMP/out" ||
	fail "the agent's output is not the run's result"
b="wfmigrate/$run/only"
[ "$(git show "$b:prompt.txt")" = "change a.txt" ] || fail "the prompt did not reach the job's stdin"
git show "$b:request.json" >"$TMP/request.json"
grep -q '"label": *"only"' "$TMP/request.json" || fail "no request in WFM_AGENT_JSON_FILE"
[ "$(git show "$b:env.txt")" = "key: none" ] || fail "the API key reached the agent's job"
[ "$(git show "$b:a.txt")" = "$(printf 'one\ntwo')" ] || fail "the agent's own commit did not come back"
[ "$(git show "$b:left.txt")" = "left behind" ] || fail "what the agent left uncommitted did not come back"
git log --format='%s%n%b' "$b" >"$TMP/log"
grep -qx "the agent's own" "$TMP/log" || fail "the agent's own commit is not on its branch: $(cat "$TMP/log")"
git log -1 --format=%B "$b" >"$TMP/log"
grep -q "^Wfmigrate-Run: $run" "$TMP/log" || fail "the run's commit is not on top: $(cat "$TMP/log")"
[ -z "$(git for-each-ref "refs/wfmigrate/$run/work")" ] || fail "the fetched work ref stayed"
[ -n "$(git -C "$TMP/remote.git" for-each-ref "refs/wfmigrate/$run/work")" ] ||
	fail "the job did not push its work to the remote"
py '
rec = [json.loads(l) for l in open(sys.argv[1])]
a = [r for r in rec if r["method"] == "agent"]
assert len(a) == 1 and a[0]["result"]["ranOn"]["executor"] == "slurm", a
r = j(sys.argv[2])
assert r["jobs"]["agents"] == 1 and r["jobs"]["executor"] == "slurm", r["jobs"]
' "$rd/journal.jsonl" "$rd/report.json" || fail "the journal or the report does not say the agent was a job"
ls "$TMP"/jobs/*/job.*/input >/dev/null 2>&1 || fail "no agent job directory"
check_repo "$repo"
pass "a worktree agent as a Slurm job: stdin, the request, no API key; its commits and its leftovers come back on its branch"

# --- a failing agent job: its reason and stderr in the report
cat >"$TMP/fails.sh" <<'SH'
#!/bin/sh
echo "cannot find the frobnicator" >&2
exit 3
SH
chmod +x "$TMP/fails.sh"
expect_code 1 slurm --workflow "$TMP/one.js" --agent-cmd "$TMP/fails.sh"
rd=$(newest_run)
py '
f = j(sys.argv[1])["agentFailures"]
assert len(f) == 1 and f[0]["reason"] == "exit status 3", f
assert "cannot find the frobnicator" in f[0]["stderr"], f
' "$rd/report.json" || fail "the failed job's reason and stderr are not in the report"
pass "an agent job that fails: its reason and stderr in the report"

# --- SIGINT while the agent job runs; resume runs it again as a job
cat >"$TMP/slow.sh" <<SH
#!/bin/sh
if [ ! -e "$TMP/started" ]; then touch "$TMP/started"; sleep 120; fi
echo resumed >b.txt
echo '{"done": true}'
SH
chmod +x "$TMP/slow.sh"
slurm --workflow "$TMP/one.js" --agent-cmd "$TMP/slow.sh" >"$TMP/slow.out" 2>"$TMP/slow.err" &
pid=$!
wait_for "the agent job to start" test -e "$TMP/started"
job=$(squeue -h -t running -o %A | head -n 1)
[ -n "$job" ] || fail "no running job"
rd=$(newest_run)
kill -INT "$(cut -d' ' -f1 "$rd/lock")"
code=0
wait $pid || code=$?
[ "$code" = 130 ] || fail "SIGINT: the run exited $code, not 130: $(cat "$TMP/slow.err")"
gone() { [ -z "$(squeue -h -j "$job" -t pending,running,completing -o %A 2>/dev/null)" ]; }
wait_for "job $job to be cancelled" gone
grep -q "JobId=$job .*JobState=CANCELLED" "$SLURM_DIR/jobcomp.txt" || fail "job $job is not recorded cancelled"
expect_code 0 git wfmigrate resume --json "$(basename "$rd")"
[ "$(git show "wfmigrate/$(basename "$rd")/only:b.txt")" = resumed ] || fail "resume did not run the agent again"
py '
a = [json.loads(l) for l in open(sys.argv[1])]
a = [r for r in a if r["method"] == "agent"]
assert len(a) == 1 and a[0]["result"]["ranOn"]["executor"] == "slurm", a
' "$rd/journal.jsonl" || fail "the resumed agent did not run as a job"
check_repo "$repo"
pass "SIGINT: the agent job is cancelled, the run stopped; resume runs it again as a job"

# --- clean: the job directories and remote refs of runs that ended
git wfmigrate clean --dry-run >"$TMP/clean.out"
grep -Eq "^Would remove [0-9]+ job director(y|ies) of run $run \($TMP/jobs/$run\)$" "$TMP/clean.out" ||
	fail "clean --dry-run does not name the job directories: $(cat "$TMP/clean.out")"
grep -Eq "^Would remove [0-9]+ refs? of run $run on the remote '$TMP/remote.git'$" "$TMP/clean.out" ||
	fail "clean --dry-run does not name the remote refs: $(cat "$TMP/clean.out")"
[ -d "$TMP/jobs/$run" ] || fail "clean --dry-run removed a job directory"
git wfmigrate clean >"$TMP/clean.out"
grep -q "^Removing .* job director.* of run $run " "$TMP/clean.out" || fail "clean: $(cat "$TMP/clean.out")"
[ -z "$(ls "$TMP/jobs")" ] || fail "clean left job directories: $(ls "$TMP/jobs")"
[ -z "$(git -C "$TMP/remote.git" for-each-ref refs/wfmigrate)" ] ||
	fail "clean left refs on the remote: $(git -C "$TMP/remote.git" for-each-ref refs/wfmigrate)"
git -C "$TMP/remote.git" fsck --no-progress >/dev/null 2>&1 || fail "the remote is damaged"
git wfmigrate clean >"$TMP/clean.out"
! grep -q "job director\|on the remote" "$TMP/clean.out" || fail "a second clean found more: $(cat "$TMP/clean.out")"
check_repo "$repo"
pass "clean: the job directories and remote refs of runs that ended (--dry-run names them)"
