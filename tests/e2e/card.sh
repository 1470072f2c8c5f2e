#!/usr/bin/env bash
# The approval card on a terminal (tmux): the card shows each phase's
# planned agents and the estimate; "v" shows the script in the pager git
# would use; "e" edits a copy in the editor git would use, which is
# checked (a broken edit is shown, refused and asked again) and is what
# runs and what the run directory keeps; "a" aborts (exit 1, no run);
# --yes runs without asking; no terminal and no --yes refuses (129).
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
goal="move every caller of old_copy to safe_copy"
"$src/fixtures/make-deprecated.sh" "$TMP/cardkit" >/dev/null
repo=$TMP/cardkit
cd "$repo"
runs=$(git rev-parse --git-common-dir)/wfmigrate/runs
agent="sh $src/fixtures/codemods/old-to-safe.sh"
opts=(--workflow migrate --oracle 'make test' --arg match=old_copy --arg paths=src/export.c
	--arg rounds=1 --agent-cmd "$agent")
nruns() { ls "$runs" 2>/dev/null | wc -l; }

# --- a terminal of 200x50 of our own (lib.sh's tm)
screen() { term_history card; }
wait_screen() { term_wait card "$1"; }
# count <regex>: lines of the terminal's history that match
count() { screen | grep -Ec -- "$1" || :; }
wait_count() { term_wait card "$1" "$2"; }
# start <command line>: runs it in a new terminal; "EXIT=<code>" when it ends
start() {
	term_kill
	printf '%s\n' "cd $(printf %q "$repo")" "$1; echo EXIT=\$?" >"$TMP/cmd.sh"
	tm new-session -d -x 200 -y 50 -s card "bash --norc --noprofile $TMP/cmd.sh; sleep 600"
}
answer() { tm send-keys -t card "$1" Enter; }
cmdline() {
	local s=""
	for a in "$@"; do s="$s $(printf %q "$a")"; done
	echo "$s"
}
PROMPT='Run this workflow\? \[r\]un, \[v\]iew the script, \[e\]dit it, \[a\]bort'

# The editor: each call does the next step of $TMP/steps (edit, break, mend).
cat >"$TMP/editor.sh" <<'EOS'
#!/bin/sh
n=$(cat "$STEPS.n" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"$STEPS.n"
case $(sed -n "${n}p" "$STEPS") in
edit) sed -i "s/description: 'Make one change everywhere/description: 'EDITED: make one change everywhere/" "$1" ;;
break) echo 'this is not ( javascript' >>"$1" ;;
mend) sed -i '$d' "$1" ;;
fail) exit 3 ;;
esac
EOS
chmod +x "$TMP/editor.sh"
printf '%s\n' edit break fail mend >"$TMP/steps"
export STEPS=$TMP/steps GIT_EDITOR=$TMP/editor.sh GIT_PAGER="cat >$TMP/viewed"
mkdir "$TMP/tmpdir"
export TMPDIR=$TMP/tmpdir # where the copy to edit is made

# --- view, edit, a broken edit, an editor that fails, mend, run
start "git wfmigrate run$(cmdline "${opts[@]}" "$goal")"
wait_screen "$PROMPT"
screen >"$TMP/card1"
grep -q '^  - Implement (2 implementer agents): ' "$TMP/card1" ||
	{ cat "$TMP/card1" >&2; fail "the card does not show the Implement phase's agents"; }
grep -q '^  - Verify (2-4 verifier agents): ' "$TMP/card1" || fail "no verifier range on the card"
grep -q '^  - Fix (0-2 fixer agents): ' "$TMP/card1" || fail "no fixer range on the card"
grep -q '^  - Select (no classifier agents: match is given): ' "$TMP/card1" ||
	fail "the classifier phase is not said to plan none"
grep -q '^estimate: 4-8 agents; tokens and cost not metered (exec agents)$' "$TMP/card1" ||
	fail "no estimate line for exec agents"
pass "the card shows each phase's agents and the estimate"

answer v
wait_count "$PROMPT" 2
cmp -s "$TMP/viewed" "$src/workflows/migrate.js" || fail "the pager was not given the script"
pass "v shows the script in GIT_PAGER and asks again"

