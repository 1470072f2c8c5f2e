#!/usr/bin/env bash
# The man page and the commands' -h agree: every command `git wfmigrate -h`
# lists has its entry under COMMANDS, and every long option of its -h is in
# that entry, and the other way round.
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$(command -v git-wfmigrate)

cat >"$TMP/check.py" <<'PY'
import re, subprocess, sys
man = open(sys.argv[1]).read().split('\n')
binary = sys.argv[2]
start = man.index('.SH COMMANDS')
end = next(i for i in range(start + 1, len(man)) if man[i].startswith('.SH '))
sec = man[start + 1:end]
# a command's entry: ".TP" then "\fB<name>\fR" outside .RS/.RE (which hold its options)
entries, cur, depth = {}, None, 0
for i, l in enumerate(sec):
    if l == '.RS':
        depth += 1
    elif l == '.RE':
        depth -= 1
    elif depth == 0 and i > 0 and sec[i - 1] == '.TP':
        m = re.match(r'^\\fB([a-z]+)\\fR', l)
        if m:
            cur = m.group(1)
            entries.setdefault(cur, [])
            continue
    if cur:
        entries[cur].append(l)
top = subprocess.run([binary, '-h'], capture_output=True, text=True)
commands = re.findall(r'^    ([a-z]+) ', top.stdout + top.stderr, re.M)
assert commands, 'git wfmigrate -h lists no commands'
bad = []
for c in commands:
    if c == 'version':
        continue
    if c not in entries:
        bad.append('%s: no entry under COMMANDS in the man page' % c)
        continue
    h = subprocess.run([binary, c, '-h'], capture_output=True, text=True)
    hopts = set(re.findall(r'^\s+(?:-\w, )?--([a-z][a-z0-9-]*)', h.stdout, re.M))
    assert hopts or c in ('pause', 'watch'), '%s -h lists no options' % c
    text = '\n'.join(entries[c])
    mopts = set(o.replace('\\-', '-')
                for o in re.findall(r'\\fB\\-\\-([a-z][a-z0-9\\-]*)\\fR', text))
    bad += ['%s: --%s is in -h, not in the man page' % (c, o) for o in sorted(hopts - mopts)]
    bad += ['%s: --%s is in the man page, not in -h' % (c, o) for o in sorted(mopts - hopts)]
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY

python3 "$TMP/check.py" "$src/docs/git-wfmigrate.1" "$bin" >"$TMP/out" ||
	fail "the man page and -h disagree: $(cat "$TMP/out")"
pass "every command's -h and its man page entry list the same options"

# the check sees a difference: an option dropped from a copy of the page
sed 's/^\\fB\\-\\-wait\\fR$/wait/' "$src/docs/git-wfmigrate.1" >"$TMP/page.1"
! cmp -s "$TMP/page.1" "$src/docs/git-wfmigrate.1" || fail "the copy lost nothing: the test is stale"
expect_code 1 python3 "$TMP/check.py" "$TMP/page.1" "$bin"
grep -q '^stop: --wait is in -h, not in the man page$' "$TMP/out" || fail "not found: $(cat "$TMP/out")"
pass "an option missing from the page is found"
