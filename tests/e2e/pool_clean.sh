#!/usr/bin/env bash
# git wfmigrate clean on a repository whose pool holds every kind of slot:
# free (left by the oracle runner), held by a live process, held by a dead
# one, half-made entries, an entry whose directory is gone; and branches of
# runs that do not exist, exist, and are running, and runs' results (their
# integration and shared branches), which only --results <run> removes.
# Checked with the real git.
. "$(dirname "$0")/lib.sh"

repo=$(new_repo)
cd "$repo"
printf 'build/\n' >.gitignore
mkdir -p src
echo one >src/a.c
git add -A && git commit -qm one
echo two >>src/a.c
git commit -qam two
common=$(cd "$(git rev-parse --git-common-dir)" && pwd -P)
pool=$common/wfmigrate/pool

# wfm-1: a free slot, made through the pool by the oracle runner
expect_code 0 git wfmigrate oracle --oracle true --ref HEAD~1
[ -d "$pool/wfm-1" ] || fail "the oracle left no slot in $pool"
git -C "$pool/wfm-1" status --porcelain | grep -q . && fail "the slot is not clean"

# wfm-2: held by a live process; wfm-3: held by a process that has exited
sleep 600 &
live=$!
trap 'kill $live 2>/dev/null || true; rm -rf "$TMP"' EXIT
sh -c 'exit 0' &
dead=$!
wait $dead
git worktree add -q --detach "$pool/wfm-2" HEAD
git worktree lock --reason "wfmigrate: in use by pid $live" "$pool/wfm-2"
echo "$live" >"$pool/wfm-2.lock"
git worktree add -q --detach "$pool/wfm-3" HEAD~1
git worktree lock --reason "wfmigrate: in use by pid $dead" "$pool/wfm-3"
echo "$dead" >"$pool/wfm-3.lock"
# wfm-4: its directory was deleted by hand; wfm-7, wfm-8: half-made entries
git worktree add -q --detach "$pool/wfm-4" HEAD
rm -rf "$pool/wfm-4"
mkdir -p "$common/worktrees/wfm-7" "$common/worktrees/wfm-8"
echo "$pool/wfm-8/.git" >"$common/worktrees/wfm-8/gitdir"
echo ../.. >"$common/worktrees/wfm-8/commondir"
# wfm-9: a slot directory that is not a registered worktree
mkdir -p "$pool/wfm-9/build"
echo leftover >"$pool/wfm-9/build/out.o"

# the user's own worktree and branches
git worktree add -q ../user-wt -b feature HEAD~1
git branch wfmigratex/y
# runs: r2 exists and is not running, r3 is running, old has no directory
mkdir -p "$common/wfmigrate/runs/r2" "$common/wfmigrate/runs/r3"
echo "$live" >"$common/wfmigrate/runs/r3/lock"
git branch wfmigrate/old/x HEAD~1
git branch wfmigrate/old/deep/y
git branch wfmigrate/r2/a
git branch wfmigrate/r2/integration
git branch wfmigrate/r2/shared
git branch wfmigrate/old/integration
git branch wfmigrate/r3/integration

git worktree list --porcelain | grep -q prunable || fail "the broken entries do not show"
git fsck >/dev/null 2>&1 && fail "git fsck should see the half-made entry"

