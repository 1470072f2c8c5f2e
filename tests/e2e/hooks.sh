#!/usr/bin/env bash
# git wfmigrate hooks end to end, with real git: a bare remote, a clone
# whose provider is the exec agent of tests/e2e/sweep/agent.py (it finds
# every strcpy( a high finding, which the verifiers confirm).
#
# - usage errors 129; a hook that is not ours is not uninstalled (128);
# - install keeps a pre-push hook that was there (chained: it runs first,
#   with git's arguments and standard input); twice changes nothing;
# - a clean push passes; a push of a planted strcpy is refused with the
#   bypass line and the remote's ref unchanged; --no-verify goes through;
# - a chained hook that fails refuses the push with its exit code, one
#   that is not executable is ignored;
# - uninstall restores the hooks that were there, byte for byte and mode;
# - core.hooksPath and linked worktrees are honoured;
# - no provider configured: the push goes through, saying so; a bad
#   wfmigrate.hooks.failOn blocks (an error of the sweep is no pass);
# - a new branch is swept against the remote's default branch; deletions
#   and tags of pushed commits are not swept; the first push to an empty
#   remote sweeps all of it;
# - pre-merge-commit refuses git merge --no-ff of a branch with a planted
#   strcpy and passes a clean one;
# - sweep --head sweeps a commit that is not checked out.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
agent="python3 $src/tests/e2e/sweep/agent.py"
unset ANTHROPIC_API_KEY OPENAI_API_KEY ANTHROPIC_BASE_URL OPENAI_BASE_URL WFMIGRATE_PROVIDER \
	WFMIGRATE_AGENT_CMD

git init -q --bare "$TMP/remote.git"
repo=$(new_repo)
cd "$repo"
cat >add.c <<'C'
int add(int a, int b)
{
	return a + b;
}
C
git add . && git commit -qm "add"
git remote add origin "$TMP/remote.git"
git push -q -u origin main 2>/dev/null
git remote set-head origin main
git config wfmigrate.provider exec
git config wfmigrate.agent-cmd "$agent"
remote_main() { git -C "$TMP/remote.git" rev-parse refs/heads/main; }
hooks=$(git rev-parse --absolute-git-dir)/hooks

# --- usage errors
expect_code 129 git wfmigrate hooks bogus
expect_stderr "'bogus' is not install, uninstall, run or status"
expect_code 129 git wfmigrate hooks install --bogus
expect_code 129 git wfmigrate hooks run post-commit
expect_stderr "'post-commit' is not pre-push or pre-merge-commit"
expect_code 129 git wfmigrate hooks --json extra
pass "usage errors exit 129"

# --- a hook that was there: kept, chained, first
cat >"$hooks/pre-push" <<SH
#!/bin/sh
echo "args: \$*" >>"$TMP/chained.log"
cat >>"$TMP/chained.log"
SH
chmod 750 "$hooks/pre-push"
cp -p "$hooks/pre-push" "$TMP/pre-push.orig"
expect_code 128 git wfmigrate hooks uninstall --pre-push
expect_stderr "was not installed by git wfmigrate: left as it is"
cmp "$hooks/pre-push" "$TMP/pre-push.orig" || fail "uninstall touched somebody else's hook"
expect_code 0 git wfmigrate hooks install
expect_stderr "pre-push: installed .*; the hook that was there runs first"
cmp "$hooks/pre-push.wfmigrate-chained" "$TMP/pre-push.orig" || fail "the old hook is not kept"
grep -q 'git-wfmigrate-hook: pre-push' "$hooks/pre-push" || fail "ours is not installed"
[ -x "$hooks/pre-merge-commit" ] || fail "pre-merge-commit is not installed"
cp "$hooks/pre-push" "$TMP/ours"
expect_code 0 git wfmigrate hooks install
expect_stderr "pre-push: updated"
cmp "$hooks/pre-push" "$TMP/ours" && cmp "$hooks/pre-push.wfmigrate-chained" "$TMP/pre-push.orig" ||
	fail "installing twice changed something"
[ ! -e "$hooks/pre-push.wfmigrate-chained.wfmigrate-chained" ] || fail "ours was chained to itself"
expect_code 0 git wfmigrate hooks --json
json '[(h["name"], h["state"], h["chained"] is not None) for h in j["hooks"]], j["provider"]' <"$TMP/out" >"$TMP/got"
echo "[('pre-push', 'installed', True), ('pre-merge-commit', 'installed', False)] True" | diff - "$TMP/got" ||
	fail "hooks --json"
