/*
 * The merge queue: batches, bisection, compare-and-swap of the
 * integration branch. docs/merge-queue.md says what and why; the git
 * work is in src/git/squash.c.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/crashpoint.h"
#include "base/strvec.h"
#include "engine/integrity.h"
#include "engine/merge_queue.h"
#include "exec/executor.h"
#include "git/pool.h"
#include "git/scope.h"
#include "git/squash.h"
#include "git/worktree.h"
#include "oracle/oracle.h"

#include <pthread.h>
#include <time.h>

#define HEXSZ WFM_OID_HEXSZ
/* lines of the oracle's output in a decision's output_tail */
#define TAIL_LINES 20
/* how often the cancel flag of the options is looked at */
#define CANCEL_POLL_MS 50
/* globs and paths named in a scope refusal's detail; the rest are counted */
#define SCOPE_LIST_MAX 20

struct entry {
	struct entry *next;
	char *branch;
	char *message;
	char tip[HEXSZ + 1];
	unsigned flags;
	wfm_merge_cb cb;
	void *data;
	/* refused for its scope: the paths outside it */
	struct wfm_strvec out_of_scope;
	/* set for each attempt by run_batch() */
	char from[HEXSZ + 1];
	/* its link of the chain: its squash, or the link before it when empty */
	char commit[HEXSZ + 1];
	int empty;
};

struct list {
	struct entry *head, *tail;
	size_t nr;
};

enum verdict {
	V_PASS,
	V_FAIL,	   /* the oracle failed */
	V_FEWER,   /* it passed, with fewer tests passing than the floor */
	V_STOPPED, /* cancelled */
	V_ERROR,   /* it could not run */
};

struct test {
	enum verdict v;
	char commit[HEXSZ + 1];
	struct wfm_oracle_result r;
	int error;
	char *msg;
};

struct wfm_merge_queue {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* work, stop or exit */
	pthread_cond_t idle; /* a stop was handled */
	pthread_t thread, relay;
	int has_thread, has_relay;

	/* under mu */
	struct list pending;
	int requeued; /* pending starts with entries put back: no gathering */
	int stopping, exiting;
	unsigned long stop_req, stop_ack;
	char tip[HEXSZ + 1];
	struct wfm_merge_stats stats;
	struct wfm_repo *submit_repo;

	/* read by the oracle's process loop; set under mu */
	volatile sig_atomic_t cancel;

	/* the queue's thread's own (and start's, before the thread exists) */
	struct wfm_pool *pool;
	struct wfm_executor *executor; /* NULL: the pool, here */
	struct wfm_repo *repo;
	char *refname;
	char *oracle_cmd;
	char base[HEXSZ + 1];
	unsigned long timeout_sec;
	int allow_test_edits;
	struct wfm_strvec globs; /* empty: the defaults */
	struct wfm_strvec env;
	struct wfm_strvec known_failures; /* opts->known_failures, copied */
	size_t batch_max;
	unsigned long batch_wait_ms;
	const volatile sig_atomic_t *ext_cancel;
	struct wfm_summary baseline;
	unsigned long floor;	   /* fewest passed tests a candidate may show */
	int floor_from_tip;	   /* floor is a landed tip's count, not the base's */
	char cur[HEXSZ + 1];	   /* the tip the thread works on (tip is its published copy) */
	struct wfm_squash_log log; /* what cur holds */
	int log_stale;		   /* log must be read again */
	struct list deferred;	   /* put back in front of pending after the batch */
	wfm_merge_progress_cb progress;
	void *progress_data;
	unsigned long batch_no; /* the batch being tested, for progress */
};

static void list_push(struct list *l, struct entry *e)
{
	e->next = NULL;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	l->nr++;
}

static struct entry *list_pop(struct list *l)
{
	struct entry *e = l->head;

	if (e) {
		l->head = e->next;
		if (!l->head)
			l->tail = NULL;
		l->nr--;
		e->next = NULL;
	}
	return e;
}

/* Moves all of front before the entries of l. */
static void list_prepend(struct list *l, struct list *front)
{
	if (!front->head)
		return;
	front->tail->next = l->head;
	if (!l->tail)
		l->tail = front->tail;
	l->head = front->head;
	l->nr += front->nr;
	memset(front, 0, sizeof(*front));
}

static void entry_free(struct entry *e)
{
	free(e->branch);
	free(e->message);
	wfm_strvec_clear(&e->out_of_scope);
	free(e);
}

static void short_hex(char out[8], const char *hex)
{
	snprintf(out, 8, "%.7s", hex);
}

static void hexcpy(char dst[HEXSZ + 1], const char *src)
{
	snprintf(dst, HEXSZ + 1, "%s", src);
}

static void tell(struct wfm_merge_queue *q, const struct wfm_merge_progress *p)
{
	if (q->progress)
		q->progress(q->progress_data, p);
}

