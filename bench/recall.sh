#!/usr/bin/env bash
# Recall and coverage of `git wfmigrate chunk` against Universal Ctags.
#
#   bench/recall.sh [--rows] [--misses N] [--suspicious N] <repo> [<git-wfmigrate>]
#
# On the files at HEAD of <repo> (read from its work tree, which must be at
# HEAD), prints per language of the chunker:
#   whole     files left whole (a `file` unit: no definitions found, too
#             large, timed out)
#   defs      the definitions ctags finds of the kinds a chunker should cut
#   in unit   the share of them whose start line lies in some unit
#   named     the share whose start line lies in a unit named after them, or
#             after a definition that encloses them (a method in its class)
#   uncovered the code lines in no unit (`chunk --uncovered`), of all the
#             non-blank lines of the language's files
#   suspect   units named after a keyword, or function, method, class and
#             struct units with an all-caps name (a macro call taken for a
#             definition, TEST(a, b) {...} too) where ctags has no type of
#             that name; those named after a test macro (TEST, TEST_F,
#             ACTION_P...) are counted apart, as "test macros"
# then the top 5 files by uncovered lines, the suspicious units by name and, per
# language, up to N misses (default 10). --rows prints the table rows only
# (to put several repositories in one table). See bench/README.md, "recall".
set -euo pipefail

rows=0 misses=10 suspicious=20
while [ $# -gt 0 ]; do
	case "$1" in
	--rows) rows=1 ;;
	--misses) misses=$2; shift ;;
	--suspicious) suspicious=$2; shift ;;
	-*) echo "usage: bench/recall.sh [--rows] [--misses N] [--suspicious N] <repo> [<git-wfmigrate>]" >&2; exit 129 ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || { echo "usage: bench/recall.sh [--rows] [--misses N] [--suspicious N] <repo> [<git-wfmigrate>]" >&2; exit 129; }
repo=$(cd "$1" && git rev-parse --show-toplevel)
bin=${2:-$(cd "$(dirname "$0")/.." && pwd)/build/release/git-wfmigrate}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$repo"
"$bin" chunk --json -- :/ >"$tmp/units.json"
"$bin" chunk --uncovered --json --text -- :/ >"$tmp/uncovered.json"

python3 - "$tmp" "$repo" "$bin" "$rows" "$misses" "$suspicious" <<'EOF'
import json, os, re, subprocess, sys
from collections import defaultdict

tmp, repo, binary, rows, nmiss, nsusp = sys.argv[1:]
rows, nmiss, nsusp = rows == "1", int(nmiss), int(nsusp)

# The chunker's language -> ctags' parser and the ctags kinds a chunker should
# cut. Left out: prototypes, members and fields, variables and constants,
# macros, namespaces and modules, enumerators, locals, imports.
CTAGS = {
    "c": ("C", {"function", "struct", "union", "enum"}),
    "cpp": ("C++", {"function", "class", "struct", "union", "enum"}),
    "python": ("Python", {"class", "function", "member"}),  # member: a method
    "javascript": ("JavaScript", {"class", "function", "method", "generator", "getter", "setter"}),
    "typescript": ("TypeScript", {"class", "function", "method", "generator", "interface", "enum", "alias"}),
    "tsx": ("TypeScript", {"class", "function", "method", "generator", "interface", "enum", "alias"}),
    "go": ("Go", {"func", "struct", "interface", "type", "talias"}),
    "rust": ("Rust", {"function", "method", "struct", "enum", "interface", "implementation", "typedef"}),
    "java": ("Java", {"class", "interface", "enum", "annotation", "method"}),
}
# A definition inside one of these is local to it and left out.
LOCAL_SCOPES = {"function", "method", "member", "func", "generator", "getter", "setter"}
# Unit kinds that hold other definitions.
CONTAINERS = {"class", "struct", "union", "enum", "interface", "trait", "impl",
              "namespace", "module", "record", "export"}
# Names no definition can have: a unit so named is a statement or a call.
C_KW = """if else for while do switch case default return sizeof typeof __typeof__
alignof _Alignof offsetof goto break continue defined static_assert _Static_assert
__attribute__ __declspec asm __asm__ _Generic struct union enum static inline extern
const volatile register unsigned signed int char short long float double void"""
JS_KW = """if else for while do switch case return typeof instanceof new
delete throw try catch finally function var let const import export yield await
void in of class"""
KEYWORDS = {k: set(v.split()) for k, v in {
    "c": C_KW,
    "cpp": C_KW + " catch try throw new delete decltype noexcept template typename class namespace using",
    "python": """if elif else for while with try except finally return lambda yield
        await async def class import from pass raise assert del global nonlocal""",
    "javascript": JS_KW, "typescript": JS_KW, "tsx": JS_KW,
    "go": """if else for switch case default return go defer select func type struct
        interface map chan range""",
    "rust": "if else for while loop match return fn impl struct enum union unsafe where let",
    "java": """if else for while do switch case default return new throw try catch
        finally synchronized class interface enum instanceof""",
}.items()}
# googletest, googlemock, Catch2, Boost.Test
TEST_MACROS = re.compile(r"^(TYPED_)?TEST(_[FP])?(_CASE)?$|^(ACTION|MATCHER)\w*$|^BOOST_\w*TEST_CASE$|^SECTION$")
CAPS = re.compile(r"^[A-Z][A-Z0-9_]*[A-Z][A-Z0-9_]*$")

