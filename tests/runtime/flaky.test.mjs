// workflows/flaky.js with this test playing the engine: the confirmation by
// per-test results of the oracle (runs, failures, tests), which the e2e test
// (tests/e2e/flaky_fix.sh) cannot reach while the engine's oracle() runs
// once; the tournament's bracket; merges retried when a flaky test fails
// the merge queue's single run; the stop rules (max rounds, agent cap).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';

import { cleanup, run, runtimeDir } from './support.mjs';

after(cleanup);

const script = path.resolve(runtimeDir, '../workflows/flaky.js');
const FLAKY = 'report order';
const OTHER = 'cache expiry';
const STABLE = ['adds', 'counts'];
const BROKEN = 'merge adds';

/* the per-test results of `runs` runs: failures per test name */
function results(runs, failures) {
	const tests = Object.entries(failures).map(([name, f]) => ({
		name, runs, failures: f, firstFailure: f ? `not ok - ${name}\n# got something else` : null,
	}));
	const failed = Math.max(0, ...Object.values(failures));
	return { pass: failed === 0, exitCode: failed ? 1 : 0, summary: null, excerpt: failed ? ['not ok'] : [],
		durationMs: 1, outputTail: '', runs, failures: failed, tests };
}

/*
 * An engine: hypothesis agents answer causes(prompt, label), fixers change
 * their branch (its name ends with the cause's number), the oracle answers
 * oracle(branch, runs), judges judge(prompt), merge() merge(branch, n).
 */
function engine({ causes, oracle, judge = () => ({ winner: 'A', reason: 'smaller' }), merge = () => ({ merged: true, commit: 'm'.repeat(40) }) }, seen) {
	const merges = new Map();
	return (msg, reply) => {
		const p = msg.params;
		seen.push(msg);
		const first = p?.prompt?.split('\n')[0];
		if (msg.method === 'agent' && p.role === 'reviewer') {
			assert.equal(first, 'Flaky test: why does this test fail only sometimes?');
			assert.deepEqual(p.tools, ['Read', 'Grep', 'Glob']);
			const value = { hypotheses: causes(p.prompt, p.label) };
			// after a merge: a read-only worktree at it
			if (p.isolation === 'worktree') {
				assert.equal(p.base, 'm'.repeat(40));
				reply({ ok: true, value: { output: value, branch: null, commit: p.base, changed: false } });
			} else {
				assert.equal(p.isolation, undefined);
				reply({ ok: true, value });
			}
		} else if (msg.method === 'agent' && p.role === 'implementer') {
			assert.equal(first, 'Fix this flaky test by the cause given:');
			assert.equal(p.isolation, 'worktree');
			const cause = /^Cause: (.*)$/m.exec(p.prompt)[1];
			reply({ ok: true, value: { output: { summary: `fixed ${cause}` }, branch: `wfmigrate/run/${cause.replace(/ /g, '_')}`,
				commit: 'c'.repeat(40), changed: !cause.startsWith('nothing') } });
		} else if (msg.method === 'agent' && p.role === 'judge') {
			assert.equal(first, 'Two fixes for the same flaky test: which is the smaller sound one?');
			reply({ ok: true, value: judge(p.prompt) });
		} else if (msg.method === 'oracle') {
			reply({ ok: true, value: oracle(p.branch.replace(/_/g, ' '), p.runs ?? 1) });
		} else if (msg.method === 'diff') {
			// one added line per letter of the cause past the third
			reply({ ok: true, value: `--- a/x\n+++ b/x\n@@\n+${p.branch}\n${'+\n'.repeat(Math.max(0, p.branch.split('/').pop().length - 3))}` });
		} else if (msg.method === 'merge') {
			const n = (merges.get(p.branch) ?? 0) + 1;
			merges.set(p.branch, n);
			const m = merge(p.branch, n);
			reply(m.error ? { ok: false, error: m.error } : { ok: true, value: m });
		} else {
			reply({ ok: false, error: `unexpected ${msg.method}` });
		}
	};
}