# --dry-run lists what it would remove, counts what it keeps, removes nothing
before=$(git worktree list --porcelain; git for-each-ref; ls -A "$pool" "$common/worktrees")
expect_code 0 git wfmigrate clean --dry-run
cat >"$TMP/want" <<EOF
Would remove slot wfm-1 (free)
Would remove slot wfm-3 (its holder, pid $dead, is gone)
Would remove worktree wfm-4 (its directory is gone)
Would remove worktree wfm-7 (half-made worktree entry)
Would remove worktree wfm-8 (half-made worktree entry)
Would remove slot wfm-9 (not a registered worktree)
Would remove branch wfmigrate/old/deep/y (no run 'old')
Would remove branch wfmigrate/old/x (no run 'old')
kept 1 slot in use, 1 branch of a running run, 1 branch of a run that exists (--all removes it), 3 results of runs (--results <run> removes them); -v lists them
EOF
diff -u "$TMP/want" "$TMP/out" >&2 || fail "clean --dry-run printed other lines"
# -v: what is kept too, and why
expect_code 0 git wfmigrate clean --dry-run -v
for want in \
	"Would remove slot wfm-1 (free)" \
	"kept wfm-2: in use by pid $live" \
	"Would remove branch wfmigrate/old/x (no run 'old')" \
	"kept wfmigrate/old/integration: the result of run 'old' (--results old removes it)" \
	"kept wfmigrate/r2/a: run 'r2' exists (use --all)" \
	"kept wfmigrate/r2/integration: the result of run 'r2' (--results r2 removes it)" \
	"kept wfmigrate/r2/shared: the result of run 'r2' (--results r2 removes it)" \
	"kept wfmigrate/r3/integration: run 'r3' is running (pid $live)"; do
	grep -qxF -- "$want" "$TMP/out" || { cat "$TMP/out" >&2; fail "dry run -v did not say '$want'"; }
done
[ "$(wc -l <"$TMP/out")" = 14 ] || { cat "$TMP/out" >&2; fail "dry run -v printed other lines"; }
after=$(git worktree list --porcelain; git for-each-ref; ls -A "$pool" "$common/worktrees")
[ "$before" = "$after" ] || fail "--dry-run changed something"
pass "clean --dry-run lists what it would remove and counts what it keeps; -v lists that too"

# run from inside a free slot, clean keeps that one
cd "$pool/wfm-1"
expect_code 0 git wfmigrate clean --dry-run -v
grep -qxF "kept wfm-1: it is the current worktree" "$TMP/out" || { cat "$TMP/out" >&2; fail "the current slot is not kept"; }
cd "$repo"

# the real clean, from a subdirectory
cd src
expect_code 0 git wfmigrate clean -v
grep -qxF "Removing slot wfm-1 (free)" "$TMP/out" || fail "no 'Removing slot wfm-1'"
grep -qxF "kept wfm-2: in use by pid $live" "$TMP/out" || fail "wfm-2 not reported kept"
grep -qxF "Removing branch wfmigrate/old/x (no run 'old')" "$TMP/out" || fail "no branch removal"
cd "$repo"
check_repo "$repo"
git worktree list --porcelain | grep '^worktree' | sed 's/^worktree //' | sort >"$TMP/wts"
printf '%s\n' "$(pwd -P)" "$pool/wfm-2" "$(cd ../user-wt && pwd -P)" | sort >"$TMP/want"
cmp -s "$TMP/wts" "$TMP/want" ||
	{ cat "$TMP/wts" >&2; fail "unexpected worktrees after clean"; }
[ "$(ls -A "$pool")" = "$(printf 'wfm-2\nwfm-2.lock')" ] || { ls -A "$pool" >&2; fail "pool dir not emptied"; }
[ "$(ls -A "$common/worktrees" | sort)" = "$(printf 'user-wt\nwfm-2')" ] || fail "entries left in worktrees/"
[ "$(git branch --list 'wfmigrate/*' --format='%(refname:short)')" = "$(printf 'wfmigrate/old/integration\nwfmigrate/r2/a\nwfmigrate/r2/integration\nwfmigrate/r2/shared\nwfmigrate/r3/integration')" ] ||
	fail "wrong wfmigrate branches left: $(git branch --list 'wfmigrate/*')"
git rev-parse -q --verify feature >/dev/null || fail "the user's branch is gone"
git rev-parse -q --verify wfmigratex/y >/dev/null || fail "the user's branch wfmigratex/y is gone"
git -C ../user-wt status --porcelain | grep -q . && fail "the user's worktree was touched"
pass "clean removes free and dead slots, broken entries and unneeded branches"

# a second clean has nothing left to remove
expect_code 0 git wfmigrate clean
grep -q '^Removing' "$TMP/out" && fail "a second clean removed more"
pass "clean is idempotent"

