#!/usr/bin/env bash
# Results and sharing: log, report, apply, export and workflows on real
# runs of the migrate workflow (the cardkit fixture, make test as the
# oracle; the exec codemod, and LLM agents against the fake provider for
# figures that are not zero).
#
# - log: the events with their times (--json: events.jsonl as it is), the
#   agents with their numbers, one agent's transcript by label, number or
#   a unique part of its label: the prompt, model calls, tool calls with
#   their results, the result and its tokens;
# - report: --md (the default) and --json have tokens and USD per unit that
#   add up to the run's totals; a report without per-unit figures (an older
#   version's) gets them from the journal;
# - apply: refuses a dirty tree, a detached HEAD, a branch that moved on
#   and a running run, changing nothing; fast-forwards a branch at the base
#   to the integration tree (git status clean, git fsck clean, an untracked
#   file kept); merges the shared checkout's branch in too; a run with
#   nothing merged has nothing to apply;
# - export: a run's folder (workflow.js, SKILL.md, rubrics/) runs again with
#   --workflow and gives the same integration tree; a built-in's SKILL.md has
#   front matter and its rubric; a non-empty folder is refused without --force;
# - workflows: the built-in and a saved workflow, a broken one with its error;
# - bad arguments: exit 129; an unknown run: 128.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
codemod="sh $src/fixtures/codemods/old-to-safe.sh"
goal="move every caller of old_copy to safe_copy"

"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
base=$(git rev-parse HEAD)
echo "my notes, not for git" >notes.txt

# --- -h of each command: its usage (exit 129, as every command's -h)
for c in log report apply export workflows; do
	expect_code 129 git wfmigrate "$c" -h
	grep -q "^usage: git wfmigrate $c" "$TMP/out" || fail "$c -h: $(cat "$TMP/out")"
done
expect_code 0 git wfmigrate help export
pass "log, report, apply, export, workflows: -h"

# --- no run yet
expect_code 1 git wfmigrate report
expect_stderr 'no runs in this repository'
expect_code 1 git wfmigrate log
expect_code 1 git wfmigrate apply
pass "without a run: report, log and apply say so (exit 1)"

# --- the exec run
expect_code 0 git wfmigrate run --workflow migrate --oracle 'make test' --arg match=old_copy \
	--provider exec --agent-cmd "$codemod" --concurrency 4 --yes --json "$goal" </dev/null
cp "$TMP/out" "$TMP/exec.json"
run=$(json 'j["run"]' <"$TMP/exec.json")
rd=$runs/$run
integ=wfmigrate/$run/integration
integ_tree=$(git rev-parse "$integ^{tree}")
[ "$(git rev-parse HEAD)" = "$base" ] || fail "the run moved HEAD"

# --- log: the events
expect_code 0 git wfmigrate log "$run"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}  == Implement$' "$TMP/out" || fail "log has no phase line with its time: $(head "$TMP/out")"
grep -Eq '^[0-9:]{8}  agent impl:src/card.c::function::card_merge started$' "$TMP/out" ||
	fail "log does not say the agents started"
grep -Eq '^[0-9:]{8}  merge queue: batch 1: [0-9]+ branch(es)? merged; the integration branch is at [0-9a-f]{7}$' "$TMP/out" ||
	fail "log does not say what the merge queue merged"
grep -Eq '^[0-9:]{8}  -- session ended: done$' "$TMP/out" || fail "log does not end with the session's end"
[ "$(grep -c '' "$TMP/out")" -ge "$(grep -c '' "$rd/events.jsonl")" ] || fail "log lost events"
expect_code 0 git wfmigrate log --json "${run:0:12}"
cmp -s "$TMP/out" "$rd/events.jsonl" || fail "log --json is not events.jsonl"
# without a run: the newest
expect_code 0 git wfmigrate log --json
cmp -s "$TMP/out" "$rd/events.jsonl" || fail "log without a run did not show the newest"
pass "log: the events as lines with their times; --json is events.jsonl"