answer e
wait_screen '^the edited script:'
wait_screen '^  EDITED: make one change everywhere'
[ "$(count "$PROMPT")" = 3 ] || fail "not asked again after the edit"
grep -q "EDITED" "$src/workflows/migrate.js" && fail "the built-in script itself was edited"
pass "e edits a copy in GIT_EDITOR; the card of the edited script is shown"

answer e
wait_screen 'SyntaxError'
wait_screen '^the edited script cannot run: edit it again, or abort'
answer r
[ "$(nruns)" = 0 ] || fail "a broken script was run"
wait_count 'cannot run: edit it again, or abort' 2
wait_count "$PROMPT" 5
pass "a broken edit is shown with its error, refused to run, and asked again"

answer e
wait_screen "the editor '$TMP/editor.sh' exited 3"
answer e
wait_count '^the edited script:' 2
answer r
wait_screen '^EXIT='
screen | grep -q '^EXIT=0$' || { screen >&2; fail "the approved run did not succeed"; }
[ "$(nruns)" = 1 ] || fail "expected one run, found $(nruns)"
rd=$runs/$(ls "$runs")
grep -q "description: 'EDITED: make one change" "$rd/workflow.js" ||
	fail "the run directory does not keep the edited script"
grep -q 'not ( javascript' "$rd/workflow.js" && fail "the broken line was kept"
[ "$(py 'print(j(sys.argv[1])["description"])' "$rd/meta.json" | cut -c1-6)" = EDITED ] ||
	fail "meta.json is not the edited script's"
[ -z "$(ls "$TMP/tmpdir")" ] || fail "the edited copy was left behind: $(ls "$TMP/tmpdir")"
pass "the mended script is what runs and what the run directory keeps; the copy is removed"

# --- abort: exit 1, no run created
start "git wfmigrate run$(cmdline "${opts[@]}" "$goal")"
wait_screen "$PROMPT"
answer a
wait_screen '^EXIT='
screen | grep -q '^not run$' || fail "abort did not say 'not run'"
screen | grep -q '^EXIT=1$' || { screen >&2; fail "abort did not exit 1"; }
[ "$(nruns)" = 1 ] || fail "abort created a run"
pass "a aborts: exit 1, nothing created"

# --- the estimate of an LLM provider, and its warnings (aborted before any call)
start "ANTHROPIC_API_KEY=x git wfmigrate run$(cmdline --workflow migrate --oracle 'make test' \
	--arg match=old_copy --model claude-sonnet-4-5 --budget 20k "$goal")"
wait_screen "$PROMPT"
screen >"$TMP/card2"
grep -Eq '^estimate: 34-136 agents, [0-9.]+[kM]?-[0-9.]+[kM]? tokens, \$[0-9.]+-\$[0-9.]+$' "$TMP/card2" ||
	{ cat "$TMP/card2" >&2; fail "no token and USD range on the card"; }
grep -q '^  (assumes 4-8 turns per agent, .*40% of input read from the prompt cache, 1-4 verifiers per unit, 0-3 fixers per unit)$' "$TMP/card2" ||
	fail "the assumptions are not on one line"
grep -q '^warning: the budget of 20k tokens is below the estimate.s low end' "$TMP/card2" ||
	fail "no warning for a budget below the estimate"
grep -q '^warning: a large run: at least 34 agents' "$TMP/card2" || fail "no large-run warning"
answer a
wait_screen '^EXIT=1'
pass "an LLM run's card: tokens and USD, one line of assumptions, the budget and large-run warnings"
term_kill

# --- --yes, and no terminal
expect_code 129 git wfmigrate run "${opts[@]}" "$goal" </dev/null
grep -q '^error: no terminal to ask for approval on: pass --yes to run without asking$' "$TMP/err" ||
	fail "no-TTY refusal message changed"
grep -q '^estimate: ' "$TMP/err" || fail "the card is not shown before the refusal"
[ "$(nruns)" = 1 ] || fail "the refused run created a run"
expect_code 0 git wfmigrate run --yes "${opts[@]}" "$goal" </dev/null
[ "$(nruns)" = 2 ] || fail "--yes did not run"
pass "--yes runs without asking; no terminal and no --yes is refused with 129"