/* The last TAIL_LINES lines of text (a final newline ignored). */
static void add_tail(struct wfm_buf *out, const struct wfm_buf *text)
{
	size_t end = text->len, start, lines = 0;

	while (end && (text->ptr[end - 1] == '\n' || text->ptr[end - 1] == '\r'))
		end--;
	for (start = end; start > 0; start--)
		if (text->ptr[start - 1] == '\n' && ++lines == TAIL_LINES)
			break;
	wfm_buf_add(out, text->ptr + start, end - start);
}

/*
 * Makes the one callback of e and frees it. reason NULL: merged at
 * commit. detail is taken over. run: the oracle run that decided, or NULL.
 */
static void decide(struct wfm_merge_queue *q, struct entry *e, const char *reason,
		   const char *commit, char *detail, const struct wfm_oracle_result *run, int error)
{
	struct wfm_merge_decision d;
	struct wfm_buf tail = WFM_BUF_INIT;

	memset(&d, 0, sizeof(d));
	d.merged = !reason;
	if (!reason && commit)
		hexcpy(d.commit, commit);
	d.reason = reason;
	d.detail = detail;
	if (reason && e->out_of_scope.nr)
		d.out_of_scope = &e->out_of_scope;
	d.branch = e->branch;
	hexcpy(d.branch_tip, e->tip);
	if (run) {
		d.summary = run->summary;
		if (reason && run->excerpt.nr)
			d.excerpt = &run->excerpt;
		if (reason && !run->pass) {
			add_tail(&tail, &run->proc.output);
			d.output_tail = tail.ptr;
		}
	}
	d.error = error;
	{
		struct wfm_merge_progress p = { .step = WFM_MERGE_DECIDED,
						.batch = q->batch_no,
						.decision = &d };
		tell(q, &p);
	}
	pthread_mutex_lock(&q->mu);
	if (!reason)
		q->stats.merged++;
	else if (!strcmp(reason, WFM_MERGE_REASON_STOPPED))
		q->stats.stopped++;
	else
		q->stats.rejected++;
	pthread_mutex_unlock(&q->mu);
	e->cb(e->data, &d);
	free(detail);
	wfm_buf_release(&tail);
	entry_free(e);
}

static void decide_error(struct wfm_merge_queue *q, struct entry *e, int rc)
{
	decide(q, e, WFM_MERGE_REASON_ERROR, NULL, wfm_strdup(wfm_error_last()), NULL, rc);
}

static void decide_stopped(struct wfm_merge_queue *q, struct entry *e)
{
	decide(q, e, WFM_MERGE_REASON_STOPPED, NULL, wfm_strdup("the merge queue was stopped"),
	       NULL, 0);
}

static void defer(struct wfm_merge_queue *q, struct entry **members, size_t n)
{
	for (size_t i = 0; i < n; i++)
		list_push(&q->deferred, members[i]);
}

/* ---- messages ---- */

/* The commit message of e's squash: its message, then the two trailers. */
static void squash_message(struct wfm_buf *out, const struct entry *e)
{
	if (e->message && *e->message)
		wfm_buf_adds(out, e->message);
	else
		wfm_buf_addf(out, "wfmigrate: merge %s", e->branch);
	wfm_buf_rtrim(out);
	wfm_buf_addf(out, "\n\n%s: %s\n%s: %s\n", WFM_TRAILER_BRANCH, e->branch, WFM_TRAILER_COMMIT,
		     e->tip);
}

static char *describe_failure(struct wfm_merge_queue *q, const struct test *t)
{
	struct wfm_buf d = WFM_BUF_INIT;
	char c[8];

	short_hex(c, t->commit);
	if (t->v == V_FEWER) {
		const struct wfm_summary *s = &t->r.summary;

		if (s->format == WFM_SUMMARY_NONE)
			wfm_buf_addf(&d,
				     "the oracle printed no test summary on %s, but %lu tests "
				     "passed on the base",
				     c, q->baseline.passed);
		else if (q->floor_from_tip)
			wfm_buf_addf(&d,
				     "%lu tests passed on %s, fewer than %lu on the integration "
				     "branch (%lu on the base)",
				     s->passed, c, q->floor, q->baseline.passed);
		else
			wfm_buf_addf(&d, "%lu tests passed on %s, fewer than %lu on the base",
				     s->passed, c, q->floor);
		return wfm_buf_detach(&d, NULL);
	}
	wfm_buf_addf(&d, "oracle failed on %s ('%s' ", c, q->oracle_cmd);
	wfm_oracle_describe_end(&d, &t->r);
	wfm_buf_adds(&d, ")");
	if (t->r.summary.format != WFM_SUMMARY_NONE) {
		wfm_buf_adds(&d, ": ");
		wfm_summary_describe(&d, &t->r.summary);
	}
	for (size_t i = 0; i < t->r.excerpt.nr; i++)
		wfm_buf_addf(&d, "\n    %s", t->r.excerpt.v[i]);
	return wfm_buf_detach(&d, NULL);
}

/* ---- git steps ---- */

