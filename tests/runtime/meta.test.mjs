// The meta literal parser (runtime/meta.mjs), without running node's vm.
import assert from 'node:assert/strict';
import test from 'node:test';

import { MetaError, blankRange, lineColumn, parseMeta } from '../../runtime/meta.mjs';

const OK = "name: 'n', description: 'd'";

function meta(src) {
	return parseMeta(src).meta;
}

function fails(src, line, column, pattern) {
	assert.throws(() => parseMeta(src), (e) => {
		assert.ok(e instanceof MetaError, `not a MetaError: ${e}`);
		assert.equal(`${e.line}:${e.column}`, `${line}:${column}`, e.message);
		if (pattern)
			assert.match(e.message, pattern);
		return true;
	});
}

test('literal forms', () => {
	const m = meta(`export const meta = {
		name: "double \\"q\\" \\u0041\\x42\\u{1F600}\\
continued",
		'description': 'single \\'q\\' \\n\\t',
		whenToUse: \`template
line\`,
		n: [1, -2, +3, .5, 1e3, 0x1F, 0o17, 0b101, 1_000, -0.25e-2,],
		t: true, f: false, z: null,
		nested: { a: { b: [ {}, [] ] }, 'quoted key': 1, 42: 'num key', default: 'keyword key', },
	}`);
	assert.equal(m.name, 'double "q" AB\u{1F600}continued');
	assert.equal(m.description, "single 'q' \n\t");
	assert.equal(m.whenToUse, 'template\nline');
	assert.deepEqual(m.n, [1, -2, 3, 0.5, 1000, 31, 15, 5, 1000, -0.0025]);
	assert.equal(m.t, true);
	assert.equal(m.f, false);
	assert.equal(m.z, null);
	assert.deepEqual(m.nested, { a: { b: [{}, []] }, 'quoted key': 1, 42: 'num key', default: 'keyword key' });
});

test('comments, hashbang and the end of the statement', () => {
	const src = `#!/usr/bin/env node
// a comment
/* a block
   comment */ export /* here */ const meta = { // trailing
  ${OK}, /* inside */
} ; const x = 1;`;
	const r = parseMeta(src);
	assert.deepEqual(r.meta, { name: 'n', description: 'd' });
	assert.equal(src.slice(r.end), ' const x = 1;');
	assert.ok(src.slice(r.start).startsWith('export'));
	/* no semicolon: the statement ends with the literal (automatic semicolon) */
	const src2 = `export const meta = {${OK}}\nconst y = 2`;
	assert.equal(src2.slice(parseMeta(src2).end), '\nconst y = 2');
	const src3 = `export const meta = {${OK}}`;
	assert.equal(parseMeta(src3).end, src3.length);
});

test('blanking keeps lines and columns', () => {
	const src = `export const meta = {\n${OK},\n};\nfoo()`;
	const r = parseMeta(src);
	const b = blankRange(src, r.start, r.end);
	assert.equal(b.length, src.length);
	assert.equal(b.split('\n').length, src.split('\n').length);
	assert.match(b, /^ +\n +\n +\nfoo\(\)$/);
	assert.deepEqual(lineColumn(src, src.indexOf('foo')), { line: 4, column: 1 });
	assert.deepEqual(lineColumn('a\r\nb\rc', 5), { line: 3, column: 1 });
});

