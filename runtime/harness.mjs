// The Node.js side of the harness protocol (docs/protocol.md): runs one
// workflow script in a vm context that holds only the workflow globals
// (context.js), and turns everything the script asks for into requests
// to the engine, one JSON object per line on stdout; the engine answers on
// stdin.
//
//   node --experimental-vm-modules --disallow-code-generation-from-strings \
//        [--experimental-permission --allow-fs-read=<runtime dir> --allow-fs-read=<script>] \
//        harness.mjs [--check] <script>
//
// Isolation rests on one rule: no object of this (the host) realm ever
// reaches the script. The script's globals are built inside its context;
// the host passes and receives primitives only. The flags close what the
// rule cannot: import() would otherwise reject with a host-realm error,
// and a host Function constructor must not compile strings.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import vm from 'node:vm';
import { MetaError, blankRange, parseMeta } from './meta.mjs';

const MAX_LINE = 64 * 1024 * 1024;
/* the script becomes the body of an async function; its first line shares the wrapper's */
const PREFIX = '(async function () {"use strict";';
const SUFFIX = '\n})';
const RUNTIME_FILE = 'wfmigrate:runtime';

const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
const EXIT_ENGINE_GONE = 3;
const EXIT_INTERNAL = 70;

const contextSource = fs.readFileSync(new URL('./context.js', import.meta.url), 'utf8');

/* --- output -------------------------------------------------------------- */

const BAD_TEXT = /[\0]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function cleanText(s) {
	return s.replace(BAD_TEXT, '\ufffd');
}

/* JSON of a host value; strings made safe for the engine (no NUL, no lone surrogates) */
function hostJSON(v) {
	return JSON.stringify(v, (k, x) => (typeof x === 'string' ? cleanText(x) : x));
}

function writeLine(text) {
	const buf = Buffer.from(text + '\n', 'utf8');
	let off = 0;
	while (off < buf.length) {
		try {
			off += fs.writeSync(1, buf, off, buf.length - off);
		} catch (e) {
			if (e.code === 'EAGAIN') {
				Atomics.wait(sleeper, 0, 0, 2);
				continue;
			}
			/* EPIPE and the like: the engine has gone, nobody is left to tell */
			process.exit(EXIT_ENGINE_GONE);
		}
	}
}

function usage(message) {
	process.stderr.write(`harness.mjs: ${message}\n` +
		'usage: node --experimental-vm-modules ' +
		'--disallow-code-generation-from-strings harness.mjs [--check] <script>\n');
	process.exit(EXIT_USAGE);
}

/* --- preparing a script ---------------------------------------------------- */

class Failure extends Error {
	constructor(kind, message, line, column) {
		super(message);
		this.kind = kind;
		this.line = line;
		this.column = column;
	}

	toJSON() {
		const d = { kind: this.kind, message: this.message };
		if (this.line)
			d.line = this.line;
		if (this.column)
			d.column = this.column;
		return d;
	}
}

function splitLines(s) {
	return s.split(/\r\n|[\n\r\u2028\u2029]/);
}

/* V8 decorates a compile error's stack with "file:line", the source line and a caret line. */
function syntaxFailure(e, filename, body) {
	const lines = String(e.stack).split('\n');
	const userLines = splitLines(body);
	let line = null, column = null;

	if (lines[0].startsWith(filename + ':'))
		line = parseInt(lines[0].slice(filename.length + 1), 10) || null;
	if (line !== null) {
		const caret = lines[2] || '';
		const i = caret.indexOf('^');
		column = i >= 0 ? i + 1 : caret.length + 1;
		if (line === 1)
			column -= PREFIX.length;
		if (line > userLines.length) {
			/*
			 * The error is in the wrapper's closing "})": the script left a block
			 * open (V8 then trips on our ')'), or closed one too many at its very
			 * end (on our '}'). Point at the script's last line, or that brace.
			 */
			let last = userLines.length;
			while (last > 1 && userLines[last - 1].trim() === '')
				last--;
			const brace = body.lastIndexOf('}');
			if (e.message === "Unexpected token '}'" && brace >= 0) {
				const before = splitLines(body.slice(0, brace));
				const n = before.length;
				const column = before[n - 1].length + 1;
				return new Failure('syntax', e.message, n, column);
			}
			const end = userLines[last - 1].length + 1;
			return new Failure('syntax', 'Unexpected end of input', last, end);
		}
		if (column < 1)
			column = 1;
	}
	return new Failure('syntax', e.message, line, column);
}