# --- log: the agents and one transcript
expect_code 0 git wfmigrate log --agents --json "$run"
cp "$TMP/out" "$TMP/agents.json"
py '
a = j(sys.argv[1]); r = j(sys.argv[2])
assert len(a) == r["totals"]["agentsRun"], (len(a), r["totals"]["agentsRun"])
assert [x["number"] for x in a] == list(range(1, len(a) + 1))
assert all(x["state"] == "ok" and x["model"] == "exec" for x in a), a[:2]
starts = [x["started"] for x in a]
assert starts == sorted(starts), "agents are not in the order they started"
' "$TMP/agents.json" "$rd/report.json" || fail "log --agents --json does not list the run's agents"
label=impl:src/card.c::function::card_merge
n=$(py 'print([x["number"] for x in j(sys.argv[1]) if x["label"] == sys.argv[2]][0])' "$TMP/agents.json" "$label")
expect_code 0 git wfmigrate log "$run" "$label"
cp "$TMP/out" "$TMP/agent.txt"
grep -q "^agent $n of run $run: $label$" "$TMP/agent.txt" || fail "the transcript has no header: $(head -3 "$TMP/agent.txt")"
grep -q "^\[+[0-9.]*s\] agent $label: role implementer, command $codemod$" "$TMP/agent.txt" ||
	fail "the transcript does not start with the request: $(head -5 "$TMP/agent.txt")"
grep -q '^  prompt:$' "$TMP/agent.txt" && grep -q '^    Goal of the whole migration: move every caller' "$TMP/agent.txt" ||
	fail "the transcript does not show the prompt"
grep -q -- '--full shows all\]$' "$TMP/agent.txt" || fail "a long prompt is not cut"
grep -q '^\[+[0-9.]*s\] command exited 0$' "$TMP/agent.txt" || fail "the transcript lacks the command's exit"
grep -q '^\[+[0-9.]*s\] result: ok; 0 tokens in, 0 out; .* committed [0-9a-f]\{7\}$' "$TMP/agent.txt" ||
	fail "the transcript lacks the result: $(tail -5 "$TMP/agent.txt")"
expect_code 0 git wfmigrate log --full "$run" "$n"
cmp -s "$TMP/out" "$TMP/agent.txt" && fail "--full changed nothing"
grep -q "^agent $n of run $run: $label$" "$TMP/out" || fail "an agent by its number is not the same agent"
! grep -q -- '--full shows all' "$TMP/out" || fail "--full still cuts"
expect_code 0 git wfmigrate log "$run" impl:src/card.c::function::card_m
grep -q "^agent $n of run $run: $label$" "$TMP/out" || fail "a unique part of a label did not name its agent"
expect_code 129 git wfmigrate log "$run" card_merge
expect_stderr "'card_merge' names 2 agents: give its number"
expect_code 129 git wfmigrate log "$run" no-such-agent
expect_stderr "no agent of the run is called 'no-such-agent'"
expect_code 129 git wfmigrate log "$run" 9999
expect_code 0 git wfmigrate log --json "$run" "$n"
file=$(py 'print([x["transcript"] for x in j(sys.argv[1]) if x["number"] == int(sys.argv[2])][0])' "$TMP/agents.json" "$n")
cmp -s "$TMP/out" "$file" || fail "log --json <agent> is not its transcript"
py '
for line in open(sys.argv[1]):
    assert isinstance(json.loads(line)["ts"], (int, float)), line[:80]
' "$file" || fail "a transcript record has no time"
pass "log <run> <agent>: by label, number or a unique part of it; prompt, exit, result; --json is the transcript"

# the pager: on a terminal only (tmux gives the terminal), GIT_PAGER first
GIT_PAGER='sed s/^/PAGED:/' expect_code 0 git wfmigrate log --json "$run"
cmp -s "$TMP/out" "$rd/events.jsonl" || fail "log paged an output that is not a terminal"
tm new-session -d -s log -x 200 -y 50 \
	"cd '$repo' && GIT_PAGER='sed s/^/PAGED:/' PAGER=false git wfmigrate log '$run'; echo exited \$?; sleep 60"
