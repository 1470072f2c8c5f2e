// Every complete script in the workflow API reference and the guide (a
// ```js block that begins with `export const meta`) passes the harness
// check: the planner is given docs/workflow-api.md as its prompt, and
// people copy the examples.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { cleanup, run } from './support.mjs';

after(cleanup);

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');

function scripts(name) {
	const text = fs.readFileSync(path.join(docs, name), 'utf8');
	const out = [];
	for (const m of text.matchAll(/^```js\n([\s\S]*?)^```$/gm))
		if (m[1].startsWith('export const meta'))
			out.push(m[1]);
	return out;
}

for (const name of ['workflow-api.md', 'harness.md']) {
	test(`the complete scripts of docs/${name} pass the check`, async () => {
		const list = scripts(name);
		assert.ok(list.length >= 3, `docs/${name} has ${list.length} complete scripts`);
		for (const source of list) {
			const r = await run(source, { check: true });
			assert.equal(r.last.type, 'meta', `${JSON.stringify(r.last)}\n${source}`);
			assert.ok(Array.isArray(r.last.meta.phases), `no phases:\n${source}`);
		}
	});
}