pass "install chains the hook that was there; twice changes nothing"

# --- a clean push passes, and the chained hook saw git's arguments and input
echo 'int sub(int a, int b) { return a - b; }' >sub.c
git add . && git commit -qm "sub"
before=$(remote_main)
expect_code 0 git push origin main
expect_stderr 'git-wfmigrate: sweeping refs/heads/main'
[ "$(remote_main)" = "$(git rev-parse HEAD)" ] || fail "the clean push did not arrive"
printf '%s\n' "args: origin $TMP/remote.git" "refs/heads/main $(git rev-parse HEAD) refs/heads/main $before" |
	diff - "$TMP/chained.log" || fail "the chained hook did not get git's arguments and input"
pass "a clean push passes; the chained hook ran first with git's arguments and stdin"

# --- a push with a planted hole is refused, the remote unchanged
cat >copy.c <<'C'
#include <string.h>

void copy_name(char *dst, const char *name)
{
	strcpy(dst, name);
}
C
git add . && git commit -qm "copy"
before=$(remote_main)
expect_code 1 git push origin main
expect_stderr 'memory-safety/unbounded-copy'
! grep -q 'Security sweep' "$TMP/out" || fail "the summary went to git push's standard output"
expect_stderr "pre-push: the security sweep of refs/heads/main \(.*\) found what --fail-on high refuses: the push is refused"
expect_stderr 'hint: to go on without it, this once: git push --no-verify'
[ "$(remote_main)" = "$before" ] || fail "the remote moved"
# the sweep's base was the remote's commit: only copy.c's unit was swept
grep -q "sweeping refs/heads/main ($(git rev-parse --short=12 HEAD)) since ${before:0:12}" "$TMP/err" ||
	fail "the base is not the remote's commit"
pass "a push with a planted strcpy is refused with the bypass line; the remote unchanged"

lines=$(wc -l <"$TMP/chained.log")
expect_code 0 git push --no-verify origin main
[ "$(remote_main)" = "$(git rev-parse HEAD)" ] || fail "--no-verify did not push"
[ "$(wc -l <"$TMP/chained.log")" = "$lines" ] || fail "--no-verify ran the hooks"
pass "git push --no-verify goes through"

# --- a new branch: swept against the remote's default branch
git checkout -qb topic
cat >>copy.c <<'C'

void copy_again(char *dst, const char *name)
{
	strcpy(dst, name);
}
C
git commit -qam "copy again"
expect_code 1 git push origin topic
expect_stderr "sweeping refs/heads/topic"
expect_stderr "sweeping refs/heads/topic \($(git rev-parse --short=12 HEAD)\) since $(git rev-parse --short=12 main)"
git -C "$TMP/remote.git" rev-parse -q --verify refs/heads/topic >/dev/null && fail "the new branch arrived"
git push -q --no-verify origin topic 2>/dev/null
expect_code 0 git push origin --delete topic
grep -q 'sweeping' "$TMP/err" && fail "a deletion was swept"
git tag -a v1 -m "v1" main
expect_code 0 git push origin v1
grep -q 'sweeping' "$TMP/err" && fail "a tag of a pushed commit was swept"
[ "$(git -C "$TMP/remote.git" rev-parse v1)" = "$(git rev-parse v1)" ] || fail "the tag did not arrive"
git checkout -q main
pass "a new branch is swept against the remote's default branch; a deletion or a tag of a pushed commit is not swept"

# --- a chained hook that fails refuses the push with its exit code
expect_code 0 git wfmigrate hooks uninstall
cmp "$hooks/pre-push" "$TMP/pre-push.orig" || fail "uninstall did not restore the hook byte for byte"
[ "$(stat -c %a "$hooks/pre-push")" = 750 ] || fail "uninstall did not restore the mode"
[ ! -e "$hooks/pre-push.wfmigrate-chained" ] && [ ! -e "$hooks/pre-merge-commit" ] ||
	fail "uninstall left ours behind"
