/*
 * Which model an agent runs (src/agent/model.c): --model for its role,
 * then --model for every role, then the script's, then its agent type's,
 * then git config, then the provider's default for the role's tier; the
 * reference system's aliases; checking --model entries.
 */
#include "support/test.h"
#include "agent/model.h"
#include "agent/role.h"

static const char *resolve(const char *const *cli, const char *harness, const char *const *config,
			   const char *role, const char *provider)
{
	return wfm_model_resolve(cli, harness, NULL, config, wfm_role_find(role),
				 wfm_provider_find(provider));
}

static void test_model__precedence(void **state)
{
	const char *cli[] = { "verifier=opus-x", "cli-all", NULL };
	const char *cli_role_only[] = { "verifier=opus-x", NULL };
	const char *config[] = { "classifier=cfg-fast", "cfg-all", NULL };
	const char *config_role_only[] = { "classifier=cfg-fast", NULL };

	(void)state;
	/* 1. --model <role>= for its role */
	assert_string_equal(resolve(cli, "script-model", config, "verifier", "anthropic"),
			    "opus-x");
	/* 2. --model for every role, over the script's */
	assert_string_equal(resolve(cli, "script-model", config, "implementer", "anthropic"),
			    "cli-all");
	/* 3. the script's, over git config */
	assert_string_equal(resolve(cli_role_only, "script-model", config, "implementer", "openai"),
			    "script-model");
	/* 4. git config for the role, then for every role */
	assert_string_equal(resolve(cli_role_only, NULL, config, "classifier", "anthropic"),
			    "cfg-fast");
	assert_string_equal(resolve(cli_role_only, NULL, config, "implementer", "anthropic"),
			    "cfg-all");
	/* 5. the provider's default for the role's tier */
	assert_string_equal(resolve(NULL, NULL, config_role_only, "implementer", "anthropic"),
			    "claude-sonnet-4-5");
	assert_string_equal(resolve(NULL, NULL, NULL, "classifier", "anthropic"),
			    "claude-haiku-4-5");
	assert_string_equal(resolve(NULL, NULL, NULL, "verifier", "openai"), "gpt-4.1");
	assert_string_equal(resolve(NULL, NULL, NULL, "triager", "openai"), "gpt-4.1-mini");
	/* an empty script model counts as none */
	assert_string_equal(resolve(NULL, "", NULL, "judge", "anthropic"), "claude-sonnet-4-5");
}

/* an agent type's model (agentType): after the script's, before git config */
static void test_model__agent_type(void **state)
{
	const char *cli[] = { "verifier=opus-x", NULL };
	const char *config[] = { "cfg-all", NULL };
	const struct wfm_role *reviewer = wfm_role_find("reviewer");

	(void)state;
	assert_string_equal(wfm_model_resolve(cli, "script-model", "type-model", config, reviewer,
					      wfm_provider_find("anthropic")),
			    "script-model");
	assert_string_equal(wfm_model_resolve(cli, NULL, "type-model", config, reviewer,
					      wfm_provider_find("anthropic")),
			    "type-model");
	assert_string_equal(wfm_model_resolve(cli, NULL, NULL, config, reviewer,
					      wfm_provider_find("anthropic")),
			    "cfg-all");
	/* the user's --model still wins */
	assert_string_equal(wfm_model_resolve(cli, NULL, "type-model", config,
					      wfm_role_find("verifier"),
					      wfm_provider_find("anthropic")),
			    "opus-x");
	/* its aliases as the script's */
	assert_string_equal(wfm_model_resolve(NULL, NULL, "haiku", config, reviewer,
					      wfm_provider_find("anthropic")),
			    "claude-haiku-4-5");
	assert_string_equal(
		wfm_model_resolve(NULL, NULL, "haiku", NULL, reviewer, wfm_provider_find("openai")),
		"gpt-4.1-mini");
	assert_string_equal(
		wfm_model_resolve(NULL, NULL, "", NULL, reviewer, wfm_provider_find("anthropic")),
		"claude-sonnet-4-5");
}

static void test_model__aliases(void **state)
{
	const char *cli[] = { "haiku", NULL };

	(void)state;
	assert_string_equal(resolve(NULL, "opus", NULL, "implementer", "anthropic"),
			    "claude-opus-4-1");
	assert_string_equal(resolve(NULL, "sonnet", NULL, "classifier", "anthropic"),
			    "claude-sonnet-4-5");
	assert_string_equal(resolve(cli, NULL, NULL, "verifier", "anthropic"), "claude-haiku-4-5");
	/* elsewhere the strong or fast default */
	assert_string_equal(resolve(NULL, "opus", NULL, "implementer", "openai"), "gpt-4.1");
	assert_string_equal(resolve(cli, NULL, NULL, "implementer", "openai"), "gpt-4.1-mini");
	/* names that merely start like an alias are models */
	assert_string_equal(resolve(NULL, "sonnet-9", NULL, "implementer", "anthropic"),
			    "sonnet-9");
}

static void test_model__check(void **state)
{
	(void)state;
	assert_int_equal(wfm_model_check("claude-sonnet-4-5"), 0);
	assert_int_equal(wfm_model_check("verifier=gpt-4.1"), 0);
	assert_int_equal(wfm_model_check("verifier=a=b"), 0);
	assert_int_equal(wfm_model_check(""), WFM_EINVALID);
	assert_int_equal(wfm_model_check("verifier="), WFM_EINVALID);
	assert_int_equal(wfm_model_check("wizard=x"), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "'wizard=x': unknown role"));
	assert_int_equal(wfm_model_check("=x"), WFM_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model__precedence),
		cmocka_unit_test(test_model__agent_type),
		cmocka_unit_test(test_model__aliases),
		cmocka_unit_test(test_model__check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
