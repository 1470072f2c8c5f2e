// workflows/migrate.js with this test playing the engine: what it makes of
// agents' answers, without a repository or a provider.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, run, runtimeDir } from './support.mjs';

after(cleanup);

const script = path.resolve(runtimeDir, '../workflows/migrate.js');

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
