// scan(units): the sweep's rules, asked of the engine (docs/protocol.md).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { META, cleanup, run } from './support.mjs';

after(cleanup);

test('scan(): sends what the rules read of each unit, resolves to the findings', async () => {
	const finding = { rule: 'dangerous-call/c-strcpy', severity: 'medium', file: 'a.c', startLine: 3 };
	const r = await run(`${META}
const units = [{ id: 'a.c::function::f', path: 'a.c', lang: 'c', kind: 'function', name: 'f',
	start_line: 2, end_line: 4, size: 30, text: 'void f(char *s)\\n{ strcpy(b, s); }\\n' }]
const found = await scan(units)
const one = await scan(units[0])
const errs = []
for (const bad of [[{ id: 'x', path: 'x.c' }], [7], 'a.c'])
	try { await scan(bad) } catch (e) { errs.push(e.name + ': ' + e.message) }
return { found, one, errs }`, {
		respond: (msg, reply) => {
			if (msg.method !== 'scan')
				return reply({ ok: false, error: `unexpected ${msg.method}` });
			reply({ ok: true, value: [finding] });
		},
	});
	assert.equal(r.last.type, 'done', JSON.stringify(r.last) + r.stderr);
	const v = r.last.value;
	assert.deepEqual(v.found, [finding]);
	assert.deepEqual(v.one, [finding]);
	assert.deepEqual(v.errs, [
		'TypeError: scan(): unit x has no text: ask chunk() for it with {text: true}',
		'TypeError: scan(): give units of chunk() (got number 7 at 0)',
		'TypeError: scan(): give units of chunk() (got the string "a.c" at 0)',
	]);
	const sent = r.messages.filter((m) => m.type === 'request');
	assert.equal(sent.length, 2);
	assert.deepEqual(sent[0].params, { units: [{ id: 'a.c::function::f', path: 'a.c', lang: 'c',
		start_line: 2, text: 'void f(char *s)\n{ strcpy(b, s); }\n' }] });
});

test('chunk(): changedSince is passed on; a bad value is refused', async () => {
	const r = await run(`${META}
await chunk({ changedSince: 'abc123', text: true })
let err
try { await chunk({ changedSince: 7 }) } catch (e) { err = e.message }
return err`, {
		respond: (msg, reply) => reply({ ok: true, value: [] }),
	});
	assert.equal(r.last.type, 'done', JSON.stringify(r.last) + r.stderr);
	assert.match(r.last.value, /^chunk\(\): option 'changedSince' must be a non-empty string/);
	const sent = r.messages.filter((m) => m.type === 'request');
	assert.deepEqual(sent[0].params, { changedSince: 'abc123', text: true });
});
