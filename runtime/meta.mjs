// The `export const meta = {...}` statement that opens every workflow
// script: found, parsed as a pure literal, and validated without running
// anything. A small hand-written lexer and recursive-descent parser; the
// accepted language is JSON plus what people write in JavaScript object
// literals: single quotes, template literals without ${}, comments,
// identifier keys, trailing commas, hex/octal/binary numbers, numeric
// separators and a sign before a number. Anything else (identifiers,
// calls, spreads, computed keys, operators, methods) is an error with the
// 1-based line and column of the offending token.

export class MetaError extends Error {
	constructor(message, line, column) {
		super(message);
		this.name = 'MetaError';
		this.line = line;
		this.column = column;
	}
}

const MAX_DEPTH = 64;
const ID_START = /[\p{ID_Start}$_]/uy;
const ID_PART = /[\p{ID_Continue}$\u200c\u200d]*/uy;
const HEX = /0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*/y;
const OCT = /0[oO][0-7](?:_?[0-7])*/y;
const BIN = /0[bB][01](?:_?[01])*/y;
const DIGITS = '[0-9](?:_?[0-9])*';
const DEC = new RegExp(`(?:(?:0|[1-9](?:_?[0-9])*)(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})` +
		       `(?:[eE][+-]?${DIGITS})?`, 'y');

function isLineTerminator(c) {
	return c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
}

function isSpace(c) {
	return c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\ufeff' ||
	       (c > '\u007f' && /\s/u.test(c));
}

/* 1-based line and column (in UTF-16 units, as V8 counts) of offset in src */
export function lineColumn(src, offset) {
	let line = 1, start = 0;
	for (let i = 0; i < offset && i < src.length; i++) {
		const c = src[i];
		if (c === '\r' && src[i + 1] === '\n')
			continue;
		if (isLineTerminator(c)) {
			line++;
			start = i + 1;
		}
	}
	return { line, column: offset - start + 1 };
}

/* src with [start, end) replaced by spaces, line terminators kept: same lines and columns */
export function blankRange(src, start, end) {
	let mid = '';
	for (let i = start; i < end; i++)
		mid += isLineTerminator(src[i]) ? src[i] : ' ';
	return src.slice(0, start) + mid + src.slice(end);
}

function describe(src, pos) {
	if (pos >= src.length)
		return 'the end of the file';
	ID_START.lastIndex = pos;
	if (ID_START.test(src)) {
		ID_PART.lastIndex = ID_START.lastIndex;
		ID_PART.test(src);
		return '`' + src.slice(pos, ID_PART.lastIndex) + '`';
	}
	return '`' + String.fromCodePoint(src.codePointAt(pos)) + '`';
}

class Parser {
	constructor(src) {
		this.src = src;
		this.pos = 0;
		/* object or array -> { pos, keys: Map(key -> pos), items: [pos] } */
		this.where = new WeakMap();
	}

	/* the token at pos, for messages */
	found() {
		return describe(this.src, this.pos);
	}

	impure(what, pos = this.pos) {
		this.fail(`meta must be a pure literal: ${what}`, pos);
	}

	fail(message, pos = this.pos) {
		const { line, column } = lineColumn(this.src, pos);
		throw new MetaError(message, line, column);
	}

	/* Skips blanks and comments; returns whether a line terminator was crossed. */
	skip() {
		const s = this.src;
		let newline = false;
		for (;;) {
			const c = s[this.pos];
			if (c === undefined)
				return newline;
			if (isLineTerminator(c)) {
				newline = true;
				this.pos++;
			} else if (isSpace(c)) {
				this.pos++;
			} else if (c === '/' && s[this.pos + 1] === '/') {
				while (this.pos < s.length && !isLineTerminator(s[this.pos]))
					this.pos++;
			} else if (c === '/' && s[this.pos + 1] === '*') {
				const end = s.indexOf('*/', this.pos + 2);
				if (end < 0)
					this.fail('unterminated comment');
				for (let i = this.pos; i < end; i++)
					if (isLineTerminator(s[i]))
						newline = true;
				this.pos = end + 2;
			} else {
				return newline;
			}
		}
	}