/* Re-reads the integration branch; when someone else moved it, starts over from there. */
static int refresh(struct wfm_merge_queue *q)
{
	char now[HEXSZ + 1];
	int rc = wfm_repo_resolve_commit(now, q->repo, q->refname);

	if (rc == WFM_ENOTFOUND)
		return wfm_error_setc(WFM_ENOTFOUND, "the integration branch '%s' was deleted",
				      q->refname);
	if (rc < 0)
		return rc;
	if (!strcmp(now, q->cur)) {
		if (!q->log_stale)
			return 0;
	} else {
		/* we do not know what the new tip's tests count: back to the base's */
		q->floor = q->baseline.passed;
		q->floor_from_tip = 0;
	}
	hexcpy(q->cur, now);
	pthread_mutex_lock(&q->mu);
	hexcpy(q->tip, now);
	pthread_mutex_unlock(&q->mu);
	wfm_squash_log_release(&q->log);
	rc = wfm_squash_log_read(&q->log, q->repo, q->cur, q->base);
	q->log_stale = rc < 0;
	return rc;
}

/*
 * The test files that e's link (prev → e->commit) modifies or deletes,
 * as a detail string (NULL: none, or test edits are allowed).
 */
static int test_edits(char **out, struct wfm_merge_queue *q, const char *prev,
		      const struct entry *e)
{
	struct wfm_changes changes = WFM_CHANGES_INIT;
	const char *const *globs = q->globs.nr ? (const char *const *)q->globs.v : NULL;
	struct wfm_buf d = WFM_BUF_INIT;
	size_t hits = 0;
	int rc;

	*out = NULL;
	if (q->allow_test_edits)
		return 0;
	if ((rc = wfm_changes_list(&changes, q->repo, prev, e->commit)) < 0)
		goto done;
	for (size_t i = 0; i < changes.nr; i++) {
		const struct wfm_change *c = &changes.v[i];
		const char *glob;

		if (c->kind == WFM_CHANGE_ADDED ||
		    !(glob = wfm_integrity_test_glob(globs, c->path)))
			continue;
		if (!hits++)
			wfm_buf_adds(
				&d, "changes test files (test edits are not allowed in this run):");
		wfm_buf_addf(&d, "\n    %s %s (matches '%s')", c->path,
			     c->kind == WFM_CHANGE_DELETED ? "deleted" : "modified", glob);
	}
	if (hits)
		*out = wfm_buf_detach(&d, NULL);
done:
	wfm_buf_release(&d);
	wfm_changes_release(&changes);
	return rc;
}

/*
 * The files e's own work (e->from → e->tip) changes outside the scope its
 * commits record, as a detail string (NULL: no scope, none outside, or
 * the branch was submitted allowing it); e->out_of_scope gets the paths.
 */
static int scope_edits(char **out, struct wfm_merge_queue *q, struct entry *e)
{
	struct wfm_strvec scope = WFM_STRVEC_INIT;
	struct wfm_changes outside = WFM_CHANGES_INIT;
	struct wfm_buf d = WFM_BUF_INIT;
	int rc;

	*out = NULL;
	if (e->flags & WFM_MERGE_ALLOW_OUT_OF_SCOPE)
		return 0;
	if ((rc = wfm_scope_read(&scope, q->repo, e->from, e->tip)) < 0 || !scope.nr ||
	    (rc = wfm_scope_outside(&outside, q->repo, e->from, e->tip,
				    (const char *const *)scope.v)) < 0 ||
	    !outside.nr)
		goto done;
	wfm_buf_adds(&d, "changes files outside its scope (");
	for (size_t i = 0; i < scope.nr && i < SCOPE_LIST_MAX; i++)
		wfm_buf_addf(&d, "%s'%s'", i ? ", " : "", scope.v[i]);
	if (scope.nr > SCOPE_LIST_MAX)
		wfm_buf_addf(&d, " and %zu more", scope.nr - SCOPE_LIST_MAX);
	wfm_buf_adds(&d, "):");
	for (size_t i = 0; i < outside.nr; i++) {
		const struct wfm_change *c = &outside.v[i];

		if (i < SCOPE_LIST_MAX)
			wfm_buf_addf(&d, "\n    %s %s", c->path,
				     c->kind == WFM_CHANGE_ADDED     ? "added"
				     : c->kind == WFM_CHANGE_DELETED ? "deleted"
								     : "modified");
		wfm_strvec_push(&e->out_of_scope, c->path);
	}
	if (outside.nr > SCOPE_LIST_MAX)
		wfm_buf_addf(&d, "\n    and %zu more", outside.nr - SCOPE_LIST_MAX);
	*out = wfm_buf_detach(&d, NULL);
done:
	wfm_buf_release(&d);
	wfm_changes_release(&outside);
	wfm_strvec_clear(&scope);
	return rc;
}

/* ---- the oracle ---- */

static int fewer(const struct wfm_merge_queue *q, const struct wfm_summary *s)
{
	/* known flaky tests make the passed count vary from run to run */
	if (q->baseline.format == WFM_SUMMARY_NONE || q->known_failures.nr)
		return 0;
	return s->format == WFM_SUMMARY_NONE || s->passed < q->floor;
}

