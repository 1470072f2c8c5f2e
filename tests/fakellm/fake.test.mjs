// The fake's contract: the CLI, the strictness of both APIs (status and
// error shapes), prompt-caching numbers, scripted turns and the escape model.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { KEY, HERE, tempDir, startServer, post, anthropicHeaders, openaiHeaders, anthropicPost, openaiPost } from './testlib.mjs'

let srv
before(async () => { srv = await startServer() })
after(async () => { await srv?.stop() })

const A = (extra = {}) => ({ model: 'fake-rules', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }], ...extra })
const O = (extra = {}) => ({ model: 'fake-rules', messages: [{ role: 'user', content: 'hello' }], ...extra })
const tool = (name, schema = { type: 'object', properties: {} }) => ({ name, input_schema: schema })
const use = (id, name = 'Read') => ({ type: 'tool_use', id, name, input: {} })
const result = id => ({ type: 'tool_result', tool_use_id: id, content: 'ok' })

// A 400/401 in Anthropic's shape whose message matches re.
async function anthropicRefuses(body, status, type, re, headers = anthropicHeaders()) {
  const r = await post(`${srv.base}/v1/messages`, body, headers)
  assert.equal(r.status, status, r.text)
  assert.equal(r.json.type, 'error')
  assert.equal(r.json.error.type, type)
  assert.match(r.json.error.message, re)
  assert.match(r.json.request_id, /^req_/)
  assert.equal(r.headers.get('request-id'), r.json.request_id)
}

async function openaiRefuses(body, status, re, { headers = openaiHeaders(), code } = {}) {
  const r = await post(`${srv.base}/v1/chat/completions`, body, headers)
  assert.equal(r.status, status, r.text)
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message', 'param', 'type'])
  assert.equal(r.json.error.type, 'invalid_request_error')
  assert.match(r.json.error.message, re)
  if (code !== undefined) assert.equal(r.json.error.code, code)
}

test('CLI: port file, "listening <port>" first, log lines, SIGTERM exits 0', async () => {
  const s = await startServer()
  assert.equal(s.stdout().split('\n')[0], `listening ${s.port}`)
  await anthropicPost(s, A())
  const log = s.log()
  assert.equal(log.length, 1)
  for (const k of ['n', 't', 'api', 'path', 'status', 'fault', 'role', 'body', 'reply']) assert.ok(k in log[0], k)
  assert.equal(log[0].api, 'anthropic')
  assert.equal(log[0].status, 200)
  assert.deepEqual(log[0].body, A())
  const { code } = await s.stop()
  assert.equal(code, 0)
})

test('CLI: a bad scenario is refused with a clear message', () => {
  const f = join(tempDir(), 's.json')
  writeFileSync(f, JSON.stringify({ fautls: {} }))
  const r = spawnSync(process.execPath, [join(HERE, 'server.mjs'), '--scenario', f], { encoding: 'utf8' })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /unknown key 'fautls'/)
})

test('CLI: --key and FAKELLM_KEY', async () => {
  const s = await startServer({ env: { FAKELLM_KEY: 'other-key' } })
  assert.equal((await anthropicPost(s, A())).status, 401)
  assert.equal((await anthropicPost(s, A(), anthropicHeaders('other-key'))).status, 200)
  await s.stop()
})

