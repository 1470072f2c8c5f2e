// runtime/harness.mjs end to end: a real node with the engine's flags,
// this test playing the engine.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { META, cleanup, echo, run, writeScript } from './support.mjs';

after(cleanup);

function done(r) {
	assert.equal(r.last.type, 'done', `expected done, got ${JSON.stringify(r.last)}\n${r.stderr}`);
	assert.equal(r.code, 0);
	return r.last.value;
}

function error(r, kind) {
	assert.equal(r.last.type, 'error', `expected an error, got ${JSON.stringify(r.last)}\n${r.stderr}`);
	assert.equal(r.last.kind, kind, JSON.stringify(r.last));
	assert.equal(r.code, 1);
	return r.last;
}

test('--check prints the meta', async () => {
	const r = await run(`// c\nexport const meta = { name: 'x', description: 'y', phases: [{ title: 'A' }] }\nreturn 1`, { check: true });
	assert.equal(r.code, 0);
	assert.deepEqual(r.messages, [{ type: 'meta', meta: { name: 'x', description: 'y', phases: [{ title: 'A' }] } }]);
});

test('--check reports meta and syntax errors with the user line and column', async () => {
	let r = await run('export const meta = { name: x, description: "d" }', { check: true });
	assert.deepEqual(error(r, 'meta'), { type: 'error', kind: 'meta', line: 1, column: 29,
		message: 'meta must be a pure literal: `x` is an identifier (variables are not allowed)' });
	r = await run(`${META}\n\n\nconst a = 1\n\nlet b = (;\n`, { check: true });
	const e = error(r, 'syntax');
	assert.equal(e.line, 7);
	assert.equal(e.column, 10);
	r = await run(`export const meta = { name: 'n', description: 'd' }; foo bar`, { check: true });
	assert.equal(error(r, 'syntax').line, 1);
	assert.equal(r.last.column, 58);
	r = await run(`${META}if (x) {\n`, { check: true });
	assert.deepEqual(error(r, 'syntax'), { type: 'error', kind: 'syntax', message: 'Unexpected end of input', line: 2, column: 9 });
	r = await run(`${META}log(1)\n}\n\n`, { check: true });
	assert.deepEqual(error(r, 'syntax'), { type: 'error', kind: 'syntax', message: "Unexpected token '}'", line: 3, column: 1 });
	r = await run(`${META}import fs from 'fs'\n`, { check: true });
	assert.equal(error(r, 'syntax').line, 2);
	r = await run(`${META}export const other = 1\n`, { check: true });
	assert.equal(error(r, 'syntax').line, 2);
	r = await run(`${META}await agent('x')\nreturn 1\n`, { check: true });
	assert.equal(r.last.type, 'meta', 'top-level await and return are fine');
});

test('a missing file is a load error', async () => {
	const r = await run('', { check: true, file: '/nonexistent/wf.js' });
	assert.equal(error(r, 'load').message, "cannot read '/nonexistent/wf.js': No such file or directory");
});

test('run: meta first, then the script after start, with args', async () => {
	const r = await run(`${META}log('args', args); return { args, meta: meta.name }`, { args: { n: [1, 2] } });
	assert.deepEqual(r.messages[0], { type: 'meta', meta: { name: 'test', description: 'a test' } });
	assert.deepEqual(r.messages[1], { type: 'log', message: 'args {"n":[1,2]}' });
	assert.deepEqual(done(r), { args: { n: [1, 2] }, meta: 'test' });
	assert.equal(done(await run(`${META}return args === undefined`)), true);
	assert.equal(done(await run(`${META}`)), null);
});

test('nothing from the host is reachable', async () => {
	const probe = `${META}
const out = {};
const attempt = (name, f) => {
	try {
		const v = f();
		out[name] = typeof v === 'object' && v !== null ? 'an object' : String(v);
	} catch (e) {
		out[name] = (e instanceof Object ? '' : 'HOST-REALM ') + 'threw ' + (e && e.name);
	}
};
out.globals = ['require', 'process', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'fetch',
	'queueMicrotask', 'structuredClone', 'module', 'exports', '__filename', 'performance', 'crypto']
	.filter((n) => typeof globalThis[n] !== 'undefined').join(',');
attempt('this', () => this.constructor.constructor('return process')());
attempt('global', () => globalThis.constructor.constructor('return process')());
attempt('agent', () => agent.constructor.constructor('return process')());
attempt('asyncfn', () => (async () => {}).constructor('return process')());
attempt('proto', () => Object.getPrototypeOf(globalThis).constructor.constructor('return process')());
attempt('eval', () => eval('1'));
const realm = (v) => (v instanceof Object ? 'context' : 'HOST-REALM');
out.realms = [globalThis.constructor, globalThis.toString, globalThis.hasOwnProperty, globalThis.__lookupGetter__,
	Object.getPrototypeOf(globalThis), agent, agent('x'), args, budget, console, meta].map(realm).join();
attempt('wasm', () => new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
attempt('prepare', () => { Error.prepareStackTrace = (e, s) => s; return 'set'; });
attempt('replaceError', () => { globalThis.Error = { prepareStackTrace: (e, s) => s }; return 'set'; });
try {
	await agent(42);
} catch (e) {
	out.agentError = e instanceof TypeError ? 'context TypeError' : 'HOST-REALM';
}
/* deep recursion: a stack overflow inside the host's function must not surface as a host object */
let hostRealm = 0, caught = 0;
const deep = (n) => {
	try {
		return deep(n + 1);
	} catch (e) {
		try {
			log('x');
		} catch (e2) {
			caught++;
			if (typeof e2 === 'object' && !(e2 instanceof Object))
				hostRealm++;
		}
		return n;
	}
};
for (let i = 0; i < 20; i++)
	deep(0);
out.overflowHostRealm = hostRealm;
return out;`;
	const v = done(await run(probe, { respond: echo, args: { a: 1 } }));
	assert.deepEqual(v, {
		globals: '',
		realms: Array(11).fill('context').join(),
		this: 'threw TypeError',
		global: 'threw EvalError',
		agent: 'threw EvalError',
		asyncfn: 'threw EvalError',
		proto: 'threw EvalError',
		eval: 'threw EvalError',
		wasm: 'threw CompileError',
		prepare: 'threw TypeError',
		replaceError: 'threw TypeError',
		agentError: 'context TypeError',
		overflowHostRealm: 0,
	});
});