	ident() {
		ID_START.lastIndex = this.pos;
		if (!ID_START.test(this.src)) {
			if (this.src[this.pos] === '\\')
				this.fail('escape sequences in names are not allowed in meta');
			return null;
		}
		ID_PART.lastIndex = ID_START.lastIndex;
		ID_PART.test(this.src);
		const end = ID_PART.lastIndex;
		if (this.src[end] === '\\')
			this.fail('escape sequences in names are not allowed in meta', end);
		const name = this.src.slice(this.pos, end);
		this.pos = end;
		return name;
	}

	expectWord(word, message) {
		const start = this.pos;
		if (this.ident() !== word)
			this.fail(message, start);
	}

	/* The statement; returns { meta, start, end } (offsets of the statement). */
	statement() {
		const s = this.src;
		const opening = 'the script must begin with `export const meta = {...}`';

		if (s.startsWith('#!'))
			while (this.pos < s.length && !isLineTerminator(s[this.pos]))
				this.pos++;
		this.skip();
		const start = this.pos;
		if (start >= s.length)
			this.fail(opening + ' (the file is empty)');
		const first = describe(s, start);
		this.expectWord('export', opening + ` (found ${first})`);
		this.skip();
		this.expectWord('const', `${opening} (found ${first} ... ${this.found()})`);
		this.skip();
		this.expectWord('meta', `${opening} (the constant must be called meta, ` +
				`found ${this.found()})`);
		this.skip();
		if (s[this.pos] === ':')
			this.fail('type annotations are not allowed: ' +
				  'workflow scripts are plain JavaScript');
		if (s[this.pos] !== '=' || s[this.pos + 1] === '=')
			this.fail(`expected \`=\` after \`export const meta\`, ` +
				  `found ${this.found()}`);
		this.pos++;
		this.skip();
		if (s[this.pos] !== '{')
			this.fail('meta must be an object literal `{...}`, ' +
				  `found ${this.found()}`);
		const meta = this.value(0);
		this.after();
		return { meta, start, end: this.pos };
	}

	/* What may follow the literal: ';', the end of the file, or a statement on a new line. */
	after() {
		const s = this.src;
		const end = this.pos;
		const newline = this.skip();
		const c = s[this.pos];

		if (c === ';') {
			this.pos++;
			return;
		}
		if (c === undefined) {
			this.pos = end;
			return;
		}
		if (c === ',')
			this.fail('meta must be declared alone: `export const meta = {...};` ' +
				  'and nothing else in that statement');
		/* these would continue the expression across the line break (no automatic ';') */
		const word = this.peekWord();
		if ('([.`+-*/%?=<>&|^'.includes(c) || word === 'in' || word === 'instanceof')
			this.impure(`unexpected ${this.found()} after it ` +
				    '(end the statement with `;`)');
		if (!newline)
			this.fail('expected `;` or a new line after the meta literal, ' +
				  `found ${this.found()}`);
		this.pos = end;
	}

	peekWord() {
		const save = this.pos;
		const w = this.ident();
		this.pos = save;
		return w;
	}

	value(depth) {
		const s = this.src;
		const c = s[this.pos];
		const start = this.pos;

		if (depth > MAX_DEPTH)
			this.fail(`meta is nested more than ${MAX_DEPTH} levels deep`);
		if (s.startsWith('...', start))
			this.impure('spread (`...`) is not allowed');
		let v;
		if (c === '{')
			v = this.object(depth);
		else if (c === '[')
			v = this.array(depth);
		else if (c === '"' || c === '\'')
			v = this.string(c);
		else if (c === '`')
			v = this.template();
		else if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9'))
			v = this.number();
		else
			v = this.word();
		this.checkFollow(start);
		return v;
	}

