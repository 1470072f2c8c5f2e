#!/usr/bin/env bash
# Fetches the code bases bench/recall.sh is measured on into <dir> (default
# /tmp/recall-src), each a git repository of one commit. Nothing of them is
# ever committed here. See bench/README.md, "recall".
#
#   bench/recall-corpus.sh [<dir>]
#
# C, C++, Go, Java: Debian 12 source packages (upstream trees with Debian's
# patches applied; debian/ and .pc/ dropped). Python and Rust: the mirror has
# no source tarballs of requests, flask and rust-regex, so their binary
# packages, which carry the sources, are unpacked. JavaScript, TypeScript: npm
# tarballs; mocha's browser bundle and zod's built files are dropped (they are
# not in the upstream repositories).
set -euo pipefail
dir=${1:-/tmp/recall-src}
mkdir -p "$dir" && cd "$dir"

for p in zlib=1:1.2.13.dfsg-1 curl=7.88.1-10+deb12u15 git=1:2.39.5-0+deb12u3 fmtlib=9.1.0+ds1-2 \
	googletest=1.12.1-0.2 golang-github-spf13-cobra=1.6.1-1 libcommons-lang3-java=3.12.0-2+deb12u1; do
	apt-get source -q "$p" >/dev/null
done

apt-get download -q python3-requests=2.28.1+dfsg-1 python3-flask=2.2.2-3 librust-regex-dev=1.7.1-1
for p in python3-requests python3-flask librust-regex-dev; do
	mkdir "x-$p" && dpkg-deb -x "${p}"_*.deb "x-$p"
done
mkdir requests-2.28.1 flask-2.2.2
mv x-python3-requests/usr/lib/python3/dist-packages/requests requests-2.28.1/
mv x-python3-flask/usr/lib/python3/dist-packages/flask flask-2.2.2/
mv x-librust-regex-dev/usr/share/cargo/registry/regex-1.7.1 .
rm -rf x-*

for p in express-4.22.3 mocha-12.0.3 qs-6.17.1 zod-4.6.7; do
	npm pack -q "${p%-*}@${p##*-}" >/dev/null
	mkdir "$p" && tar xzf "$p.tgz" -C "$p" --strip-components=1
done
rm mocha-12.0.3/mocha.js mocha-12.0.3/mocha.js.map
(cd zod-4.6.7 && find . -mindepth 1 -maxdepth 1 ! -name src ! -name package.json -exec rm -rf {} +)

for d in */; do
	(cd "$d" && rm -rf debian .pc && git init -q && git add -A &&
		git -c user.name=recall -c user.email=recall@localhost commit -qm import)
done
for d in */; do echo "${d%/} $(git -C "$d" rev-parse "HEAD^{tree}")"; done
