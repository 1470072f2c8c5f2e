#ifndef WFM_AGENT_AGENT_H
#define WFM_AGENT_AGENT_H

/*
 * One agent: what the engine asks of a provider (struct
 * wfm_agent_request, one agent() call of the script), what it runs it
 * with (struct wfm_agent_env, the run's), and what comes back (struct
 * wfm_agent_result). Every provider (exec.h today; anthropic and openai
 * later) takes and fills these same types. docs/agents.md has the
 * contract.
 */
#include <signal.h>
#include <stdint.h>

#include "base/json.h"
#include "base/strvec.h"
#include "exec/where.h"
#include "git/repo.h"

struct wfm_pool;
struct wfm_slot;
struct wfm_executor;
struct wfm_llm_client;
struct wfm_ledger;
struct wfm_llm_cache;
struct wfm_agent_type;
struct wfm_agent_result;

/* Everything borrowed for the call. */
struct wfm_agent_request {
	const char *prompt;
	/* may be NULL; role NULL is the type's (below) or wfm_role_default(),
	 * an unknown one is refused */
	const char *label, *phase, *role, *model, *effort;
	/* agentType, resolved by the engine (agent/agent_type.h): its prompt,
	 * its tools narrowing the role's, and without a role the role it
	 * implies; model already holds its model where it applies. NULL: none */
	const struct wfm_agent_type *type;
	/* NULL: the output is text; else the object validated against it */
	const cJSON *schema;
	/* isolation: 'worktree' — a role that may write has its work committed to branch */
	int worktree;
	/* short branch name ("wfmigrate/<run>/<label>"), resolved by the engine;
	 * used when worktree. NULL: wfmigrate/<run>/<label> from label */
	const char *branch;
	/* the commit (hex, or any revision) the agent starts from, resolved by
	 * the engine; NULL: HEAD, refused for worktree agents */
	const char *base;
	const cJSON *unit; /* the unit it works on, or NULL */
	const cJSON *args; /* the run's args, or NULL */
	/* LLM agents: names of tools, narrowing the role's (never widening);
	 * NULL: the role's */
	const cJSON *tools;
	/* worktree agents whose role may write: an array of globs (git/scope.h)
	 * of the paths the work may change; recorded in its commit and checked
	 * by the merge queue. NULL: no scope */
	const cJSON *scope;
};
/* clang-format off */
#define WFM_AGENT_REQUEST_INIT { .prompt = NULL, .schema = NULL, .worktree = 0 }
/* clang-format on */

/* The run's, shared by its agents; borrowed for the call. */
struct wfm_agent_env {
	const char *run;
	struct wfm_pool *pool;		     /* opened with the run id */
	const char *agent_cmd;		     /* exec provider: sh -c <agent_cmd> */
	unsigned long timeout_sec;	     /* 0: none; the engine sets its default */
	const volatile sig_atomic_t *cancel; /* non-zero: stop the agent (may be NULL) */
	/* where to write the agent's transcript (JSONL: the request, the
	 * output tails, the result; provider keys redacted); NULL: none */
	const char *transcript_path;
	/*
	 * The slot to work in instead of one of the pool's: the run's shared
	 * checkout (engine/shared.h), for agents without isolation. Borrowed:
	 * the provider neither commits in it nor releases it. NULL: a pool slot.
	 */
	struct wfm_slot *slot;
	/*
	 * exec provider: where the command runs when not here, an executor
	 * that runs commands as jobs (exec/executor.h; the slurm one). The
	 * agent's slot still holds its work here: the job checks out the same
	 * commit on a node, and what it leaves comes back into the slot. NULL,
	 * or an agent in the shared checkout (slot above): here.
	 */
	struct wfm_executor *executor;