test('Date.now, Math.random and new Date() throw; dates from values work', async () => {
	/* reached through another name: the check (below) refuses the plain calls */
	const v = done(await run(`${META}
const out = [];
const D = Date, M = Math;
for (const f of [() => D.now(), () => M.random(), () => new D(), () => Date(),
		 () => new Intl.DateTimeFormat('en').format()])
	try { f(); out.push('ran'); } catch (e) { out.push(e.message); }
class Later extends Date {}
out.push(new Date(0).toISOString(), Date.UTC(2020, 0, 1), new Later(86400000).getTime(),
	 new Date(0) instanceof Date, new Date(0).constructor === Date,
	 new Intl.DateTimeFormat('en', { timeZone: 'UTC' }).format(0), Date.parse('1970-01-02T00:00:00Z'));
return out;`));
	assert.deepEqual(v, [
		'Date.now() is not allowed in a workflow: it breaks resume; pass timestamps in through args',
		'Math.random() is not allowed in a workflow: it breaks resume; derive variety from the item or its index instead',
		'new Date() without arguments is not allowed in a workflow: it breaks resume; pass timestamps in through args (new Date(ms) works)',
		'Date() is not allowed in a workflow: it breaks resume; pass timestamps in through args',
		'Intl.DateTimeFormat format() without a date is not allowed in a workflow: it breaks resume; pass timestamps in through args',
		'1970-01-01T00:00:00.000Z', 1577836800000, 86400000, true, true, '1/1/1970', 86400000,
	]);
	const e = error(await run(`${META}\nconst t = Date['now']()\n`), 'determinism');
	assert.equal(e.line, 3);
});

test('the check refuses globals a workflow does not have, used as code, with line and column', async () => {
	for (const [code, line, column, message] of [
		['const t = Date.now()\n', 2, 11, 'Date.now() is not allowed in a workflow: it breaks resume; pass timestamps in through args'],
		['log(1)\nconst d = new Date()\n', 3, 15, 'new Date() is not allowed in a workflow: it breaks resume; pass timestamps in through args'],
		['const x = [1].map(() => Math.random())\n', 2, 25, 'Math.random() is not allowed in a workflow: it breaks resume; derive variety from the item or its index instead'],
		['const fs = require("fs")\n', 2, 12, 'require is not available in a workflow: there are no modules, only the workflow globals'],
		['log(`${process.env.HOME}`)\n', 2, 8, 'process is not available in a workflow: there is no process: read the run\'s input from args'],
		['await fetch("http://x")\n', 2, 7, 'fetch is not available in a workflow: there is no network: agents and the engine do the work'],
		['if (args) setTimeout(() => 1, 5)\n', 2, 11, 'setTimeout is not available in a workflow: there is nothing to wait for but requests: use await'],
		['const b = Buffer.from("x")\n', 2, 11, 'Buffer is not available in a workflow: use strings and arrays'],
	]) {
		for (const check of [true, false]) {
			const r = await run(`${META}${code}`, { check });
			assert.deepEqual(error(r, 'global'), { type: 'error', kind: 'global', message, line, column }, code);
			if (!check)
				assert.equal(r.messages.length, 1, 'nothing ran before the error');
		}
	}
	/* text, properties, keys and the script's own bindings are not uses */
	const r = await run(`${META}// process.exit() and require('x')
const s = "Date.now() and fetch('x') in a prompt"
const t = \`Math.random() \${s.length}\`, re = /process|require/
const o = { process: 1, fetch() { return 2 }, setTimeout: 3 }
log(o.process, o.fetch(), o['require'])
function f(setTimeout) { return setTimeout }
const { Buffer } = { Buffer: 4 }
class C { require() { return 5 } }
const process = { env: {} }
return [new Date(0).getTime(), Date.UTC(2020, 0, 1), Math.max(1, 2), f(6), Buffer, new C().require(), process.env]
`);
	assert.deepEqual(done(r), [0, 1577836800000, 2, 6, 4, 5, {}]);
});

test('an uncaught exception ends the run with its line', async () => {
	const e = error(await run(`${META}\nfunction f() {\n  throw new RangeError('bad thing')\n}\nf()\n`), 'runtime');
	assert.equal(e.message, 'RangeError: bad thing');
	assert.equal(e.line, 4);
	assert.match(e.stack, /bad thing/);
	const e2 = error(await run(`${META}throw 'a string'`), 'runtime');
	assert.equal(e2.message, 'uncaught "a string"');
	const e3 = error(await run(`${META}null.x`), 'runtime');
	assert.equal(e3.line, 2);
	assert.match(e3.message, /^TypeError: Cannot read properties of null/);
});

test('an unhandled rejection ends the run', async () => {
	const e = error(await run(`${META}Promise.reject(new Error('lost'));\nawait agent('x');\nreturn 1`, { respond: () => {} }), 'runtime');
	assert.equal(e.message, 'unhandled promise rejection: lost');
	assert.equal(e.line, 2);
});

