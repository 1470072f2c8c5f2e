// Fetches the tree-sitter grammar packages listed in grammars.tsv with
// `npm pack`, checks each tarball against the integrity recorded there,
// and unpacks it into <dest>/<package>-<version>/.
//
//   node grammars/fetch.mjs <grammars.tsv> <dest>
//
// A package already unpacked with the same integrity is left alone, so
// the step is cheap to repeat. Exits 1 with a message naming the package
// on any failure; nothing half-unpacked is left behind.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function die(msg) {
	process.stderr.write(`error: ${msg}\n`);
	process.exit(1);
}

const [manifest, dest] = process.argv.slice(2);
if (!manifest || !dest)
	die('usage: node fetch.mjs <grammars.tsv> <dest>');

let text;
try {
	text = fs.readFileSync(manifest, 'utf8');
} catch (e) {
	die(`cannot read grammar manifest '${manifest}': ${e.message}`);
}

const packages = new Map();
text.split('\n').forEach((line, i) => {
	if (!line.trim() || line.startsWith('#'))
		return;
	const f = line.split('\t');
	if (f.length !== 6 || !/^sha512-[A-Za-z0-9+/=]+$/.test(f[2]))
		die(`${manifest}:${i + 1}: expected 6 tab-separated fields with a sha512 integrity`);
	const key = `${f[0]}@${f[1]}`;
	const seen = packages.get(key);
	if (seen && seen !== f[2])
		die(`${manifest}:${i + 1}: two integrities for ${key}`);
	packages.set(key, f[2]);
});

fs.mkdirSync(dest, { recursive: true });
for (const [spec, integrity] of packages) {
	const at = spec.lastIndexOf('@');
	const name = spec.slice(0, at), version = spec.slice(at + 1);
	const out = path.join(dest, `${name}-${version}`);
	const stamp = path.join(out, '.integrity');

	if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === integrity)
		continue;
	fs.rmSync(out, { recursive: true, force: true });
	const tmp = fs.mkdtempSync(path.join(dest, '.fetch-'));
	try {
		try {
			execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp, spec],
				     { stdio: ['ignore', 'pipe', 'pipe'] });
		} catch (e) {
			die(`cannot fetch grammar ${spec} with 'npm pack': ` +
			    `${(e.stderr || '').toString().trim() || e.message}`);
		}
		const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
		if (!tgz)
			die(`'npm pack ${spec}' produced no tarball`);
		const data = fs.readFileSync(path.join(tmp, tgz));
		const got = 'sha512-' + createHash('sha512').update(data).digest('base64');
		if (got !== integrity)
			die(`grammar ${spec} does not match its recorded integrity\n` +
			    `  expected ${integrity}\n  got      ${got}`);
		const unpack = path.join(tmp, 'unpacked');
		fs.mkdirSync(unpack);
		execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', unpack]);
		fs.renameSync(path.join(unpack, 'package'), out);
		fs.writeFileSync(stamp, integrity);
		process.stderr.write(`-- fetched grammar ${spec}\n`);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}
