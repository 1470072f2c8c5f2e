// workflows/migrate.js with this test playing the engine: what it makes of
// agents' answers, without a repository or a provider.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, run, runtimeDir } from './support.mjs';

after(cleanup);

const script = path.resolve(runtimeDir, '../workflows/migrate.js');
const rubricFile = path.resolve(runtimeDir, '../rubrics/migration.md');

const unit = (name) => ({
	id: `src/a.c::function::${name}`, path: 'src/a.c', name, kind: 'function', lang: 'c',
	start_line: 1, end_line: 3, text: `void ${name}(void)\n{\n}\n`,
});

/*
 * An engine whose oracle passes, whose chunk() gives units, whose agents
 * answer with answers[role](params) (worktree agents changing nothing;
 * {reject: message} makes agent() reject),
 * and whose diffs are empty.
 */
function engine(units, answers) {
	return (msg, reply) => {
		const p = msg.params;
		if (msg.method === 'oracle')
			reply({ ok: true, value: { pass: true, exitCode: 0, summary: null, durationMs: 1, outputTail: '' } });
		else if (msg.method === 'chunk')
			reply({ ok: true, value: units });
		else if (msg.method === 'diff')
			reply({ ok: true, value: '' });
		else if (msg.method === 'rubric' && msg.params.name === 'migration')
			reply({ ok: true, value: { text: fs.readFileSync(rubricFile, 'utf8'), path: rubricFile } });
		else if (msg.method === 'rubric')
			reply({ ok: false, error: `rubric(): no rubric named '${msg.params.name}'` });
		else if (msg.method === 'agent' && answers[p.role](p)?.reject)
			reply({ ok: false, error: answers[p.role](p).reject });
		else if (msg.method === 'agent' && p.isolation === 'worktree')
			reply({ ok: true, value: { output: answers[p.role](p), branch: p.role === 'verifier' ? null : `wfmigrate/run/${p.label}`,
				commit: 'c'.repeat(40), changed: false } });
		else if (msg.method === 'agent')
			reply({ ok: true, value: answers[p.role](p) });
		else
			reply({ ok: false, error: `unexpected ${msg.method}` });
	};
}

function report(r) {
	assert.equal(r.last.type, 'done', `expected done, got ${JSON.stringify(r.last)}\n${r.stderr}`);
	return Object.fromEntries(r.last.value.units.map((u) => [u.id.split('::')[2], [u.status, u.reason]]));
}

test('reasons say their leading phrase once, whatever the agents begin with', async () => {
	const said = {
		one: 'no change needed: no convertible call',
		two: 'No change needed: no change needed - nothing to convert',
		three: '**No change needed.** The unit only declares it.',
		four: 'No change needed',
		five: 'Nothing to change here.',
	};
	const units = Object.keys(said).map(unit);
	const r = await run('', {
		file: script,
		args: { goal: 'convert the calls', match: 'x' },
		respond: engine(units, {
			implementer: (p) => said[p.unit.name],
			verifier: () => ({ verdict: 'pass', findings: [] }),
		}),
	});
	assert.deepEqual(report(r), {
		one: ['skipped', 'no change needed: no convertible call'],
		two: ['skipped', 'no change needed: nothing to convert'],
		three: ['skipped', 'no change needed: The unit only declares it.'],
		four: ['skipped', 'no change needed: the verifier agrees'],
		five: ['skipped', 'no change needed: Nothing to change here.'],
	});
});

test('the classifier\'s reason, and an error that says "error:", once', async () => {
	const units = ['kept', 'plain', 'repeats', 'silent'].map(unit);
	const reasons = { plain: 'it has no calls', repeats: 'Not relevant: not relevant: it has no calls', silent: '' };
	const r = await run('', {
		file: script,
		args: { goal: 'convert the calls' },
		respond: engine(units, {
			classifier: (p) => (p.unit.name === 'kept' ? { relevant: true, reason: 'calls' }
				: { relevant: false, reason: reasons[p.unit.name] }),
			implementer: () => ({ reject: 'error: the provider is down' }),
		}),
	});
	const got = report(r);
	assert.deepEqual(got.plain, ['skipped', 'not relevant: it has no calls']);
	assert.deepEqual(got.repeats, ['skipped', 'not relevant: it has no calls']);
	assert.deepEqual(got.silent, ['skipped', 'not relevant: the classifier says it needs no change']);
	assert.deepEqual(got.kept, ['failed', 'error: the provider is down']);
});

test('the rubric is rubrics/migration.md, whole, in every implementer, fixer and verifier prompt', async () => {
	const units = ['one', 'two'].map(unit);
	const prompts = [];
	const answers = {
		implementer: (p) => { prompts.push(['implementer', p.prompt]); return 'done' },
		fixer: (p) => { prompts.push(['fixer', p.prompt]); return 'fixed' },
		verifier: (p) => {
			prompts.push(['verifier', p.prompt]);
			return { verdict: prompts.some(([r]) => r === 'fixer') ? 'pass' : 'fail', findings: ['a.c:1: rule 2: left'] };
		},
	};
	const r = await run('', { file: script, args: { goal: 'convert the calls', match: 'x', rounds: 1 }, respond: engine(units, answers) });
	report(r);
	const text = fs.readFileSync(rubricFile, 'utf8').trim();
	assert.deepEqual([...new Set(prompts.map(([role]) => role))].sort(), ['fixer', 'implementer', 'verifier']);
	for (const [role, prompt] of prompts)
		assert.ok(prompt.includes(`\n\n${text}\n\n`), `the ${role}'s prompt lacks rubrics/migration.md`);
	const asked = r.messages.filter((m) => m.type === 'request' && m.method === 'rubric');
	assert.deepEqual(asked.map((m) => m.params), [{ name: 'migration' }]);
	/* args.rubric replaces it: nothing is asked */
	const own = await run('', { file: script, args: { goal: 'g', match: 'x', rubric: 'MY RULES' },
		respond: engine([unit('one')], { implementer: (p) => { prompts.push(['own', p.prompt]); return 'done' },
			verifier: () => ({ verdict: 'pass', findings: [] }) }) });
	report(own);
	assert.equal(own.messages.filter((m) => m.type === 'request' && m.method === 'rubric').length, 0);
	assert.ok(prompts.find(([r]) => r === 'own')[1].includes('\n\nMY RULES\n\n'));
});

test('the engine\'s limits: lists longer than itemsPerCall go in slices; agentsPerRun warns', async () => {
	const units = ['a', 'b', 'c', 'd', 'e'].map(unit);
	const r = await run('', {
		file: script,
		args: { goal: 'convert the calls', match: 'x' },
		limits: { itemsPerCall: 2, agentsPerRun: 6 },
		respond: engine(units, { implementer: () => 'done', verifier: () => ({ verdict: 'pass', findings: [] }) }),
	});
	/* every unit went through (its agents change nothing here, so it is skipped) */
	assert.deepEqual(Object.keys(report(r)), ['a', 'b', 'c', 'd', 'e']);
	assert.equal(r.messages.filter((m) => m.type === 'request' && m.params.role === 'implementer').length, 5);
	const logs = r.messages.filter((m) => m.type === 'log').map((m) => m.message);
	assert.ok(logs.includes('warning: 5 units need at least 10 agents, more than the 6 a run may start: ' +
		'the units past the limit will fail'), logs.join('\n'));
});