/* The meta and the rest of the script (the meta statement blanked out); throws Failure. */
function parseSource(source) {
	try {
		const { meta, start, end } = parseMeta(source);
		return { meta, body: blankRange(source, start, end) };
	} catch (e) {
		if (e instanceof MetaError)
			throw new Failure('meta', e.message, e.line, e.column);
		throw e;
	}
}

const IMPORT_MESSAGE = 'import() is not available in a workflow: ' +
		       'there are no modules, only the workflow globals';

function compiles(source) {
	try {
		new vm.Script(source);
		return true;
	} catch {
		return false;
	}
}

/* the offset just past the blanks and comments from i on */
function skipBlanks(s, i) {
	for (;;) {
		if (/\s/u.test(s[i] || ''))
			i++;
		else if (s.startsWith('//', i))
			i = s.slice(i).search(/[\n\r\u2028\u2029]|$/u) + i;
		else if (s.startsWith('/*', i) && s.indexOf('*/', i + 2) >= 0)
			i = s.indexOf('*/', i + 2) + 2;
		else
			return i;
	}
}

/*
 * The offset of the script's first import() call, or -1. V8 compiles
 * import() in a script and rejects it only when reached, after agents may
 * have run; the reference refuses it before the run. A grep would also
 * refuse "import(" in a string, comment, regex or template, so V8 decides:
 * each word `import` followed by `(` is replaced by `async x`, which is
 * valid wherever the word is text (or a method called import) and a syntax
 * error where it is a call. Called only on a body that compiles.
 */
function findImport(body) {
	const word = /(?<![\p{ID_Continue}$\\])import(?![\p{ID_Continue}$])/gu;
	let m;

	while ((m = word.exec(body)) !== null) {
		let before = m.index;
		while (before > 0 && /\s/u.test(body[before - 1]))
			before--;
		if (body[before - 1] === '.') /* a property: x.import(...) */
			continue;
		if (body[skipBlanks(body, m.index + 6)] !== '(')
			continue;
		const probe = body.slice(0, m.index) + 'async x' + body.slice(m.index + 6);
		if (!compiles(PREFIX + probe + SUFFIX))
			return m.index;
	}
	return -1;
}

/*
 * Globals a workflow does not have, which scripts written for Node.js reach
 * for: a reference to one would throw only when reached, after agents may
 * have run. Each with what to do instead.
 */
const FORBIDDEN = new Map([
	['require', 'there are no modules, only the workflow globals'],
	['process', 'there is no process: read the run\'s input from args'],
	['Buffer', 'use strings and arrays'],
	['fetch', 'there is no network: agents and the engine do the work'],
	['XMLHttpRequest', 'there is no network: agents and the engine do the work'],
	['setTimeout', 'there is nothing to wait for but requests: use await'],
	['setInterval', 'there is nothing to wait for but requests: use await'],
	['setImmediate', 'there is nothing to wait for but requests: use await'],
	['__dirname', 'a workflow cannot read files: use rubric() or agents'],
	['__filename', 'a workflow cannot read files: use rubric() or agents'],
]);
const CLOCK_HINT = 'it breaks resume; pass timestamps in through args';
const RANDOM_HINT = 'it breaks resume; derive variety from the item or its index instead';
/* the most occurrences looked at (each costs a compile or two) */
const MAX_PROBES = 400;

function replaced(body, at, len, text) {
	return body.slice(0, at) + text + body.slice(at + len);
}

function previousChar(body, at) {
	let i = at;
	while (i > 0 && /\s/u.test(body[i - 1]))
		i--;
	return i > 0 ? body[i - 1] : '';
}

/*
 * Where the word at [at, at + len) of a body that compiles is: 'text' (in
 * a string, comment, regex or template), 'expression' (a reference: the
 * word wrapped as (0,word) still compiles) or 'binding' (anything else:
 * a declaration, a parameter, a property or method name). V8 decides, as
 * for import(): a NUL compiles only in text.
 */