test('the return value must be JSON', async () => {
	for (const [expr, msg] of [
		['() => 1', "the workflow's return value: value is a function, which JSON cannot hold"],
		['{ a: [1, new Map()] }', "the workflow's return value: value.a[1] is a Map, which JSON cannot hold"],
		['[agent("x")]', "the workflow's return value: value[0] is a Promise (a missing await?)"],
		['{ n: NaN }', "the workflow's return value: value.n is NaN, which JSON cannot hold"],
		['(() => { const o = {}; o.self = o; return o })()', "the workflow's return value: value.self refers back to itself (a cycle)"],
		['10n', "the workflow's return value: value is a bigint, which JSON cannot hold"],
	]) {
		const e = error(await run(`${META}return ${expr}`, { respond: () => {} }), 'result');
		assert.equal(e.message, msg);
	}
	assert.deepEqual(done(await run(`${META}return { a: undefined, b: [undefined], d: new Date(0), s: 'x\\u0000\\ud800' }`)),
		{ b: [null], d: '1970-01-01T00:00:00.000Z', s: 'x\ufffd\ufffd' });
});

test('agent() checks its arguments', async () => {
	const v = done(await run(`${META}
const out = [];
for (const [p, o] of [[''], [42], ['x', 'opts'], ['x', { lable: 1 }], ['x', { effort: 'huge' }],
		      ['x', { isolation: 'remote' }], ['x', { tools: ['Read', 3] }], ['x', { schema: [] }],
		      ['x', { label: 7 }], ['x', { schema: { f: () => 1 } }], ['x', { scope: 'src/a.c' }],
		      ['x', { scope: [1] }], ['x', { scope: [] }], ['x', { scope: ['src/a.c', ''] }]])
	try { await agent(p, o); out.push('sent'); } catch (e) { out.push(e.name + ': ' + e.message); }
return out;`, { respond: echo }));
	assert.deepEqual(v, [
		'TypeError: agent(): the prompt must be a non-empty string (got the string "")',
		'TypeError: agent(): the prompt must be a non-empty string (got number 42)',
		'TypeError: agent(): the options must be an object (got the string "opts")',
		'TypeError: agent(): unknown option \'lable\' (known: label, phase, schema, model, effort, isolation, agentType, role, branch, base, unit, tools, scope)',
		'TypeError: agent(): option \'effort\' must be one of \'low\', \'medium\', \'high\', \'xhigh\', \'max\' (got the string "huge")',
		'TypeError: agent(): option \'isolation\' must be one of \'worktree\' (got the string "remote")',
		'TypeError: agent(): option \'tools\' must be an array of non-empty strings (got an array)',
		'TypeError: agent(): option \'schema\' must be an object (got an array)',
		'TypeError: agent(): option \'label\' must be a string (got number 7)',
		'TypeError: agent(): options.schema.f is a function, which JSON cannot hold',
		'TypeError: agent(): option \'scope\' must be a non-empty array of globs (non-empty strings) (got the string "src/a.c")',
		'TypeError: agent(): option \'scope\' must be a non-empty array of globs (non-empty strings) (got an array)',
		'TypeError: agent(): option \'scope\' must be a non-empty array of globs (non-empty strings) (got an array)',
		'TypeError: agent(): option \'scope\' must be a non-empty array of globs (non-empty strings) (got an array)',
	]);
});

test('requests carry params, the current phase and ids in order', async () => {
	const r = await run(`${META}
phase('One')
const a = await agent('first', { label: 'L', schema: { type: 'object' }, isolation: 'worktree', effort: 'low', model: null, unit: undefined, scope: ['src/a.c', 'include/*.h'] })
const o = await oracle({ branch: 'b', runs: 2, timeout: 60 })
const m = await merge('wfmigrate/x/b')
const m2 = await merge({ branch: 'b2', commit: 'c', changed: false, outOfScope: ['x.h'], allowOutOfScope: true })
const c = await chunk({ match: 'strcpy', paths: ['src'], maxBytes: 4000 })
const d = await diff({ from: 'a', to: 'b' })
let bad = []
for (const f of [() => oracle({ runs: 0 }), () => merge(), () => merge({}), () => merge({ branch: 'b', allowOutOfScope: 'yes' }), () => chunk({ lang: 1 }), () => diff({ nope: 1 })])
	try { await f() } catch (e) { bad.push(e.message) }
return { a, o, m, m2, c, d, bad }`, {
		respond: (msg, reply) => reply({ ok: true, value: msg.params.isolation
			? { output: msg.method, branch: 'wfmigrate/r/L', commit: 'c', changed: true, outOfScope: [] }
			: msg.method }),
	});
	const reqs = r.messages.filter((m) => m.type === 'request');
	assert.deepEqual(reqs.map((m) => m.id), [1, 2, 3, 4, 5, 6]);
	assert.deepEqual(reqs[0], { type: 'request', id: 1, method: 'agent', phase: 'One',
		params: { prompt: 'first', label: 'L', schema: { type: 'object' }, isolation: 'worktree', effort: 'low', scope: ['src/a.c', 'include/*.h'] } });
	assert.deepEqual(reqs.slice(1).map((m) => [m.method, m.params]), [
		['oracle', { branch: 'b', runs: 2, timeout: 60 }],
		['merge', { branch: 'wfmigrate/x/b' }],
		['merge', { branch: 'b2', allowOutOfScope: true }],
		['chunk', { match: 'strcpy', paths: ['src'], maxBytes: 4000 }],
		['diff', { from: 'a', to: 'b' }],
	]);
	assert.deepEqual(done(r), { a: 'agent', o: 'oracle', m: 'merge', m2: 'merge', c: 'chunk', d: 'diff', bad: [
		"oracle(): option 'runs' must be an integer from 1 to 1000 (got number 0)",
		'merge(): give the branch to merge (got undefined)',
		'merge(): the branch is missing',
		'merge(): option \'allowOutOfScope\' must be true or false (got the string "yes")',
		"chunk(): option 'lang' must be a non-empty string (got number 1)",
		"diff(): unknown option 'nope' (known: branch, from, to, paths); a worktree agent's result is known as agent() returned it, not as a copy ({...r}): pass it as it is, or worktreeOf(r).branch",
	] });
});

