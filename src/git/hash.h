#ifndef WFM_GIT_HASH_H
#define WFM_GIT_HASH_H

#include <stddef.h>

#include "git/repo.h"

/*
 * The git blob id of data[0..len): SHA-1 of "blob <len>\0" followed by
 * the bytes, as `git hash-object --stdin` prints it, in lower-case hex.
 * Keys the journal (docs/journal.md). Thread-safe; needs wfm_git_init()
 * (main does it). Cannot fail: a hashing failure inside libgit2, which
 * would mean a broken installation, aborts.
 */
void wfm_hash_hex(char out[WFM_OID_HEXSZ + 1], const void *data, size_t len);

#endif
