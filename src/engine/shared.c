#include "base/common.h"
#include "base/buf.h"
#include "base/crashpoint.h"
#include "base/utf8.h"
#include "engine/journal.h"
#include "engine/shared.h"
#include "git/pool.h"
#include "git/rewind.h"
#include "git/squash.h"

#include <pthread.h>

/* bytes of the prompt's first line in a commit message */
#define SUBJECT_MAX 72

/* an agent in the checkout, or one that has left */
struct writer {
	unsigned long ticket;
	unsigned long entered, left; /* the event count then; left 0: still in */
	char tip[WFM_OID_HEXSZ + 1]; /* the branch's tip when it entered */
	char *label;		     /* once it left */
};

struct wfm_shared {
	pthread_mutex_t lock;
	struct wfm_pool *pool;
	struct wfm_journal *journal;
	char *repo_path, *run, *branch, *refname;
	char base[WFM_OID_HEXSZ + 1];

	int ready;     /* the branch is read (and rewound) */
	int on_branch; /* the branch exists */
	char tip[WFM_OID_HEXSZ + 1];
	struct wfm_repo *repo;
	struct wfm_slot *slot;

	unsigned long next_ticket, events, commits, agents;
	struct writer *writers; /* in, then those that left, in order */
	size_t writers_nr, writers_alloc;
	struct wfm_strvec warnings;
};

int wfm_shared_open(struct wfm_shared **out, struct wfm_pool *pool, struct wfm_journal *journal,
		    const char *repo_path, const char *run, const char *base)
{
	struct wfm_shared *s = wfm_calloc(1, sizeof(*s));
	struct wfm_buf b = WFM_BUF_INIT;

	pthread_mutex_init(&s->lock, NULL);
	s->pool = pool;
	s->journal = journal;
	s->repo_path = wfm_strdup(repo_path);
	s->run = wfm_strdup(run);
	snprintf(s->base, sizeof(s->base), "%s", base);
	wfm_buf_addf(&b, "wfmigrate/%s/shared", run);
	s->branch = wfm_strdup(b.ptr);
	wfm_buf_clear(&b);
	wfm_buf_addf(&b, "refs/heads/%s", s->branch);
	s->refname = wfm_buf_detach(&b, NULL);
	*out = s;
	return 0;
}

void wfm_shared_free(struct wfm_shared *s)
{
	if (!s)
		return;
	if (s->slot)
		wfm_pool_release(s->pool, s->slot);
	wfm_repo_free(s->repo);
	for (size_t i = 0; i < s->writers_nr; i++)
		free(s->writers[i].label);
	free(s->writers);
	wfm_strvec_clear(&s->warnings);
	free(s->repo_path);
	free(s->run);
	free(s->branch);
	free(s->refname);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int journaled(const char *key, void *data)
{
	struct wfm_shared *s = data;
	cJSON *v = NULL;
	int found = wfm_journal_lookup(&v, s->journal, key);

	cJSON_Delete(v);
	return found;
}

/* Reads the branch once, taken back to the journal's last commit; under the lock. */
static int prepare(struct wfm_shared *s)
{
	int rc;

	if (s->ready)
		return 0;
	if (!s->repo && (rc = wfm_repo_open(&s->repo, s->repo_path)) < 0)
		return rc;
	rc = wfm_branch_rewind(s->tip, s->repo, s->refname, WFM_TRAILER_REQUEST, journaled, s);
	if (rc == WFM_ENOTFOUND) {
		memcpy(s->tip, s->base, sizeof(s->tip));
	} else if (rc < 0) {
		return rc;
	} else {
		s->on_branch = 1;
	}
	s->ready = 1;
	return 0;
}

int wfm_shared_tip(char out[WFM_OID_HEXSZ + 1], struct wfm_shared *s)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	if ((rc = prepare(s)) == 0)
		memcpy(out, s->tip, WFM_OID_HEXSZ + 1);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int wfm_shared_enter(struct wfm_slot **slot, unsigned long *ticket, struct wfm_shared *s)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	if ((rc = prepare(s)) < 0 ||
	    (!s->slot && (rc = wfm_pool_acquire(&s->slot, s->pool, s->tip)) < 0))
		goto done;
	WFM_ALLOC_GROW(s->writers, s->writers_nr + 1, s->writers_alloc);
	memset(&s->writers[s->writers_nr], 0, sizeof(s->writers[0]));
	s->writers[s->writers_nr].ticket = *ticket = ++s->next_ticket;
	s->writers[s->writers_nr].entered = ++s->events;
	memcpy(s->writers[s->writers_nr++].tip, s->tip, sizeof(s->tip));
	s->agents++;
	*slot = s->slot;
done:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* at most this many paths in a warning */
#define WARN_PATHS 5

/*
 * Warns of w and every agent that left while w was in: they shared the
 * checkout, and what changed meanwhile may hold writes of both. Who wrote
 * what is not known (an exec agent's writes are not watched), so the
 * warning names the paths that changed while both were in.
 */
static int warn_overlaps(struct wfm_shared *s, const struct writer *w)
{
	struct wfm_changes changes = WFM_CHANGES_INIT;
	struct wfm_buf b = WFM_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < s->writers_nr; i++) {
		const struct writer *o = &s->writers[i];
		const char *from = o->entered > w->entered ? o->tip : w->tip;

		if (o == w || !o->left || o->left < w->entered)
			continue;
		wfm_changes_release(&changes);
		if ((rc = wfm_changes_list(&changes, s->repo, from, s->tip)) < 0 || !changes.nr)
			continue;
		wfm_buf_clear(&b);
		wfm_buf_addf(&b, "'%s' and '%s' worked in the shared checkout at the same time; ",
			     o->label, w->label);
		for (size_t k = 0; k < changes.nr && k < WARN_PATHS; k++)
			wfm_buf_addf(&b, "%s'%s'", k ? ", " : "", changes.v[k].path);
		if (changes.nr > WARN_PATHS)
			wfm_buf_addf(&b, " and %zu more", changes.nr - WARN_PATHS);
		wfm_buf_addf(&b, " changed meanwhile: where both wrote a file, the later write won "
				 "(give agents that write at once isolation: 'worktree')");
		wfm_strvec_push(&s->warnings, b.ptr);
	}
	wfm_buf_release(&b);
	wfm_changes_release(&changes);
	return rc;
}