/* the engine's answer to a worktree agent: its record (docs/protocol.md) */
function worktreeEngine(outputs) {
	return (msg, reply) => {
		if (msg.method !== 'agent') {
			reply({ ok: true, value: msg.method });
			return;
		}
		const p = msg.params;
		const out = outputs[p.label ?? p.prompt];
		if (out === 'never')
			return;
		if (!p.isolation) {
			reply({ ok: true, value: out ?? `R:${p.prompt}` });
			return;
		}
		if (out === null) {
			reply({ ok: true, value: null });
			return;
		}
		const rec = { output: out, branch: p.branch ?? `wfmigrate/run/${p.label}`,
			commit: `c-${p.prompt}`, changed: true };
		if (p.role === 'verifier') {
			rec.branch = null;
			rec.changed = false;
		}
		if (p.scope)
			rec.outOfScope = ['include/x.h'];
		reply({ ok: true, value: rec });
	};
}

test('isolation worktree: agent() resolves to the output; oracle, merge, diff and worktreeOf find the worktree', async () => {
	const r = await run(`${META}
const schema = { type: 'object', properties: { patch: { type: 'string' } }, required: ['patch'] }
const obj = await agent('o', { isolation: 'worktree', schema, label: 'obj' })
const text = await agent('t', { isolation: 'worktree', label: 'text', scope: ['src/*.c'] })
const plain = await agent('p', { label: 'plain' })
const failed = await agent('f', { isolation: 'worktree', label: 'failed' })
const out = {
	obj, patch: obj.patch, text, plain, failed,
	wobj: worktreeOf(obj), wtext: worktreeOf(text), wplain: worktreeOf(plain), wfailed: worktreeOf(failed),
	wcopy: worktreeOf({ ...obj }), wnone: worktreeOf(), wnested: worktreeOf(obj.patch),
	frozen: [Object.isFrozen(worktreeOf(obj)), Object.isFrozen(worktreeOf(text).outOfScope), Object.isFrozen(obj)],
	same: worktreeOf(obj) === worktreeOf(worktreeOf(obj)),
}
obj.extra = 1 /* the script's own object: it stays registered */
out.o = await oracle(obj)
out.m = await merge(text)
out.d = await diff(obj)
out.o2 = await oracle(worktreeOf(text))
out.m2 = await merge({ ...worktreeOf(obj), message: 'msg' })
out.o3 = await oracle(text)
return out`, { respond: worktreeEngine({ obj: { patch: 'P' }, text: 'T', failed: null }) });
	const v = done(r);
	assert.deepEqual(v, {
		obj: { patch: 'P', extra: 1 }, patch: 'P', text: 'T', plain: 'R:p', failed: null,
		wobj: { branch: 'wfmigrate/run/obj', commit: 'c-o', changed: true },
		wtext: { branch: 'wfmigrate/run/text', commit: 'c-t', changed: true, outOfScope: ['include/x.h'] },
		wplain: null, wfailed: null, wcopy: null, wnone: null, wnested: null,
		frozen: [true, true, false], same: true,
		o: 'oracle', m: 'merge', d: 'diff', o2: 'oracle', m2: 'merge', o3: 'oracle',
	});
	const reqs = r.messages.filter((m) => m.type === 'request' && m.method !== 'agent');
	assert.deepEqual(reqs.map((m) => [m.method, m.params]), [
		['oracle', { branch: 'wfmigrate/run/obj' }],
		['merge', { branch: 'wfmigrate/run/text' }],
		['diff', { branch: 'wfmigrate/run/obj' }],
		['oracle', { branch: 'wfmigrate/run/text' }],
		['merge', { branch: 'wfmigrate/run/obj', message: 'msg' }],
		['oracle', { branch: 'wfmigrate/run/text' }],
	]);
	/* the request itself is as before: the conversion is the runtime's */
	const agents = r.messages.filter((m) => m.type === 'request' && m.method === 'agent');
	assert.deepEqual(agents[0].params, { prompt: 'o', isolation: 'worktree', label: 'obj',
		schema: { type: 'object', properties: { patch: { type: 'string' } }, required: ['patch'] } });
});

test('isolation worktree: one text from several branches is ambiguous; the promise tells them apart', async () => {
	const r = await run(`${META}
const p1 = agent('one', { isolation: 'worktree', label: 'b' })
const p2 = agent('two', { isolation: 'worktree', label: 'a' })
const slow = agent('slow', { isolation: 'worktree', label: 'slow' })
const out = {}
const attempt = async (name, f) => {
	try {
		const v = await f()
		out[name] = v
	} catch (e) {
		out[name] = (e instanceof TypeError ? 'TypeError: ' : 'OTHER: ') + e.message
	}
}
await attempt('pending', () => worktreeOf(slow))
const [a, b] = [await p1, await p2]
out.same = a === b
await attempt('oracle', () => oracle(a))
await attempt('worktreeOf', () => worktreeOf(a))
out.byPromise = [worktreeOf(p1).branch, worktreeOf(p2).branch]
out.m = await merge(p2)
/* the same branch again: its newer record, no ambiguity */
const c1 = await agent('c1', { isolation: 'worktree', label: 'c', branch: 'wfmigrate/mine' })
const c2 = await agent('c2', { isolation: 'worktree', label: 'c', branch: 'wfmigrate/mine' })
out.c = [c1 === c2, worktreeOf(c1).commit]
return out`, { respond: worktreeEngine({ a: 'Done.', b: 'Done.', slow: 'never', c: 'C' }) });
	const v = done(r);
	/* the branches sorted, not in the order the agents finished (resume may differ) */
	const ambiguous = 'the string "Done." was returned by 2 worktree agents (branches wfmigrate/run/a, ' +
		'wfmigrate/run/b), so it does not tell which: pass worktreeOf(promise) with the promise agent() ' +
		'returned, or name each agent\'s branch (agent(..., { branch })) and pass that name, or give the ' +
		'agents a schema (each object result is its own)';
	assert.deepEqual(v, {
		pending: 'TypeError: worktreeOf(): the agent has not finished: await its promise first',
		same: true,
		oracle: `TypeError: oracle(): ${ambiguous}`,
		worktreeOf: `TypeError: worktreeOf(): ${ambiguous}`,
		byPromise: ['wfmigrate/run/b', 'wfmigrate/run/a'],
		m: 'merge',
		c: [true, 'c-c2'],
	});
	const merges = r.messages.filter((m) => m.type === 'request' && m.method === 'merge');
	assert.deepEqual(merges.map((m) => m.params), [{ branch: 'wfmigrate/run/a' }]);
	assert.equal(r.messages.filter((m) => m.type === 'request' && m.method === 'oracle').length, 0);
});