/* One oracle run, where the run's executor makes them. */
static int oracle_run(struct wfm_merge_queue *q, struct wfm_oracle_result *out, const char *commit,
		      const struct wfm_oracle_opts *o)
{
	if (q->executor)
		return wfm_executor_run(q->executor, out, commit, o);
	return wfm_oracle_run(out, q->pool, commit, o);
}

static void test_commit(struct wfm_merge_queue *q, const char *commit, struct test *t)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	int rc;

	memset(t, 0, sizeof(*t));
	hexcpy(t->commit, commit);
	o.command = q->oracle_cmd;
	o.timeout_sec = q->timeout_sec;
	o.cancel = &q->cancel;
	o.env_set = q->env.nr ? (const char *const *)q->env.v : NULL;
	o.known_failures = q->known_failures.nr ? (const char *const *)q->known_failures.v : NULL;
	/* a run cancelled before it started (no slot taken) is not counted */
	rc = oracle_run(q, &t->r, commit, &o);
	if (rc < 0 || !t->r.proc.cancelled || t->r.commit[0]) {
		uint64_t ms = t->r.proc.duration_ms;

		pthread_mutex_lock(&q->mu);
		q->stats.oracle_runs++;
		q->stats.oracle_ms += ms;
		wfm_exec_tally_add(&q->stats.jobs, &t->r.where);
		if (ms > q->stats.longest_ms)
			q->stats.longest_ms = ms;
		pthread_mutex_unlock(&q->mu);
	}
	if (rc < 0) {
		t->v = V_ERROR;
		t->error = rc;
		t->msg = wfm_strdup(wfm_error_last());
	} else if (t->r.proc.cancelled) {
		t->v = V_STOPPED;
	} else if (!t->r.pass) {
		t->v = V_FAIL;
	} else if (fewer(q, &t->r.summary)) {
		t->v = V_FEWER;
	} else {
		t->v = V_PASS;
	}
}

static void test_release(struct test *t)
{
	wfm_oracle_result_release(&t->r);
	free(t->msg);
	t->msg = NULL;
}

/*
 * test_commit() of the last link of n branches (of the `of` under
 * suspicion in a bisection; 0 otherwise), told before and after.
 */
static void test_told(struct wfm_merge_queue *q, struct entry **members, size_t n, size_t of,
		      struct test *t)
{
	const char **names = wfm_calloc(n + 1, sizeof(*names));
	struct wfm_merge_progress p = { .step = WFM_MERGE_TEST,
					.batch = q->batch_no,
					.branches = n,
					.of = of,
					.names = names,
					.commit = members[n - 1]->commit,
					.onto = q->cur };
	struct wfm_buf why = WFM_BUF_INIT;

	for (size_t i = 0; i < n; i++)
		names[i] = members[i]->branch;
	tell(q, &p);
	test_commit(q, members[n - 1]->commit, t);
	p.step = WFM_MERGE_TESTED;
	p.pass = t->v == V_PASS;
	p.result = t->v == V_ERROR ? NULL : &t->r;
	if (t->v == V_FAIL) {
		wfm_oracle_describe_end(&why, &t->r);
		if (t->r.summary.format != WFM_SUMMARY_NONE) {
			wfm_buf_adds(&why, ": ");
			wfm_summary_describe(&why, &t->r.summary);
		}
		if (t->r.excerpt.nr && !strstr(why.ptr, t->r.excerpt.v[0])) /* say it once */
			wfm_buf_addf(&why, ": %s", t->r.excerpt.v[0]);
	} else if (t->v == V_FEWER) {
		char *d = describe_failure(q, t);
		wfm_buf_adds(&why, d);
		free(d);
	} else if (t->v == V_STOPPED) {
		wfm_buf_adds(&why, "stopped");
	} else if (t->v == V_ERROR) {
		wfm_buf_adds(&why, t->msg ? t->msg : "the oracle could not run");
	}
	p.why = why.ptr;
	tell(q, &p);
	wfm_buf_release(&why);
	free(names);
}

/* ---- landing and bisecting ---- */

/*
 * Moves the integration branch from cur to members[n-1]'s link, which
 * the oracle passed (run), and decides members merged. Returns
 * 1 when it did, 0 when the members were put back (stopping, or someone
 * else moved the branch) or decided "error".
 */