term_wait log '^exited 0'
term_history log >"$TMP/pane"
term_kill
grep -Eq '^PAGED:[0-9:]{8}  -- session ended: done$' "$TMP/pane" || fail "log on a terminal did not go through GIT_PAGER: $(tail -5 "$TMP/pane")"
pass "log: through GIT_PAGER on a terminal, straight to a file or pipe"

# --- log, report: bad arguments
expect_code 129 git wfmigrate log a b c
expect_code 129 git wfmigrate log --agents "$run" x
expect_code 129 git wfmigrate log --bogus
expect_code 128 git wfmigrate log no-such-run
expect_stderr "no run 'no-such-run'"
expect_code 129 git wfmigrate report --md --json "$run"
expect_stderr '^error: --md and --json cannot be combined'
expect_code 129 git wfmigrate report "$run" extra
expect_code 128 git wfmigrate report 1999
pass "log and report: bad arguments 129, an unknown run 128"

# --- report of the exec run: the same as the engine wrote it
expect_code 0 git wfmigrate report "$run"
cmp -s "$TMP/out" "$rd/report.md" || { diff "$rd/report.md" "$TMP/out" >&2; fail "report is not report.md"; }
grep -q '^| unit | status | reason | branch | agents | tokens | USD |$' "$TMP/out" || fail "report.md has no tokens and USD columns"
expect_code 0 git wfmigrate report --json "$run"
py 'assert j(sys.argv[1]) == j(sys.argv[2])' "$TMP/out" "$rd/report.json" || fail "report --json is not report.json"
pass "report: report.md (tokens and USD columns) and --json report.json"

# --- the fake provider: tokens and USD that are not zero
start_fakellm plain
git config --add wfmigrate.price 'fake-rules=3,15'
ANTHROPIC_API_KEY=$FAKE_KEY ANTHROPIC_BASE_URL=$FAKE_URL expect_code 0 git wfmigrate run --yes --json \
	--workflow migrate --oracle 'make test' --arg match=old_copy --model fake-rules --concurrency 4 "$goal"
llm=$(json 'j["run"]' <"$TMP/out")
lrd=$runs/$llm
expect_code 0 git wfmigrate report --json "${llm:0:17}"
cp "$TMP/out" "$TMP/llm.json"
py '
r = j(sys.argv[1])
units, t = r["units"], r["totals"]
assert t["tokens"] > 0 and t["costUsd"] > 0, t
assert all(u["tokens"] > 0 and u["costUsd"] > 0 for u in units), [u for u in units if not u["costUsd"]][:1]
assert sum(u["tokens"] for u in units) == t["tokens"], (sum(u["tokens"] for u in units), t["tokens"])
assert abs(sum(u["costUsd"] for u in units) - t["costUsd"]) < 1e-9, (sum(u["costUsd"] for u in units), t["costUsd"])
' "$TMP/llm.json" || fail "report --json: per-unit tokens and USD do not add up to the totals"
expect_code 0 git wfmigrate report --md "$llm"
py '
r = j(sys.argv[1]); md = open(sys.argv[2]).read()
for u in r["units"]:
    row = [l for l in md.split("\n") if l.startswith("| `%s` |" % u["id"])]
    assert len(row) == 1, u["id"]
    cells = [c.strip() for c in row[0].strip("|").split(" | ")]
    assert cells[-2] == "%d" % u["tokens"] and cells[-1] == "%.4f" % u["costUsd"], (cells[-2:], u)
' "$TMP/llm.json" "$TMP/out" || fail "report --md does not show each unit's tokens and USD"
pass "report: tokens and USD per unit ($(json '"%d tokens, USD %.4f" % (j["totals"]["tokens"], j["totals"]["costUsd"])' <"$TMP/llm.json")), adding up to the totals"