test('oracle, merge and diff: what is neither a worktree result nor a valid form is a TypeError', async () => {
	const r = await run(`${META}
const failedP = agent('f', { isolation: 'worktree', label: 'failed' })
const failed = await failedP
const verdict = await agent('v', { isolation: 'worktree', role: 'verifier', label: 'v', schema: { type: 'object' } })
const plainP = agent('plain')
const plain = await plainP
const out = []
for (const f of [
	() => merge('I renamed the calls in src/a.c'), () => merge(null), () => oracle(null), () => diff(failed),
	() => merge(failedP), () => oracle(verdict), () => diff(), () => diff({ from: 'a' }), () => merge(42),
	() => merge({ patch: 'x' }), () => oracle([1]), () => oracle(plainP), () => merge({ branch: 'a b' }),
	() => oracle(plain), () => merge({ branch: {} }),
])
	try { await f(); out.push('sent') } catch (e) { out.push((e instanceof TypeError ? '' : 'NOT A TypeError: ') + e.message) }
/* the forms of before */
out.push(await merge('wfmigrate/x/b'), await oracle(), await oracle({}), await diff({ from: 'a', to: 'b' }))
return out`, { respond: worktreeEngine({ failed: null, v: { verdict: 'pass' }, plain: 'R:a b c' }) });
	const want = "a worktree agent's result, a branch name or options";
	assert.deepEqual(done(r), [
		`merge(): the string "I renamed the calls in src/a.c" is not a branch name, nor a value a worktree agent of this run returned: give ${want}`,
		`merge(): got null, the value of a failed agent? give ${want}`,
		`oracle(): got null, the value of a failed agent? give ${want}`,
		`diff(): got null, the value of a failed agent? give ${want}`,
		'merge(): that worktree agent failed: it left no branch',
		"oracle(): that agent's work was not kept: a read-only role gets a worktree, not a branch",
		`diff(): give ${want} (got undefined)`,
		"diff(): give 'branch' or 'to'",
		`merge(): give ${want} (got number 42)`,
		"merge(): unknown option 'patch' (known: branch, message, allowOutOfScope); a worktree agent's result is known as agent() returned it, not as a copy ({...r}): pass it as it is, or worktreeOf(r).branch",
		`oracle(): give ${want} (got an array)`,
		`oracle(): give ${want} (got a Promise) (a missing await?)`,
		'merge(): option \'branch\' must be a branch name (a non-empty string without spaces or control characters) (got the string "a b")',
		`oracle(): the string "R:a b c" is not a branch name, nor a value a worktree agent of this run returned: give ${want}`,
		"merge(): option 'branch' must be a branch name (a non-empty string without spaces or control characters) (got an object)",
		'merge', 'oracle', 'oracle', 'diff',
	]);
	const sent = r.messages.filter((m) => m.type === 'request' && m.method !== 'agent');
	assert.deepEqual(sent.map((m) => [m.method, m.params]), [
		['merge', { branch: 'wfmigrate/x/b' }], ['oracle', {}], ['oracle', {}], ['diff', { from: 'a', to: 'b' }],
	]);
});

test('isolation worktree: a stop makes a pending worktree agent null; worktreeOf() values are of the context', async () => {
	const r = await run(`${META}
const schema = { type: 'object' }
const r = await agent('o', { isolation: 'worktree', schema, label: 'obj', scope: ['a.c'] })
const w = worktreeOf(r)
const realm = (v) => (v instanceof Object ? 'context' : 'HOST-REALM')
const out = {
	realms: [r, w, w.outOfScope, w.constructor, worktreeOf].map(realm).join(),
	proto: Object.getPrototypeOf(w) === Object.prototype && Array.isArray(w.outOfScope),
}
try { worktreeOf(r).branch = 'x' } catch (e) { out.assign = realm(e) + ' ' + e.name }
try { await oracle('a b') } catch (e) { out.error = realm(e) + ' ' + e.name }
try { worktreeOf.constructor('return process')() } catch (e) { out.fn = e.name }
const p = agent('stopped', { isolation: 'worktree', label: 'stopped' })
out.stopped = await p
out.wstopped = worktreeOf(p)
return out`, {
		respond: worktreeEngine({ obj: { a: 1 }, stopped: 'never' }),
		onMessage: (msg, send) => {
			if (msg.type === 'request' && msg.params.label === 'stopped')
				send({ type: 'stop' });
		},
	});
	assert.deepEqual(done(r), {
		realms: Array(5).fill('context').join(), proto: true,
		assign: 'context TypeError', error: 'context TypeError', fn: 'EvalError',
		stopped: null, wstopped: null,
	});
});