test('anthropic: headers and body are checked like the real API', async () => {
  const h = anthropicHeaders()
  await anthropicRefuses(A(), 401, 'authentication_error', /x-api-key header is required/, { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' })
  await anthropicRefuses(A(), 401, 'authentication_error', /invalid x-api-key/, { ...h, 'x-api-key': 'nope' })
  await anthropicRefuses(A(), 400, 'invalid_request_error', /anthropic-version/, { 'x-api-key': KEY, 'content-type': 'application/json' })
  await anthropicRefuses(A(), 400, 'invalid_request_error', /anthropic-version/, { ...h, 'anthropic-version': '2024-01-01' })
  await anthropicRefuses(A(), 400, 'invalid_request_error', /content-type/, { ...h, 'content-type': 'text/plain' })
  await anthropicRefuses('{"model": ', 400, 'invalid_request_error', /parsing the body/)
  await anthropicRefuses(A({ model: undefined }), 400, 'invalid_request_error', /^model/)
  await anthropicRefuses(A({ max_tokens: undefined }), 400, 'invalid_request_error', /max_tokens: Field required/)
  await anthropicRefuses(A({ max_tokens: 0 }), 400, 'invalid_request_error', /max_tokens/)
  await anthropicRefuses(A({ max_tokens: 1.5 }), 400, 'invalid_request_error', /max_tokens/)
  await anthropicRefuses(A({ frobnicate: 1 }), 400, 'invalid_request_error', /frobnicate: Extra inputs/)
  await anthropicRefuses(A({ messages: [] }), 400, 'invalid_request_error', /at least one message/)
  await anthropicRefuses(A({ messages: [{ role: 'assistant', content: 'hi' }] }), 400, 'invalid_request_error', /first message must use the "user" role/)
  await anthropicRefuses(A({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }), 400, 'invalid_request_error', /roles must alternate/)
  await anthropicRefuses(A({ messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }), 400, 'invalid_request_error', /messages\.0\.content\.0\.type/)
  await anthropicRefuses(A({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }), 400, 'invalid_request_error', /non-empty/)
  await anthropicRefuses(A({ system: [{ type: 'image', source: {} }] }), 400, 'invalid_request_error', /system\.0\.type/)
  await anthropicRefuses(A({ system: 42 }), 400, 'invalid_request_error', /^system/)
})

test('anthropic: tools, tool_choice and cache_control shapes', async () => {
  await anthropicRefuses(A({ tools: [tool('read file')] }), 400, 'invalid_request_error', /tools\.0\.custom\.name: String should match/)
  await anthropicRefuses(A({ tools: [tool('x'.repeat(65))] }), 400, 'invalid_request_error', /String should match/)
  await anthropicRefuses(A({ tools: [tool('Read', { type: 'array' })] }), 400, 'invalid_request_error', /input_schema\.type/)
  await anthropicRefuses(A({ tools: [{ name: 'Read' }] }), 400, 'invalid_request_error', /input_schema: Field required/)
  await anthropicRefuses(A({ tools: [tool('Read'), tool('Read')] }), 400, 'invalid_request_error', /unique/)
  await anthropicRefuses(A({ tools: [tool('Read')], tool_choice: { type: 'sometimes' } }), 400, 'invalid_request_error', /tool_choice\.type/)
  await anthropicRefuses(A({ tools: [tool('Read')], tool_choice: { type: 'tool', name: 'Write' } }), 400, 'invalid_request_error', /no tool named 'Write'/)
  await anthropicRefuses(A({ tool_choice: { type: 'any' } }), 400, 'invalid_request_error', /needs tools/)
  const cc = { type: 'ephemeral' }
  await anthropicRefuses(A({ system: [{ type: 'text', text: 's', cache_control: { type: 'persistent' } }] }), 400, 'invalid_request_error', /cache_control\.type/)
  await anthropicRefuses(A({ system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral', ttl: '2h' } }] }), 400, 'invalid_request_error', /ttl/)
  const five = [1, 2, 3, 4, 5].map(i => ({ type: 'text', text: `s${i}`, cache_control: cc }))
  await anthropicRefuses(A({ system: five }), 400, 'invalid_request_error', /A maximum of 4 blocks with cache_control may be provided. Found 5/)
  const ok = await anthropicPost(srv, A({ system: five.slice(1), tools: [tool('Read')], tool_choice: { type: 'auto', disable_parallel_tool_use: true } }))
  assert.equal(ok.status, 200, ok.text)
})

test('anthropic: tool_use ids answered in the very next message, results first, none unknown', async () => {
  const withTools = msgs => A({ tools: [tool('Read')], messages: msgs })
  const u0 = { role: 'user', content: 'go' }
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1')] }]), 400, 'invalid_request_error',
    /messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/)
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1'), use('toolu_2')] }, { role: 'user', content: [result('toolu_1')] }]), 400,
    'invalid_request_error', /without `tool_result` blocks immediately after: toolu_2/)
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1'), result('toolu_9')] }]), 400,
    'invalid_request_error', /messages\.2\.content\.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9/)
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [{ type: 'text', text: 'note' }, result('toolu_1')] }]), 400,
    'invalid_request_error', /`tool_result` blocks must come first/)
  // answered one message too late
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: 'wait' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: [result('toolu_1')] }]), 400,
    'invalid_request_error', /without `tool_result` blocks immediately after: toolu_1/)
  await anthropicRefuses(withTools([{ role: 'user', content: [result('toolu_1')] }]), 400, 'invalid_request_error', /unexpected `tool_use_id`/)
  await anthropicRefuses(withTools([u0, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1'), result('toolu_1')] }]), 400,
    'invalid_request_error', /answered twice/)
  const ok = await anthropicPost(srv, withTools([u0, { role: 'assistant', content: [{ type: 'text', text: 'reading' }, use('toolu_1'), use('toolu_2')] },
    { role: 'user', content: [result('toolu_2'), { ...result('toolu_1'), is_error: true }, { type: 'text', text: 'more' }] }]))
  assert.equal(ok.status, 200, ok.text)
})