# an older report: no per-unit costUsd (nor tokens); the journal has the figures
cp "$lrd/report.json" "$TMP/report.saved"
py '
r = j(sys.argv[1])
for u in r["units"]:
    del u["costUsd"], u["tokens"]
json.dump(r, open(sys.argv[1], "w"))
' "$lrd/report.json"
expect_code 0 git wfmigrate report --json "$llm"
py '
old, new = j(sys.argv[1]), j(sys.argv[2])
for a, b in zip(old["units"], new["units"]):
    assert a["tokens"] == b["tokens"] and abs(a["costUsd"] - b["costUsd"]) < 1e-9, (a, b)
' "$TMP/report.saved" "$TMP/out" || fail "an older report does not get its per-unit figures from the journal"
cp "$TMP/report.saved" "$lrd/report.json"
pass "report: a report without per-unit figures gets them from the journal"

# log of an LLM agent: model calls, tool calls and their results, the final output, tokens
label=impl:src/card.c::function::card_merge
expect_code 0 git wfmigrate log "$llm" "$label"
cp "$TMP/out" "$TMP/llm-agent.txt"
grep -q "agent $label: role implementer, anthropic model fake-rules$" "$TMP/llm-agent.txt" || fail "no request line: $(head -4 "$TMP/llm-agent.txt")"
grep -Eq '^\[\+[0-9.]+s\] model call 1: [0-9]+ tokens in, [0-9]+ read from the cache, [1-9][0-9]* out, USD 0\.[0-9]{4}' "$TMP/llm-agent.txt" ||
	fail "no model call with its tokens: $(head -20 "$TMP/llm-agent.txt")"
grep -Eq '^\[\+[0-9.]+s\] tool Read .*src/card\.c.* ->$' "$TMP/llm-agent.txt" || fail "no Read tool call"
grep -Eq '^\[\+[0-9.]+s\] tool Edit .* ->$' "$TMP/llm-agent.txt" || fail "no Edit tool call"
grep -Eq '^\[\+[0-9.]+s\] result: ok; [1-9][0-9]* tokens in, [1-9][0-9]* out, USD 0\.[0-9]{4}; [0-9]+ turns, [0-9]+ tool calls' "$TMP/llm-agent.txt" ||
	fail "no result with tokens: $(tail -8 "$TMP/llm-agent.txt")"
grep -q '^  output:$' "$TMP/llm-agent.txt" || fail "no final output"
pass "log <run> <agent> of an LLM agent: model calls with tokens and USD, tool calls, the result"

# --- apply: refusals that change nothing
state() { git rev-parse HEAD; git symbolic-ref -q HEAD || :; git status --porcelain; git stash list; }
state >"$TMP/state-before"
unchanged() {
	state >"$TMP/state-now"
	diff -u "$TMP/state-before" "$TMP/state-now" >&2 || fail "$1 changed the repository"
}
echo "// mine" >>src/card.c
state >"$TMP/state-before"
expect_code 128 git wfmigrate apply "$run"
expect_stderr "^fatal: your working tree has changes to tracked files \('src/card.c'\): commit or stash them"
unchanged "apply on a dirty tree"
grep -q '// mine' src/card.c || fail "apply lost the user's change"
git checkout -q src/card.c
git add notes.txt && git commit -qm "notes" && git branch moved && git reset -q --hard "$base" && git checkout -q moved
echo "my notes, not for git" >notes2.txt
state >"$TMP/state-before"
expect_code 128 git wfmigrate apply "$run"
expect_stderr "^fatal: moved has moved on since run $run started from ${base:0:7}"
expect_stderr "^hint: merge the result by hand and test it: git merge $integ && git wfmigrate oracle --ref HEAD"
unchanged "apply on a branch that moved on"
git checkout -q --detach "$base"
state >"$TMP/state-before"
expect_code 128 git wfmigrate apply "$run"
expect_stderr "^fatal: HEAD is detached at ${base:0:7}"
unchanged "apply on a detached HEAD"
git checkout -q main
expect_code 129 git wfmigrate apply "$run" extra
expect_code 129 git wfmigrate apply --bogus
expect_code 128 git wfmigrate apply no-such-run
pass "apply refuses a dirty tree, a branch that moved on and a detached HEAD (128), changing nothing"

