#!/usr/bin/env bash
# bench/prompt_cache.sh [<agents>]
#
# Input tokens per agent, and the share of the shared prefix (the role's
# system prompt and tools: what is the same for every agent of a role)
# served from the provider's prompt cache, across a fan-out of n agents of
# one role (bench/cache_fanout.js: implementers over the cardkit fixture,
# with workflows/migrate.js's prompt),
# with caching on and then off (--no-prompt-cache), side by side in one
# run. The provider is tests/fakellm, which keeps Anthropic's cache rules
# (prefix up to the last cache_control block, 1024-token minimum, writes
# and reads in usage); its log gives every call's usage.
#
# Goal (issue 4): at least 80% of the shared prefix read from the cache
# after the first agent.
set -euo pipefail
n=${1:-50}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/..
bin=${WFM_BIN:-$src/build/release/git-wfmigrate}
tmp=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || :; rm -rf "$tmp"' EXIT

"$src/fixtures/make-deprecated.sh" "$tmp/cardkit" >/dev/null
node "$src/tests/fakellm/server.mjs" --port-file "$tmp/port" --log "$tmp/log.jsonl" \
	--key bench-key-0123456789 >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
export ANTHROPIC_API_KEY=bench-key-0123456789 ANTHROPIC_BASE_URL=http://127.0.0.1:$(cat "$tmp/port")
export WFMIGRATE_DATADIR=${WFMIGRATE_DATADIR:-$src}

cd "$tmp/cardkit"
for mode in on off; do
	: >"$tmp/log.jsonl"
	extra=
	[ $mode = off ] && extra=--no-prompt-cache
	"$bin" run --workflow "$here/cache_fanout.js" --arg n="$n" --provider anthropic \
		--model fake-rules $extra --yes --json >"$tmp/report-$mode.json" 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	cp "$tmp/log.jsonl" "$tmp/log-$mode.jsonl"
done
python3 - "$n" "$tmp" <<'PY'
import json, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
def calls(mode):
    out = []
    for line in open(f"{tmp}/log-{mode}.jsonl"):
        e = json.loads(line)
        if e["status"] == 200 and e["api"] == "anthropic":
            out.append((e["t"], e["reply"]["usage"]))
    return sorted(out, key=lambda c: c[0])
res = {}
for mode in ("on", "off"):
    cs = calls(mode)
    total_in = sum(u["input_tokens"] + u.get("cache_creation_input_tokens", 0) + u.get("cache_read_input_tokens", 0) for _, u in cs)
    read = sum(u.get("cache_read_input_tokens", 0) for _, u in cs)
    written = sum(u.get("cache_creation_input_tokens", 0) for _, u in cs)
    report = json.load(open(f"{tmp}/report-{mode}.json"))
    res[mode] = dict(calls=len(cs), total_in=total_in, read=read, written=written,
                     answered=report["result"]["answered"])
    if mode == "on":
        # the shared prefix of a call is what the cache holds for it (read or written);
        # "after the first agent": every call but the first one made (the fake
        # serves the calls one at a time, in the order of t)
        later = cs[1:]
        prefix = sum(u.get("cache_read_input_tokens", 0) + u.get("cache_creation_input_tokens", 0) for _, u in later)
        res[mode]["share"] = sum(u.get("cache_read_input_tokens", 0) for _, u in later) / prefix if prefix else 0.0
        res[mode]["prefix_per_call"] = prefix / len(later) if later else 0
on, off = res["on"], res["off"]
ncalls = res["on"]["calls"]
print(f"{n} implementer agents, {ncalls} model calls (fake-rules), concurrency 16")
print(f"caching on : {on['total_in'] / n:8.0f} input tokens per agent, {on['read']} read from the cache, {on['written']} written; answered {on['answered']}")
print(f"caching off: {off['total_in'] / n:8.0f} input tokens per agent, {off['read']} read from the cache, {off['written']} written; answered {off['answered']}")
print(f"shared prefix {on['prefix_per_call']:.0f} tokens per call; read from the cache after the first agent: {on['share']:.1%} (goal >= 80%)")
print(f"uncached input per agent: {(on['total_in'] - on['read']) / n:.0f} with caching vs {off['total_in'] / n:.0f} without ({(on['total_in'] - on['read']) / off['total_in']:.2f}x)")
PY