test('openai: headers and body are checked like the real API', async () => {
  await openaiRefuses(O(), 401, /API key/, { headers: { 'content-type': 'application/json' }, code: 'invalid_api_key' })
  await openaiRefuses(O(), 401, /Incorrect API key/, { headers: openaiHeaders('wrong'), code: 'invalid_api_key' })
  await openaiRefuses(O(), 401, /API key/, { headers: { authorization: KEY, 'content-type': 'application/json' }, code: 'invalid_api_key' })
  await openaiRefuses('not json', 400, /parse the JSON body/)
  await openaiRefuses(O({ model: undefined }), 400, /'model'/, { code: 'missing_required_parameter' })
  await openaiRefuses(O({ messages: undefined }), 400, /'messages'/)
  await openaiRefuses(O({ messages: [] }), 400, /empty array/)
  await openaiRefuses(O({ messages: [{ role: 'robot', content: 'x' }] }), 400, /Supported values/)
  await openaiRefuses(O({ max_tokens: 0 }), 400, /max_tokens/)
  await openaiRefuses(O({ max_completion_tokens: -3 }), 400, /max_completion_tokens/)
  await openaiRefuses(O({ bogus: true }), 400, /Unrecognized request argument supplied: bogus/)
  await openaiRefuses(O({ tools: [{ type: 'function', function: { name: 'bad name', parameters: { type: 'object' } } }] }), 400, /tools\[0\]\.function\.name/)
  await openaiRefuses(O({ tools: [{ name: 'Read', parameters: {} }] }), 400, /tools\[0\]\.type/)
  await openaiRefuses(O({ tool_choice: 'required' }), 400, /tool_choice/)
  const r = await post(`${srv.base}/chat/completions`, O({ max_completion_tokens: 50 }), openaiHeaders())
  assert.equal(r.status, 200, r.text)
  assert.equal(r.json.object, 'chat.completion')
})