const cause = (c) => ({ cause: c, evidence: 'x.c:1', files: ['x.c'] });
const args = (more = {}) => ({ tests: [{ name: FLAKY, runs: 20, failures: 7, interval: [0.2, 0.6], firstFailure: 'not ok 5' }],
	broken: [BROKEN], stable: STABLE, confirm: 20, ...more });

function done(r) {
	assert.equal(r.last.type, 'done', `expected done, got ${JSON.stringify(r.last)}\n${r.stderr}`);
	return r.last.value;
}

test('per-test results: the flaky test and every stable test pass every run; a broken test does not count', async () => {
	const seen = [];
	const r = await run(null, {
		file: script,
		args: args({ fixers: 5 }),
		respond: engine({
			// at most 3 causes an agent: the first agent gives three, the second three more
			causes: (prompt, label) => (label.startsWith('hypothesize:1:') ? [cause('real'), cause('wrong'), cause('breaks a stable test'), cause('ignored')]
				: [cause('drops a stable test'), cause('nothing'), cause('later')]),
			oracle: (branch, runs) => {
				const c = branch.split('/').pop();
				const f = { [FLAKY]: 0, adds: 0, counts: 0, [BROKEN]: runs };
				if (c === 'wrong') f[FLAKY] = 6;
				if (c === 'breaks a stable test') f.counts = 2;
				const out = results(runs, f);
				if (c === 'drops a stable test') out.tests = out.tests.filter((t) => t.name !== 'adds');
				return out;
			},
		}, seen),
	});
	const v = done(r);
	assert.equal(v.rounds, 1);
	assert.deepEqual(v.unresolved, []);
	assert.deepEqual(v.fixes, [{ test: FLAKY, branch: 'wfmigrate/run/real', commit: 'c'.repeat(40), hypothesis: 'real',
		confirmations: 20, merged: true, mergeCommit: 'm'.repeat(40) }]);
	const tried = Object.fromEntries(v.tried.map((t) => [t.hypothesis, t]));
	assert.equal(tried.real.confirmed, true);
	assert.equal(tried.wrong.confirmed, false);
	assert.equal(tried.wrong.confirmations, 14);
	assert.match(tried.wrong.reason, /^it failed 6 of 20 run\(s\): not ok - report order/);
	assert.equal(tried['breaks a stable test'].confirmed, false);
	assert.match(tried['breaks a stable test'].reason, /the stable test 'counts' failed 2 of 20/);
	assert.equal(tried['breaks a stable test'].confirmations, 18);
	assert.equal(tried['drops a stable test'].confirmed, false);
	assert.match(tried['drops a stable test'].reason, /the stable test 'adds' is not in the output any more/);
	assert.equal(tried.nothing.reason, 'the fixer changed nothing');
	// five fixers (args.fixers): the sixth cause waits for a round that never comes
	assert.equal(v.tried.length, 5);
	assert.ok(!tried.ignored && !tried.later);
	// the engine ran the reruns: one oracle() per fix, with runs
	const oracles = seen.filter((m) => m.method === 'oracle');
	assert.equal(oracles.length, 4); // all but the fix that changed nothing
	assert.ok(oracles.every((m) => m.params.runs === 20));
	// one confirmed: no judge
	assert.equal(seen.filter((m) => m.params?.role === 'judge').length, 0);
	const merge = seen.find((m) => m.method === 'merge');
	assert.equal(merge.params.message, `Fix the flaky test '${FLAKY}': real`);
});

test('an oracle without runs: reruns one at a time, stopped at the first failure', async () => {
	const seen = [];
	let calls = 0;
	const r = await run(null, {
		file: script,
		args: args({ broken: [], confirm: 5 }),
		respond: engine({
			causes: () => [cause('real'), cause('wrong')],
			oracle: (branch) => {
				const c = branch.split('/').pop();
				calls++;
				const fail = c === 'wrong' && seen.filter((m) => m.method === 'oracle' && m.params.branch === branch).length === 3;
				return { pass: !fail, exitCode: fail ? 2 : 0, summary: null, excerpt: fail ? ['not ok 5 - report order'] : [], durationMs: 1, outputTail: '' };
			},
		}, seen),
	});
	const v = done(r);
	const tried = Object.fromEntries(v.tried.map((t) => [t.hypothesis, t]));
	assert.equal(tried.real.confirmations, 5);
	assert.equal(tried.wrong.confirmations, 2);
	assert.match(tried.wrong.reason, /^rerun 3 of 5 failed: the test command failed 1 of 1 run\(s\): not ok 5 - report order/);
	assert.equal(calls, 8);
});