# --- apply: the fast-forward
state >"$TMP/state-before"
expect_code 0 git wfmigrate apply --dry-run "$run"
grep -q "^would fast-forward main from ${base:0:7} to $(git rev-parse --short=7 "$integ") ($integ)$" "$TMP/out" || fail "--dry-run: $(cat "$TMP/out")"
unchanged "apply --dry-run"
expect_code 0 git wfmigrate apply "$run"
grep -q "^Fast-forward main to run $run's result ($integ)$" "$TMP/out" || fail "apply said: $(cat "$TMP/out")"
[ "$(git rev-parse HEAD)" = "$(git rev-parse "$integ")" ] || fail "main is not at the integration branch"
[ "$(git symbolic-ref HEAD)" = refs/heads/main ] || fail "HEAD left main"
[ "$(git write-tree)" = "$integ_tree" ] || fail "the index is not the integration tree"
[ -z "$(git status --porcelain --untracked-files=no)" ] || fail "git status is not clean: $(git status --porcelain)"
[ "$(cat notes2.txt)" = "my notes, not for git" ] || fail "apply touched an untracked file"
! grep -q 'old_copy(' src/card.c || fail "the working tree does not have the result"
check_repo "$repo"
git reflog -1 main | grep -q "wfmigrate apply $run: fast-forward" || fail "no reflog entry: $(git reflog -1 main)"
make -s test >/dev/null 2>&1 || fail "make test fails on the applied result"
expect_code 0 git wfmigrate apply "$run"
expect_stderr "run $run is applied already: main contains its result"
pass "apply: main fast-forwarded to the integration branch; status and fsck clean, the untracked file kept"

# --- export a run, and run the export
expect_code 129 git wfmigrate export "$run"
expect_stderr '-o <dir> is required'
expect_code 129 git wfmigrate export -o "$TMP/x"
expect_code 129 git wfmigrate export -o "$TMP/x" "$run" more
expect_code 129 git wfmigrate export -o "$TMP/x" no-such-thing
expect_stderr "'no-such-thing' names no run and no workflow"
[ ! -e "$TMP/x" ] || fail "a refused export wrote $TMP/x"
expect_code 0 git wfmigrate export "$run" -o "$TMP/exported"
cmp -s "$TMP/exported/workflow.js" "$rd/workflow.js" || fail "export did not write the run's workflow.js"
cmp -s "$TMP/exported/rubrics/migration.md" "$src/rubrics/migration.md" || fail "export did not write the rubric"
grep -q "^git wfmigrate run --workflow ./workflow.js --oracle 'make test' --arg match=old_copy 'move every caller of old_copy to safe_copy'$" "$TMP/exported/SKILL.md" ||
	fail "SKILL.md does not say how the run was run"
expect_code 128 git wfmigrate export "$run" -o "$TMP/exported"
expect_stderr "exists and is not empty \(--force writes into it\)"
expect_code 0 git wfmigrate export --force "$run" -o "$TMP/exported"
git checkout -q --detach "$base"
expect_code 0 git wfmigrate run --workflow "$TMP/exported/workflow.js" --oracle 'make test' --arg match=old_copy \
	--provider exec --agent-cmd "$codemod" --concurrency 4 --yes --json "$goal" </dev/null
again=$(json 'j["run"]' <"$TMP/out")
[ "$(git rev-parse "wfmigrate/$again/integration^{tree}")" = "$integ_tree" ] ||
	fail "the exported workflow gave another integration tree"
git checkout -q main
pass "export <run>: workflow.js, SKILL.md and the rubric; run --workflow <exported> gives the same integration tree"