units = json.load(open(f"{tmp}/units.json"))
uncovered = json.load(open(f"{tmp}/uncovered.json"))

def idents(name):
    """The identifiers of a name; strings, generic arguments, lifetimes dropped."""
    name = re.sub(r"\"[^\"]*\"|'[^'<>\n]*'|`[^`]*`", "", name or "")
    name = re.sub(r"'\w+", "", name)
    while True:
        n = re.sub(r"<[^<>]*>", "", name)
        if n == name:
            break
        name = n
    name = name.split("<")[0]  # a name cut short inside its arguments
    return re.findall(r"[A-Za-z_$][\w$]*", name)

def last(name):
    i = idents(name)
    return i[-1] if i else ""

files = defaultdict(list)  # path -> its units
lang_of = {}
for u in units:
    files[u["path"]].append(u)
    lang_of[u["path"]] = u["lang"]

# ctags, once per chunker language, told that language for every file.
tags = defaultdict(list)  # path -> every tag
by_lang = defaultdict(list)
for path, lang in lang_of.items():
    if lang in CTAGS:
        by_lang[lang].append(path)
for lang, paths in by_lang.items():
    out = subprocess.run(
        ["ctags", "--language-force=" + CTAGS[lang][0], "--output-format=json",
         "--fields=+nKeSZEt", "--sort=no", "-f", "-", "-L", "-"],
        input="\n".join(paths) + "\n", capture_output=True, text=True, errors="replace", check=True).stdout
    for line in out.splitlines():
        t = json.loads(line)
        if t.get("_type") == "tag":
            tags[t["path"]].append(t)

def definitions(path):
    lang = lang_of[path]
    kinds = CTAGS[lang][1]
    ts = tags[path]
    # typedef struct s { ... } s_t; : the struct is also s_t, and if it has
    # no name of its own, only s_t
    alias = defaultdict(list)
    for t in ts:
        m = re.match(r"(struct|union|enum):(.*)", t.get("typeref", ""))
        if t["kind"] == "typedef" and m:
            alias[m.group(2)].append(t["name"])
    local = set()  # names of the local definitions, for their members
    for t in ts:
        if t["kind"] not in kinds or t.get("scopeKind") in LOCAL_SCOPES or t.get("scope") in local:
            continue
        names = [t["name"]] + alias.get(t["name"], [])
        if "anonymous" in t.get("extras", ""):
            names = names[1:]
            if not names:
                continue
        pattern = t.get("pattern", "")
        if lang in ("javascript", "typescript", "tsx"):
            # ctags loses the scope of a function in a function or callback:
            # an indented definition with no scope is such a local one
            if not t.get("scope") and re.match(r"/\^\s", pattern):
                local.add(t["name"])
                continue
            # `A.prototype.f = function` makes ctags tag a class A there
            if t["kind"] == "class" and not re.search(r"\bclass\b", pattern):
                continue
            # `import { type X }`, `export { type X }` are no type alias
            if t["kind"] == "alias" and not re.search(r"\btype\s+" + re.escape(t["name"]) + r"\s*(<|=|\$/$)", pattern):
                continue
        yield dict(name=names[0], names=names, kind=t["kind"], line=t["line"], end=t.get("end", t["line"]),
                   scope=t.get("scope", ""), scope_kind=t.get("scopeKind", ""), pattern=pattern,
                   signature=t.get("signature", ""))

def named(u, d):
    """u is named after d, or after a definition that encloses d."""
    ul = last(u["name"])
    if u["kind"] == "file" or not ul:
        return False
    if any(ul == last(n) for n in d["names"]) or (d["scope"] and ul in idents(d["scope"])):
        return True
    # a macro-made definition, TEST(Suite, Name) { ... }: named TEST, or Name
    if CAPS.match(d["name"]) and (d["name"] in idents(u["name"]) or ul == last(d["signature"])):
        return True
    # ctags lost the scope (Rust methods of a generic impl): an indented
    # definition in a class, impl, namespace... unit is in it
    if not d["scope"] and re.match(r"/\^\s", d["pattern"]) and u["kind"] in CONTAINERS:
        return True
    # JavaScript, TypeScript: `var a = function b`, `x.a = function b`: ctags says b
    return u["lang"] in ("javascript", "typescript", "tsx") and \
        re.search(r"\b" + re.escape(ul) + r"\s*(=[^=]|:)", d["pattern"]) is not None