test('the tournament: pairs, then the winners; the judge decides, a failed judge leaves the smaller diff', async () => {
	const seen = [];
	const r = await run(null, {
		file: script,
		args: args({ hypotheses: 1 }),
		respond: engine({
			causes: () => [cause('one'), cause('two'), cause('three')],
			oracle: (branch, runs) => results(runs, { [FLAKY]: 0, adds: 0, counts: 0 }),
			// B in the first bout (two over one); then two against three: the
			// judge fails, and the smaller diff (two: 1 line, three: 3) goes through
			judge: (prompt) => (prompt.includes('Fix B: three') ? null : { winner: 'B', reason: 'B is smaller' }),
		}, seen),
	});
	const v = done(r);
	const judges = seen.filter((m) => m.params?.role === 'judge');
	assert.equal(judges.length, 2);
	assert.match(judges[0].params.prompt, /=== Fix A: one ===\n--- a\/x\n\+\+\+ b\/x\n@@\n\+wfmigrate\/run\/one\n\n=== end of Fix A ===/);
	assert.match(judges[0].params.prompt, /=== Fix B: two ===/);
	assert.match(judges[1].params.prompt, /=== Fix A: two ===[\s\S]*=== Fix B: three ===/);
	assert.equal(v.fixes[0].hypothesis, 'two');
	assert.ok(r.messages.some((m) => m.type === 'log' && /no judgement between wfmigrate\/run\/two and wfmigrate\/run\/three: the smaller diff, wfmigrate\/run\/two, goes through/.test(m.message)));
	assert.equal(seen.filter((m) => m.method === 'merge').length, 1);
});

test('merges: a base failed by a flaky test is retried; with broken tests the queue is given up, fixes still reported', async () => {
	// no broken tests: the base fails twice, then the queue starts
	let seen = [];
	let r = await run(null, {
		file: script,
		args: args({ broken: [] }),
		respond: engine({
			causes: () => [cause('real')],
			oracle: (branch, runs) => results(runs, { [FLAKY]: 0, adds: 0, counts: 0 }),
			merge: (branch, n) => (n < 3 ? { error: "oracle failed on base commit 1234567 ('make test' exited 2): not ok 5" } : { merged: true, commit: 'm'.repeat(40) }),
		}, seen),
	});
	let v = done(r);
	assert.equal(v.fixes[0].merged, true);
	assert.equal(seen.filter((m) => m.method === 'merge').length, 3);

	// a broken test: no retry; the second test's fix is confirmed and not merged
	seen = [];
	r = await run(null, {
		file: script,
		args: args({ tests: [{ name: FLAKY }, { name: OTHER }] }),
		respond: engine({
			causes: (prompt) => [cause(prompt.includes(`Test: ${OTHER}`) ? 'other' : 'real')],
			oracle: (branch, runs) => results(runs, { [FLAKY]: 0, [OTHER]: 0, adds: 0, counts: 0, [BROKEN]: runs }),
			merge: () => ({ error: "oracle failed on base commit 1234567 ('make test' exited 2): not ok 6 - merge adds" }),
		}, seen),
	});
	v = done(r);
	assert.equal(seen.filter((m) => m.method === 'merge').length, 1);
	assert.deepEqual(v.fixes.map((f) => [f.test, f.merged, f.reason, f.confirmations]),
		[[FLAKY, false, 'baseline-failed', 20], [OTHER, false, 'baseline-failed', 20]]);
	assert.match(v.fixes[1].detail, /on base commit/);
	assert.deepEqual(v.unresolved, [FLAKY, OTHER]);
	// both parked after their round: no more rounds
	assert.equal(v.rounds, 1);
	assert.equal(v.stopped, 'done');

	// another flaky test left: a candidate that fails is tried again
	seen = [];
	r = await run(null, {
		file: script,
		args: args({ broken: [], tests: [{ name: FLAKY }, { name: OTHER }], maxRounds: 1 }),
		respond: engine({
			causes: (prompt) => (prompt.includes(`Test: ${OTHER}`) ? [] : [cause('real')]),
			oracle: (branch, runs) => results(runs, { [FLAKY]: 0, [OTHER]: 0, adds: 0, counts: 0 }),
			merge: (branch, n) => (n === 1 ? { merged: false, reason: 'oracle-failed', detail: 'not ok - cache expiry' } : { merged: true, commit: 'm'.repeat(40) }),
		}, seen),
	});
	v = done(r);
	assert.equal(v.fixes[0].merged, true);
	assert.equal(seen.filter((m) => m.method === 'merge').length, 2);
	// the other test's hypothesis agents read the merged tree
	const others = seen.filter((m) => m.params?.role === 'reviewer' && m.params.prompt.includes(`Test: ${OTHER}`));
	assert.equal(others.length, 3);
	assert.ok(others.every((m) => m.params.isolation === 'worktree' && m.params.base === 'm'.repeat(40)));
	assert.deepEqual(v.unresolved, [OTHER]);
	assert.equal(v.stopped, 'max-rounds');
});