static void message(struct wfm_buf *msg, const struct wfm_shared *s, const char *key,
		    const char *label, const char *prompt)
{
	size_t n;
	const char *p = wfm_utf8_first_line(&n, prompt ? prompt : "", SUBJECT_MAX);

	wfm_buf_adds(msg, label);
	if (n) {
		wfm_buf_adds(msg, ": ");
		wfm_buf_add(msg, p, n);
	}
	wfm_buf_addf(msg, "\n\nWfmigrate-Run: %s\n%s: %s\n", s->run, WFM_TRAILER_REQUEST, key);
}

int wfm_shared_leave(struct wfm_shared *s, unsigned long ticket, int keep, const char *key,
		     const char *label, const char *prompt)
{
	struct wfm_buf msg = WFM_BUF_INIT;
	struct writer *w = NULL;
	char commit[WFM_OID_HEXSZ + 1];
	int changed = 0, rc = 0;

	if (!label || !*label)
		label = "agent";
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->writers_nr && !w; i++)
		if (s->writers[i].ticket == ticket && !s->writers[i].left)
			w = &s->writers[i];
	if (!w) {
		rc = wfm_error_setc(WFM_EINVALID, "no agent %lu in the shared checkout", ticket);
		goto done;
	}
	w->left = ++s->events;
	w->label = wfm_strdup(label);
	if (keep) {
		message(&msg, s, key, label, prompt);
		rc = wfm_slot_commit_branch(commit, &changed, s->slot, msg.ptr, s->branch);
		if (rc == 0 && changed) {
			wfm_crashpoint("shared-commit"); /* committed, not journaled yet */
			s->commits++;
			s->on_branch = 1;
			memcpy(s->tip, commit, sizeof(commit));
		}
	}
	if (rc == 0)
		rc = warn_overlaps(s, w);
done:
	pthread_mutex_unlock(&s->lock);
	wfm_buf_release(&msg);
	return rc;
}

void wfm_shared_summary(struct wfm_shared_summary *out, struct wfm_shared *s)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	if (s->on_branch) {
		out->branch = wfm_strdup(s->branch);
		memcpy(out->commit, s->tip, sizeof(out->commit));
	}
	out->commits = s->commits;
	out->agents = s->agents;
	for (size_t i = 0; i < s->warnings.nr; i++)
		wfm_strvec_push(&out->warnings, s->warnings.v[i]);
	pthread_mutex_unlock(&s->lock);
}

void wfm_shared_summary_release(struct wfm_shared_summary *summary)
{
	free(summary->branch);
	wfm_strvec_clear(&summary->warnings);
	memset(summary, 0, sizeof(*summary));
}
