// workflows/sweep.js with this test playing the engine: the prompts it
// sends, the votes it counts, what it keeps, removes and de-duplicates.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, run, runtimeDir } from './support.mjs';

after(cleanup);

const script = path.resolve(runtimeDir, '../workflows/sweep.js');
const rubricFile = path.resolve(runtimeDir, '../rubrics/security.md');

const units = [
	{ id: 'src/a.c::function::copy', path: 'src/a.c', name: 'copy', kind: 'function', lang: 'c',
	  start_line: 10, end_line: 13, text: 'void copy(char *s)\n{\n\tchar b[8]; strcpy(b, s);\n}\n' },
	{ id: 'src/a.c::function::safe', path: 'src/a.c', name: 'safe', kind: 'function', lang: 'c',
	  start_line: 15, end_line: 18, text: 'void safe(char *s)\n{\n\tchar b[8]; snprintf(b, 8, "%s", s);\n}\n' },
];
const ruleFinding = { rule: 'dangerous-call/c-strcpy', severity: 'medium', file: 'src/a.c', startLine: 12, endLine: 12,
	startColumn: 13, endColumn: 20, evidence: '\tchar b[8]; strcpy(b, s);', explanation: 'x', source: 'rule' };

const finding = (unit, line, rule = 'memory-safety/unbounded-copy', severity = 'high') => ({
	rule, severity, file: 'src/a.c', startLine: line, endLine: line, evidence: 'e', explanation: 'why',
});

/* an engine: chunk() gives the units, scan() the rule finding, agents answer by role */
function engine(answer, seen) {
	return (msg, reply) => {
		const p = msg.params;
		seen.push(msg);
		if (msg.method === 'chunk')
			reply({ ok: true, value: units });
		else if (msg.method === 'scan')
			reply({ ok: true, value: [ruleFinding] });
		else if (msg.method === 'rubric')
			reply({ ok: true, value: { text: fs.readFileSync(rubricFile, 'utf8'), path: rubricFile } });
		else if (msg.method === 'agent')
			reply(answer(p));
		else
			reply({ ok: false, error: `unexpected ${msg.method}` });
	};
}

function done(r) {
	assert.equal(r.last.type, 'done', `expected done, got ${JSON.stringify(r.last)}\n${r.stderr}`);
	return r.last.value;
}

test('prompts, scope, votes: refuted removed, confirmed kept, failures unverified, duplicates merged', async () => {
	const seen = [];
	const r = await run(null, {
		file: script,
		args: { base: 'b'.repeat(40) },
		respond: engine((p) => {
			const first = p.prompt.split('\n')[0];
			if (first.startsWith('Security triage:'))
				return { ok: true, value: { categories: p.unit.endsWith('copy') ? ['memory-safety', 'injection'] : ['memory-safety'] } };
			if (first.startsWith('Security review:')) {
				if (!p.unit.endsWith('copy'))
					return { ok: true, value: { findings: [finding(null, 17, 'memory-safety/format')] } };
				/* the same defect from two categories: one finding */
				return { ok: true, value: { findings: [finding(null, 12)] } };
			}
			assert.equal(first, 'Refute this finding if you can:');
			const f = JSON.parse(p.prompt.split('\n')[1]);
			const k = Number(p.label.split(':')[1]);
			if (f.startLine === 17)
				return { ok: true, value: { verdict: 'refuted', reason: 'bounded' } };
			/* one confirms, one fails (null), one refutes: no majority, unverified */
			if (k === 1)
				return { ok: true, value: { verdict: 'confirmed', reason: 'yes' } };
			if (k === 2)
				return { ok: true, value: null };
			return { ok: true, value: { verdict: 'refuted', reason: 'no' } };
		}, seen),
	});
	const v = done(r);
	assert.deepEqual(v.scope, { base: 'b'.repeat(40), head: null, units: 2 });
	const chunkReq = seen.find((m) => m.method === 'chunk');
	assert.equal(chunkReq.params.changedSince, 'b'.repeat(40));
	assert.equal(chunkReq.params.text, true);

	const agents = seen.filter((m) => m.method === 'agent').map((m) => m.params);
	const triage = agents.find((p) => p.role === 'classifier');
	assert.equal(triage.prompt.split('\n').slice(0, 3).join('\n'),
		'Security triage: which categories does this unit need reviewing for?\n' +
		'Unit: src/a.c::function::copy (src/a.c:10-13, c)\n10| void copy(char *s)');
	assert.match(triage.prompt, /\n12| \tchar b\[8\]; strcpy\(b, s\);\n13| }\n/);
	const review = agents.find((p) => p.label === 'review:injection:src/a.c::function::copy');
	assert.equal(review.role, 'reviewer');
	assert.ok(review.prompt.startsWith('Security review: injection\nUnit: src/a.c::function::copy'));
	assert.ok(review.prompt.includes('# Security review rubric'));
	const verify = agents.filter((p) => p.prompt.startsWith('Refute'));
	assert.equal(verify.length, 6); /* 2 findings after de-duplication, 3 verifiers each */
	for (const p of verify) {
		assert.equal(p.role, 'reviewer');
		assert.deepEqual(p.tools, ['Read', 'Grep', 'Glob']);
		assert.match(p.prompt.split('\n')[2], /^Unit: src\/a\.c::function::/);
	}
	/* no agent may run commands or write */
	for (const p of agents)
		assert.ok(p.role === 'reviewer' || p.role === 'classifier', p.role);

	/* the rule's dangerous call on the same line is the reviewer's finding: one, with both ids */
	assert.deepEqual(v.findings.map((f) => [f.rule, f.source, f.verdict, f.votes, f.also]), [
		['memory-safety/unbounded-copy', 'reviewer', 'unverified', { confirmed: 1, refuted: 1, failed: 1 },
			['dangerous-call/c-strcpy']],
	]);
	assert.deepEqual(v.refuted.map((f) => [f.rule, f.verdict, f.votes.refuted]), [['memory-safety/format', 'refuted', 3]]);
	assert.deepEqual(v.agents.verifiers, { run: 6, failed: 1 });
});