# --- export a built-in workflow
expect_code 0 git wfmigrate export migrate -o "$TMP/migrate-skill"
py '
import re
text = open(sys.argv[1] + "/SKILL.md").read()
m = re.match(r"---\nname: \"migrate\"\ndescription: \"([^\n]+)\"\n---\n", text)
assert m, text[:300]
meta = j(sys.argv[2])  # the run of migrate: its meta.json
assert m.group(1) == meta["description"], (m.group(1), meta.get("description"))
for want in ["## When to use it", meta["whenToUse"], "## Phases", "## Arguments", "| `match` | string | no |",
             "### With git wfmigrate", "### With Claude Code", ".claude/skills/migrate/", "rubrics/migration.md"]:
    assert want in text, want
for p in meta["phases"]:
    assert "**%s**" % p["title"] in text, p
' "$TMP/migrate-skill" "$rd/meta.json" || fail "SKILL.md of migrate: $(head -20 "$TMP/migrate-skill/SKILL.md")"
cmp -s "$TMP/migrate-skill/workflow.js" "$src/workflows/migrate.js" || fail "export migrate: not the built-in's script"
cmp -s "$TMP/migrate-skill/rubrics/migration.md" "$src/rubrics/migration.md" || fail "export migrate: not its rubric"
pass "export migrate: SKILL.md with front matter, phases, arguments and how to run it; the rubric"

# --- workflows
mkdir -p .wfmigrate/workflows
cat >.wfmigrate/workflows/hello.js <<'JS'
export const meta = { name: 'hello', description: 'Say hello\nin two lines', phases: [{ title: 'Greet' }] }
log('hello')
JS
printf 'this is not a workflow\n' >.wfmigrate/workflows/broken.js
expect_code 0 git wfmigrate workflows
grep -Eq '^migrate +built-in +Make one change everywhere' "$TMP/out" || fail "workflows does not list migrate: $(cat "$TMP/out")"
grep -Eq '^hello +repository \.wfmigrate/workflows +Say hello \[' "$TMP/out" || fail "workflows does not list the saved one"
grep -Eq '^broken +repository \.wfmigrate/workflows +error: .*broken\.js:1:1: ' "$TMP/out" || fail "workflows does not list the broken one with its error"
expect_code 0 git wfmigrate workflows --json
py '
w = {x["name"]: x for x in j(sys.argv[1])}
assert w["migrate"]["source"] == "builtin" and w["migrate"]["error"] is None and w["migrate"]["description"]
assert w["hello"]["source"] == "wfmigrate" and w["hello"]["description"] == "Say hello", w["hello"]
assert w["broken"]["error"] and w["broken"]["description"] is None, w["broken"]
' "$TMP/out" || fail "workflows --json: $(cat "$TMP/out")"
expect_code 129 git wfmigrate workflows extra
# a copy in ~/.claude/workflows is found before the built-in: the built-in is shadowed
mkdir -p "$HOME/.claude/workflows"
cp "$src/workflows/migrate.js" "$HOME/.claude/workflows/migrate.js"
expect_code 0 git wfmigrate workflows --json
py '
w = [(x["name"], x["source"], x["shadowed"]) for x in j(sys.argv[1])]
assert ("migrate", "home", False) in w and ("migrate", "builtin", True) in w, w
assert [n for n, s, _ in w] == ["broken", "hello", "migrate", "flaky", "migrate", "sweep"], w
' "$TMP/out" || fail "workflows: the home copy does not shadow the built-in: $(cat "$TMP/out")"
(cd "$TMP" && expect_code 0 git wfmigrate workflows) || exit 1
grep -Eq '^migrate +home ~/.claude/workflows ' "$TMP/out" && ! grep -q '^hello' "$TMP/out" ||
	fail "workflows outside a repository: $(cat "$TMP/out")"