printf '#!/bin/sh\necho "policy says no" >&2\nexit 3\n' >"$hooks/pre-push"
chmod 755 "$hooks/pre-push"
cp -p "$hooks/pre-push" "$TMP/failing.orig"
expect_code 0 git wfmigrate hooks install --pre-push
[ ! -e "$hooks/pre-merge-commit" ] || fail "--pre-push installed pre-merge-commit"
echo 'int mul(int a, int b) { return a * b; }' >mul.c
git add . && git commit -qm "mul"
before=$(remote_main)
expect_code 1 git push origin main
expect_stderr 'policy says no'
expect_stderr "pre-push: '.*pre-push.wfmigrate-chained' exited 3: the push is refused"
grep -q 'sweeping' "$TMP/err" && fail "the sweep ran after the chained hook failed"
[ "$(remote_main)" = "$before" ] || fail "the remote moved"
# one that is not executable is ignored, as git ignores it
chmod -x "$hooks/pre-push.wfmigrate-chained"
expect_code 0 git push origin main
expect_stderr "hint: '.*pre-push.wfmigrate-chained' was ignored because it is not executable"
grep -q 'policy says no' "$TMP/err" && fail "a chained hook that is not executable ran"
chmod 755 "$hooks/pre-push.wfmigrate-chained"
expect_code 0 git wfmigrate hooks uninstall --pre-push
cmp "$hooks/pre-push" "$TMP/failing.orig" || fail "the failing hook is not restored"
expect_code 128 git wfmigrate hooks uninstall --pre-merge-commit
expect_stderr "no pre-merge-commit hook at"
rm "$hooks/pre-push"
pass "a failing chained hook refuses the push (one not executable is ignored); uninstall restores it"

# --- no provider: the push goes through, saying so
expect_code 0 git wfmigrate hooks install --pre-push
git config --unset wfmigrate.provider
git config --unset wfmigrate.agent-cmd
expect_code 0 git wfmigrate hooks
expect_stderr 'no provider configured: the hooks let everything through'
echo 'char *dup(char *d, const char *s) { return strcpy(d, s); }' >dup.c
git add . && git commit -qm "dup"
expect_code 0 git push origin main
expect_stderr 'git-wfmigrate: no provider configured; the security sweep was skipped \(set ANTHROPIC_API_KEY'
[ "$(remote_main)" = "$(git rev-parse HEAD)" ] || fail "the push without a provider did not arrive"
git config wfmigrate.provider anthropic
echo '/* more */' >>dup.c && git commit -qam "more"
expect_code 0 git push origin main
expect_stderr 'no provider configured; the security sweep was skipped \(the anthropic provider needs an API key in ANTHROPIC_API_KEY\)'
git config wfmigrate.provider exec
echo '/* and more */' >>dup.c && git commit -qam "and more"
expect_code 0 git push origin main
expect_stderr "skipped \(the exec provider needs 'git config wfmigrate.agent-cmd <cmd>'\)"
pass "no provider: the push goes through and says so"

git config wfmigrate.agent-cmd "$agent"
git config wfmigrate.hooks.failOn severe
echo 'void cp3(char *d, const char *s) { strcpy(d, s); }' >cp3.c
git add . && git commit -qm "cp3"
before=$(remote_main)
expect_code 1 git push origin main
expect_stderr "wfmigrate.hooks.failOn: 'severe' is not none"
expect_stderr 'the security sweep could not be made: the push is refused'
expect_stderr 'git push --no-verify'
[ "$(remote_main)" = "$before" ] || fail "the remote moved"
git config wfmigrate.hooks.failOn critical
expect_code 0 git push origin main
expect_stderr '\| high \| `memory-safety/unbounded-copy` \| cp3.c:1 \| confirmed'
[ "$(remote_main)" = "$(git rev-parse HEAD)" ] || fail "failOn critical did not let a high finding through"
pass "a sweep that cannot be made blocks; wfmigrate.hooks.failOn sets the threshold"
git config --unset wfmigrate.hooks.failOn
expect_code 0 git wfmigrate hooks uninstall

# --- core.hooksPath, and a linked worktree
git config core.hooksPath myhooks
expect_code 0 git wfmigrate hooks install --pre-push
[ -x "$repo/myhooks/pre-push" ] || fail "not installed in core.hooksPath"
[ ! -e "$hooks/pre-push" ] || fail "installed in .git/hooks despite core.hooksPath"
git worktree add -q "$TMP/wt" -b wt
expect_code 0 git -C "$TMP/wt" wfmigrate hooks --json
json 'j["hooks"][0]["path"], j["hooks"][0]["state"]' <"$TMP/out" | grep -qx "$TMP/wt/myhooks/pre-push none" ||
	{ cat "$TMP/out"; fail "a worktree's hooksPath"; }