test('openai: tool_calls answered by tool messages right after, none unknown', async () => {
  const call = id => ({ id, type: 'function', function: { name: 'Read', arguments: '{}' } })
  const tools = [{ type: 'function', function: { name: 'Read', parameters: { type: 'object' } } }]
  const u0 = { role: 'user', content: 'go' }
  await openaiRefuses(O({ tools, messages: [u0, { role: 'assistant', content: null, tool_calls: [call('call_1'), call('call_2')] }, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }),
    400, /did not have response messages: call_2/)
  await openaiRefuses(O({ tools, messages: [u0, { role: 'assistant', content: null, tool_calls: [call('call_1')] }, { role: 'user', content: 'hm' }, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }),
    400, /did not have response messages: call_1/)
  await openaiRefuses(O({ tools, messages: [u0, { role: 'assistant', content: null, tool_calls: [call('call_1')] }, { role: 'tool', tool_call_id: 'call_7', content: 'x' }] }),
    400, /must be a response to a preceeding message with 'tool_calls'/)
  await openaiRefuses(O({ tools, messages: [u0, { role: 'tool', tool_call_id: 'call_1', content: 'x' }] }), 400, /preceeding message/)
  await openaiRefuses(O({ tools, messages: [u0, { role: 'assistant', content: null, tool_calls: [{ ...call('c'), function: { name: 'Read', arguments: {} } }] }, { role: 'tool', tool_call_id: 'c', content: 'x' }] }),
    400, /arguments/)
  const ok = await openaiPost(srv, O({ tools, messages: [u0, { role: 'assistant', content: null, tool_calls: [call('call_1'), call('call_2')] }, { role: 'tool', tool_call_id: 'call_2', content: 'x' }, { role: 'tool', tool_call_id: 'call_1', content: 'y' }] }))
  assert.equal(ok.status, 200, ok.text)
})

test('anything else: 404 in the API\'s error shape', async () => {
  const a = await post(`${srv.base}/v1/complete`, A(), anthropicHeaders())
  assert.equal(a.status, 404)
  assert.equal(a.json.error.type, 'not_found_error')
  const o = await post(`${srv.base}/v1/embeddings`, O(), openaiHeaders())
  assert.equal(o.status, 404)
  assert.ok('param' in o.json.error)
  const g = await fetch(`${srv.base}/v1/messages`)
  assert.equal(g.status, 404)
})

// ---------------------------------------------------------------------------
// Prompt caching

const big = n => 'x'.repeat(n)

test('anthropic caching: write, then read; below the minimum nothing; 1h TTL split', async () => {
  const s = await startServer({ scenario: { cacheMinTokens: 1024 } })
  const body = (sys, more = []) => A({ system: [{ type: 'text', text: sys, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'unit 1' }, ...more] })
  const first = (await anthropicPost(s, body(big(8000)))).json.usage
  assert.equal(first.cache_read_input_tokens, 0)
  assert.ok(first.cache_creation_input_tokens >= 2000, JSON.stringify(first))
  assert.equal(first.cache_creation.ephemeral_5m_input_tokens, first.cache_creation_input_tokens)
  assert.equal(first.cache_creation.ephemeral_1h_input_tokens, 0)
  assert.ok(first.input_tokens > 0 && first.input_tokens < 20)
  // Another agent of the same role: the same prefix, another unit.
  const second = (await anthropicPost(s, A({ system: [{ type: 'text', text: big(8000), cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'unit 22' }] }))).json.usage
  assert.equal(second.cache_read_input_tokens, first.cache_creation_input_tokens)
  assert.equal(second.cache_creation_input_tokens, 0)
  // A moved breakpoint: the earlier prefix is read (lookback), the rest written.
  const moved = A({ system: [{ type: 'text', text: big(8000) }], messages: [{ role: 'user', content: [{ type: 'text', text: 'unit 1' }, { type: 'text', text: big(6000), cache_control: { type: 'ephemeral' } }] }] })
  const third = (await anthropicPost(s, moved)).json.usage
  assert.equal(third.cache_read_input_tokens, first.cache_creation_input_tokens)
  assert.ok(third.cache_creation_input_tokens >= 1500)
  // Below the minimum: silently not cached.
  const small = (await anthropicPost(s, body(big(400)))).json.usage
  assert.equal(small.cache_creation_input_tokens + small.cache_read_input_tokens, 0)
  const small2 = (await anthropicPost(s, body(big(400)))).json.usage
  assert.equal(small2.cache_creation_input_tokens + small2.cache_read_input_tokens, 0)
  assert.ok(small2.input_tokens >= 100)
  // 1h
  const h1 = (await anthropicPost(s, A({ system: [{ type: 'text', text: big(9000), cache_control: { type: 'ephemeral', ttl: '1h' } }] }))).json.usage
  assert.equal(h1.cache_creation.ephemeral_1h_input_tokens, h1.cache_creation_input_tokens)
  assert.equal(h1.cache_creation.ephemeral_5m_input_tokens, 0)
  // Tools are part of the prefix: a different tool list misses.
  const t = (await anthropicPost(s, A({ tools: [tool('Other')], system: [{ type: 'text', text: big(8000), cache_control: { type: 'ephemeral' } }] }))).json.usage
  assert.equal(t.cache_read_input_tokens, 0)
  assert.ok(t.cache_creation_input_tokens > 0)
  await s.stop()
})

test('openai caching: the longest prefix seen, in 128-token steps from 1024', async () => {
  const s = await startServer()
  const msgs = [{ role: 'system', content: big(6000) }, { role: 'user', content: 'unit 1' }]
  const a = (await openaiPost(s, O({ messages: msgs }))).json.usage
  assert.equal(a.prompt_tokens_details.cached_tokens, 0)
  assert.ok(a.prompt_tokens > 1500)
  assert.equal(a.total_tokens, a.prompt_tokens + a.completion_tokens)
  const b = (await openaiPost(s, O({ messages: [msgs[0], { role: 'user', content: 'unit 2' }] }))).json.usage
  const c = b.prompt_tokens_details.cached_tokens
  assert.ok(c >= 1024 && (c - 1024) % 128 === 0 && c <= b.prompt_tokens, JSON.stringify(b))
  assert.ok(b.prompt_tokens - c < 128 + 10)
  const small = (await openaiPost(s, O({ messages: [{ role: 'user', content: big(2000) }] }))).json.usage
  const small2 = (await openaiPost(s, O({ messages: [{ role: 'user', content: big(2000) }] }))).json.usage
  assert.equal(small.prompt_tokens_details.cached_tokens + small2.prompt_tokens_details.cached_tokens, 0)
  await s.stop()
})

test('openai usage: "none" omits it, "partial" gives prompt_tokens only', async () => {
  const none = await startServer({ scenario: { usage: 'none' } })
  assert.equal((await openaiPost(none, O())).json.usage, undefined)
  await none.stop()
  const part = await startServer({ scenario: { usage: 'partial' } })
  assert.deepEqual(Object.keys((await openaiPost(part, O())).json.usage), ['prompt_tokens'])
  await part.stop()
})

test('_stats.billedTokens: every token of every reply computed, whatever usage the reply shows', async () => {
  const s = await startServer()
  const a = (await anthropicPost(s, A({ system: [{ type: 'text', text: big(6000), cache_control: { type: 'ephemeral' } }] }))).json.usage
  const b = (await anthropicPost(s, A({ system: [{ type: 'text', text: big(6000), cache_control: { type: 'ephemeral' } }] }))).json.usage
  assert.ok(a.cache_creation_input_tokens > 0 && b.cache_read_input_tokens > 0)
  const o = (await openaiPost(s, O())).json.usage
  const all = u => u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
  let st = await s.stats()
  assert.equal(st.billedTokens, all(a) + all(b) + o.prompt_tokens + o.completion_tokens)
  assert.deepEqual(st.calls.map(c => c.billed), [all(a), all(b), o.total_tokens])
  // refused requests bill nothing
  assert.equal((await post(`${s.base}/v1/chat/completions`, O({ messages: [] }), openaiHeaders())).status, 400)
  assert.equal((await post(`${s.base}/v1/messages`, A(), anthropicHeaders('wrong-key'))).status, 401)
  assert.equal((await s.stats()).billedTokens, st.billedTokens)
  await s.stop()
  // a reply that shows no usage (as local servers send) is billed all the same
  const none = await startServer({ scenario: { usage: 'none' } })
  assert.equal((await openaiPost(none, O())).json.usage, undefined)
  st = await none.stats()
  assert.ok(st.billedTokens > 0 && st.billedTokens === st.calls[0].billed, JSON.stringify(st))
  await none.stop()
})

// ---------------------------------------------------------------------------
// Scripted turns and the escape model

test('script: turns in order, tool calls, raw arguments, stop reasons, usage override, end of script', async () => {
  const s = await startServer({
    scenario: {
      script: [
        { text: 'thinking', tool_calls: [{ name: 'Read', input: { file_path: 'a.c' } }] },
        { tool_calls: [{ name: 'Edit', arguments: '{"file_path": "a.c", ' }], stop: 'max_tokens' },
        { text: '', stop: 'pause_turn' },
        { text: 'no', stop: 'refusal', refusal: 'I will not' },
        { text: 'big', stop: 'model_context_window_exceeded', usage: { input_tokens: 999999 } },
        { status: 529, error: { type: 'overloaded_error', message: 'busy' } },
        { raw: '{"weird": true}' },
      ],
    },
  })
  const r1 = (await anthropicPost(s, A({ model: 'claude-x' }))).json
  assert.equal(r1.stop_reason, 'tool_use')
  assert.deepEqual(r1.content.map(b => b.type), ['text', 'tool_use'])
  assert.deepEqual(r1.content[1].input, { file_path: 'a.c' })
  const r2 = (await openaiPost(s, O())).json
  assert.equal(r2.choices[0].finish_reason, 'length')
  assert.equal(r2.choices[0].message.tool_calls[0].function.arguments, '{"file_path": "a.c", ')
  assert.match(r2.choices[0].message.tool_calls[0].id, /^call_/)
  assert.equal((await anthropicPost(s, A())).json.stop_reason, 'pause_turn')
  const r4 = (await openaiPost(s, O())).json
  assert.equal(r4.choices[0].finish_reason, 'content_filter')
  assert.equal(r4.choices[0].message.refusal, 'I will not')
  const r5 = (await anthropicPost(s, A())).json
  assert.equal(r5.stop_reason, 'model_context_window_exceeded')
  assert.equal(r5.usage.input_tokens, 999999)
  assert.ok('output_tokens' in r5.usage)
  const r6 = await anthropicPost(s, A())
  assert.equal(r6.status, 529)
  assert.equal(r6.json.error.type, 'overloaded_error')
  assert.equal((await anthropicPost(s, A())).text, '{"weird": true}')
  // An invalid request does not use up a turn; the end of the script is a 400.
  assert.equal((await anthropicPost(s, A({ max_tokens: 0 }))).status, 400)
  const end = await anthropicPost(s, A())
  assert.equal(end.status, 400)
  assert.match(end.json.error.message, /script has no turn/)
  await s.stop()
})

test('escape model: one escape attempt per turn, then a summary without the key', async () => {
  const s = await startServer({ key: 'sk-very-secret-key-42' })
  const h = anthropicHeaders('sk-very-secret-key-42')
  const tools = ['Read', 'Write', 'Edit', 'Bash'].map(n => tool(n))
  const messages = [{ role: 'user', content: 'You are migrating one unit.' }]
  const tried = []
  for (;;) {
    const r = await anthropicPost(s, A({ model: 'fake-escape', max_tokens: 4096, tools, messages }), h)
    assert.equal(r.status, 200, r.text)
    messages.push({ role: 'assistant', content: r.json.content })
    const uses = r.json.content.filter(b => b.type === 'tool_use')
    if (!uses.length) {
      assert.doesNotMatch(r.text, /sk-very-secret-key-42/)
      assert.match(r.json.content[0].text, /Escape attempts/)
      break
    }
    assert.equal(uses.length, 1)
    tried.push([uses[0].name, uses[0].input.file_path ?? uses[0].input.command])
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[0].id, content: 'Error: refused', is_error: true }] })
  }
  assert.deepEqual(tried, [
    ['Read', '../outside.txt'], ['Read', '/etc/passwd'], ['Read', 'link-out/secret'], ['Write', '.git/config'], ['Edit', '.git/HEAD'],
    ['Bash', 'env; echo KEY=$ANTHROPIC_API_KEY $OPENAI_API_KEY'], ['Bash', 'cat ../../outside.txt'],
    ['Bash', 'echo pwned > ../escaped.txt'],
  ])
  await s.stop()
})

test('max_tokens smaller than the reply: cut, stop_reason max_tokens', async () => {
  const r = await anthropicPost(srv, A({ max_tokens: 1, messages: [{ role: 'user', content: 'You are migrating one unit: function `f` in src/a.c, lines 1-2 (unit u)' }] }))
  assert.equal(r.json.stop_reason, 'max_tokens')
  assert.equal(r.json.content.filter(b => b.type === 'tool_use').length, 0)
})