static int land(struct wfm_merge_queue *q, struct entry **members, size_t n,
		const struct wfm_oracle_result *run)
{
	const struct wfm_summary *s = &run->summary;
	const char *final = members[n - 1]->commit;
	struct wfm_buf msg = WFM_BUF_INIT;
	char now[HEXSZ + 1], old[HEXSZ + 1];
	int rc;

	if (q->cancel) {
		defer(q, members, n);
		return 0;
	}
	if (n == 1)
		wfm_buf_addf(&msg, "wfmigrate: merge %s", members[0]->branch);
	else
		wfm_buf_addf(&msg, "wfmigrate: merge %zu branches", n);
	rc = strcmp(final, q->cur) ? wfm_ref_cas(q->repo, q->refname, final, q->cur, msg.ptr) : 0;
	wfm_buf_release(&msg);
	if (rc < 0) {
		int err = rc;
		char *why = wfm_strdup(wfm_error_last());

		/* moved by someone else: start again from where it is now */
		rc = wfm_repo_resolve_commit(now, q->repo, q->refname);
		if (rc == 0 && strcmp(now, q->cur)) {
			pthread_mutex_lock(&q->mu);
			q->stats.ref_races++;
			pthread_mutex_unlock(&q->mu);
			defer(q, members, n);
		} else {
			wfm_error_setc(err, "%s", why);
			for (size_t i = 0; i < n; i++)
				decide_error(q, members[i], err);
		}
		free(why);
		return 0;
	}
	hexcpy(old, q->cur);
	hexcpy(q->cur, final);
	pthread_mutex_lock(&q->mu);
	hexcpy(q->tip, final);
	q->stats.ref_moves++;
	pthread_mutex_unlock(&q->mu);
	{
		struct wfm_merge_progress p = { .step = WFM_MERGE_LANDED,
						.batch = q->batch_no,
						.branches = n,
						.commit = final };
		tell(q, &p);
	}
	if (s->format != WFM_SUMMARY_NONE && s->passed > q->floor) {
		q->floor = s->passed;
		q->floor_from_tip = 1;
	}
	/* only a cache: on failure the next refresh reads it all again */
	if (wfm_squash_log_read(&q->log, q->repo, final, old) < 0)
		q->log_stale = 1;
	for (size_t i = 0; i < n; i++)
		decide(q, members[i], NULL, members[i]->commit, NULL, run, 0);
	return 1;
}

/*
 * members[0..n) are a chain on cur whose last link failed the oracle (t).
 * Finds the members to blame: the first half is tested on its own; if it
 * passes it lands and the failure is in the second half (whose chain now
 * sits on the new tip, so t still holds for it); if it fails, the search
 * goes on in it and the second half is put back to be tried again.
 */
static void bisect(struct wfm_merge_queue *q, struct entry **members, size_t n,
		   const struct test *t)
{
	struct test half;
	size_t h = n / 2;

	/* the failing commit has just landed after passing: the oracle is flaky */
	if (!strcmp(members[n - 1]->commit, q->cur)) {
		for (size_t i = 0; i < n; i++)
			decide(q, members[i], NULL, members[i]->commit, NULL, NULL, 0);
		return;
	}
	if (n == 1) {
		const char *reason =
			t->v == V_FEWER ? WFM_MERGE_REASON_INTEGRITY : WFM_MERGE_REASON_ORACLE;

		decide(q, members[0], reason, NULL, describe_failure(q, t), &t->r, 0);
		return;
	}
	pthread_mutex_lock(&q->mu);
	q->stats.bisections++;
	pthread_mutex_unlock(&q->mu);
	/* a second half that adds nothing leaves the failure in the first half */
	if (!strcmp(members[h - 1]->commit, members[n - 1]->commit)) {
		bisect(q, members, h, t);
		defer(q, members + h, n - h);
		return;
	}
	test_told(q, members, h, n, &half);
	switch (half.v) {
	case V_PASS:
		if (land(q, members, h, &half.r))
			bisect(q, members + h, n - h, t);
		else
			defer(q, members + h, n - h);
		break;
	case V_STOPPED:
		defer(q, members, n);
		break;
	case V_ERROR:
		for (size_t i = 0; i < n; i++)
			decide(q, members[i], WFM_MERGE_REASON_ERROR, NULL, wfm_strdup(half.msg),
			       NULL, half.error);
		break;
	default:
		bisect(q, members, h, &half);
		defer(q, members + h, n - h);
		break;
	}
	test_release(&half);
}

/*
 * One batch: drops what is merged already, squashes the rest one after
 * another onto the tip (deciding conflicts and test edits on the way),
 * tests the last link once, and lands it or bisects.
 */