test('pipeline and parallel: no barrier, nulls for failures, never reject', async () => {
	const order = [];
	const r = await run(`${META}
const p = await pipeline(['a', 'b', 'c', 'd'],
	(x) => agent('one ' + x),
	(prev, item, i) => { if (item === 'b') throw new Error('stage two broke'); return agent('two ' + prev + ' ' + i) },
	(prev) => prev.toUpperCase())
const q = await parallel([() => agent('p1'), () => agent('fail'), () => 3, () => { throw new Error('sync') }, agent('promise')])
const empty = await pipeline([], (x) => x)
return { p, q, empty }`, {
		respond: (msg, reply) => {
			order.push(msg.params.prompt);
			if (msg.params.prompt === 'fail')
				reply({ ok: false, error: 'it failed' });
			/* answer 'one a' last: 'two c' must not wait for it (no barrier) */
			else if (msg.params.prompt === 'one a')
				setTimeout(() => reply({ ok: true, value: 'A' }), 300);
			else
				reply({ ok: true, value: msg.params.prompt.replace(/ /g, '_') });
		},
	});
	const v = done(r);
	assert.deepEqual(v.p, ['TWO_A_0', null, 'TWO_ONE_C_2', 'TWO_ONE_D_3']);
	assert.deepEqual(v.q, ['p1', null, 3, null, 'promise']);
	assert.deepEqual(v.empty, []);
	assert.ok(order.indexOf('two one_c 2') < order.indexOf('two A 0'), order.join());
	const warns = r.messages.filter((m) => m.type === 'log' && m.level === 'warn').map((m) => m.message);
	assert.deepEqual(warns.sort(), [
		'parallel(): element 1 failed: it failed',
		'parallel(): element 3 failed: sync (line 7)',
		'pipeline(): stage 2 failed for item 1: stage two broke (line 5)',
	]);
});

test('4096 items per call, more is an error and starts nothing', async () => {
	const r = await run(`${META}
const ok = await parallel(Array.from({ length: 4096 }, (_, i) => () => i))
let e1, e2
try { await pipeline(Array.from({ length: 4097 }, (_, i) => i), (x) => agent('x' + x)) } catch (e) { e1 = e.name + ': ' + e.message }
try { await parallel(Array.from({ length: 5000 }, () => () => agent('y'))) } catch (e) { e2 = e.message }
return { n: ok.length, e1, e2 }`, { respond: echo, limits: { itemsPerCall: 4096, agentsPerRun: 1000 } });
	assert.equal(r.messages.filter((m) => m.type === 'request').length, 0);
	assert.deepEqual(done(r), {
		n: 4096,
		e1: 'RangeError: pipeline(): 4097 items, more than the limit of 4096 per call: split the list (nothing was started)',
		e2: 'parallel(): 5000 items, more than the limit of 4096 per call: split the list (nothing was started)',
	});
});

test('limits: the engine\'s, from start, enforced and read by scripts; none when it sends none', async () => {
	const script = `${META}
let e1
try { await parallel([1, 2, 3].map((i) => () => i)) } catch (e) { e1 = e.message }
const two = await pipeline([1, 2], (x) => x * 2)
let frozen = true
try { limits.itemsPerCall = 9; frozen = limits.itemsPerCall === 2 } catch { }
return { limits, e1, two, frozen }`;
	assert.deepEqual(done(await run(script, { limits: { itemsPerCall: 2, agentsPerRun: 7 } })), {
		limits: { itemsPerCall: 2, agentsPerRun: 7 },
		e1: 'parallel(): 3 items, more than the limit of 2 per call: split the list (nothing was started)',
		two: [2, 4],
		frozen: true,
	});
	/* no limits in start: nothing to enforce, and the script sees nulls */
	const v = done(await run(`${META}
const n = (await parallel(Array.from({ length: 5000 }, (_, i) => () => i))).length
return { limits, n }`));
	assert.deepEqual(v, { limits: { itemsPerCall: null, agentsPerRun: null }, n: 5000 });
	/* a nested workflow sees the same limits */
	const fs = await import('node:fs');
	const child = writeScript(`export const meta = { name: 'child', description: 'nested' }
return limits`, 'limits-child.js');
	const nested = done(await run(`${META}return await workflow('child')`, {
		limits: { itemsPerCall: 10, agentsPerRun: 20 },
		respond: (msg, reply) => reply({ ok: true, value: { source: fs.readFileSync(child, 'utf8'), path: child } }),
	}));
	assert.deepEqual(nested, { itemsPerCall: 10, agentsPerRun: 20 });
	/* anything but positive integers or null is a protocol error */
	for (const limits of [[], 'x', { itemsPerCall: 0 }, { agentsPerRun: 1.5 }, { itemsPerCall: '4096' }]) {
		const e = error(await run(`${META}return 1`, { limits }), 'protocol');
		assert.match(e.message, /^start: limits must be/);
	}
});

test('rubric(): the text the engine finds by name; its errors reject', async () => {
	const r = await run(`${META}
const text = await rubric('migration')
const errs = []
for (const name of ['nope', '', 7, undefined])
	try { await rubric(name) } catch (e) { errs.push(e.name + ': ' + e.message) }
return { text, errs }`, {
		respond: (msg, reply) => {
			if (msg.method !== 'rubric')
				return reply({ ok: false, error: `unexpected ${msg.method}` });
			if (msg.params.name === 'migration')
				return reply({ ok: true, value: { text: '# Rubric\n1. rule\n', path: '/d/rubrics/migration.md' } });
			reply({ ok: false, error: `rubric(): no rubric named '${msg.params.name}'` });
		},
	});
	const v = done(r);
	assert.equal(v.text, '# Rubric\n1. rule\n');
	assert.deepEqual(v.errs, [
		"Error: rubric(): no rubric named 'nope'",
		'TypeError: rubric(): give the name of a rubric, such as \'migration\' (got the string "")',
		"TypeError: rubric(): give the name of a rubric, such as 'migration' (got number 7)",
		"TypeError: rubric(): give the name of a rubric, such as 'migration' (got undefined)",
	]);
	const sent = r.messages.filter((m) => m.type === 'request');
	assert.deepEqual(sent.map((m) => [m.method, m.params]), [['rubric', { name: 'migration' }], ['rubric', { name: 'nope' }]]);
});