# --all: the branches of a run that exists but is not running go too, from a
# linked worktree; results stay
cd ../user-wt
expect_code 0 git wfmigrate clean --all -v
grep -qxF "Removing branch wfmigrate/r2/a (run 'r2' is not running)" "$TMP/out" || fail "--all kept r2"
grep -qxF "kept wfmigrate/r3/integration: run 'r3' is running (pid $live)" "$TMP/out" ||
	fail "--all touched a running run"
grep -q "^Removing branch .*/\(integration\|shared\) " "$TMP/out" && fail "--all removed a result: $(cat "$TMP/out")"
cd "$repo"
[ "$(git branch --list 'wfmigrate/*' --format='%(refname:short)')" = "$(printf 'wfmigrate/old/integration\nwfmigrate/r2/integration\nwfmigrate/r2/shared\nwfmigrate/r3/integration')" ] ||
	fail "clean --all did not keep the results: $(git branch --list 'wfmigrate/*')"
pass "clean --all keeps what a live run needs and the results of runs"

# --results <run>: a name that means nothing stops clean before anything
expect_code 128 git wfmigrate clean --results nope
expect_stderr "^fatal: --results nope: no run of that name has branches"
expect_code 128 git wfmigrate clean --results r
expect_stderr "^fatal: --results r: 2 runs have branches and an id that starts so: name one"
[ "$(git branch --list 'wfmigrate/*' | wc -l)" = 4 ] || fail "a failed --results removed something"
expect_code 0 git wfmigrate clean --results r2 --dry-run
printf '%s\n' "Would remove branch wfmigrate/r2/integration (--results r2)" \
	"Would remove branch wfmigrate/r2/shared (--results r2)" \
	"kept 1 slot in use, 1 branch of a running run, 1 result of a run (--results <run> removes it); -v lists them" |
	diff -u - "$TMP/out" >&2 || fail "clean --results r2 --dry-run"
expect_code 0 git wfmigrate clean --results r2 --results old
grep -qxF "Removing branch wfmigrate/old/integration (--results old)" "$TMP/out" || fail "--results old"
[ "$(git branch --list 'wfmigrate/*' --format='%(refname:short)')" = wfmigrate/r3/integration ] ||
	fail "clean --results r2 --results old: $(git branch --list 'wfmigrate/*')"
expect_code 0 git wfmigrate clean --results r3 -v
grep -qxF "kept wfmigrate/r3/integration: run 'r3' is running (pid $live)" "$TMP/out" ||
	fail "--results removed the result of a running run"
pass "clean --results <run> removes the results of that run only, never a running run's"

# the holder dies: its slot goes, and its run's result when named
kill $live
wait $live 2>/dev/null || true
expect_code 0 git wfmigrate clean --all --results r3
grep -qxF "Removing slot wfm-2 (its holder, pid $live, is gone)" "$TMP/out" || fail "dead holder's slot kept"
[ -z "$(ls -A "$pool")" ] || fail "pool dir not empty"
[ -z "$(git branch --list 'wfmigrate/*')" ] || fail "wfmigrate branches left"
[ "$(git worktree list | wc -l)" = 2 ] || fail "git worktree list is not back to main and user-wt"
check_repo "$repo"
pass "clean reclaims a slot once its holder has died"

# errors
expect_code 129 git wfmigrate clean --bogus
expect_code 129 git wfmigrate clean extra
expect_code 129 git wfmigrate clean -h
grep -q 'usage: git wfmigrate clean' "$TMP/out" || fail "-h prints no usage"
(cd "$TMP" && expect_code 128 git wfmigrate clean) || fail "clean outside a repository"
mkdir "$common/wfmigrate/pool.mutex.tmp" && rm -f "$common/wfmigrate/pool.mutex" &&
	mv "$common/wfmigrate/pool.mutex.tmp" "$common/wfmigrate/pool.mutex"
expect_code 128 git wfmigrate clean
expect_stderr "^fatal: cannot (open|lock) .*pool.mutex"
rmdir "$common/wfmigrate/pool.mutex"
pass "clean exits 129 on bad usage and 128 on repository errors"