static void run_batch(struct wfm_merge_queue *q, struct list *batch)
{
	struct entry **members = wfm_calloc(batch->nr ? batch->nr : 1, sizeof(*members));
	struct wfm_buf msg = WFM_BUF_INIT;
	char onto[HEXSZ + 1];
	size_t n = 0;
	int nonempty = 0, rc;
	struct entry *e;
	struct test t;

	if ((rc = refresh(q)) < 0) {
		while ((e = list_pop(batch)))
			decide_error(q, e, rc);
		goto done;
	}
	hexcpy(onto, q->cur);
	while ((e = list_pop(batch))) {
		const struct wfm_squash_entry *had = wfm_squash_log_find(&q->log, e->tip);
		char *detail = NULL;

		if (had) {
			struct wfm_buf d = WFM_BUF_INIT;
			char c[8];

			/* merged before, by us or by a run that crashed before telling */
			short_hex(c, had->commit);
			wfm_buf_addf(&d, "already merged as %s", c);
			decide(q, e, NULL, had->commit, wfm_buf_detach(&d, NULL), NULL, 0);
			continue;
		}
		if ((rc = wfm_squash_from(e->from, q->repo, e->tip, q->cur, &q->log)) < 0 ||
		    (rc = scope_edits(&detail, q, e)) < 0) {
			decide_error(q, e, rc);
			continue;
		}
		if (detail) {
			/* its own work decides, wherever it would land: no squash, no test */
			decide(q, e, WFM_MERGE_REASON_SCOPE, NULL, detail, NULL, 0);
			continue;
		}
		wfm_buf_clear(&msg);
		squash_message(&msg, e);
		if ((rc = wfm_squash(e->commit, &e->empty, q->repo, onto, e->tip, e->from,
				     msg.ptr)) < 0) {
			if (rc == WFM_ECONFLICT)
				decide(q, e, WFM_MERGE_REASON_CONFLICT, NULL,
				       wfm_strdup(wfm_error_last()), NULL, 0);
			else
				decide_error(q, e, rc);
			continue;
		}
		if (e->empty && !nonempty) {
			/* nothing the integration branch does not hold already */
			decide(q, e, NULL, q->cur, NULL, NULL, 0);
			continue;
		}
		if (!e->empty) {
			if ((rc = test_edits(&detail, q, onto, e)) < 0) {
				decide_error(q, e, rc);
				continue;
			}
			if (detail) {
				decide(q, e, WFM_MERGE_REASON_INTEGRITY, NULL, detail, NULL, 0);
				continue;
			}
			hexcpy(onto, e->commit);
			nonempty = 1;
		}
		members[n++] = e;
	}
	if (!n)
		goto done;
	pthread_mutex_lock(&q->mu);
	q->batch_no = ++q->stats.batches;
	q->stats.batched += n;
	if (n > q->stats.largest_batch)
		q->stats.largest_batch = n;
	pthread_mutex_unlock(&q->mu);
	wfm_crashpoint("squash");
	test_told(q, members, n, 0, &t);
	switch (t.v) {
	case V_PASS:
		land(q, members, n, &t.r);
		break;
	case V_STOPPED:
		defer(q, members, n);
		break;
	case V_ERROR:
		for (size_t i = 0; i < n; i++)
			decide(q, members[i], WFM_MERGE_REASON_ERROR, NULL, wfm_strdup(t.msg), NULL,
			       t.error);
		break;
	default:
		bisect(q, members, n, &t);
		break;
	}
	test_release(&t);
done:
	wfm_buf_release(&msg);
	free(members);
}

/* ---- the threads ---- */