	/* LLM providers (agent/loop.h); unused by exec */
	struct wfm_llm_client *client;	    /* shared by the run's agents */
	const struct wfm_llm_api_ops *api;  /* the client's API */
	struct wfm_ledger *ledger;	    /* the run's budget; may be NULL (none) */
	struct wfm_llm_cache *prompt_cache; /* shared prompt parts and warm-up; may be NULL */
	/* "model=in,out[,cw,cr]" overrides, NULL-terminated; may be NULL */
	const char *const *prices;
	const char *oracle_cmd;	    /* the one command a verifier may run; may be NULL */
	int sandbox;		    /* enum wfm_sandbox for Bash */
	int cache;		    /* mark the stable prefix cacheable */
	unsigned max_turns;	    /* model calls per agent; 0: 60 */
	uint64_t max_tokens;	    /* tokens per agent; 0: none */
	unsigned max_output_tokens; /* max_tokens of each call; 0: 8192 */
	/*
	 * Called on the agent's thread after each model turn (and the tool
	 * calls it made) with what the agent has done so far: tokens, cost,
	 * turns, tool_calls. For a live view; must not block. May be NULL.
	 */
	void (*on_turn)(void *data, const struct wfm_agent_result *so_far);
	void *on_turn_data;
};
/* clang-format off */
#define WFM_AGENT_ENV_INIT { .run = NULL }
/* clang-format on */

struct wfm_agent_result {
	/*
	 * 1: it finished and its output is valid. 0: it failed, and reason
	 * says why: "exit status 1", "timed out after 600s", "killed by
	 * SIGKILL", "cancelled", "output larger than 8388608 bytes", "no JSON
	 * object in the output", "output does not match the schema: $.x:
	 * expected string, got number".
	 */
	int ok;
	char *reason; /* NULL when ok */
	/*
	 * !ok, exec agents: the last informative lines of the command's stderr
	 * (wfm_utf8_last_lines(): at most WFM_AGENT_STDERR_LINES lines of
	 * WFM_AGENT_STDERR_LINE_MAX bytes), where a command says why it failed;
	 * NULL when it wrote none, and for agents that did not fail
	 */
	char *stderr_tail;
	/* !ok: the run's budget (its ledger) refused a model call; reason "budget: ..." */
	int budget;
	cJSON *output; /* a string (text) or the validated object; NULL when !ok */
	/* worktree agents: whether its branch has commits past base */
	int changed;
	/* worktree agents: the branch's commit (= base when unchanged); other
	 * agents: the commit they ran on; "" when the agent never started */
	char commit[WFM_OID_HEXSZ + 1];
	/* worktree agents whose role may write: the short branch name; else NULL */
	char *branch;
	/* agents given a scope: 1, and the paths their work changed outside it
	 * (between the base and commit), sorted; else 0 and empty */
	int scoped;
	struct wfm_strvec out_of_scope;
	uint64_t duration_ms;
	/* exec agents run as jobs (env->executor): where; all "" here */
	struct wfm_exec_where where;
	/* 0 for exec; tokens_in counts all input, cached or not */
	uint64_t tokens_in, tokens_out;
	uint64_t cache_read, cache_write; /* of tokens_in: read from / written to the cache */
	double cost_usd;
	unsigned turns, tool_calls;
};
/* clang-format off */
#define WFM_AGENT_RESULT_INIT { .ok = 0 }
/* clang-format on */

#define WFM_AGENT_STDERR_LINES 6
#define WFM_AGENT_STDERR_LINE_MAX 300

/* Frees the contents; r is empty (not ok) afterwards. */
void wfm_agent_result_release(struct wfm_agent_result *r);

/*
 * The value the script gets (a new tree, cJSON_Delete()): !ok → null;
 * worktree → {output, branch, commit, changed} (branch null for a
 * read-only role), plus outOfScope (an array of paths) when it had a
 * scope; else a copy of output.
 */
cJSON *wfm_agent_result_value(const struct wfm_agent_result *r, int worktree);

/*
 * Everything in the result as a new JSON object (cJSON_Delete()), for the
 * journal: {ok, reason, output, changed, commit, branch, duration_ms,
 * tokens_in, tokens_out}; and back, on resume: out is initialised and
 * filled (release it), WFM_EINVALID when j is not such an object.
 * A failed agent with a stderr tail adds stderr_tail.
 * LLM agents add cache_read, cache_write, cost_usd, turns, tool_calls;
 * agents with a scope add out_of_scope (an array of paths).
 */
cJSON *wfm_agent_result_to_json(const struct wfm_agent_result *r);
int wfm_agent_result_from_json(struct wfm_agent_result *out, const cJSON *j);

#endif