test('categories skip the classifier; a majority of confirmations confirms; budget errors are failures', async () => {
	const seen = [];
	const r = await run(null, {
		file: script,
		args: { all: true, categories: 'memory-safety', verifiers: 3 },
		respond: engine((p) => {
			if (p.prompt.startsWith('Security review:'))
				return { ok: true, value: { findings: p.unit.endsWith('copy') ? [finding(null, 12, 'bad rule name!', 'critical')] : [] } };
			if (p.label.startsWith('verify:3'))
				return { ok: false, code: 'budget', error: 'the budget cannot cover it' };
			return { ok: true, value: { verdict: 'confirmed', reason: 'yes' } };
		}, seen),
	});
	const v = done(r);
	assert.equal(v.scope.base, null);
	assert.equal(seen.find((m) => m.method === 'chunk').params.changedSince, undefined);
	assert.equal(seen.filter((m) => m.params?.role === 'classifier').length, 0);
	assert.deepEqual(v.findings.map((f) => [f.rule, f.severity, f.verdict, f.votes, f.also]), [
		['memory-safety/bad-rule-name', 'critical', 'confirmed', { confirmed: 2, refuted: 0, failed: 1 },
			['dangerous-call/c-strcpy']],
	]);
});

test('a rule and a reviewer finding the same secret: one finding, the rule\'s, not verified again', async () => {
	const seen = [];
	const secret = { ...ruleFinding, rule: 'secret/private-key', severity: 'critical', startLine: 15, endLine: 18,
		startColumn: 1, endColumn: 2 };
	const r = await run(null, {
		file: script,
		args: { all: true, categories: 'secrets,memory-safety' },
		respond: (msg, reply) => {
			if (msg.method === 'scan')
				return reply({ ok: true, value: [secret, ruleFinding] });
			return engine((p) => {
				if (p.prompt.startsWith('Security review: secrets'))
					return { ok: true, value: { findings: p.unit.endsWith('safe') ? [finding(null, 16, 'secrets/hard-coded-key', 'high')] : [] } };
				if (p.prompt.startsWith('Security review:'))
					return { ok: true, value: { findings: [] } };
				return { ok: true, value: { verdict: 'confirmed', reason: 'yes' } };
			}, seen)(msg, reply);
		},
	});
	const v = done(r);
	assert.equal(seen.filter((m) => m.params?.prompt?.startsWith('Refute')).length, 0,
		'a rule\'s fact is not sent to verifiers');
	assert.deepEqual(v.findings.map((f) => [f.rule, f.source, f.verdict, f.also]), [
		['secret/private-key', 'rule', 'confirmed', ['secrets/hard-coded-key']],
		['dangerous-call/c-strcpy', 'rule', 'confirmed', undefined],
	]);
	assert.equal(v.findings[0].startColumn, 1);
});

test('bad arguments stop it before anything runs', async () => {
	for (const [args, want] of [
		[{}, /sweep needs args\.base/],
		[{ all: true, verifiers: 12 }, /args\.verifiers must be a whole number from 0 to 9/],
		[{ all: true, categories: ['memory-safety', 'nope'] }, /args\.categories: "nope" is not a category/],
	]) {
		const r = await run(null, { file: script, args, respond: engine(() => ({ ok: true, value: null }), []) });
		assert.equal(r.last.type, 'error', JSON.stringify(r.last));
		assert.match(r.last.message, want);
	}
});