	/* A value must be followed by ',', '}' or ']' (or the statement's end): no operators. */
	checkFollow(start) {
		const save = this.pos;
		this.skip();
		const c = this.src[this.pos];
		if (c === '(')
			this.impure('calls are not allowed');
		if (c === '.' || (c === '?' && this.src[this.pos + 1] === '.'))
			this.impure('property access is not allowed');
		if (c === '[')
			this.impure('indexing is not allowed');
		if (c === '`')
			this.impure('tagged templates are not allowed');
		if (c !== undefined && '+-*/%?=<>&|^'.includes(c))
			this.impure(`operators are not allowed (found ${this.found()})`);
		this.pos = save;
	}

	word() {
		const s = this.src;
		const start = this.pos;
		if (s.startsWith('...', start))
			this.impure('spread (`...`) is not allowed');
		if (s[start] === '(')
			this.impure('parenthesised expressions are not allowed');
		if (s[start] === '/')
			this.impure('regular expressions are not allowed');
		const w = this.ident();
		if (w === null)
			this.fail(`unexpected ${describe(s, start)} in meta`, start);
		if (w === 'true')
			return true;
		if (w === 'false')
			return false;
		if (w === 'null')
			return null;
		if (w === 'undefined' || w === 'NaN' || w === 'Infinity')
			this.fail(`meta must be JSON-like: \`${w}\` is not allowed`, start);
		if (w === 'function' || w === 'class' || w === 'new' || w === 'async' ||
		    w === 'await' || w === 'typeof' || w === 'void')
			this.impure(`\`${w}\` expressions are not allowed`, start);
		this.skip();
		if (s[this.pos] === '(')
			this.impure(`calls are not allowed (\`${w}(...)\`)`, start);
		if (s.startsWith('=>', this.pos))
			this.impure('functions are not allowed', start);
		this.impure(`\`${w}\` is an identifier (variables are not allowed)`, start);
	}

	object(depth) {
		const s = this.src;
		const obj = {};
		const info = { pos: this.pos, keys: new Map() };
		this.where.set(obj, info);
		this.pos++; /* { */
		for (;;) {
			this.skip();
			if (s[this.pos] === '}') {
				this.pos++;
				return obj;
			}
			const keyPos = this.pos;
			const key = this.key();
			if (key === '__proto__')
				this.fail('the key `__proto__` is not allowed in meta', keyPos);
			if (info.keys.has(key))
				this.fail(`duplicate key \`${key}\` in meta`, keyPos);
			this.skip();
			const c = s[this.pos];
			if (c === '(')
				this.impure('methods are not allowed', keyPos);
			if (c === ',' || c === '}')
				this.impure('shorthand properties are not allowed ' +
					    `(\`${key}\` needs \`: value\`)`, keyPos);
			const accessor = key === 'get' || key === 'set';
			if (accessor && c !== ':' && this.peekWord() !== null)
				this.impure('getters and setters are not allowed', keyPos);
			if (c !== ':')
				this.fail(`expected \`:\` after the key \`${key}\`, ` +
					  `found ${this.found()}`);
			this.pos++;
			this.skip();
			info.keys.set(key, keyPos);
			obj[key] = this.value(depth + 1);
			this.skip();
			if (s[this.pos] === ',') {
				this.pos++;
				continue;
			}
			if (s[this.pos] === '}')
				continue;
			this.fail(`expected \`,\` or \`}\` in meta, found ${this.found()}`);
		}
	}

