#ifndef WFM_AGENT_MODEL_H
#define WFM_AGENT_MODEL_H

/*
 * Which model an LLM agent runs. The first that applies, in this order:
 *
 *   1. --model <role>=<model> for the agent's role    (the user, for this run)
 *   2. --model <model>                                  (the user, for every role)
 *   3. the harness's agent({model})                     (the script)
 *   4. the model of the agent's agentType (agent_type.h) (its definition;
 *      inherit: none)
 *   5. git config wfmigrate.model.<role>, then wfmigrate.model
 *   6. the provider's default for the role's tier (role.h; the models of
 *      its row in agent/provider.c)
 *
 * The user's choice beats the script's so that a run can be pointed at
 * another provider (a local server's model) whatever the script names.
 * The reference system's aliases opus, sonnet and haiku name what the
 * provider's row says (the current Claude models on anthropic), else the
 * provider's strong or fast default.
 */
#include "agent/provider.h"
#include "agent/role.h"

/*
 * cli and config: "<role>=<model>" or "<model>" entries, NULL-terminated
 * (either may be NULL); harness and type: a model or NULL; provider: a
 * row with an API (NULL or exec: anthropic's defaults). Returns a string
 * borrowed from the arguments or a static table.
 */
const char *wfm_model_resolve(const char *const *cli, const char *harness, const char *type,
			      const char *const *config, const struct wfm_role *role,
			      const struct wfm_provider *provider);

/* WFM_EINVALID when entry is not "[<role>=]<model>" with a known role and a non-empty model. */
int wfm_model_check(const char *entry);

#endif