function position(body, at, len) {
	if (compiles(PREFIX + replaced(body, at, 1, '\0') + SUFFIX))
		return 'text';
	if (previousChar(body, at) === '.')
		return 'binding';
	const word = body.slice(at, at + len);
	if (compiles(PREFIX + replaced(body, at, len, `(0,${word})`) + SUFFIX))
		return 'expression';
	return 'binding';
}

/*
 * The first use of a global the workflow does not have (FORBIDDEN), or
 * of Date.now(), Math.random() and argument-less new Date(), which throw
 * when they run: {at, message}, or null. A name the script binds itself
 * anywhere (a variable, a parameter, a property of its own) is left
 * alone; a mention in a string, comment or regex is fine. Called only on
 * a body that compiles.
 */
function findForbidden(body) {
	const word = /(?<![\p{ID_Continue}$\\])[A-Za-z_$][\w$]*(?![\p{ID_Continue}$])/gu;
	const uses = new Map(); /* name -> offsets of its uses as a reference */
	const bound = new Set();
	let m, probes = 0;

	while ((m = word.exec(body)) !== null && probes < MAX_PROBES) {
		const name = m[0];
		const after = body.slice(m.index + name.length);
		let what = null;
		if (FORBIDDEN.has(name))
			what = name;
		else if (name === 'Date' && /^\s*\.\s*now\s*\(/u.test(after))
			what = 'Date.now()';
		else if (name === 'Date' && /^\s*\(\s*\)/u.test(after) &&
			 /\bnew\s*$/u.test(body.slice(Math.max(0, m.index - 16), m.index)))
			what = 'new Date()';
		else if (name === 'Math' && /^\s*\.\s*random\s*\(/u.test(after))
			what = 'Math.random()';
		if (what === null && (name === 'Date' || name === 'Math'))
			what = ''; /* a binding of its own would shadow them */
		if (what === null)
			continue;
		probes++;
		const pos = position(body, m.index, name.length);
		if (pos === 'binding')
			bound.add(name);
		else if (pos === 'expression' && what !== '' && !uses.has(name))
			uses.set(name, { at: m.index, what });
	}
	let first = null;
	for (const [name, use] of uses)
		if (!bound.has(name) && (first === null || use.at < first.at))
			first = use;
	if (first === null)
		return null;
	const { at, what } = first;
	let message;
	if (what === 'Date.now()' || what === 'new Date()')
		message = `${what} is not allowed in a workflow: ${CLOCK_HINT}`;
	else if (what === 'Math.random()')
		message = `${what} is not allowed in a workflow: ${RANDOM_HINT}`;
	else
		message = `${what} is not available in a workflow: ${FORBIDDEN.get(what)}`;
	return { at, message };
}

/* Compiles the body as an async function; throws Failure on a syntax error. */
function compile(body, filename, importError) {
	const options = { filename, columnOffset: -PREFIX.length };
	let script;
	if (importError)
		options.importModuleDynamically = () => {
			throw importError();
		};
	try {
		script = new vm.Script(PREFIX + body + SUFFIX, options);
	} catch (e) {
		if (e instanceof SyntaxError)
			throw syntaxFailure(e, filename, body);
		throw e;
	}
	const at = findImport(body);
	if (at >= 0) {
		const before = splitLines(body.slice(0, at));
		throw new Failure('syntax', IMPORT_MESSAGE, before.length,
				  before[before.length - 1].length + 1);
	}
	const bad = findForbidden(body);
	if (bad !== null) {
		const before = splitLines(body.slice(0, bad.at));
		throw new Failure('global', bad.message, before.length,
				  before[before.length - 1].length + 1);
	}
	return script;
}

function readScript(path) {
	try {
		return fs.readFileSync(path, 'utf8');
	} catch (e) {
		const why = e.code === 'ENOENT' ? 'No such file or directory' : e.message;
		throw new Failure('load', `cannot read '${path}': ${why}`);
	}
}

/* --- running ------------------------------------------------------------------ */

let nextId = 0;
let nextNested = 0;
const routes = new Map(); /* request id -> the run that made it */
const runs = new Set();   /* runs not finished yet */
let top = null;
let started = false;
let stopped = false;
let finished = false;
const budget = { total: null, spent: 0, exhausted: false };
/* the engine's limits from start (docs/protocol.md); null: it set none */
const limits = { itemsPerCall: null, agentsPerRun: null };

/*
 * Scheduling hints (docs/protocol.md): the work item a request is made
 * for, followed through the script's awaits. A store is {item, stage,
 * stages}; the context sees it only as a token "<item>:<stage>:<stages>"
 * ('' outside any item). Not part of any journal key.
 */
const scopes = new AsyncLocalStorage();
let nextItem = 0;

function scopeToken(s) {
	return s ? `${s.item}:${s.stage}:${s.stages}` : '';
}

function parseScope(token) {
	const m = typeof token === 'string' ? /^(\d+):(\d+):(\d+)$/.exec(token) : null;
	return m ? { item: +m[1], stage: +m[2], stages: +m[3] } : undefined;
}

function fatal(obj, code) {
	finished = true;
	writeLine(hostJSON({ type: 'error', ...obj }));
	process.exit(code);
}

function protocolError(message) {
	fatal({ kind: 'protocol', message }, EXIT_ERROR);
}

function finishRun(run, ok, text) {
	if (!runs.has(run) || typeof text !== 'string')
		return;
	runs.delete(run);
	if (run.parent) {
		if (runs.has(run.parent))
			run.parent.handle.nestedDone(run.nid, ok === true, text);
		return;
	}
	if (ok === true) {
		finished = true;
		writeLine(`{"type":"done","value":${text}}`);
		process.exit(0);
	}
	fatal(JSON.parse(text), EXIT_ERROR);
}

function startNested(parent, text) {
	if (typeof text !== 'string')
		return 0;
	const nid = ++nextNested;
	const { source, path, args } = JSON.parse(text);
	/* later: the parent records its wait for nid when this call returns */
	setImmediate(() => {
		if (finished || !runs.has(parent))
			return;
		let run;
		try {
			run = createRun(source, path, { parent, nid });
		} catch (e) {
			if (!(e instanceof Failure))
				throw e;
			parent.handle.nestedDone(nid, false, hostJSON(e));
			return;
		}
		startRun(run, args);
	});
	return nid;
}

/* The one host function a context gets. Primitives in, primitives out, never a throw. */
function makeHost(run) {
	return function host(op, a, b) {
		try {
			switch (op) {
			case 'request': {
				if (typeof a !== 'string' || !a.startsWith('{"method":'))
					return 0;
				const id = ++nextId;
				const s = scopes.getStore();
				const hint = s ? `"item":{"id":${s.item},"stage":${s.stage},` +
						 `"stages":${s.stages}},` : '';
				routes.set(id, run);
				writeLine(`{"type":"request","id":${id},${hint}${a.slice(1)}`);
				return id;
			}
			case 'scope':
				return scopeToken(scopes.getStore());
			case 'item':
				/* a new item, of a pipeline of a stages */
				return `${++nextItem}:0:${Number.isInteger(a) && a > 0 ? a : 1}`;
			case 'enter': {
				/* the item of token a, b stages further on */
				const s = parseScope(a);
				const more = Number.isInteger(b) && b > 0 ? b : 0;
				scopes.enterWith(s && { ...s, stage: s.stage + more });
				return undefined;
			}
			case 'restore':
				scopes.enterWith(parseScope(a));
				return undefined;
			case 'itemEnd': {
				const s = parseScope(a);
				if (s)
					writeLine(`{"type":"item_end","item":${s.item}}`);
				return undefined;
			}
			case 'emit':
				if (typeof a === 'string' && a.startsWith('{"type":'))
					writeLine(a);
				return undefined;
			case 'defer':
				setImmediate(() => {
					if (!finished && runs.has(run))
						run.handle.tick();
				});
				return undefined;
			case 'nested':
				return startNested(run, a);
			case 'finish':
				finishRun(run, a, b);
				return undefined;
			default:
				return undefined;
			}
		} catch (e) {
			internalError(e);
			return undefined;
		}
	};
}

function createRun(source, filename, { parent = null, nid = 0 } = {}) {
	const { meta, body } = parseSource(source);
	/* a sandbox without a prototype: with {}, globalThis.constructor is the host's Object */
	const ctx = vm.createContext(Object.create(null), {
		name: `workflow ${filename}`,
		codeGeneration: { strings: false, wasm: false },
	});
	const install = new vm.Script(contextSource, { filename: RUNTIME_FILE }).runInContext(ctx);
	const run = { parent, nid, filename, meta, handle: null, fn: null };
	const config = {
		filename,
		nested: parent !== null,
		workflow: parent !== null ? meta.name : null,
		meta: hostJSON(meta),
	};
	const h = install(makeHost(run), JSON.stringify(config));
	/* copied once, before any script code runs */
	run.handle = {
		start: h.start, run: h.run, settle: h.settle, stop: h.stop, tick: h.tick,
		nestedDone: h.nestedDone, setBudget: h.setBudget, describe: h.describe,
	};
	run.fn = compile(body, filename, h.importError).runInContext(ctx);
	return run;
}

function startRun(run, argsText) {
	runs.add(run);
	run.handle.start(argsText, budget.total, budget.spent, budget.exhausted,
			 JSON.stringify(limits));
	if (stopped)
		run.handle.stop();
	run.handle.run(run.fn);
}

/* --- messages from the engine ------------------------------------------------------ */

function isCount(v) {
	return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/* a budget total: a count, null (none) or absent */
function isTotal(v) {
	return v === undefined || v === null || isCount(v);
}

/* start's limits: absent, or an object whose limits are positive integers or null */
function takeLimits(l) {
	if (l === undefined || l === null)
		return;
	const isLimit = (v) => v === undefined || v === null || (Number.isSafeInteger(v) && v > 0);
	if (typeof l !== 'object' || Array.isArray(l) || !isLimit(l.itemsPerCall) ||
	    !isLimit(l.agentsPerRun))
		protocolError('start: limits must be {"itemsPerCall"?: integer or null, ' +
			      '"agentsPerRun"?: integer or null}, each at least 1');
	limits.itemsPerCall = l.itemsPerCall ?? null;
	limits.agentsPerRun = l.agentsPerRun ?? null;
}

function handleLine(line) {
	if (line.trim() === '')
		return;
	let msg;
	try {
		msg = JSON.parse(line);
	} catch {
		protocolError(`the engine sent a line that is not JSON: ${line.slice(0, 80)}`);
	}
	if (msg === null || typeof msg !== 'object' || Array.isArray(msg))
		protocolError(`the engine sent a line that is not a message: ${line.slice(0, 60)}`);
	switch (msg.type) {
	case 'start': {
		if (started)
			protocolError('the engine sent a second start');
		started = true;
		const b = msg.budget;
		if (b !== undefined && b !== null) {
			if (typeof b !== 'object' || !isTotal(b.total) ||
			    !(b.spent === undefined || isCount(b.spent)) ||
			    !(b.exhausted === undefined || typeof b.exhausted === 'boolean'))
				protocolError('start: budget must be {"total": number or null, ' +
					      '"spent": number, "exhausted"?: boolean}');
			budget.total = isCount(b.total) ? b.total : null;
			budget.spent = isCount(b.spent) ? b.spent : 0;
			budget.exhausted = b.exhausted === true;
		}
		takeLimits(msg.limits);
		startRun(top, Object.hasOwn(msg, 'args') ? JSON.stringify(msg.args) : undefined);
		return;
	}
	case 'result': {
		const id = msg.id;
		if (!Number.isInteger(id) || id < 1 || id > nextId)
			protocolError(`the engine answered request ${JSON.stringify(id)}, ` +
				      'which was never made');
		const run = routes.get(id);
		if (!run)
			protocolError(`the engine answered request ${id} twice`);
		if (typeof msg.ok !== 'boolean' || (!msg.ok && typeof msg.error !== 'string') ||
		    !(msg.code === undefined || typeof msg.code === 'string'))
			protocolError(`result ${id}: need "ok": true with "value", ` +
				      'or "ok": false with "error" (a string) and "code"?');
		routes.delete(id);
		if (runs.has(run))
			run.handle.settle(id, line);
		return;
	}
	case 'budget':
		if (!isCount(msg.spent) || !isTotal(msg.total) ||
		    !(msg.exhausted === undefined || typeof msg.exhausted === 'boolean'))
			protocolError('budget: need "spent": a number (and optionally "total" ' +
				      'and "exhausted")');
		budget.spent = msg.spent;
		if (msg.total !== undefined)
			budget.total = msg.total;
		if (msg.exhausted !== undefined)
			budget.exhausted = msg.exhausted;
		for (const run of runs)
			run.handle.setBudget(msg.spent, msg.total, msg.exhausted);
		return;
	case 'stop':
		if (!started)
			fatal({ kind: 'stopped', message: 'the run was stopped before it started' },
			      EXIT_ERROR);
		stopped = true;
		for (const run of runs)
			run.handle.stop();
		return;
	default: {
		const type = JSON.stringify(msg.type);
		protocolError(`the engine sent a message of unknown type ${type}`);
	}
	}
}

function listen() {
	let parts = [];
	let partLen = 0;
	process.stdin.on('data', (buf) => {
		let from = 0;
		for (;;) {
			const nl = buf.indexOf(10, from);
			if (nl < 0)
				break;
			let piece = buf.subarray(from, nl);
			if (parts.length)
				piece = Buffer.concat([...parts, piece]);
			parts = [];
			partLen = 0;
			if (piece.length > MAX_LINE)
				protocolError('the engine sent a line longer than 64 MiB');
			handleLine(piece.toString('utf8'));
			if (finished)
				return;
			from = nl + 1;
		}
		if (from < buf.length) {
			parts.push(buf.subarray(from));
			partLen += buf.length - from;
			if (partLen > MAX_LINE)
				protocolError('the engine sent a line longer than 64 MiB');
		}
	});
	/* the engine closed our input: it is gone or wants us gone */
	process.stdin.on('end', () => process.exit(EXIT_ENGINE_GONE));
	process.stdin.on('error', () => process.exit(EXIT_ENGINE_GONE));
}

function internalError(e) {
	if (finished)
		return;
	const message = `internal error in the workflow runtime: ${e && e.message}`;
	fatal({ kind: 'internal', message, stack: String(e && e.stack) }, EXIT_INTERNAL);
}

function main(argv) {
	let check = false;
	const rest = [];
	for (const a of argv) {
		if (a === '--check')
			check = true;
		else if (a.startsWith('-') && a !== '-')
			usage(`unknown option '${a}'`);
		else
			rest.push(a);
	}
	if (rest.length !== 1)
		usage('give exactly one script');
	const path = rest[0];

	if (check) {
		try {
			const { meta, body } = parseSource(readScript(path));
			compile(body, path, null);
			writeLine(hostJSON({ type: 'meta', meta }));
			process.exit(0);
		} catch (e) {
			if (!(e instanceof Failure))
				throw e;
			fatal(e.toJSON(), EXIT_ERROR);
		}
	}

	if (typeof vm.SourceTextModule !== 'function')
		usage('start node with --experimental-vm-modules ' +
		      '(without it import() in a script reaches the host)');
	try {
		// eslint-disable-next-line no-new-func
		new Function('');
		usage('start node with --disallow-code-generation-from-strings');
	} catch {
		/* as it should be */
	}

	process.on('uncaughtException', internalError);
	process.on('unhandledRejection', (reason) => {
		if (finished)
			return;
		let d;
		try {
			d = JSON.parse(top.handle.describe(reason));
		} catch {
			d = { kind: 'runtime', message: 'uncaught exception' };
		}
		d.message = `unhandled promise rejection: ${d.message}`;
		fatal(d, EXIT_ERROR);
	});
	try {
		top = createRun(readScript(path), path);
	} catch (e) {
		if (!(e instanceof Failure))
			throw e;
		fatal(e.toJSON(), EXIT_ERROR);
	}
	writeLine(hostJSON({ type: 'meta', meta: top.meta }));
	listen();
}

main(process.argv.slice(2));