	key() {
		const s = this.src;
		const c = s[this.pos];
		if (c === '"' || c === '\'')
			return this.string(c);
		if (c === '`')
			this.impure('template literals cannot be keys');
		if (c === '[')
			this.impure('computed keys are not allowed');
		if (s.startsWith('...', this.pos))
			this.impure('spread (`...`) is not allowed');
		if (c === '.' || (c >= '0' && c <= '9')) {
			const start = this.pos;
			const n = this.number();
			if (s[start] === '-' || s[start] === '+')
				this.fail('a key cannot have a sign', start);
			return String(n);
		}
		if (c === '*')
			this.impure('generator methods are not allowed');
		const w = this.ident();
		if (w === null)
			this.fail(`expected a key in meta, found ${this.found()}`);
		return w;
	}

	array(depth) {
		const s = this.src;
		const arr = [];
		this.where.set(arr, { pos: this.pos, items: [] });
		this.pos++; /* [ */
		for (;;) {
			this.skip();
			if (s[this.pos] === ']') {
				this.pos++;
				return arr;
			}
			if (s[this.pos] === ',')
				this.impure('array holes are not allowed');
			this.where.get(arr).items.push(this.pos);
			arr.push(this.value(depth + 1));
			this.skip();
			if (s[this.pos] === ',') {
				this.pos++;
				continue;
			}
			if (s[this.pos] === ']')
				continue;
			this.fail(`expected \`,\` or \`]\` in meta, found ${this.found()}`);
		}
	}

	number() {
		const s = this.src;
		const start = this.pos;
		let sign = 1;
		if (s[this.pos] === '-' || s[this.pos] === '+') {
			sign = s[this.pos] === '-' ? -1 : 1;
			this.pos++;
			this.skip();
			const c = s[this.pos];
			if (!(c === '.' || (c >= '0' && c <= '9')))
				this.impure('a sign may only precede a number', start);
		}
		const at = this.pos;
		let text = null;
		for (const re of [HEX, OCT, BIN]) {
			re.lastIndex = at;
			if (re.test(s)) {
				text = s.slice(at, re.lastIndex);
				break;
			}
		}
		if (text === null) {
			if (s[at] === '0' && s[at + 1] >= '0' && s[at + 1] <= '9')
				this.fail('numbers with a leading zero (legacy octal) ' +
					  'are not allowed in meta', at);
			DEC.lastIndex = at;
			if (!DEC.test(s))
				this.fail(`unexpected ${describe(s, at)} in meta`, at);
			text = s.slice(at, DEC.lastIndex);
		}
		this.pos = at + text.length;
		const next = s[this.pos];
		if (next === 'n')
			this.fail('BigInt literals are not allowed in meta (not JSON)', at);
		ID_START.lastIndex = this.pos;
		if (next !== undefined && (/[0-9_]/.test(next) || ID_START.test(s)))
			this.fail(`invalid number ${describe(s, at)} in meta`, at);
		return sign * Number(text.replace(/_/g, ''));
	}

	/* An escape after the backslash at this.pos; appends to out, returns it. */
	escape(out, template) {
		const s = this.src;
		const at = this.pos;
		const c = s[this.pos + 1];
		this.pos += 2;
		switch (c) {
		case 'n': return out + '\n';
		case 't': return out + '\t';
		case 'r': return out + '\r';
		case 'b': return out + '\b';
		case 'f': return out + '\f';
		case 'v': return out + '\v';
		case '0':
			if (s[this.pos] >= '0' && s[this.pos] <= '9')
				this.fail('octal escapes are not allowed in meta', at);
			return out + '\0';
		case 'x': {
			const h = s.slice(this.pos, this.pos + 2);
			if (!/^[0-9a-fA-F]{2}$/.test(h))
				this.fail('invalid \\x escape in meta', at);
			this.pos += 2;
			return out + String.fromCharCode(parseInt(h, 16));
		}
		case 'u': {
			let h;
			if (s[this.pos] === '{') {
				const end = s.indexOf('}', this.pos);
				h = end < 0 ? '' : s.slice(this.pos + 1, end);
				if (!/^[0-9a-fA-F]{1,6}$/.test(h) || parseInt(h, 16) > 0x10ffff)
					this.fail('invalid \\u{...} escape in meta', at);
				this.pos = end + 1;
			} else {
				h = s.slice(this.pos, this.pos + 4);
				if (!/^[0-9a-fA-F]{4}$/.test(h))
					this.fail('invalid \\u escape in meta', at);
				this.pos += 4;
			}
			return out + String.fromCodePoint(parseInt(h, 16));
		}
		case '\r':
			if (s[this.pos] === '\n')
				this.pos++;
			return out;
		case '\n': case '\u2028': case '\u2029':
			return out;
		case undefined:
			this.fail(`unterminated ${template ? 'template literal' : 'string'}`, at);
		default:
			if (c >= '1' && c <= '9')
				this.fail('octal escapes are not allowed in meta', at);
			return out + c;
		}
	}