stats = defaultdict(lambda: defaultdict(int))
miss = defaultdict(list)
for path, us in sorted(files.items()):
    lang = lang_of[path]
    if lang not in CTAGS:
        continue
    s = stats[lang]
    s["files"] += 1
    s["whole"] += any(u["kind"] == "file" for u in us)
    try:
        with open(os.path.join(repo, path), "rb") as f:
            s["lines"] += sum(1 for l in f.read().split(b"\n") if l.strip())
    except OSError:
        pass
    for d in definitions(path):
        s["defs"] += 1
        inside = [u for u in us if u["start_line"] <= d["line"] <= u["end_line"]]
        if inside:
            s["in"] += 1
        if any(named(u, d) for u in inside):
            s["named"] += 1
        else:
            what = ", ".join(f'{u["kind"]} {u["name"][:60]!r} {u["start_line"]}-{u["end_line"]}'
                             + (f' ({u["reason"]})' if u.get("reason") else "") for u in inside)
            miss[lang].append((path, d, what or "no unit"))

unc_by_file = defaultdict(int)
for r in uncovered:
    n = sum(1 for l in r.get("text", "").split("\n") if l.strip())
    stats[r["lang"]]["uncovered"] += n
    unc_by_file[(r["path"], r["lang"])] += n

susp = []
for path, us in sorted(files.items()):
    for u in us:
        if u["kind"] in ("file", "pack", "macro"):
            continue
        n = last(u["name"])
        if n in KEYWORDS.get(u["lang"], ()):
            susp.append((u, "keyword"))
        elif u["kind"] in ("function", "method", "class", "struct") and CAPS.match(n) and \
                idents(u["name"]).count(n) == 1 and \
                not any(last(t["name"]) == n and t["kind"] not in ("function", "func", "method", "prototype")
                        and u["start_line"] <= t["line"] <= u["end_line"] for t in tags[path]):
            # an all-caps function is a macro call (TEST(a, b) {...} too, though
            # ctags calls it a function TEST), unless ctags has a type of that
            # name there (struct SHA1_CTX) or it is a constructor (RE::~RE)
            susp.append((u, "all-caps"))
for u, _ in susp:
    stats[u["lang"]]["tests" if TEST_MACROS.match(last(u["name"])) else "suspect"] += 1

name = os.path.basename(repo)
def pct(a, b):
    return f"{100.0 * a / b:.1f} %" if b else "-"
if not rows:
    def head(d):
        return subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "?"
    print(f"# {repo} at {head(repo)}; {binary} (its checkout at {head(os.path.dirname(binary))})")
    print()
    print("| repository | lang | files | whole | defs | in unit | named | code lines | uncovered | share | suspect | test macros |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for lang in CTAGS:
    s = stats.get(lang)
    if not s or not s["files"]:
        continue
    print(f'| {name} | {lang} | {s["files"]} | {s["whole"]} | {s["defs"]} | {pct(s["in"], s["defs"])} | {pct(s["named"], s["defs"])} '
          f'| {s["lines"]} | {s["uncovered"]} | {pct(s["uncovered"], s["lines"])} | {s["suspect"]} | {s["tests"]} |')
if rows:
    sys.exit(0)

print("\n## top files by uncovered lines\n")
for (path, lang), n in sorted(unc_by_file.items(), key=lambda x: -x[1])[:5]:
    print(f"{n:7d}  {path} ({lang})")
print(f"\n## suspicious units ({len(susp)}), by name\n")
groups = defaultdict(list)
for u, why in susp:
    groups[(u["lang"], u["kind"], last(u["name"]), why)].append(u)
for (lang, kind, n, why), us in sorted(groups.items(), key=lambda x: -len(x[1]))[:nsusp]:
    at = ", ".join(f'{u["path"]}:{u["start_line"]}-{u["end_line"]}' for u in us[:3])
    print(f'{len(us):5d}  {lang} {kind} {n} ({why}): {at}{", ..." if len(us) > 3 else ""}')
for lang, ms in miss.items():
    print(f"\n## misses: {lang} ({len(ms)}, first {nmiss}, one per file first)\n")
    # spread over files: the first miss of each file, then the second...
    seen, order = defaultdict(int), []
    for m in ms:
        seen[m[0]] += 1
        order.append((seen[m[0]], m))
    for _, (path, d, what) in sorted(order, key=lambda x: x[0])[:nmiss]:
        scope = f' in {d["scope_kind"]} {d["scope"]}' if d["scope"] else ""
        print(f'{path}:{d["line"]}  ctags {d["kind"]} {d["name"][:60]}{scope[:60]} (lines {d["line"]}-{d["end"]}) -> {what}')
EOF