test('stops: max rounds with new causes every round; the agent cap; known causes not tried twice', async () => {
	let seen = [];
	let r = await run(null, {
		file: script,
		args: args({ hypotheses: 1, maxRounds: 2 }),
		respond: engine({
			causes: (prompt) => [cause(`wrong ${(prompt.match(/^- /gm) ?? []).length}`)],
			oracle: (branch, runs) => results(runs, { [FLAKY]: 3, adds: 0, counts: 0 }),
		}, seen),
	});
	let v = done(r);
	assert.equal(v.rounds, 2);
	assert.equal(v.stopped, 'max-rounds');
	assert.deepEqual(v.tried.map((t) => t.hypothesis), ['wrong 0', 'wrong 1']);
	const second = seen.filter((m) => m.params?.role === 'reviewer')[1].params.prompt;
	assert.match(second, /Causes already proposed[^\n]*\n- wrong 0 \(its fix did not hold: it passed 17 of 20 reruns; it failed 3 of 20 run\(s\)/);

	seen = [];
	r = await run(null, {
		file: script,
		args: args({ hypotheses: 3, fixers: 4 }),
		limits: { itemsPerCall: 4096, agentsPerRun: 15 },
		respond: engine({
			causes: (prompt, label) => [cause(`wrong ${label}`)],
			oracle: (branch, runs) => results(runs, { [FLAKY]: 3, adds: 0, counts: 0 }),
		}, seen),
	});
	v = done(r);
	// a round may need 3 + 2 * 4 agents: 11 + 11 > 15
	assert.equal(v.rounds, 1);
	assert.equal(v.stopped, 'agents');
	assert.ok(seen.filter((m) => m.method === 'agent').length <= 15);
});

test('bad arguments name the argument', async () => {
	for (const [a, re] of [[{}, /args\.tests/], [{ tests: [] }, /args\.tests/], [{ tests: [{ runs: 1 }] }, /args\.tests\[0\]/],
		[{ tests: ['a', 'a'] }, /names 'a' twice/], [{ tests: ['a'], confirm: 1001 }, /args\.confirm must be a whole number from 1 to 1000/],
		[{ tests: ['a'], stable: [1] }, /args\.stable/], [{ tests: ['a'], hypotheses: 0 }, /args\.hypotheses/]]) {
		const r = await run(null, { file: script, args: a, respond: (msg, reply) => reply({ ok: false, error: 'no' }) });
		assert.notEqual(r.last.type, 'done', JSON.stringify(a));
		assert.match(JSON.stringify(r.last), re);
	}
});
