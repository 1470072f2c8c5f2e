// Evaluated inside each workflow's vm context (see harness.mjs): it defines
// the workflow globals there, out of the context's own intrinsics, so that
// nothing the script can reach belongs to the host realm. The host hands
// in one function, `host(op, a, b)`, that takes and returns primitives
// only; it stays in this closure. The host calls back through the object
// returned at the end, again with primitives only.
//
// The intrinsics used after the script has started are captured first, so
// a script that replaces Array.prototype.push or JSON.parse breaks only
// itself, not the runtime's bookkeeping.
(function install(host, configText) {
	'use strict';

	const G = globalThis;
	const { defineProperty, freeze, keys, getPrototypeOf, hasOwn } = Object;
	const objectToString = Object.prototype.toString;
	const { apply } = Reflect;
	const isArray = Array.isArray;
	const jsonParse = JSON.parse;
	const jsonStringify = JSON.stringify;
	const P = Promise;
	const promiseThen = P.prototype.then;
	const promiseResolve = (v) => apply(P.resolve, P, [v]);
	const promiseReject = (e) => apply(P.reject, P, [e]);
	const promiseAll = (list) => apply(P.all, P, [list]);
	const then = (p, ok, bad) => apply(promiseThen, p, [ok, bad]);
	const RealDate = Date;
	const RealError = Error;
	const RealTypeError = TypeError;
	const RealRangeError = RangeError;
	const stringReplace = String.prototype.replace;
	const regexTest = RegExp.prototype.test;
	/* NUL and lone surrogates: the engine's JSON parser cannot hold them */
	const BAD = '[\\0]|[\\ud800-\\udbff](?![\\udc00-\\udfff])' +
		    '|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
	const BAD_TEXT = new RegExp(BAD);
	const BAD_TEXT_G = new RegExp(BAD, 'g');
	const MapC = Map;
	const { get: mapGet, set: mapSet, delete: mapDelete } = Map.prototype;
	const { forEach: mapForEach, clear: mapClear } = Map.prototype;
	const WeakSetC = WeakSet;
	const { add: wsAdd, has: wsHas } = WeakSet.prototype;
	const WeakMapC = WeakMap;
	const { get: wmGet, set: wmSet } = WeakMap.prototype;
	const SetC = Set;
	const { add: setAdd, has: setHas, delete: setDelete } = Set.prototype;
	const arrayPush = Array.prototype.push;
	const arraySplice = Array.prototype.splice;

	const config = jsonParse(configText);
	const MAX_DEPTH = 500;
	const filename = config.filename;

	/* --- errors --------------------------------------------------------- */

	const determinismErrors = new WeakSetC();
	const stopErrors = new WeakSetC();

	function determinism(what, hint) {
		const e = new RealError(`${what} is not allowed in a workflow: it breaks resume; ` +
					hint);
		apply(wsAdd, determinismErrors, [e]);
		return e;
	}

	function stopError() {
		const e = new RealError('the run was stopped');
		apply(wsAdd, stopErrors, [e]);
		return e;
	}

	function isStopError(e) {
		return e !== null && typeof e === 'object' && apply(wsHas, stopErrors, [e]);
	}

	function callHost(op, a, b) {
		try {
			return host(op, a, b);
		} catch {
			/* never let a host-realm error (or its prototype chain) reach the script */
			throw new RealError(`internal error in the workflow runtime (${op})`);
		}
	}

	/* "number 42", "the string "x"", "an array"... for messages */
	function typeName(v) {
		if (v === null)
			return 'null';
		if (isArray(v))
			return 'an array';
		if (typeof v === 'object') {
			const tag = apply(objectToString, v, []);
			return tag === '[object Object]' ? 'an object' : `a ${tag.slice(8, -1)}`;
		}
		if (typeof v === 'string') {
			const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
			return `the string ${jsonStringify(shown)}`;
		}
		if (typeof v === 'undefined' || typeof v === 'symbol' || typeof v === 'function')
			return typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`;
		return `${typeof v} ${String(v)}`;
	}

	/* 1-based line and column of the first frame in the script, from a stack */
	function position(stack) {
		if (typeof stack !== 'string')
			return null;
		const key = filename + ':';
		for (let at = 0;;) {
			const i = stack.indexOf(key, at);
			if (i < 0)
				return null;
			const rest = stack.slice(i + key.length, i + key.length + 24);
			const m = /^(\d+):(\d+)/.exec(rest);
			if (m)
				return { line: +m[1], column: +m[2] };
			at = i + 1;
		}
	}

	/* { kind, message, stack, line?, column? } of anything thrown */
	function describe(e) {
		let message, stack = '';
		try {
			if (e !== null && typeof e === 'object' && typeof e.message === 'string') {
				const name = typeof e.name === 'string' ? e.name : '';
				message = e.message;
				if (name && name !== 'Error')
					message = `${name}: ${message}`;
				stack = typeof e.stack === 'string' ? e.stack : '';
			} else {
				message = typeof e === 'string' ? jsonStringify(e) : String(e);
				message = `uncaught ${message}`;
			}
		} catch {
			message = 'uncaught exception (cannot be printed)';
		}
		let kind = 'runtime';
		if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
			if (apply(wsHas, determinismErrors, [e]))
				kind = 'determinism';
			else if (apply(wsHas, stopErrors, [e]))
				kind = 'stopped';
		}
		const out = { kind, message: clean(message), stack: clean(stack) };
		const pos = position(stack);
		if (pos) {
			out.line = pos.line;
			out.column = pos.column;
		}
		return out;
	}

	/* --- JSON ------------------------------------------------------------ */

	function clean(s) {
		if (!apply(regexTest, BAD_TEXT, [s]))
			return s;
		return apply(stringReplace, s, [BAD_TEXT_G, '\ufffd']);
	}

	function notJSON(what, path, why) {
		return new RealTypeError(`${what}: ${path} ${why}`);
	}

	function member(path, k) {
		if (/^[A-Za-z_$][\w$]*$/.test(k))
			return `${path}.${k}`;
		return `${path}[${jsonStringify(k)}]`;
	}

	/* a plain copy of v that JSON holds exactly, or a TypeError saying where it cannot */
	function plain(v, path, what, depth, seen) {
		switch (typeof v) {
		case 'string':
			return clean(v);
		case 'boolean':
			return v;
		case 'number':
			if (v !== v || v === Infinity || v === -Infinity)
				throw notJSON(what, path, `is ${v}, which JSON cannot hold`);
			return v === 0 ? 0 : v;
		case 'undefined':
			return null;
		case 'bigint':
		case 'symbol':
		case 'function':
			throw notJSON(what, path, `is a ${typeof v}, which JSON cannot hold`);
		}
		if (v === null)
			return null;
		if (depth > MAX_DEPTH)
			throw notJSON(what, path, `is nested more than ${MAX_DEPTH} levels deep`);
		if (typeof v.toJSON === 'function')
			return plain(v.toJSON(), path, what, depth, seen);
		if (apply(setHas, seen, [v]))
			throw notJSON(what, path, 'refers back to itself (a cycle)');
		const tag = apply(objectToString, v, []);
		if (tag === '[object Promise]')
			throw notJSON(what, path, 'is a Promise (a missing await?)');
		const type = tag.slice(8, -1);
		if (!isArray(v) && type !== 'Object')
			throw notJSON(what, path, `is a ${type}, which JSON cannot hold`);
		apply(setAdd, seen, [v]);
		let out;
		if (isArray(v)) {
			out = [];
			for (let i = 0; i < v.length; i++)
				out[i] = plain(v[i], `${path}[${i}]`, what, depth + 1, seen);
		} else {
			out = {};
			const ks = keys(v);
			for (let i = 0; i < ks.length; i++) {
				const k = ks[i];
				const x = v[k];
				if (x === undefined)
					continue;
				defineProperty(out, clean(k), {
					value: plain(x, member(path, k), what, depth + 1, seen),
					enumerable: true, writable: true, configurable: true,
				});
			}
		}
		apply(setDelete, seen, [v]);
		return out;
	}

	/* JSON text of v, or a TypeError naming what is wrong and where (root: its name) */
	function toJSONText(v, what, root) {
		return jsonStringify(plain(v, root, what, 0, new SetC()));
	}

	/* --- determinism ------------------------------------------------------ */

	const ARGS_HINT = 'pass timestamps in through args';

	function SafeDate(...args) {
		if (new.target === undefined)
			throw determinism('Date()', ARGS_HINT);
		if (args.length === 0)
			throw determinism('new Date() without arguments',
					  `${ARGS_HINT} (new Date(ms) works)`);
		return apply(Reflect.construct, Reflect, [RealDate, args, new.target]);
	}
	const dateNow = function now() {
		throw determinism('Date.now()', ARGS_HINT);
	};
	defineProperty(SafeDate, 'prototype', { value: RealDate.prototype, writable: false });
	defineProperty(SafeDate, 'name', { value: 'Date' });
	defineProperty(SafeDate, 'length', { value: 7 });
	SafeDate.UTC = RealDate.UTC;
	SafeDate.parse = RealDate.parse;
	SafeDate.now = dateNow;
	RealDate.now = dateNow;
	defineProperty(RealDate.prototype, 'constructor',
		       { value: SafeDate, writable: true, configurable: true });
	defineProperty(G, 'Date', { value: SafeDate, writable: true, configurable: true });
	Math.random = function random() {
		throw determinism('Math.random()',
				  'derive variety from the item or its index instead');
	};
	if (typeof Intl === 'object' && Intl && typeof Intl.DateTimeFormat === 'function') {
		/* formatting "now" (a call without a date) reads the clock as well */
		const proto = Intl.DateTimeFormat.prototype;
		const get = Object.getOwnPropertyDescriptor(proto, 'format').get;
		const formatToParts = proto.formatToParts;
		const needDate = (d, what) => {
			const call = `Intl.DateTimeFormat ${what}() without a date`;
			if (d === undefined)
				throw determinism(call, ARGS_HINT);
		};
		defineProperty(proto, 'format', {
			configurable: true,
			get() {
				const f = apply(get, this, []);
				return (d) => {
					needDate(d, 'format');
					return f(d);
				};
			},
		});
		proto.formatToParts = function formatToPartsChecked(d) {
			needDate(d, 'formatToParts');
			return apply(formatToParts, this, [d]);
		};
	}
	/* Node formats stacks with Error.prepareStackTrace of the error's realm: keep it unset */
	const locked = { writable: false, configurable: false, enumerable: false };
	defineProperty(RealError, 'prepareStackTrace', { value: undefined, ...locked });
	defineProperty(G, 'Error', { value: RealError, ...locked });

	/* --- requests ---------------------------------------------------------- */

	const pending = new MapC(); /* host id -> { resolve, reject, method } */
	const deferred = [];
	let stopped = false;
	let currentPhase = null;
	let budgetTotal = null;
	let budgetSpent = 0;
	let budgetExhausted = false;
	/* items per pipeline()/parallel() call: the engine's limit from start, null for none */
	let maxItems = null;

	function rejectLater(reject, e) {
		/* through the host's event loop: a script looping on failures still lets it read */
		apply(arrayPush, deferred, [() => reject(e)]);
		callHost('defer');
	}

	/* params: a plain value already checked; returns a Promise of the result */
	function request(method, params) {
		return new P((resolve, reject) => {
			if (stopped) {
				rejectLater(reject, stopError());
				return;
			}
			const body = { method, params };
			if (currentPhase !== null)
				body.phase = currentPhase;
			if (config.workflow !== null)
				body.workflow = config.workflow;
			const id = callHost('request', jsonStringify(body));
			apply(mapSet, pending, [id, { resolve, reject, method }]);
		});
	}

	function settle(id, line) {
		const rec = apply(mapGet, pending, [id]);
		if (!rec)
			return false;
		apply(mapDelete, pending, [id]);
		const msg = jsonParse(line);
		if (msg.ok === true) {
			rec.resolve(msg.value === undefined ? null : msg.value);
			return true;
		}
		const e = new RealError(typeof msg.error === 'string' ? msg.error
								 : `${rec.method} failed`);
		/* 'budget': the request could not start for lack of budget */
		if (typeof msg.code === 'string')
			e.code = msg.code;
		rec.reject(e);
		return true;
	}

	function stop() {
		if (stopped)
			return;
		stopped = true;
		apply(mapForEach, pending, [(rec) => {
			if (rec.method === 'agent')
				rec.resolve(null);
			else
				rec.reject(stopError());
		}]);
		apply(mapClear, pending, []);
	}

	function tick() {
		const list = apply(arraySplice, deferred, [0, deferred.length]);
		for (let i = 0; i < list.length; i++)
			list[i]();
	}

	function emit(obj) {
		if (config.workflow !== null)
			obj.workflow = config.workflow;
		callHost('emit', jsonStringify(obj));
	}

	function format(v) {
		if (typeof v === 'string')
			return v;
		try {
			const t = toJSONText(v, 'log()', 'message');
			return t === undefined ? String(v) : t;
		} catch {
			try {
				return String(v);
			} catch {
				return '<unprintable>';
			}
		}
	}

	function joined(parts) {
		let message = '';
		for (let i = 0; i < parts.length; i++)
			message += (i ? ' ' : '') + format(parts[i]);
		return clean(message);
	}

	function warn(message, e) {
		if (isStopError(e))
			return;
		const d = describe(e);
		const where = d.line ? ` (line ${d.line})` : '';
		const text = clean(`${message}: ${d.message}${where}`);
		emit({ type: 'log', level: 'warn', message: text });
	}

	/* --- argument checks ----------------------------------------------------- */

	function isPlainObject(v) {
		if (v === null || typeof v !== 'object' || isArray(v))
			return false;
		const proto = getPrototypeOf(v);
		return proto === null || getPrototypeOf(proto) === null;
	}

	/* each check returns null when v is fine, else what v must be */
	const checks = {
		string: (v) => (typeof v === 'string' ? null : 'a string'),
		bool: (v) => (typeof v === 'boolean' ? null : 'true or false'),
		name: (v) => (typeof v === 'string' && v !== '' ? null : 'a non-empty string'),
		branch: (v) => (isBranchName(v) ? null
			: 'a branch name (a non-empty string without spaces or control characters)'),
		object: (v) => (isPlainObject(v) ? null : 'an object'),
		strings: (v) => (isArray(v) && v.every((x) => typeof x === 'string' && x !== '')
			? null : 'an array of non-empty strings'),
		/* git pathspecs from the top: one, or an array of them */
		pathspecs: (v) => ((typeof v === 'string' && v !== '') ||
			(isArray(v) && v.every((x) => typeof x === 'string' && x !== ''))
			? null : 'a pathspec or an array of pathspecs (non-empty strings)'),
		globs: (v) => (isArray(v) && v.length > 0 &&
			v.every((x) => typeof x === 'string' && x !== '')
			? null : 'a non-empty array of globs (non-empty strings)'),
		runs: (v) => (Number.isInteger(v) && v >= 1 && v <= 1000
			? null : 'an integer from 1 to 1000'),
		size: (v) => (Number.isInteger(v) && v >= 1 ? null : 'a positive integer'),
		seconds: (v) => (typeof v === 'number' && v > 0 && v < Infinity
			? null : 'a positive number'),
		unit: (v) => ((typeof v === 'string' && v !== '') || isPlainObject(v)
			? null : 'a unit id or a unit object'),
	};
	const oneOf = (...values) => (v) => (values.includes(v)
		? null : `one of ${values.map((x) => `'${x}'`).join(', ')}`);

	const AGENT_OPTIONS = {
		label: checks.string, phase: checks.name, schema: checks.object,
		model: checks.name, effort: oneOf('low', 'medium', 'high', 'xhigh', 'max'),
		isolation: oneOf('worktree'), agentType: checks.name, role: checks.name,
		branch: checks.name, base: checks.name, unit: checks.unit, tools: checks.strings,
		scope: checks.globs,
	};
	/* the other keys of worktreeOf()'s record, accepted (and dropped) beside its branch */
	const RECORD_KEYS = ['commit', 'changed', 'outOfScope'];
	const ORACLE_OPTIONS = {
		branch: checks.branch, ref: checks.name, cmd: checks.name, runs: checks.runs,
		timeout: checks.seconds,
	};
	const MERGE_OPTIONS = {
		branch: checks.branch, message: checks.name, allowOutOfScope: checks.bool,
	};
	const CHUNK_OPTIONS = {
		match: checks.name, query: checks.name, lang: checks.name, maxBytes: checks.size,
		paths: checks.pathspecs, rev: checks.name, text: checks.bool,
		changedSince: checks.name,
	};
	const DIFF_OPTIONS = {
		branch: checks.branch, from: checks.name, to: checks.name, paths: checks.pathspecs,
	};

	/*
	 * A checked plain copy of opts (undefined and null options are left out);
	 * keys in ignored are dropped, hint ends the message of an unknown key.
	 */
	function options(fn, opts, table, ignored = [], hint = '') {
		if (opts === undefined || opts === null)
			return {};
		if (!isPlainObject(opts))
			throw new RealTypeError(`${fn}: the options must be an object ` +
						`(got ${typeName(opts)})`);
		const out = {};
		const ks = keys(opts);
		for (let i = 0; i < ks.length; i++) {
			const k = ks[i];
			const v = opts[k];
			if (!hasOwn(table, k)) {
				if (ignored.includes(k))
					continue;
				const known = keys(table).join(', ');
				throw new RealTypeError(`${fn}: unknown option '${k}' ` +
							`(known: ${known})${hint}`);
			}
			if (v === undefined || v === null)
				continue;
			const want = table[k](v);
			if (want !== null)
				throw new RealTypeError(`${fn}: option '${k}' must be ${want} ` +
							`(got ${typeName(v)})`);
			out[k] = v;
		}
		return jsonParse(toJSONText(out, fn, 'options'));
	}

	function limit(fn, n) {
		if (maxItems !== null && n > maxItems)
			throw new RealRangeError(`${fn}: ${n} items, more than the limit of ` +
						 `${maxItems} per call: split the list ` +
						 '(nothing was started)');
	}

	/* Runs f, turning a synchronous throw into a rejected promise. */
	function asPromise(f) {
		try {
			return promiseResolve(f());
		} catch (e) {
			return promiseReject(e);
		}
	}

	/* --- worktree agents' results ---------------------------------------------- */

	/*
	 * agent() with isolation 'worktree' resolves to the agent's output, as in
	 * the reference system. The engine answers with a record of the worktree
	 * ({output, branch, commit, changed, outOfScope?}: docs/protocol.md); its
	 * view {branch, commit, changed, outOfScope?}, frozen, is kept here so
	 * that oracle(), merge(), diff() and worktreeOf() find it from what the
	 * script holds: an object result by identity, a text (or any primitive)
	 * by value, the promise agent() returned by identity, and the view itself.
	 * One run, one registry: each workflow() context has its own.
	 */
	const byObject = new WeakMapC(); /* result object or view -> view */
	const byValue = new MapC();      /* primitive result -> [view], one per branch */
	const byPromise = new WeakMapC(); /* agent()'s promise -> { done, view } */
	const BRANCH_NAME = /^[^\x00-\x20\x7f]+$/;

	/* git refuses spaces and control characters in ref names; an agent's text has them */
	function isBranchName(v) {
		return typeof v === 'string' && apply(regexTest, BRANCH_NAME, [v]);
	}

	function worktreeView(rec) {
		const view = {
			branch: typeof rec.branch === 'string' ? rec.branch : null,
			commit: typeof rec.commit === 'string' ? rec.commit : null,
			changed: rec.changed === true,
		};
		if (isArray(rec.outOfScope)) {
			const paths = [];
			for (let i = 0; i < rec.outOfScope.length; i++)
				paths[i] = rec.outOfScope[i];
			view.outOfScope = freeze(paths);
		}
		return freeze(view);
	}

	/* the output of a worktree agent's record rec (null: it failed), registered */
	function fromRecord(rec, slot) {
		slot.done = true;
		if (rec === null)
			return null;
		if (!isPlainObject(rec) || !hasOwn(rec, 'output'))
			throw new RealError('agent(): the engine answered a worktree agent ' +
					    'without its record');
		const view = worktreeView(rec);
		const out = rec.output;
		slot.view = view;
		apply(wmSet, byObject, [view, view]);
		if (out !== null && typeof out === 'object') {
			apply(wmSet, byObject, [out, view]);
		} else if (out !== null) {
			const list = apply(mapGet, byValue, [out]);
			if (list === undefined) {
				apply(mapSet, byValue, [out, [view]]);
			} else {
				let i = 0;
				while (i < list.length && list[i].branch !== view.branch)
					i++;
				list[i] = view; /* the same branch again: its newer record */
			}
		}
		return out;
	}

	/*
	 * The view of v's worktree agent: v is a value a worktree agent resolved
	 * to, its settled promise, or a view. null for the promise of an agent
	 * that failed; undefined when no worktree agent gave v. Throws when a
	 * primitive was given by agents on different branches.
	 */
	function recordOf(fn, v) {
		if (v !== null && typeof v === 'object') {
			const slot = apply(wmGet, byPromise, [v]);
			if (slot === undefined)
				return apply(wmGet, byObject, [v]);
			if (!slot.done)
				throw new RealTypeError(`${fn}: the agent has not finished: ` +
							'await its promise first');
			return slot.view;
		}
		const list = apply(mapGet, byValue, [v]);
		if (list === undefined)
			return undefined;
		if (list.length === 1)
			return list[0];
		/* sorted: the order agents finished in is not the same on resume */
		const sorted = [];
		for (let i = 0; i < list.length; i++) {
			const name = list[i].branch === null ? '(none)' : list[i].branch;
			let at = i;
			for (; at > 0 && sorted[at - 1] > name; at--)
				sorted[at] = sorted[at - 1];
			sorted[at] = name;
		}
		let names = '';
		for (let i = 0; i < sorted.length; i++)
			names += (i ? ', ' : '') + sorted[i];
		throw new RealTypeError(`${fn}: ${typeName(v)} was returned by ` +
					`${list.length} worktree agents (branches ${names}), so it ` +
					'does not tell which: pass worktreeOf(promise) with the ' +
					'promise agent() returned, or name each agent\'s branch ' +
					'(agent(..., { branch })) and pass that name, or give the ' +
					'agents a schema (each object result is its own)');
	}

	const WANT = 'a worktree agent\'s result, a branch name or options';
	const COPY_HINT = '; a worktree agent\'s result is known as agent() returned ' +
			  'it, not as a copy ({...r}): pass it as it is, or worktreeOf(r).branch';

	/*
	 * The options oracle(), merge() or diff() take from x: {branch} of a
	 * worktree agent's result, of a branch name, or options; undefined for
	 * no argument. A bad x is a TypeError saying what is expected.
	 */
	function target(fn, x, table) {
		const view = recordOf(fn, x);
		if (view === null)
			throw new RealTypeError(`${fn}: that worktree agent failed: ` +
						'it left no branch');
		if (view !== undefined) {
			if (view.branch === null)
				throw new RealTypeError(`${fn}: that agent's work was not kept: ` +
							'a read-only role gets a worktree, not a branch');
			return { branch: view.branch };
		}
		if (x === undefined)
			return undefined;
		if (typeof x === 'string') {
			if (isBranchName(x))
				return { branch: x };
			throw new RealTypeError(`${fn}: ${typeName(x)} is not a branch name, ` +
						'nor a value a worktree agent of this run ' +
						`returned: give ${WANT}`);
		}
		if (isPlainObject(x))
			return options(fn, x, table, RECORD_KEYS, COPY_HINT);
		if (x === null)
			throw new RealTypeError(`${fn}: got null, the value of a failed agent? ` +
						`give ${WANT}`);
		const tag = apply(objectToString, x, []);
		const why = tag === '[object Promise]' ? ' (a missing await?)' : '';
		throw new RealTypeError(`${fn}: give ${WANT} (got ${typeName(x)})${why}`);
	}

	function worktreeOf(v) {
		const view = recordOf('worktreeOf()', v);
		return view === undefined ? null : view;
	}

	/* --- the globals ---------------------------------------------------------- */

	function agent(prompt, opts) {
		const slot = { worktree: false, done: false, view: null };
		const p = asPromise(() => {
			if (typeof prompt !== 'string' || prompt.trim() === '')
				throw new RealTypeError('agent(): the prompt must be a non-empty ' +
							`string (got ${typeName(prompt)})`);
			const checked = options('agent()', opts, AGENT_OPTIONS);
			const params = { prompt: clean(prompt), ...checked };
			/*
			 * The reference system's ceiling. An exhausted ledger (budget.remaining()
			 * 0) is the engine's to judge: work under way may still finish.
			 */
			if (budgetTotal !== null && budgetSpent >= budgetTotal) {
				const e = new RealError('agent(): the token budget is spent ' +
							`(${budgetSpent} of ${budgetTotal})`);
				e.code = 'budget';
				throw e;
			}
			if (checked.isolation !== 'worktree')
				return request('agent', params);
			slot.worktree = true;
			return then(request('agent', params), (rec) => fromRecord(rec, slot), (e) => {
				slot.done = true;
				throw e;
			});
		});
		if (slot.worktree)
			apply(wmSet, byPromise, [p, slot]);
		return p;
	}

	function oracle(x) {
		return asPromise(() => {
			const params = target('oracle()', x, ORACLE_OPTIONS);
			return request('oracle', params === undefined ? {} : params);
		});
	}

	function merge(x) {
		return asPromise(() => {
			if (x === undefined)
				throw new RealTypeError('merge(): give the branch to merge ' +
							`(got ${typeName(x)})`);
			const params = target('merge()', x, MERGE_OPTIONS);
			if (params.branch === undefined)
				throw new RealTypeError('merge(): the branch is missing');
			return request('merge', params);
		});
	}

	function chunk(opts) {
		return asPromise(() => request('chunk', options('chunk()', opts, CHUNK_OPTIONS)));
	}

	/*
	 * The sweep's deterministic rules (docs/sweep.md) over units of chunk()
	 * with their text: the engine answers with the findings. Only what the
	 * rules read is sent, so the journal's key does not hold the rest.
	 */
	function scan(units) {
		return asPromise(() => {
			const list = isArray(units) ? units : [units];
			const sent = [];
			for (let i = 0; i < list.length; i++) {
				const u = list[i];
				if (!isPlainObject(u) || typeof u.path !== 'string')
					throw new RealTypeError('scan(): give units of chunk() (got ' +
								`${typeName(u)} at ${i})`);
				if (typeof u.text !== 'string')
					throw new RealTypeError(`scan(): unit ${u.id || i} has no text: ` +
								'ask chunk() for it with {text: true}');
				apply(arrayPush, sent, [{
					id: typeof u.id === 'string' ? u.id : '', path: u.path,
					lang: typeof u.lang === 'string' ? u.lang : 'other',
					start_line: Number.isInteger(u.start_line) ? u.start_line : 1,
					text: u.text,
				}]);
			}
			return request('scan', { units: sent });
		});
	}

	/* the text of a rubric the engine finds by name (docs/workflow-api.md, *Rubrics*) */
	function rubric(name) {
		return asPromise(() => {
			if (typeof name !== 'string' || name.trim() === '')
				throw new RealTypeError('rubric(): give the name of a rubric, such as ' +
							`'migration' (got ${typeName(name)})`);
			return then(request('rubric', { name: clean(name) }), (r) => {
				if (!isPlainObject(r) || typeof r.text !== 'string')
					throw new RealError(`rubric(): the engine sent no text for '${name}'`);
				return r.text;
			});
		});
	}

	function diff(x) {
		return asPromise(() => {
			const params = target('diff()', x, DIFF_OPTIONS);
			if (params === undefined)
				throw new RealTypeError(`diff(): give ${WANT} (got undefined)`);
			if (params.branch === undefined && params.to === undefined)
				throw new RealTypeError('diff(): give \'branch\' or \'to\'');
			return request('diff', params);
		});
	}

	/*
	 * Work items, for the engine's scheduling (docs/protocol.md): each
	 * element of a pipeline() or parallel() called outside any item is a
	 * new item; one called inside an item belongs to it. The host follows
	 * the current item through awaits; here it is only a token.
	 */
	function itemScopes(n, stages) {
		const outer = callHost('scope');
		const scopes = [];
		for (let i = 0; i < n; i++)
			scopes[i] = outer === '' ? callHost('item', stages) : outer;
		return { outer, scopes, own: outer === '' };
	}

	/* one item of a pipeline: null once a stage fails */
	async function throughStages(stages, item, index, scope, own) {
		let prev = item;
		try {
			for (let s = 0; s < stages.length; s++) {
				callHost('enter', scope, s);
				try {
					prev = await stages[s](prev, item, index);
				} catch (e) {
					warn(`pipeline(): stage ${s + 1} failed for item ${index}`, e);
					return null;
				}
			}
			return prev;
		} finally {
			if (own)
				callHost('itemEnd', scope);
		}
	}

	function pipeline(items, ...stages) {
		return asPromise(() => {
			if (!isArray(items))
				throw new RealTypeError('pipeline(): the items must be an array ' +
							`(got ${typeName(items)})`);
			limit('pipeline()', items.length);
			if (stages.length === 0)
				throw new RealTypeError('pipeline(): give at least one stage');
			stages.forEach((stage, s) => {
				const got = typeName(stage);
				if (typeof stage !== 'function')
					throw new RealTypeError(`pipeline(): stage ${s + 1} ` +
								`is not a function (got ${got})`);
			});
			const list = items.slice();
			const { outer, scopes, own } = itemScopes(list.length, stages.length);
			const runs = [];
			for (let i = 0; i < list.length; i++)
				runs[i] = throughStages(stages, list[i], i, scopes[i], own);
			callHost('restore', outer);
			return promiseAll(runs);
		});
	}

	function parallel(thunks) {
		return asPromise(() => {
			if (!isArray(thunks))
				throw new RealTypeError('parallel(): give an array of functions ' +
							`(got ${typeName(thunks)})`);
			limit('parallel()', thunks.length);
			const list = thunks.slice();
			const thenable = (t) => t !== null && typeof t === 'object' &&
						typeof t.then === 'function';
			list.forEach((t, i) => {
				if (typeof t === 'function' || thenable(t))
					return;
				throw new RealTypeError(`parallel(): element ${i} is not a ` +
							`function (got ${typeName(t)}); ` +
							'pass thunks: () => agent(...)');
			});
			const runOne = async (t, i, scope, own) => {
				callHost('enter', scope, 0);
				try {
					return await (typeof t === 'function' ? t() : t);
				} catch (e) {
					warn(`parallel(): element ${i} failed`, e);
					return null;
				} finally {
					if (own)
						callHost('itemEnd', scope);
				}
			};
			const { outer, scopes, own } = itemScopes(list.length, 1);
			const runs = [];
			for (let i = 0; i < list.length; i++)
				runs[i] = runOne(list[i], i, scopes[i], own);
			callHost('restore', outer);
			return promiseAll(runs);
		});
	}

	function phase(title) {
		if (typeof title !== 'string' || title.trim() === '')
			throw new RealTypeError('phase(): the title must be a non-empty string ' +
						`(got ${typeName(title)})`);
		currentPhase = clean(title);
		emit({ type: 'phase', title: currentPhase });
	}

	function log(...parts) {
		emit({ type: 'log', message: joined(parts) });
	}

	function consoleMethod(level) {
		return function (...parts) {
			const m = { type: 'log', message: joined(parts) };
			if (level !== 'info')
				m.level = level;
			emit(m);
		};
	}

	/* workflow(): the waiting parents, by host handle of the nested run */
	const nestedWaits = new MapC();

	function workflow(ref, wargs) {
		return asPromise(() => {
			if (config.nested)
				throw new RealError('workflow(): a nested workflow cannot start ' +
						    'another one (one level only)');
			let name = ref;
			if (isPlainObject(ref))
				name = typeof ref.scriptPath === 'string' ? ref.scriptPath
									  : ref.name;
			if (typeof name !== 'string' || name === '')
				throw new RealTypeError('workflow(): give a workflow name or ' +
							`path (got ${typeName(ref)})`);
			let argsText;
			if (wargs !== undefined)
				argsText = toJSONText(wargs, 'workflow()', 'args');
			const source = request('workflow_source', { name: clean(name) });
			return then(source, (src) => nested(name, src, argsText));
		});
	}

	/* runs the source the engine sent for workflow(name) */
	function nested(name, src, argsText) {
		if (!isPlainObject(src) || typeof src.source !== 'string' ||
		    typeof src.path !== 'string')
			throw new RealError(`workflow(): the engine sent no source for '${name}'`);
		const path = src.path;
		const text = jsonStringify({ source: src.source, path, args: argsText });
		return new P((resolve, reject) => {
			const nid = callHost('nested', text);
			apply(mapSet, nestedWaits, [nid, { resolve, reject, name, path }]);
		});
	}

	/* the nested run nid ended: ok with its value's JSON, or with an error description */
	function nestedDone(nid, ok, text) {
		const w = apply(mapGet, nestedWaits, [nid]);
		if (!w)
			return;
		apply(mapDelete, nestedWaits, [nid]);
		if (ok) {
			w.resolve(jsonParse(text));
			return;
		}
		const d = jsonParse(text);
		if (d.kind === 'stopped') {
			w.reject(stopError());
			return;
		}
		const where = d.line ? `${w.path}:${d.line}: ` : `${w.path}: `;
		const e = new RealError(`workflow '${w.name}' failed: ${where}${d.message}`);
		if (d.kind === 'determinism')
			apply(wsAdd, determinismErrors, [e]);
		w.reject(e);
	}

	function define(name, value) {
		const open = { writable: true, configurable: true, enumerable: false };
		defineProperty(G, name, { value, ...open });
	}

	function deepFreeze(v) {
		if (v !== null && typeof v === 'object') {
			const ks = keys(v);
			for (let i = 0; i < ks.length; i++)
				deepFreeze(v[ks[i]]);
			freeze(v);
		}
		return v;
	}

	define('agent', agent);
	define('pipeline', pipeline);
	define('parallel', parallel);
	define('phase', phase);
	define('log', log);
	define('oracle', oracle);
	define('merge', merge);
	define('chunk', chunk);
	define('diff', diff);
	define('worktreeOf', worktreeOf);
	define('workflow', workflow);
	define('rubric', rubric);
	define('scan', scan);
	define('meta', deepFreeze(jsonParse(config.meta)));
	define('console', freeze({
		log: consoleMethod('info'),
		info: consoleMethod('info'),
		debug: consoleMethod('info'),
		warn: consoleMethod('warn'),
		error: consoleMethod('error'),
	}));

	/* --- what the host calls --------------------------------------------------- */

	function start(argsText, total, spent, exhausted, limitsText) {
		budgetTotal = typeof total === 'number' ? total : null;
		budgetSpent = typeof spent === 'number' ? spent : 0;
		budgetExhausted = exhausted === true;
		const l = typeof limitsText === 'string' ? jsonParse(limitsText) : {};
		maxItems = typeof l.itemsPerCall === 'number' ? l.itemsPerCall : null;
		define('args', argsText === undefined ? undefined : jsonParse(argsText));
		define('limits', freeze({
			itemsPerCall: maxItems,
			agentsPerRun: typeof l.agentsPerRun === 'number' ? l.agentsPerRun : null,
		}));
		define('budget', freeze({
			get total() {
				return budgetTotal;
			},
			spent: () => budgetSpent,
			/* 0 once the engine's ledger is exhausted (--budget or --max-cost) */
			remaining: () => (budgetExhausted ? 0
				: budgetTotal === null ? Infinity
					: Math.max(0, budgetTotal - budgetSpent)),
		}));
	}

	function finish(ok, v) {
		if (!ok) {
			callHost('finish', false, jsonStringify(describe(v)));
			return;
		}
		let text;
		try {
			text = toJSONText(v, 'the workflow\'s return value', 'value');
		} catch (e) {
			const d = { kind: 'result', message: clean(e.message) };
			callHost('finish', false, jsonStringify(d));
			return;
		}
		callHost('finish', true, text);
	}

	function run(fn) {
		let p;
		try {
			p = apply(fn, undefined, []);
		} catch (e) {
			finish(false, e);
			return;
		}
		then(p, (v) => finish(true, v), (e) => finish(false, e));
	}

	return freeze({
		start,
		run,
		settle,
		stop,
		tick,
		nestedDone,
		/* total: undefined leaves it, null removes it; exhausted: undefined leaves it */
		setBudget(spent, total, exhausted) {
			if (typeof spent === 'number')
				budgetSpent = spent;
			if (total !== undefined)
				budgetTotal = typeof total === 'number' ? total : null;
			if (exhausted !== undefined)
				budgetExhausted = exhausted === true;
		},
		describe: (e) => jsonStringify(describe(e)),
		importError: () => new RealError('import() is not available in a workflow: ' +
						 'there are no modules, only the workflow globals'),
	});
})