test('the statement must come first', () => {
	fails('', 1, 1, /file is empty/);
	fails('// only a comment\n', 2, 1, /file is empty/);
	fails(`const x = 1\nexport const meta = {${OK}}`, 1, 1, /must begin with `export const meta/);
	fails(`export let meta = {${OK}}`, 1, 8, /must begin/);
	fails(`export const info = {${OK}}`, 1, 14, /must be called meta/);
	fails(`export const meta: Meta = {${OK}}`, 1, 18, /type annotations/);
	fails(`export const meta = [1]`, 1, 21, /object literal/);
	fails(`export const meta = {${OK}}, other = 1`, 1, 50, /declared alone/);
	fails(`export const meta = {${OK}} foo()`, 1, 51, /expected `;`/);
	fails(`export const meta = {${OK}}\n(foo)`, 2, 1, /calls/);
	fails(`export const meta = {${OK}}\n+ 1`, 2, 1, /operators/);
});

test('only literals', () => {
	fails('export const meta = { name: x, description: "d" }', 1, 29, /`x` is an identifier/);
	fails('export const meta = { name: f(), description: "d" }', 1, 29, /calls are not allowed/);
	fails('export const meta = { name: "a".trim(), description: "d" }', 1, 32, /property access/);
	fails('export const meta = { name: "a" + "b", description: "d" }', 1, 33, /operators/);
	fails('export const meta = { ...base, name: "a" }', 1, 23, /spread/);
	fails('export const meta = { name: "a", tags: [...t] }', 1, 41, /spread/);
	fails('export const meta = { name: `a${x}`, description: "d" }', 1, 31, /interpolation/);
	fails('export const meta = { [k]: 1 }', 1, 23, /computed keys/);
	fails('export const meta = { name }', 1, 23, /shorthand/);
	fails('export const meta = { name() {} }', 1, 23, /methods/);
	fails('export const meta = { get name() { return 1 } }', 1, 23, /getters/);
	fails('export const meta = { name: () => 1 }', 1, 29, /parenthesised/);
	fails('export const meta = { name: a => 1 }', 1, 29, /functions/);
	fails('export const meta = { name: new Foo() }', 1, 29, /`new`/);
	fails('export const meta = { name: undefined }', 1, 29, /`undefined`/);
	fails('export const meta = { n: NaN }', 1, 26, /`NaN`/);
	fails('export const meta = { n: 10n }', 1, 26, /BigInt/);
	fails('export const meta = { n: 017 }', 1, 26, /leading zero/);
	fails('export const meta = { r: /x/ }', 1, 26, /regular expressions/);
	fails('export const meta = { s: "\\1" }', 1, 27, /octal escapes/);
	fails('export const meta = { a: [1,,2] }', 1, 29, /holes/);
	fails('export const meta = { a: 1, a: 2 }', 1, 29, /duplicate key/);
	fails('export const meta = { __proto__: {} }', 1, 23, /__proto__/);
	fails('export const meta = { a: -"x" }', 1, 26, /sign may only precede a number/);
	fails('export const meta = { a: "x }', 1, 26, /unterminated string/);
	fails('export const meta = { a: 1 /* x }', 1, 28, /unterminated comment/);
	fails('export const meta = { a: 1 b: 2 }', 1, 28, /expected `,` or `}`/);
});

test('the contract: name, description, phases', () => {
	fails('export const meta = { description: "d" }', 1, 21, /meta.name is missing/);
	fails('export const meta = { name: "n" }', 1, 21, /meta.description is missing/);
	fails('export const meta = { name: "  ", description: "d" }', 1, 23, /meta.name must be a non-empty string/);
	fails('export const meta = { name: 1, description: "d" }', 1, 23, /meta.name must be a non-empty string/);
	fails(`export const meta = { ${OK}, whenToUse: 3 }`, 1, 52, /whenToUse must be a string/);
	fails(`export const meta = { ${OK}, phases: {} }`, 1, 52, /phases must be an array/);
	fails(`export const meta = { ${OK}, phases: ["x"] }`, 1, 61, /phases\[0\] must be an object/);
	fails(`export const meta = { ${OK}, phases: [{ title: "a" }, { detail: "x" }] }`, 1, 77, /phases\[1\].title is missing/);
	fails(`export const meta = { ${OK}, phases: [{ title: "" }] }`, 1, 63, /title must be a non-empty string/);
	fails(`export const meta = { ${OK}, phases: [{ title: "a", model: 1 }] }`, 1, 75, /phases\[0\].model must be a string/);
	const m = meta(`export const meta = { ${OK}, whenToUse: "w", phases: [{ title: "a", detail: "d", model: "m" }], extra: { x: 1 } }`);
	assert.deepEqual(m.phases, [{ title: 'a', detail: 'd', model: 'm' }]);
	assert.deepEqual(m.extra, { x: 1 });
});

test('phases[].agents: what a phase plans, for the estimate', () => {
	const ph = (agents, args = '') =>
		`export const meta = { ${OK}, ${args}phases: [{ title: "a", agents: ${agents} }] }`;
	const err = (src, re) => assert.throws(() => meta(src), re);
	err(ph('1'), /agents must be an object/);
	err(ph('{ role: "boss", perUnit: 1 }'), /agents.role must be one of/);
	err(ph('{ role: "fixer" }'), /exactly one of perUnit and count/);
	err(ph('{ role: "fixer", perUnit: 1, count: 1 }'), /exactly one of perUnit and count/);
	err(ph('{ role: "fixer", perUnit: -1 }'), /whole number >= 0/);
	err(ph('{ role: "fixer", perUnit: [1] }'), /a bound or \[low, high\]/);
	err(ph('{ role: "fixer", perUnit: { arg: "r", times: 2 } }'), /unknown key 'times'/);
	err(ph('{ role: "fixer", perUnit: 1, each: 2 }'), /unknown key 'each'/);
	err(ph('{ role: "fixer", perUnit: [0, "rounds"] }', 'args: { r: {} }, '),
	    /declares no argument 'rounds'/);
	err(ph('{ role: "fixer", perUnit: 1, unless: "m" }', 'args: { r: {} }, '),
	    /unless: the workflow declares no argument 'm'/);
	const m = meta(ph('{ role: "verifier", perUnit: [1, { arg: "rounds", plus: 1 }], unless: "m" }'));
	assert.deepEqual(m.phases[0].agents,
		{ role: 'verifier', perUnit: [1, { arg: 'rounds', plus: 1 }], unless: 'm' });
	meta(ph('{ role: "planner", count: 1 }'));
});

test('positions count UTF-16 units on the line, as V8 does', () => {
	fails('export const meta = { a: "😀", name: x }', 1, 38, /identifier/);
	fails('export const meta = {\r\n  name: x }', 2, 9, /identifier/);
});

test('meta.args: the arguments a workflow declares', () => {
	const m = meta(`export const meta = { ${OK}, args: {
		goal: { type: 'string', description: 'what to change', required: true },
		rounds: { type: 'integer', default: 3 },
		paths: { type: 'pathspecs', chunk: true },
		mode: { type: 'string', enum: ['keep', 'merge'], default: 'keep' },
		scope: { type: 'strings', default: [] },
		anything: {},
	} }`);
	assert.deepEqual(Object.keys(m.args), ['goal', 'rounds', 'paths', 'mode', 'scope', 'anything']);
	assert.equal(m.args.rounds.default, 3);
	const args = (body) => `export const meta = { ${OK}, args: ${body} }`;
	fails(args('[]'), 1, 52, /meta.args must be an object/);
	fails(args('{ x: 1 }'), 1, 60, /meta.args.x must be an object/);
	fails(args("{ 'a b': {} }"), 1, 60, /an argument's name is a word/);
	fails(args("{ x: { type: 'text' } }"), 1, 65, /meta.args.x.type must be one of string, number, integer/);
	fails(args("{ x: { defualt: 1 } }"), 1, 65, /meta.args.x.defualt is not a key of an argument/);
	fails(args("{ x: { description: 1 } }"), 1, 65, /description must be a string/);
	fails(args("{ x: { required: 'yes' } }"), 1, 65, /required must be true or false/);
	fails(args("{ x: { type: 'integer', default: 1.5 } }"), 1, 82, /default is not a value of the argument \(type integer\)/);
	fails(args("{ x: { type: 'string', enum: ['a'], default: 'b' } }"), 1, 94, /one of enum/);
	fails(args("{ x: { type: 'string', enum: [1] } }"), 1, 81, /enum must be a non-empty array of values of type string/);
	fails(args("{ x: { required: true, default: 1 } }"), 1, 81, /a required argument has no default/);
	fails(args("{ x: { chunk: true } }"), 1, 65, /only an option of chunk\(\)/);
	fails(args("{ x: { chunk: 'nope' } }"), 1, 65, /only an option of chunk\(\)/);
	fails(args("{ x: { chunk: 1 } }"), 1, 65, /chunk must be true, false or the name of an option of chunk\(\)/);
	fails(args("{ paths: { type: 'pathspecs', default: '' } }"), 1, 88, /default is not a value/);
});