test('budget: total from start, spent() from budget messages, remaining()', async () => {
	const r = await run(`${META}
const before = [budget.total, budget.spent(), budget.remaining()]
await agent('x')
const after = [budget.spent(), budget.remaining()]
let refused
try { await agent('y') } catch (e) { refused = e.message }
return { before, after, refused }`, {
		budget: { total: 1000, spent: 100 },
		respond: (msg, reply, send) => {
			/* the budget update comes before the result */
			if (msg.params.prompt === 'x')
				send({ type: 'budget', spent: 1000 });
			reply({ ok: true, value: 'ok' });
		},
	});
	assert.deepEqual(done(r), {
		before: [1000, 100, 900],
		after: [1000, 0],
		refused: 'agent(): the token budget is spent (1000 of 1000)',
	});
	const v = done(await run(`${META}return [budget.total, budget.remaining() === Infinity]`));
	assert.deepEqual(v, [null, true]);
});

test('budget: the total stays; an exhausted ledger makes remaining() 0; refusals carry code budget', async () => {
	const r = await run(`${META}
const seen = []
const refused = []
const tryAgent = async (p) => { try { return await agent(p) } catch (e) { refused.push([e.code, e.message]) } }
await tryAgent('x')
seen.push([budget.total, budget.spent(), budget.remaining()])
await tryAgent('refused by the engine')
await tryAgent('y')
/* a --max-cost run, say: the tokens are not all spent, the ledger is */
seen.push([budget.total, budget.spent(), budget.remaining()])
await tryAgent('the engine decides')
await tryAgent('z')
seen.push([budget.total, budget.spent(), budget.remaining()])
await tryAgent('refused by the runtime')
return { seen, refused }`, {
		budget: { total: 5000, spent: 0 },
		respond: (msg, reply, send) => {
			if (msg.params.prompt === 'refused by the engine') {
				reply({ ok: false, error: 'budget: no new unit is started: ...', code: 'budget' });
				return;
			}
			if (msg.params.prompt === 'y')
				send({ type: 'budget', spent: 1200, exhausted: true });
			if (msg.params.prompt === 'z')
				send({ type: 'budget', spent: 5000 });
			reply({ ok: true, value: 'ok' });
		},
	});
	assert.deepEqual(done(r), {
		seen: [[5000, 0, 5000], [5000, 1200, 0], [5000, 5000, 0]],
		refused: [['budget', 'budget: no new unit is started: ...'],
			  ['budget', 'agent(): the token budget is spent (5000 of 5000)']],
	});
	assert.equal(r.messages.filter((m) => m.type === 'request').length, 5);
	/* a code that is not a string is a protocol error */
	const bad = await run(`${META}await agent('x').catch(() => {})`, {
		respond: (msg, reply) => reply({ ok: false, error: 'no', code: 7 }),
	});
	assert.equal(bad.last.kind, 'protocol');
});

test('work items: a top-level pipeline() or parallel() element is an item, followed through awaits', async () => {
	const r = await run(`${META}
await agent('bare before')
const out = await pipeline(['a', 'b'],
	async (x) => { await agent('impl ' + x); return agent('impl2 ' + x) },
	async (x, item) => {
		await oracle({})
		/* a parallel() or pipeline() inside an item belongs to it */
		await parallel([() => agent('panel1 ' + item), () => agent('panel2 ' + item)])
		await pipeline([1], () => agent('nested ' + item), () => agent('nested2 ' + item))
		return item
	})
await parallel([() => agent('p1'), () => agent('p2')])
await agent('bare after')
return out`, { respond: echo });
	assert.deepEqual(done(r), ['a', 'b']);
	const hint = {};
	const ends = [];
	for (const m of r.messages) {
		if (m.type === 'request')
			hint[m.method === 'agent' ? m.params.prompt : `oracle ${m.id}`] =
				m.item ? [m.item.id, m.item.stage, m.item.stages] : null;
		if (m.type === 'item_end')
			ends.push(m.item);
	}
	const oracles = Object.entries(hint).filter(([k]) => k.startsWith('oracle'));
	assert.deepEqual(oracles.map(([, v]) => v).sort(), [[1, 1, 2], [2, 1, 2]]);
	for (const [k] of oracles)
		delete hint[k];
	assert.deepEqual(hint, {
		'bare before': null,
		'impl a': [1, 0, 2], 'impl2 a': [1, 0, 2], 'impl b': [2, 0, 2], 'impl2 b': [2, 0, 2],
		'panel1 a': [1, 1, 2], 'panel2 a': [1, 1, 2], 'panel1 b': [2, 1, 2], 'panel2 b': [2, 1, 2],
		'nested a': [1, 1, 2], 'nested2 a': [1, 2, 2], 'nested b': [2, 1, 2], 'nested2 b': [2, 2, 2],
		p1: [3, 0, 1], p2: [4, 0, 1],
		'bare after': null,
	});
	/* each item ends once, after its last request */
	assert.deepEqual(ends.slice().sort(), [1, 2, 3, 4]);
	const at = (pred) => r.messages.findIndex(pred);
	assert.ok(at((m) => m.type === 'item_end' && m.item === 1) >
		  at((m) => m.type === 'request' && m.params.prompt === 'nested2 a'));
});

test('stop: pending agents become null, other requests and later calls reject', async () => {
	const r = await run(`${META}
const results = await parallel([() => agent('a'), () => oracle({}), () => agent('b')])
let later
try { await agent('after') } catch (e) { later = e.message }
const p = await pipeline([1, 2], (x) => agent('p' + x))
return { results, later, p }`, {
		respond: (msg, reply) => {},
		onMessage: (msg, send) => {
			if (msg.type === 'request' && msg.id === 3)
				send({ type: 'stop' });
		},
	});
	const v = done(r);
	assert.deepEqual(v, { results: [null, null, null], later: 'the run was stopped', p: [null, null] });
	assert.equal(r.messages.filter((m) => m.type === 'request').length, 3);
	const e = error(await run(`${META}\nawait agent('a')\nawait oracle()\n`, {
		respond: () => {},
		onMessage: (msg, send) => {
			if (msg.type === 'request')
				send({ type: 'stop' });
		},
	}), 'stopped');
	assert.equal(e.line, 4);
});

