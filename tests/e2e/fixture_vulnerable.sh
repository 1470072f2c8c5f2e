#!/usr/bin/env bash
# The opskit fixture (fixtures/make-vulnerable.sh) against its list,
# fixtures/vulnerable.expected, without the sweep command: the properties
# the sweep's end-to-end tests rely on.
#
# - the fixture builds the same commits every time, main and feature, and
#   make test passes on both branches;
# - every entry's lines hold what its kind says, the deterministic rules it
#   lists match there (the spec's patterns), and every line of the feature
#   branch that such a rule or a candidate call matches is in an entry:
#   the list is complete;
# - scope: the "feature" entries are lines the feature branch adds, the
#   "main" ones lines it leaves as main has them;
# - the fake LLM's sweep roles (tests/fakellm/sweep.mjs) run over the units
#   `git wfmigrate chunk` cuts give exactly the entries' findings and
#   verdicts, over all units (as --all) and over the units main..feature
#   touches (as --base main).
. "$(dirname "$0")/lib.sh"

src=${WFM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
expected=$src/fixtures/vulnerable.expected

# --- the fixture
"$src/fixtures/make-vulnerable.sh" "$TMP/opskit" >/dev/null
"$src/fixtures/make-vulnerable.sh" "$TMP/again" >/dev/null
for b in main feature; do
	[ "$(git -C "$TMP/opskit" rev-parse $b)" = "$(git -C "$TMP/again" rev-parse $b)" ] ||
		fail "make-vulnerable.sh made two different commits for $b"
done
expect_code 128 "$src/fixtures/make-vulnerable.sh" "$TMP/again"
grep -q "exists and is not empty" "$TMP/err" || fail "no reason given for a non-empty directory"
check_repo "$TMP/opskit"
cd "$TMP/opskit"
[ "$(git symbolic-ref --short HEAD)" = feature ] || fail "the fixture is not left on feature"
[ "$(git rev-list --count main..feature)" = 2 ] || fail "feature is not two commits on main"
expect_output '^[0-9]+ passed, 0 failed$' make -s test
grep -q '^python: 2 passed, 0 failed$' "$TMP/out" || fail "the Python tests did not run: $(cat "$TMP/out")"
[ -z "$(git status --porcelain)" ] || fail "make test leaves files git does not ignore: $(git status --porcelain)"
git checkout -q main
make -s clean
expect_output '^1 passed, 0 failed$' make -s test
git checkout -q feature
make -s clean
pass "make-vulnerable.sh builds main and feature the same way every time; make test passes on both"

# --- the list against the lines
git diff -U0 main feature >"$TMP/diff"
py '
import re, subprocess, sys

# the deterministic rules of the spec (issue 14, /tmp/sweep-spec.md in the
# interface the sweep is built against), as Python patterns
RULES = {
    "secret/private-key": r"-----BEGIN ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----",
    "secret/aws-access-key": r"\b(AKIA|ASIA)(?![0-9A-Z]*EXAMPLE)[0-9A-Z]{16}\b",
    "secret/generic-token": r"ghp_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{24,}",
    "dangerous-call/c-strcpy": r"\bstrcpy\(",
    "dangerous-call/c-strcat": r"\bstrcat\(",
    "dangerous-call/c-sprintf": r"\bsprintf\(",
    "dangerous-call/c-gets": r"\bgets\(",
    "dangerous-call/c-system": r"\bsystem\(",
    "dangerous-call/python-shell-true": r"subprocess\.\w+\(.*shell\s*=\s*True",
    "dangerous-call/python-os-system": r"\bos\.system\(",
    "dangerous-call/python-eval": r"\beval\(",
    "prompt-injection/reviewer-instruction": r"(?i)ignore (all )?(previous|prior|above) instructions|(AI|LLM|automated) (reviewers?|scanners?|assistants?)[^\n]{0,40}(report nothing|do not report|ignore|skip)|report (no|zero) (findings|issues|vulnerabilities)|you are (now )?(a|an) ",
}
# what a reviewer looks at (tests/fakellm/sweep.mjs): calls outside
# comments, key-shaped strings anywhere
CANDIDATE = r"\b(gets|strcpy|strcat|strncpy|strncat|memcpy|memmove|sprintf|vsprintf|snprintf|vsnprintf|system|popen|exec[lv]p?e?)\s*\(|shell\s*=\s*True"
SECRET = r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|PRIVATE KEY-----"

MAIN = subprocess.run(["git", "rev-parse", "main"], capture_output=True, text=True, check=True).stdout.strip()

def lines_of(rev, path):
    return subprocess.run(["git", "show", "%s:%s" % (rev, path)], capture_output=True, text=True, check=True).stdout.split("\n")

# lines main..feature adds, per file
added = {}
path = None
for l in open(sys.argv[2]):
    if l.startswith("+++ "):
        path = l[6:].strip() if l.startswith("+++ b/") else None
    m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", l)
    if m and path:
        a, n = int(m.group(1)), int(m.group(2) or 1)
        added.setdefault(path, set()).update(range(a, a + n))

entries = []
for l in open(sys.argv[1]):
    if not l.strip() or l.startswith("#"):
        continue
    kind, where, scope, review, severity, verdict, rules = l.split()
    f, a, b = re.match(r"^(.*):(\d+)-(\d+)$", where).groups()
    a, b = int(a), int(b)
    assert kind in ("planted", "lookalike", "instruction"), l
    assert scope in ("feature", "main"), l
    assert a <= b, l
    text = lines_of("feature", f)[a - 1:b]
    assert len(text) == b - a + 1, "%s: past the end of the file" % where
    hit = {r for r, p in RULES.items() for t in text if re.search(p, t)}
    want = set() if rules == "-" else set(rules.split(","))
    assert hit == want, "%s: the deterministic rules %s match, the list says %s" % (where, sorted(hit), sorted(want))
    if kind == "instruction":
        assert review == severity == verdict == "-" and want == {"prompt-injection/reviewer-instruction"}, l
    else:
        assert review.split("/")[0] in ("memory-safety", "injection", "secrets"), l
        assert severity in ("low", "medium", "high", "critical"), l
        assert verdict == ("confirmed" if kind == "planted" else "refuted"), l
        assert re.search(CANDIDATE + "|" + SECRET, "\n".join(text)), "%s: no candidate on these lines" % where
    if scope == "feature":
        assert set(range(a, b + 1)) <= added.get(f, set()), "%s: not lines the feature branch adds" % where
    else:
        assert not set(range(a, b + 1)) & added.get(f, set()), "%s: the feature branch changes it" % where
        blame = subprocess.run(["git", "blame", "--porcelain", "-L", "%d,%d" % (a, b), "feature", "--", f],
                               capture_output=True, text=True, check=True).stdout
        shas = {l.split()[0] for l in blame.split("\n") if re.match(r"^[0-9a-f]{40} ", l)}
        assert shas == {MAIN}, "%s: not lines of main (%s)" % (where, shas)
    entries.append((f, a, b))

# complete: every line of the feature branch a rule or a candidate matches is in an entry
files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
missing = []
for f in files:
    if not re.search(r"\.(c|h|py)$", f):
        continue
    for n, t in enumerate(lines_of("feature", f), 1):
        code = re.sub(r"/\*.*?\*/|//.*$", "", t) if not f.endswith(".py") else re.sub(r"#.*$", "", t)
        if code.lstrip().startswith("*"):
            code = ""
        if re.search(CANDIDATE, code) or re.search(SECRET, t) or any(re.search(p, t) for p in RULES.values()):
            if not any(e[0] == f and e[1] <= n <= e[2] for e in entries):
                missing.append("%s:%d: %s" % (f, n, t.strip()))
assert not missing, "lines the list leaves out:\n" + "\n".join(missing)
print(len(entries), "entries")
' "$expected" "$TMP/diff" >"$TMP/entries" || fail "fixtures/vulnerable.expected does not describe the fixture"
pass "vulnerable.expected: $(cat "$TMP/entries"), each where it says, and none missing"

# --- the fake's sweep roles over the chunker's units
git wfmigrate chunk --json --text :/ >"$TMP/units.json"
cat >"$TMP/fake-sweep.mjs" <<'EOF'
// The sweep of workflows/sweep.js in miniature, with the fake's roles and
// no server: classifier, a reviewer per category, 3 verifiers per finding.
// argv: units.json, diff (for --base main: the units the diff touches), or "-"
import { readFileSync } from 'node:fs'
const { sweepAnswer } = await import(process.env.SWEEP_MJS)
const units = JSON.parse(readFileSync(process.argv[2], 'utf8'))
let touched = null
if (process.argv[3] !== '-') {
  touched = new Map()
  let path = null
  for (const l of readFileSync(process.argv[3], 'utf8').split('\n')) {
    if (l.startsWith('+++ ')) path = l.startsWith('+++ b/') ? l.slice(6) : null
    const m = /^@@ -\S+ \+(\d+)(?:,(\d+))? @@/.exec(l)
    if (m && path) {
      const a = Number(m[1])
      const n = m[2] === undefined ? 1 : Number(m[2])
      if (!touched.has(path)) touched.set(path, [])
      touched.get(path).push([a, a + Math.max(n, 1) - 1])
    }
  }
}
const block = u => `Unit: ${u.id} (${u.path}:${u.start_line}-${u.end_line}, ${u.lang})\n` +
  u.text.replace(/\n$/, '').split('\n').map((l, i) => `${u.start_line + i}| ${l}`).join('\n')
for (const u of units) {
  if (touched && !(touched.get(u.path) ?? []).some(([a, b]) => a <= u.end_line && b >= u.start_line)) continue
  const b = block(u)
  const { categories } = sweepAnswer(`Security triage: which categories does this unit need reviewing for?\n${b}\n`, 'sweep-classifier')
  for (const c of categories) {
    for (const f of sweepAnswer(`Security review: ${c}\n${b}\n\n(rubric)\n`, 'sweep-reviewer').findings) {
      let refuted = 0
      for (let i = 0; i < 3; i++) if (sweepAnswer(`Refute this finding if you can:\n${JSON.stringify(f)}\n${b}\n`, 'sweep-verifier').verdict === 'refuted') refuted++
      console.log(`${f.file}:${f.startLine}-${f.endLine} ${f.rule} ${f.severity} ${refuted >= 2 ? 'refuted' : 'confirmed'}`)
    }
  }
}
EOF
export SWEEP_MJS=$src/tests/fakellm/sweep.mjs
node "$TMP/fake-sweep.mjs" "$TMP/units.json" - | sort >"$TMP/all.got"
node "$TMP/fake-sweep.mjs" "$TMP/units.json" "$TMP/diff" | sort >"$TMP/base.got"
grep -v '^#' "$expected" | awk 'NF && $4 != "-" { print $2, $4, $5, $6 }' | sort >"$TMP/all.want"
grep -v '^#' "$expected" | awk 'NF && $4 != "-" && $3 == "feature" { print $2, $4, $5, $6 }' | sort >"$TMP/base.want"
diff -u "$TMP/all.want" "$TMP/all.got" >&2 || fail "the fake's sweep over every unit differs from vulnerable.expected"
diff -u "$TMP/base.want" "$TMP/base.got" >&2 || fail "the fake's sweep over main..feature differs from vulnerable.expected"
[ "$(wc -l <"$TMP/all.got")" -gt "$(wc -l <"$TMP/base.got")" ] || fail "--all and --base main cover the same findings"
pass "the fake's roles over the chunker's units: $(wc -l <"$TMP/all.got") findings as the list says (all units), $(wc -l <"$TMP/base.got") in main..feature"