static void *queue_main(void *arg)
{
	struct wfm_merge_queue *q = arg;
	struct list batch = { NULL, NULL, 0 };

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->exiting)
			q->stopping = 1;
		if (q->stopping) {
			unsigned long seq = q->stop_req;
			struct list all = q->pending;
			struct entry *e;

			memset(&q->pending, 0, sizeof(q->pending));
			q->requeued = 0;
			pthread_mutex_unlock(&q->mu);
			while ((e = list_pop(&all)))
				decide_stopped(q, e);
			pthread_mutex_lock(&q->mu);
			if (q->stop_ack < seq)
				q->stop_ack = seq;
			pthread_cond_broadcast(&q->idle);
			if (q->pending.head || q->stop_req != seq)
				continue;
			if (q->exiting)
				break;
			pthread_cond_wait(&q->wake, &q->mu);
			continue;
		}
		if (!q->pending.head) {
			pthread_cond_wait(&q->wake, &q->mu);
			continue;
		}
		/* gather: the first branch waits a little for company */
		if (!q->requeued && q->pending.nr < q->batch_max && q->batch_wait_ms) {
			struct timespec until;

			wfm_clock_deadline(&until, q->batch_wait_ms);
			while (!q->stopping && !q->exiting && q->pending.nr < q->batch_max)
				if (pthread_cond_timedwait(&q->wake, &q->mu, &until) == ETIMEDOUT)
					break;
			if (q->stopping || q->exiting)
				continue;
		}
		while (batch.nr < q->batch_max && q->pending.head)
			list_push(&batch, list_pop(&q->pending));
		q->requeued = 0;
		pthread_mutex_unlock(&q->mu);

		run_batch(q, &batch);

		pthread_mutex_lock(&q->mu);
		if (q->deferred.head) {
			list_prepend(&q->pending, &q->deferred);
			q->requeued = 1;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Turns the options' cancel flag (set by a signal handler) into a stop. */
static void *relay_main(void *arg)
{
	struct wfm_merge_queue *q = arg;

	pthread_mutex_lock(&q->mu);
	while (!q->exiting) {
		struct timespec until;

		if (*q->ext_cancel && !q->stopping) {
			q->stopping = 1;
			q->cancel = 1;
			q->stop_req++;
			pthread_cond_broadcast(&q->wake);
		}
		wfm_clock_deadline(&until, CANCEL_POLL_MS);
		pthread_cond_timedwait(&q->wake, &q->mu, &until);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* ---- start ---- */

static int learn_baseline(struct wfm_merge_queue *q, const struct wfm_merge_opts *opts)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_merge_progress p = { .step = WFM_MERGE_TEST };
	struct wfm_buf why = WFM_BUF_INIT;
	char c[8];
	int rc;

	if (opts->baseline) {
		q->baseline = *opts->baseline;
		return 0;
	}
	o.command = q->oracle_cmd;
	o.timeout_sec = q->timeout_sec;
	o.cancel = opts->cancel;
	o.env_set = q->env.nr ? (const char *const *)q->env.v : NULL;
	o.known_failures = q->known_failures.nr ? (const char *const *)q->known_failures.v : NULL;
	p.commit = q->base;
	p.onto = q->base;
	tell(q, &p);
	rc = oracle_run(q, &r, q->base, &o);
	if (rc == 0 && r.commit[0]) {
		/* the thread does not exist yet: no lock needed */
		q->stats.baseline_runs = 1;
		q->stats.baseline_ms = r.proc.duration_ms;
		q->stats.longest_ms = r.proc.duration_ms;
		wfm_exec_tally_add(&q->stats.jobs, &r.where);
	}
	p.step = WFM_MERGE_TESTED;
	p.pass = rc == 0 && r.pass;
	p.result = rc == 0 ? &r : NULL;
	if (rc < 0)
		wfm_buf_adds(&why, wfm_error_last());
	else if (!r.pass)
		wfm_oracle_describe_end(&why, &r);
	p.why = why.ptr;
	tell(q, &p);
	if (rc < 0) /* whatever the callback did */
		wfm_error_setc(rc, "%s", why.ptr);
	wfm_buf_clear(&why);
	if (rc == 0 && !r.pass) {
		short_hex(c, q->base);
		wfm_oracle_describe_end(&why, &r);
		wfm_buf_addch(&why, ')');
		if (r.excerpt.nr)
			wfm_buf_addf(&why, ": %s", r.excerpt.v[0]);
		rc = wfm_error_set("oracle %s on base commit %s ('%s' %s",
				   r.proc.cancelled ? "interrupted" : "failed", c, q->oracle_cmd,
				   why.ptr);
	}
	if (rc == 0)
		q->baseline = r.summary;
	wfm_oracle_result_release(&r);
	wfm_buf_release(&why);
	return rc;
}

/*
 * Checks the integration branch when it exists: on base's history and
 * checked out nowhere. *exists says whether it does; q->cur is its value.
 */
static int check_integration(struct wfm_merge_queue *q, int *exists)
{
	char *where = NULL;
	char c[8], b[8];
	int rc;

	*exists = 0;
	rc = wfm_repo_resolve_commit(q->cur, q->repo, q->refname);
	if (rc == WFM_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	*exists = 1;
	if (wfm_worktree_find_checkout(&where, wfm_repo_commondir(q->repo), q->refname)) {
		rc = wfm_error_setc(WFM_ELOCKED, "branch '%s' is checked out in '%s'",
				    q->refname + strlen("refs/heads/"), where);
		free(where);
		return rc;
	}
	rc = wfm_is_ancestor(q->repo, q->base, q->cur);
	if (rc == 0) {
		short_hex(c, q->cur);
		short_hex(b, q->base);
		return wfm_error_setc(WFM_EINVALID,
				      "branch '%s' is at %s, which does not descend from the run's "
				      "base %s",
				      q->refname + strlen("refs/heads/"), c, b);
	}
	return rc < 0 ? rc : 0;
}

/* Creates the integration branch at base (or takes the one a racing process made). */
static int open_integration(struct wfm_merge_queue *q)
{
	int exists = 0, rc;

	if ((rc = check_integration(q, &exists)) < 0)
		return rc;
	if (!exists) {
		rc = wfm_ref_cas(q->repo, q->refname, q->base, NULL,
				 "wfmigrate: integration branch");
		if (rc == WFM_EEXISTS)
			rc = check_integration(q, &exists);
		else if (rc == 0)
			hexcpy(q->cur, q->base);
		if (rc < 0)
			return rc;
	}
	hexcpy(q->tip, q->cur);
	return wfm_squash_log_read(&q->log, q->repo, q->cur, q->base);
}

static void queue_free(struct wfm_merge_queue *q)
{
	struct entry *e;

	while ((e = list_pop(&q->pending)))
		entry_free(e);
	wfm_repo_free(q->repo);
	wfm_repo_free(q->submit_repo);
	free(q->refname);
	free(q->oracle_cmd);
	wfm_strvec_clear(&q->globs);
	wfm_strvec_clear(&q->env);
	wfm_strvec_clear(&q->known_failures);
	wfm_squash_log_release(&q->log);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

int wfm_merge_queue_start(struct wfm_merge_queue **out, struct wfm_pool *pool,
			  const struct wfm_merge_opts *opts)
{
	struct wfm_merge_queue *q;
	int exists, rc;

	*out = NULL;
	if (!pool || !opts || !opts->repo_path || !opts->run || !opts->base || !opts->oracle_cmd ||
	    !*opts->oracle_cmd)
		return wfm_error_setc(WFM_EINVALID,
				      "the merge queue needs a pool, a repository, a run, a base "
				      "and an oracle command");
	q = wfm_calloc(1, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	wfm_clock_cond_init(&q->wake);
	wfm_clock_cond_init(&q->idle);
	q->pool = pool;
	q->executor = opts->executor;
	q->oracle_cmd = wfm_strdup(opts->oracle_cmd);
	q->timeout_sec = opts->oracle_timeout_sec;
	q->allow_test_edits = opts->allow_test_edits;
	for (size_t i = 0; opts->test_globs && opts->test_globs[i]; i++)
		wfm_strvec_push(&q->globs, opts->test_globs[i]);
	for (size_t i = 0; opts->oracle_env && opts->oracle_env[i]; i++)
		wfm_strvec_push(&q->env, opts->oracle_env[i]);
	for (size_t i = 0; opts->known_failures && opts->known_failures[i]; i++)
		wfm_strvec_push(&q->known_failures, opts->known_failures[i]);
	q->batch_max = opts->batch_max ? opts->batch_max : WFM_MERGE_BATCH_MAX_DEFAULT;
	q->batch_wait_ms = opts->batch_wait_ms;
	q->ext_cancel = opts->cancel;
	q->progress = opts->progress;
	q->progress_data = opts->progress_data;

	if ((rc = wfm_pool_branch_name(&q->refname, opts->run, "integration")) < 0 ||
	    (rc = wfm_repo_open(&q->repo, opts->repo_path)) < 0 ||
	    (rc = wfm_repo_open(&q->submit_repo, opts->repo_path)) < 0 ||
	    (rc = wfm_repo_resolve_commit(q->base, q->repo, opts->base)) < 0)
		goto fail;
	/* look before the baseline (it may take long), create after it (it may fail) */
	if ((rc = check_integration(q, &exists)) < 0 || (rc = learn_baseline(q, opts)) < 0 ||
	    (rc = open_integration(q)) < 0)
		goto fail;
	q->floor = q->baseline.passed;

	if ((rc = pthread_create(&q->thread, NULL, queue_main, q)) != 0) {
		rc = wfm_error_set("cannot start the merge queue: %s", strerror(rc));
		goto fail;
	}
	q->has_thread = 1;
	if (q->ext_cancel) {
		if ((rc = pthread_create(&q->relay, NULL, relay_main, q)) != 0) {
			rc = wfm_error_set("cannot start the merge queue: %s", strerror(rc));
			wfm_merge_queue_free(q);
			return rc;
		}
		q->has_relay = 1;
	}
	*out = q;
	return 0;
fail:
	queue_free(q);
	return rc;
}

/* ---- the public calls ---- */

int wfm_merge_queue_submit(struct wfm_merge_queue *q, const char *branch, const char *message,
			   unsigned flags, wfm_merge_cb cb, void *data)
{
	struct entry *e;
	char tip[HEXSZ + 1];
	int rc;

	if (!branch || !*branch || strpbrk(branch, "\r\n") || !cb)
		return wfm_error_setc(WFM_EINVALID, "invalid branch '%s' for the merge queue",
				      branch ? branch : "");
	pthread_mutex_lock(&q->mu);
	rc = wfm_repo_resolve_commit(tip, q->submit_repo, branch);
	if (rc < 0) {
		pthread_mutex_unlock(&q->mu);
		return rc;
	}
	e = wfm_calloc(1, sizeof(*e));
	e->branch = wfm_strdup(branch);
	e->message = message ? wfm_strdup(message) : NULL;
	hexcpy(e->tip, tip);
	e->flags = flags;
	e->cb = cb;
	e->data = data;
	list_push(&q->pending, e);
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

const char *wfm_merge_queue_tip(struct wfm_merge_queue *q, char out[WFM_OID_HEXSZ + 1])
{
	pthread_mutex_lock(&q->mu);
	hexcpy(out, q->tip);
	pthread_mutex_unlock(&q->mu);
	return out;
}

void wfm_merge_queue_stats(struct wfm_merge_queue *q, struct wfm_merge_stats *out)
{
	pthread_mutex_lock(&q->mu);
	*out = q->stats;
	pthread_mutex_unlock(&q->mu);
}

void wfm_merge_queue_stop(struct wfm_merge_queue *q)
{
	unsigned long seq;

	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	q->cancel = 1;
	seq = ++q->stop_req;
	pthread_cond_broadcast(&q->wake);
	if (q->has_thread && !pthread_equal(pthread_self(), q->thread))
		while (q->stop_ack < seq)
			pthread_cond_wait(&q->idle, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

void wfm_merge_queue_free(struct wfm_merge_queue *q)
{
	if (!q)
		return;
	wfm_merge_queue_stop(q);
	pthread_mutex_lock(&q->mu);
	q->exiting = 1;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->mu);
	if (q->has_thread)
		pthread_join(q->thread, NULL);
	if (q->has_relay)
		pthread_join(q->relay, NULL);
	queue_free(q);
}