git worktree remove "$TMP/wt"
git config --unset core.hooksPath
expect_code 0 git -C "$repo" wfmigrate hooks --json
json 'j["hooks"][0]["path"]' <"$TMP/out" | grep -qx "$hooks/pre-push" || fail "the hooks path"
git config core.hooksPath myhooks
echo 'int div2(int a) { return a / 2; }' >div2.c
git add . && git commit -qm "div2"
expect_code 0 git push origin main
expect_stderr "git-wfmigrate: sweeping refs/heads/main \($(git rev-parse --short=12 HEAD)\)"
[ "$(remote_main)" = "$(git rev-parse HEAD)" ] || fail "the push did not arrive"
expect_code 0 git wfmigrate hooks uninstall
[ ! -e "$repo/myhooks/pre-push" ] || fail "uninstall left core.hooksPath's hook"
git config --unset core.hooksPath
pass "core.hooksPath honoured"

# --- pre-merge-commit
expect_code 0 git wfmigrate hooks install --pre-merge-commit
git checkout -qb clean main
echo 'int neg(int a) { return -a; }' >neg.c
git add . && git commit -qm "neg"
git checkout -qb holed main
echo 'void cat2(char *d, const char *s) { strcpy(d, s); }' >cat2.c
git add . && git commit -qm "cat2"
git checkout -q main
main_before=$(git rev-parse HEAD)
expect_code 1 git merge --no-ff -m "merge holed" holed
expect_stderr 'memory-safety/unbounded-copy'
expect_stderr 'pre-merge-commit: the security sweep of holed .* the merge is refused'
expect_stderr 'git merge --no-verify'
[ "$(git rev-parse HEAD)" = "$main_before" ] || fail "the merge was committed"
git merge --abort
expect_code 0 git merge --no-ff -m "merge clean" clean
expect_stderr 'sweeping clean'
[ "$(git rev-parse HEAD^2)" = "$(git rev-parse clean)" ] || fail "the clean merge was not committed"
expect_code 0 git merge --no-ff --no-verify -m "merge holed" holed
[ "$(git rev-parse HEAD^2)" = "$(git rev-parse holed)" ] || fail "--no-verify did not merge"
pass "pre-merge-commit refuses a branch with a planted strcpy, passes a clean one"

# --- sweep --head: a commit that is not checked out
git checkout -q clean
expect_code 1 git wfmigrate sweep --head holed --base holed^ --json
json 'j["scope"]["head"], sorted(set(f["file"] for f in j["findings"]))' <"$TMP/out" >"$TMP/got"
echo "$(git rev-parse holed) ['cat2.c']" | diff - "$TMP/got" || fail "sweep --head holed"
expect_stderr "sweep: what $(git rev-parse --short=12 holed) changes since holed\^"
expect_code 128 git wfmigrate sweep --head no-such-rev
expect_stderr "unknown revision 'no-such-rev'"
git checkout -q main
pass "sweep --head sweeps a commit that is not checked out"

# --- a linked worktree shares the main one's hooks
git worktree add -q "$TMP/wt2" -b wt2
expect_code 0 git -C "$TMP/wt2" wfmigrate hooks --json
json 'j["hooks"][1]["path"], j["hooks"][1]["state"]' <"$TMP/out" | grep -qx "$hooks/pre-merge-commit installed" ||
	{ cat "$TMP/out"; fail "a linked worktree's hooks"; }
expect_code 0 git -C "$TMP/wt2" wfmigrate hooks uninstall
[ ! -e "$hooks/pre-merge-commit" ] || fail "uninstall from a linked worktree"
git worktree remove "$TMP/wt2"
pass "a linked worktree installs and uninstalls the main one's hooks"

# --- the first push to an empty remote: nothing to compare with, all of it swept
fresh=$(new_repo)
git init -q --bare "$TMP/empty.git"
echo 'int one(void) { return 1; }' >"$fresh/one.c"
git -C "$fresh" add . && git -C "$fresh" commit -qm one
git -C "$fresh" config wfmigrate.agent-cmd "$agent"
expect_code 0 git -C "$fresh" wfmigrate hooks install --pre-push
expect_code 0 git -C "$fresh" push "$TMP/empty.git" main
expect_stderr "sweeping refs/heads/main \($(git -C "$fresh" rev-parse --short=12 HEAD)\), all of it: no base"
expect_stderr 'Scope: every unit \(1\)'
pass "a first push to an empty remote sweeps all of it"

check_repo "$repo"
