#ifndef WFM_ENGINE_SHARED_H
#define WFM_ENGINE_SHARED_H

/*
 * The shared checkout of a run: where every agent without isolation
 * works, as in the reference system, where such agents work in the
 * user's checkout and each sees the edits of those before it. It is a
 * pool slot the run holds (never the user's working tree), its HEAD
 * detached at the tip of the run's branch wfmigrate/<run>/shared. Every
 * agent that ran in it and finished (failed ones too, but not ones a stop
 * cut short) has what the checkout holds then committed on that branch,
 * with a Wfmigrate-Request trailer naming its journal key; read-only
 * agents without isolation get a worktree of their own at that tip.
 *
 * Resume: the branch is first taken back to the last commit whose request
 * is journaled (wfm_branch_rewind), so a crash between a commit and its
 * journal record neither loses the edits of a journaled agent nor keeps
 * those of one that runs again. Edits not committed when the run died are
 * discarded by the pool when the slot is taken again.
 *
 * Agents in the checkout at the same time share it: the later write
 * wins. When one commit changes a path that another commit changed while
 * its agent was running, a warning names the path and both agents.
 *
 * All functions are safe to call from several threads.
 */
#include "base/strvec.h"
#include "git/repo.h"

struct wfm_pool;
struct wfm_slot;
struct wfm_journal;
struct wfm_shared;

/* Nothing is read or checked out before the first call that needs it. All borrowed. */
int wfm_shared_open(struct wfm_shared **out, struct wfm_pool *pool, struct wfm_journal *journal,
		    const char *repo_path, const char *run, const char *base);

/*
 * Frees s, giving its slot back to the pool. Every agent must have left.
 * The slot's uncommitted changes, if any (agents a stop cut short), are
 * discarded by the next acquire.
 */
void wfm_shared_free(struct wfm_shared *s);

/* The commit a read-only agent without isolation starts from: the branch's tip, or the base. */
int wfm_shared_tip(char out[WFM_OID_HEXSZ + 1], struct wfm_shared *s);

/*
 * An agent enters the checkout: *slot is the run's shared slot (borrowed:
 * do not release it), checked out the first time. *ticket identifies the
 * agent for wfm_shared_leave(), which must follow.
 */
int wfm_shared_enter(struct wfm_slot **slot, unsigned long *ticket, struct wfm_shared *s);

/*
 * The agent leaves. With keep, everything in the checkout is committed
 * on the branch ("<label>: <first line of prompt>", trailers Wfmigrate-Run
 * and Wfmigrate-Request: key); no commit when nothing changed.
 */
int wfm_shared_leave(struct wfm_shared *s, unsigned long ticket, int keep, const char *key,
		     const char *label, const char *prompt);

struct wfm_shared_summary {
	char *branch;			/* short name; NULL when no agent ever used the checkout */
	char commit[WFM_OID_HEXSZ + 1]; /* its tip */
	unsigned long commits;		/* made by this execution */
	unsigned long agents;		/* that worked in the checkout in this execution */
	struct wfm_strvec warnings;	/* concurrent writes to one path */
};
#define WFM_SHARED_SUMMARY_INIT                                                                    \
	{                                                                                          \
		NULL, { 0 }, 0, 0, WFM_STRVEC_INIT                                                 \
	}

/* What the report says of it; out is initialised here (release it). */
void wfm_shared_summary(struct wfm_shared_summary *out, struct wfm_shared *s);
void wfm_shared_summary_release(struct wfm_shared_summary *summary);

/* The trailer naming the journal key of the request a commit is for. */
#define WFM_TRAILER_REQUEST "Wfmigrate-Request"

#endif