rm -r "$HOME/.claude/workflows"
expect_code 0 git wfmigrate export hello -o "$TMP/hello"
[ ! -d "$TMP/hello/rubrics" ] || fail "a workflow without rubrics got a rubrics folder"
grep -q '^name: "hello"$' "$TMP/hello/SKILL.md" || fail "export hello: no name"
pass "workflows: the built-in, a saved one and a broken one with its error; --json"

# --- apply: the shared checkout's branch too, a run with nothing to apply, a running run
cat >"$TMP/both.js" <<'JS'
export const meta = { name: 'both', description: 'one isolated agent merged, one in the shared checkout' }
const r = await agent('write isolated.txt', { label: 'iso', isolation: 'worktree' })
await merge(r)
await agent('write shared.txt', { label: 'sh' })
JS
cat >"$TMP/writer.sh" <<'SH'
read -r verb file
while [ -e "$WAIT_FOR" ]; do sleep 0.1; done
echo "written by an agent" >"$file"
SH
expect_code 0 env WAIT_FOR=/nonexistent git wfmigrate run --workflow "$TMP/both.js" --oracle true --provider exec \
	--agent-cmd "sh $TMP/writer.sh" --yes --json </dev/null
both=$(json 'j["run"]' <"$TMP/out")
json 'j["shared"]["branch"]' <"$TMP/out" | grep -q "^wfmigrate/$both/shared$" || fail "no shared branch"
head_before=$(git rev-parse HEAD)
git branch -f at-base "$head_before" && git checkout -q at-base
echo "mine" >shared.txt
state >"$TMP/state-before"
expect_code 128 git wfmigrate apply "$both"
expect_stderr "^fatal: your working tree has changes the result would overwrite: 'shared.txt'"
unchanged "apply over an untracked file"
[ "$(cat shared.txt)" = mine ] || fail "apply overwrote an untracked file"
rm shared.txt
expect_code 0 git wfmigrate apply "$both"
[ "$(git rev-list --parents -1 HEAD | wc -w)" = 3 ] || fail "apply of two results made no merge commit"
[ "$(git rev-parse HEAD^1)" = "$(git rev-parse "wfmigrate/$both/integration")" ] &&
	[ "$(git rev-parse HEAD^2)" = "$(git rev-parse "wfmigrate/$both/shared")" ] || fail "the merge's parents are not the two branches"
[ -f isolated.txt ] && [ -f shared.txt ] || fail "the working tree lacks one of the results"
[ -z "$(git status --porcelain --untracked-files=no)" ] || fail "git status is not clean after a merge apply"
check_repo "$repo"
pass "apply: the integration branch and the shared checkout's branch, merged, fast-forwarded"

printf 'export const meta = { name: "idle", description: "does nothing" }\nlog("nothing")\n' >"$TMP/idle.js"
expect_code 0 git wfmigrate run --workflow "$TMP/idle.js" --oracle true --provider exec --agent-cmd true --yes </dev/null
expect_code 1 git wfmigrate apply
expect_stderr "has nothing to apply"
pass "apply: a run that merged nothing has nothing to apply (1)"

touch "$TMP/hold"
WAIT_FOR=$TMP/hold git wfmigrate run --workflow "$TMP/both.js" --oracle true --provider exec \
	--agent-cmd "sh $TMP/writer.sh" --yes </dev/null >"$TMP/held.out" 2>"$TMP/held.err" &
held=$!
wait_for "the held run to start its agent" sh -c "git wfmigrate ps --json | grep -q '\"state\":\"running\"'"
live=$(git wfmigrate ps --json | py 'print([r["id"] for r in json.load(sys.stdin) if r["state"] == "running"][0])')
state >"$TMP/state-before"
expect_code 1 git wfmigrate apply "$live"
expect_stderr "^error: run $live is running \(pid [0-9]+\): its result is not final"
unchanged "apply of a running run"
expect_code 1 git wfmigrate report "$live"
expect_stderr "run $live has no report yet"
rm -f "$TMP/hold"
wait "$held" || fail "the held run failed: $(cat "$TMP/held.err")"
pass "apply refuses a running run (1); report says it has no report yet"
