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
            out.append((e["t"], len(e["body"]["messages"]), e["reply"]["usage"]))
    return sorted(out, key=lambda c: c[0])
def total_in(u):
    return u["input_tokens"] + u.get("cache_creation_input_tokens", 0) + u.get("cache_read_input_tokens", 0)
res = {}
for mode in ("on", "off"):
    cs = calls(mode)
    report = json.load(open(f"{tmp}/report-{mode}.json"))
    res[mode] = dict(calls=len(cs), total_in=sum(total_in(u) for _, _, u in cs),
                     read=sum(u.get("cache_read_input_tokens", 0) for _, _, u in cs),
                     written=sum(u.get("cache_creation_input_tokens", 0) for _, _, u in cs),
                     answered=report["result"]["answered"])
    if mode == "on":
        # An agent's first call (one message) reads from the cache what it shares
        # with earlier agents: tools, system prompt and the prompt's shared part
        # (more when an earlier agent had the very same unit: 50 agents over 16
        # units). The most common read is the shared prefix; the agents after the
        # first should each read all of it.
        firsts = [u for _, nmsg, u in cs if nmsg == 1]
        reads = [u.get("cache_read_input_tokens", 0) for u in firsts if u.get("cache_read_input_tokens", 0)]
        prefix = max(set(reads), key=reads.count) if reads else 0
        later = firsts[1:]
        res[mode]["prefix"] = prefix
        res[mode]["share"] = sum(min(u.get("cache_read_input_tokens", 0), prefix) for u in later) / (prefix * len(later)) if prefix and later else 0.0
on, off = res["on"], res["off"]
print(f"{n} implementer agents, {on['calls']} model calls (fake-rules), concurrency 16")
print(f"caching on : {on['total_in'] / n:8.0f} input tokens per agent, {on['read']} read from the cache, {on['written']} written; answered {on['answered']}")
print(f"caching off: {off['total_in'] / n:8.0f} input tokens per agent, {off['read']} read from the cache, {off['written']} written; answered {off['answered']}")
print(f"shared prefix (tools, system, the prompts' shared part): {on['prefix']} tokens")
print(f"read from the cache by agents 2..{n} on their first call: {on['share']:.1%} of it (goal >= 80%)")
print(f"all calls: {on['read'] / on['total_in']:.1%} of input read from the cache")
fresh = on["total_in"] - on["read"] - on["written"]
usd_on = (fresh * 3 + on["written"] * 3.75 + on["read"] * 0.3) / 1e6
usd_off = off["total_in"] * 3 / 1e6
print(f"input cost at Claude Sonnet prices ($3/M, writes $3.75/M, reads $0.30/M): ${usd_on:.3f} with caching vs ${usd_off:.3f} without ({usd_on / usd_off:.2f}x)")
print(f"uncached input per agent: {(on['total_in'] - on['read']) / n:.0f} with caching vs {off['total_in'] / n:.0f} without ({(on['total_in'] - on['read']) / off['total_in']:.2f}x)")
PY