	string(quote) {
		const s = this.src;
		const start = this.pos;
		let out = '';
		this.pos++;
		for (;;) {
			const c = s[this.pos];
			if (c === undefined || c === '\n' || c === '\r')
				this.fail('unterminated string', start);
			if (c === quote) {
				this.pos++;
				return out;
			}
			if (c === '\\') {
				out = this.escape(out, false);
				continue;
			}
			out += c;
			this.pos++;
		}
	}

	template() {
		const s = this.src;
		const start = this.pos;
		let out = '';
		this.pos++;
		for (;;) {
			const c = s[this.pos];
			if (c === undefined)
				this.fail('unterminated template literal', start);
			if (c === '`') {
				this.pos++;
				return out;
			}
			if (c === '$' && s[this.pos + 1] === '{')
				this.impure('template interpolation (`${...}`) ' +
					    'is not allowed');
			if (c === '\\') {
				out = this.escape(out, true);
				continue;
			}
			if (c === '\r') {
				/* template values normalise CR and CRLF to LF */
				out += '\n';
				this.pos += s[this.pos + 1] === '\n' ? 2 : 1;
				continue;
			}
			out += c;
			this.pos++;
		}
	}
}

function isPlainObject(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* The meta's contract; errors point at the offending key, or at the object. */
function validate(p, meta) {
	const info = p.where.get(meta);
	const at = (obj, key) => {
		const i = p.where.get(obj);
		return (key !== undefined && i.keys && i.keys.has(key)) ? i.keys.get(key) : i.pos;
	};
	const nonEmpty = (obj, key, what) => {
		if (!Object.hasOwn(obj, key))
			p.fail(`${what} is missing`, info.pos);
		if (typeof obj[key] !== 'string' || obj[key].trim() === '')
			p.fail(`${what} must be a non-empty string`, at(obj, key));
	};

	nonEmpty(meta, 'name', 'meta.name');
	nonEmpty(meta, 'description', 'meta.description');
	if (Object.hasOwn(meta, 'whenToUse') && typeof meta.whenToUse !== 'string')
		p.fail('meta.whenToUse must be a string', at(meta, 'whenToUse'));
	if (Object.hasOwn(meta, 'args'))
		validateArgs(p, meta, at);
	if (!Object.hasOwn(meta, 'phases'))
		return;
	const phases = meta.phases;
	if (!Array.isArray(phases))
		p.fail('meta.phases must be an array of {title, detail?, model?, agents?}',
		       at(meta, 'phases'));
	const items = p.where.get(phases).items;
	phases.forEach((ph, i) => {
		const what = `meta.phases[${i}]`;
		if (!isPlainObject(ph))
			p.fail(`${what} must be an object {title, detail?, model?, agents?}`, items[i]);
		if (!Object.hasOwn(ph, 'title'))
			p.fail(`${what}.title is missing`, items[i]);
		if (typeof ph.title !== 'string' || ph.title.trim() === '')
			p.fail(`${what}.title must be a non-empty string`, at(ph, 'title'));
		for (const k of ['detail', 'model'])
			if (Object.hasOwn(ph, k) && typeof ph[k] !== 'string')
				p.fail(`${what}.${k} must be a string`, at(ph, k));
		if (Object.hasOwn(ph, 'agents'))
			validateAgents(p, meta, ph.agents, `${what}.agents`, at, at(ph, 'agents'));
	});
}

/* The roles an agent may have (src/agent/role.c). */
const ROLES = ['implementer', 'fixer', 'verifier', 'reviewer', 'triager', 'planner',
	'classifier', 'judge'];
const AGENTS_KEYS = ['role', 'perUnit', 'count', 'unless'];

/*
 * meta.phases[i].agents: the agents a phase plans, for the approval card's
 * estimate (docs/workflow-api.md, "Planned agents"). Claude Code ignores it.
 * { role, perUnit | count, unless? }; perUnit and count are a bound or
 * [low, high]; a bound is a whole number, an argument's name, or
 * { arg, plus }.
 */
function validateAgents(p, meta, agents, what, at, pos) {
	const declared = isPlainObject(meta.args) ? meta.args : null;
	if (!isPlainObject(agents))
		p.fail(`${what} must be an object {role, perUnit | count, unless?}`, pos);
	for (const k of Object.keys(agents))
		if (!AGENTS_KEYS.includes(k))
			p.fail(`${what} has an unknown key '${k}' (it takes ${AGENTS_KEYS.join(', ')})`,
			       at(agents, k));
	if (typeof agents.role !== 'string' || !ROLES.includes(agents.role))
		p.fail(`${what}.role must be one of ${ROLES.join(', ')}`, at(agents, 'role'));
	const has = ['perUnit', 'count'].filter((k) => Object.hasOwn(agents, k));
	if (has.length !== 1)
		p.fail(`${what} needs exactly one of perUnit and count`, pos);
	const argName = (name, where) => {
		if (typeof name !== 'string' || name === '')
			p.fail(`${where} must name an argument`, pos);
		if (declared && !Object.hasOwn(declared, name))
			p.fail(`${where}: the workflow declares no argument '${name}'`, pos);
	};
	const bound = (b, where) => {
		if (typeof b === 'number') {
			if (!Number.isInteger(b) || b < 0)
				p.fail(`${where} must be a whole number >= 0`, pos);
		} else if (typeof b === 'string') {
			argName(b, where);
		} else if (isPlainObject(b)) {
			for (const k of Object.keys(b))
				if (k !== 'arg' && k !== 'plus')
					p.fail(`${where} has an unknown key '${k}' (it takes arg, plus)`, pos);
			argName(b.arg, `${where}.arg`);
			if (Object.hasOwn(b, 'plus') && !Number.isInteger(b.plus))
				p.fail(`${where}.plus must be a whole number`, pos);
		} else {
			p.fail(`${where} must be a number, an argument's name or {arg, plus}`, pos);
		}
	};
	const k = has[0];
	const v = agents[k];
	if (Array.isArray(v)) {
		if (v.length !== 2)
			p.fail(`${what}.${k} must be a bound or [low, high]`, at(agents, k));
		bound(v[0], `${what}.${k}[0]`);
		bound(v[1], `${what}.${k}[1]`);
	} else {
		bound(v, `${what}.${k}`);
	}
	if (Object.hasOwn(agents, 'unless'))
		argName(agents.unless, `${what}.unless`);
}

/*
 * The types of meta.args entries (docs/workflow-api.md, "Declaring arguments"):
 * what a value of each may be.
 */
const ARG_TYPES = {
	string: (v) => typeof v === 'string',
	number: (v) => typeof v === 'number',
	integer: (v) => Number.isInteger(v),
	boolean: (v) => typeof v === 'boolean',
	strings: (v) => typeof v === 'string' ||
		(Array.isArray(v) && v.every((x) => typeof x === 'string')),
	pathspecs: (v) => (typeof v === 'string' && v !== '') ||
		(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')),
	array: (v) => Array.isArray(v),
	object: (v) => isPlainObject(v),
	any: () => true,
};
const ARG_KEYS = ['type', 'description', 'default', 'required', 'enum', 'chunk'];
/* the options of chunk() an argument may stand for (chunk: true) */
const CHUNK_OPTIONS = ['paths', 'match', 'query', 'lang', 'maxBytes', 'changedSince'];

/*
 * meta.args: { <name>: { type?, description?, default?, required?, enum?,
 * chunk? } }. Claude Code ignores the key; this project checks the
 * arguments of a run against it before anything runs.
 */
function validateArgs(p, meta, at) {
	const args = meta.args;
	const types = Object.keys(ARG_TYPES).join(', ');
	if (!isPlainObject(args))
		p.fail('meta.args must be an object: { <name>: { type, description, default } }',
		       at(meta, 'args'));
	for (const [name, d] of Object.entries(args)) {
		const what = `meta.args.${name}`;
		if (!/^[A-Za-z_$][\w$-]*$/.test(name))
			p.fail(`${what}: an argument's name is a word (letters, digits, _ $ -)`,
			       at(args, name));
		if (!isPlainObject(d))
			p.fail(`${what} must be an object { type, description, default }`, at(args, name));
		for (const k of Object.keys(d))
			if (!ARG_KEYS.includes(k))
				p.fail(`${what}.${k} is not a key of an argument (${ARG_KEYS.join(', ')})`,
				       at(d, k));
		const type = Object.hasOwn(d, 'type') ? d.type : 'any';
		if (!Object.hasOwn(ARG_TYPES, type))
			p.fail(`${what}.type must be one of ${types}`, at(d, 'type'));
		if (Object.hasOwn(d, 'description') && typeof d.description !== 'string')
			p.fail(`${what}.description must be a string`, at(d, 'description'));
		if (Object.hasOwn(d, 'required') && typeof d.required !== 'boolean')
			p.fail(`${what}.required must be true or false`, at(d, 'required'));
		if (Object.hasOwn(d, 'enum') &&
		    (!Array.isArray(d.enum) || d.enum.length === 0 ||
		     !d.enum.every((v) => ARG_TYPES[type](v))))
			p.fail(`${what}.enum must be a non-empty array of values of type ${type}`,
			       at(d, 'enum'));
		if (Object.hasOwn(d, 'default')) {
			if (d.required === true)
				p.fail(`${what}: a required argument has no default`, at(d, 'default'));
			if (!ARG_TYPES[type](d.default) ||
			    (Object.hasOwn(d, 'enum') && !d.enum.includes(d.default)))
				p.fail(`${what}.default is not a value of the argument (type ${type}` +
				       `${Object.hasOwn(d, 'enum') ? ', one of enum' : ''})`,
				       at(d, 'default'));
		}
		if (Object.hasOwn(d, 'chunk')) {
			/* true: the option of the same name; a string: the option it is passed as */
			const option = typeof d.chunk === 'string' ? d.chunk : name;
			if (typeof d.chunk !== 'boolean' && typeof d.chunk !== 'string')
				p.fail(`${what}.chunk must be true, false or the name of an option ` +
				       'of chunk()', at(d, 'chunk'));
			else if (d.chunk !== false && !CHUNK_OPTIONS.includes(option))
				p.fail(`${what}.chunk: only an option of chunk() ` +
				       `(${CHUNK_OPTIONS.join(', ')}) is passed to it`, at(d, 'chunk'));
		}
	}
}

/*
 * Finds, parses and validates the meta statement of src. Returns
 * { meta, start, end }: the value and the statement's offsets (the
 * statement includes its ';'). Throws MetaError.
 */
export function parseMeta(src) {
	const p = new Parser(src);
	const r = p.statement();
	validate(p, r.meta);
	return r;
}
