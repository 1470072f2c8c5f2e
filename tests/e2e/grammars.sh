#!/usr/bin/env bash
# grammars/fetch.mjs: pinned grammar packages are checked against their
# recorded integrity, and every failure names the package.
. "$(dirname "$0")/lib.sh"

fetch="$WFM_SOURCE_DIR/grammars/fetch.mjs"
manifest="$WFM_SOURCE_DIR/grammars/grammars.tsv"
line=$(grep -m1 '^tree-sitter-c	' "$manifest")
IFS=$'\t' read -r pkg ver integrity lang symbol dir <<<"$line"

# the real pin fetches and unpacks, and a second run does nothing
printf '%s\n' "$line" >"$TMP/one.tsv"
expect_code 0 node "$fetch" "$TMP/one.tsv" "$TMP/cache"
[ -f "$TMP/cache/$pkg-$ver/$dir/parser.c" ] || fail "no parser.c unpacked for $pkg"
grep -q '^#define LANGUAGE_VERSION 14' "$TMP/cache/$pkg-$ver/$dir/parser.c" \
	|| fail "$pkg $ver is not an ABI-14 grammar"
[ "$(cat "$TMP/cache/$pkg-$ver/.integrity")" = "$integrity" ] || fail "no integrity stamp"
expect_code 0 node "$fetch" "$TMP/one.tsv" "$TMP/cache"
[ ! -s "$TMP/err" ] || fail "a second fetch did work again: $(cat "$TMP/err")"
pass "a pinned grammar is fetched once"

# a tarball that does not match the recorded integrity is refused, nothing unpacked
bad="sha512-$(printf 'x%.0s' $(seq 86))=="
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$pkg" "$ver" "$bad" "$lang" "$symbol" "$dir" >"$TMP/bad.tsv"
expect_code 1 node "$fetch" "$TMP/bad.tsv" "$TMP/cache2"
expect_stderr "grammar $pkg@$ver does not match its recorded integrity"
[ ! -e "$TMP/cache2/$pkg-$ver" ] || fail "a grammar with the wrong integrity was unpacked"
# and a cache stamped with another integrity is fetched again and refused
expect_code 1 node "$fetch" "$TMP/bad.tsv" "$TMP/cache"
expect_stderr "does not match its recorded integrity"
pass "an integrity mismatch fails and leaves nothing behind"

# a version that does not exist
printf '%s\t0.0.0-no-such-version\t%s\t%s\t%s\t%s\n' "$pkg" "$integrity" "$lang" "$symbol" "$dir" \
	>"$TMP/missing.tsv"
expect_code 1 node "$fetch" "$TMP/missing.tsv" "$TMP/cache3"
expect_stderr "cannot fetch grammar $pkg@0.0.0-no-such-version"
pass "a missing grammar version fails with its name"

# a malformed manifest
printf 'tree-sitter-c\t0.23.6\n' >"$TMP/short.tsv"
expect_code 1 node "$fetch" "$TMP/short.tsv" "$TMP/cache4"
expect_stderr "short.tsv:1: expected 6 tab-separated fields"
expect_code 1 node "$fetch" "$TMP/none.tsv" "$TMP/cache4"
expect_stderr "cannot read grammar manifest"
pass "a malformed or missing manifest fails with its line"

# every pinned grammar loads in this libtree-sitter: the chunker parses each language
repo=$(new_repo)
cd "$repo"
printf 'int f(void) { return 0; }\n' >a.c
printf 'int g() { return 0; }\n' >a.cpp
printf 'def f():\n    pass\n' >a.py
printf 'function f() {}\n' >a.js
printf 'function f(): void {}\n' >a.ts
printf 'function F() { return <div/>; }\n' >a.tsx
printf 'package a\nfunc F() {}\n' >a.go
printf 'fn f() {}\n' >a.rs
printf 'class A { void f() {} }\n' >A.java
git add -A && git commit -qm all
expect_code 0 git wfmigrate chunk --json
for l in c cpp python javascript typescript tsx go rust java; do
	grep -q "\"lang\":\"$l\"" "$TMP/out" || fail "no $l unit: the $l grammar did not load"
done
if grep -q '"kind":"file"' "$TMP/out"; then
	cat "$TMP/out" >&2
	fail "a file fell back to a whole-file unit"
fi
pass "all nine grammars load and parse"
