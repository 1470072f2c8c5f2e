#include "base/common.h"
#include "git/hash.h"
#include "git/repo_priv.h"

void wfm_hash_hex(char out[WFM_OID_HEXSZ + 1], const void *data, size_t len)
{
	git_oid oid;

	/* a blob, so that a key can be checked with git hash-object */
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0) {
		const git_error *e = git_error_last();

		fprintf(stderr, "fatal: cannot hash: %s\n", e && e->message ? e->message : "?");
		abort();
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &oid);
}
