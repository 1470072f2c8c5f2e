// Helpers for the runtime tests: run runtime/harness.mjs as the engine
// does (same node flags as src/engine/harness.c) and play the engine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const runtimeDir = path.resolve(here, '../../runtime');
const harness = path.join(runtimeDir, 'harness.mjs');

/* the permission flag this node knows, as harness.c decides it */
export function permissionFlag(version = process.versions.node) {
	const [major, minor] = version.split('.').map(Number);
	if (major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13))
		return '--permission';
	if (major >= 21 || (major === 20 && minor >= 13))
		return '--experimental-permission';
	return null;
}

function real(p) {
	try {
		return fs.realpathSync(p);
	} catch {
		return p;
	}
}

export function nodeArgs(script, { check = false } = {}) {
	const args = ['--experimental-vm-modules', '--disallow-code-generation-from-strings'];
	const perm = permissionFlag();
	if (perm)
		args.push(perm, `--allow-fs-read=${real(runtimeDir)}`,
			  `--allow-fs-read=${real(script)}`,
			  '--disable-warning=ExperimentalWarning');
	else
		args.push('--no-warnings');
	args.push(harness);
	if (check)
		args.push('--check');
	args.push(script);
	return args;
}

let tmp = null;
let seq = 0;
export function writeScript(source, name) {
	if (!tmp)
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wfm-runtime-'));
	const file = path.join(tmp, name || `script${++seq}.js`);
	fs.writeFileSync(file, source);
	return file;
}

export function cleanup() {
	if (tmp)
		fs.rmSync(tmp, { recursive: true, force: true });
	tmp = null;
}

export const META = "export const meta = { name: 'test', description: 'a test' };\n";

/*
 * Runs a script to its end: start sends args, budget and limits when
 * given (the engine's limits: start.limits). respond(msg, reply, send) is called for each
 * request and may answer with reply({ok, value | error}) (type and id are
 * filled in) or send any message; onMessage(msg, send, child) sees every
 * message. Resolves { messages, last, code, stderr }.
 */
export function run(source, opts = {}) {
	const { args, budget, limits, respond, onMessage, check = false, start = true, file } = opts;
	const script = file || writeScript(source);
	const child = spawn(process.execPath, nodeArgs(script, { check }),
			    { stdio: ['pipe', 'pipe', 'pipe'] });
	const messages = [];
	let stderr = '';
	let buffered = '';
	const send = (obj) => {
		if (!child.stdin.destroyed)
			child.stdin.write(JSON.stringify(obj) + '\n');
	};
	child.stdin.on('error', () => {});
	child.stderr.setEncoding('utf8');
	child.stderr.on('data', (d) => { stderr += d; });
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (d) => {
		buffered += d;
		let nl;
		while ((nl = buffered.indexOf('\n')) >= 0) {
			const line = buffered.slice(0, nl);
			buffered = buffered.slice(nl + 1);
			const msg = JSON.parse(line);
			messages.push(msg);
			if (onMessage)
				onMessage(msg, send, child);
			if (msg.type === 'meta' && !check && start) {
				const m = { type: 'start' };
				m.budget = budget || { total: null, spent: 0 };
				if (args !== undefined)
					m.args = args;
				if (limits !== undefined)
					m.limits = limits;
				send(m);
			}
			if (msg.type === 'request' && respond) {
				const reply = (r) => send({ type: 'result', id: msg.id, ...r });
				respond(msg, reply, send);
			}
		}
	});
	return new Promise((resolve) => {
		child.on('close', (code) => {
			resolve({ messages, last: messages[messages.length - 1], code, stderr });
		});
	});
}

/* answers every agent request with "R:<prompt>" */
export function echo(msg, reply) {
	if (msg.method === 'agent')
		reply({ ok: true, value: `R:${msg.params.prompt}` });
	else
		reply({ ok: true, value: null });
}