test('workflow(): runs another script in a fresh context, one level only', async () => {
	const child = writeScript(`export const meta = { name: 'child', description: 'nested' }
phase('Inner')
log('child args', args)
const r = await agent('from child')
if (typeof parentSecret !== 'undefined') throw new Error('shared context')
let nested
try { await workflow('grandchild') } catch (e) { nested = e.message }
return { r, nested, name: meta.name }`, 'child.js');
	const broken = writeScript(`export const meta = { name: 'broken', description: 'x' }\n\nnull.boom\n`, 'broken.js');
	const badMeta = writeScript(`export const meta = { name: 'bad' }\n`, 'badmeta.js');
	const fs = await import('node:fs');
	const r = await run(`${META}
globalThis.parentSecret = 1
const v = await workflow('child', { k: 1 })
const errs = []
for (const w of ['broken', { scriptPath: 'badmeta' }, 'missing'])
	try { await workflow(w) } catch (e) { errs.push(e.message) }
return { v, errs }`, {
		respond: (msg, reply) => {
			if (msg.method === 'workflow_source') {
				const files = { child, broken, badmeta: badMeta };
				const path = files[msg.params.name];
				if (!path)
					return reply({ ok: false, error: `no workflow '${msg.params.name}'` });
				return reply({ ok: true, value: { source: fs.readFileSync(path, 'utf8'), path } });
			}
			reply({ ok: true, value: `R:${msg.params.prompt}` });
		},
	});
	const v = done(r);
	assert.deepEqual(v.v, { r: 'R:from child', nested: 'workflow(): a nested workflow cannot start another one (one level only)', name: 'child' });
	assert.deepEqual(v.errs, [
		`workflow 'broken' failed: ${broken}:3: TypeError: Cannot read properties of null (reading 'boom')`,
		`workflow 'badmeta' failed: ${badMeta}:1: meta.description is missing`,
		"no workflow 'missing'",
	]);
	const inner = r.messages.filter((m) => m.workflow === 'child');
	assert.deepEqual(inner.map((m) => m.type), ['phase', 'log', 'request']);
	assert.deepEqual(inner[1].message, 'child args {"k":1}');
	assert.equal(inner[2].phase, 'Inner');
});

test('protocol errors from the engine end the run', async () => {
	for (const [bad, msg] of [
		['not json', /not JSON/],
		[JSON.stringify({ type: 'result', id: 99, ok: true, value: 1 }), /request 99, which was never made/],
		[JSON.stringify({ type: 'weird' }), /unknown type "weird"/],
		[JSON.stringify({ type: 'result', id: 1, ok: false }), /"ok": false with "error"/],
	]) {
		const e = error(await run(`${META}await agent('x')`, {
			respond: (m, reply, send) => {},
			onMessage: (m, send, child) => {
				if (m.type === 'request')
					child.stdin.write(bad + '\n');
			},
		}), 'protocol');
		assert.match(e.message, msg);
	}
});

test('the runtime exits when the engine closes its input', async () => {
	const r = await run(`${META}await agent('x')`, {
		onMessage: (m, send, child) => {
			if (m.type === 'request')
				child.stdin.end();
		},
	});
	assert.equal(r.code, 3);
	assert.equal(r.last.type, 'request');
});

test('the runtime refuses to run without its safety flags', async () => {
	const { spawnSync } = await import('node:child_process');
	const { runtimeDir } = await import('./support.mjs');
	const script = writeScript(`${META}return 1`);
	let p = spawnSync(process.execPath, [`${runtimeDir}/harness.mjs`, script], { encoding: 'utf8' });
	assert.equal(p.status, 2);
	assert.match(p.stderr, /--experimental-vm-modules/);
	p = spawnSync(process.execPath, ['--experimental-vm-modules', `${runtimeDir}/harness.mjs`, script], { encoding: 'utf8' });
	assert.equal(p.status, 2);
	assert.match(p.stderr, /--disallow-code-generation-from-strings/);
});

test('import() is refused by the syntax check, before the script runs; the text "import(" is not', async () => {
	const calls = [
		['const fs = await import("node:fs")\n', 1, 18],
		['log("a")\nif (args) {\n  const m = await import /* c */ (`./x.js`)\n}\n', 3, 19],
		['const load = async () => (await import(\'node:fs\')).default\nreturn 1\n', 1, 33],
		['const p = [1].map(() => import("x"))\n', 1, 25],
	];
	for (const [body, line, column] of calls)
		for (const check of [true, false]) {
			const r = await run(`${META}${body}`, { check, respond: echo });
			const e = error(r, 'syntax');
			assert.equal(e.message, 'import() is not available in a workflow: there are no modules, only the workflow globals');
			assert.deepEqual([e.line, e.column], [line + 1, column], body);
			assert.ok(!r.messages.some((m) => m.type === 'request'), 'no request before the refusal');
		}
	const text = `${META}// import('a') in a comment
/* import("b") */
const s = 'import("c")' + "import(" + \`import(\${1})\`
const re = /import\\(x\\)/
const o = { import(x) { return x + 1 }, ['import(']: 2 }
class C { static import(y) { return y } }
const n = o.import(1) + C.import(1) + o . import (1)
return { s, re: re.source, n }`;
	const r = await run(text, { check: true });
	assert.equal(r.code, 0, JSON.stringify(r.last));
	assert.deepEqual(done(await run(text, { respond: echo })),
		{ s: 'import("c")import(import(1)', re: 'import\\(x\\)', n: 5 });
});
