/*
 * The provider table (src/agent/provider.c): lookups by name, the
 * provider a run gets when it names none, base URLs, when a key is
 * needed, the default models, and the messages built from the rows.
 */
#include "support/test.h"
#include "agent/provider.h"
#include "base/buf.h"

static int setup(void **state)
{
	wfm_test_unset_provider_env();
	return 0;
}

static void test_provider__find(void **state)
{
	const struct wfm_provider *exec = wfm_provider_find("exec");
	const struct wfm_provider *anthropic = wfm_provider_find("anthropic");
	const struct wfm_provider *openai = wfm_provider_find("openai");

	assert_non_null(exec);
	assert_false(exec->has_api);
	assert_null(exec->key_env);
	assert_int_equal(exec->key, WFM_KEY_NONE);
	assert_non_null(anthropic);
	assert_true(anthropic->has_api);
	assert_int_equal(anthropic->api, WFM_LLM_ANTHROPIC);
	assert_string_equal(anthropic->key_env, "ANTHROPIC_API_KEY");
	assert_string_equal(anthropic->url_env, "ANTHROPIC_BASE_URL");
	assert_string_equal(anthropic->default_url, "https://api.anthropic.com");
	assert_int_equal(anthropic->key, WFM_KEY_REQUIRED);
	assert_non_null(openai);
	assert_int_equal(openai->api, WFM_LLM_OPENAI);
	assert_string_equal(openai->key_env, "OPENAI_API_KEY");
	assert_string_equal(openai->url_env, "OPENAI_BASE_URL");
	assert_string_equal(openai->default_url, "https://api.openai.com/v1");
	assert_int_equal(openai->key, WFM_KEY_AT_DEFAULT_HOST);
	assert_null(wfm_provider_find("gemini"));
	assert_null(wfm_provider_find("Exec"));
	assert_null(wfm_provider_find(""));
	assert_null(wfm_provider_find(NULL));
	/* every provider with an API has a model for every tier and a URL */
	for (size_t i = 0; i < wfm_providers_nr; i++) {
		const struct wfm_provider *p = &wfm_providers[i];

		assert_ptr_equal(wfm_provider_find(p->name), p);
		if (!p->has_api)
			continue;
		assert_non_null(p->default_url);
		for (int t = 0; t < WFM_TIER_NR; t++)
			assert_non_null(p->models[t]);
	}
	assert_string_equal(anthropic->models[WFM_TIER_STRONG], "claude-sonnet-4-5");
	assert_string_equal(anthropic->models[WFM_TIER_FAST], "claude-haiku-4-5");
	assert_string_equal(openai->models[WFM_TIER_STRONG], "gpt-4.1");
	assert_string_equal(openai->models[WFM_TIER_FAST], "gpt-4.1-mini");
}

static void test_provider__default(void **state)
{
	assert_null(wfm_provider_default(0));
	assert_string_equal(wfm_provider_default(1)->name, "exec");
	/* a URL alone does not make a provider that always needs a key */
	setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9", 1);
	assert_null(wfm_provider_default(0));
	setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
	assert_string_equal(wfm_provider_default(0)->name, "openai");
	setenv("ANTHROPIC_API_KEY", "", 1); /* empty: unset */
	assert_string_equal(wfm_provider_default(0)->name, "openai");
	setenv("ANTHROPIC_API_KEY", "k", 1);
	assert_string_equal(wfm_provider_default(0)->name, "anthropic");
	assert_string_equal(wfm_provider_default(1)->name, "exec");
	wfm_test_unset_provider_env();
	setenv("OPENAI_API_KEY", "k", 1);
	assert_string_equal(wfm_provider_default(0)->name, "openai");
	wfm_test_unset_provider_env();
}

static void test_provider__base_url(void **state)
{
	const struct wfm_provider *openai = wfm_provider_find("openai");

	assert_string_equal(wfm_provider_base_url(openai), "https://api.openai.com/v1");
	setenv("OPENAI_BASE_URL", "", 1);
	assert_string_equal(wfm_provider_base_url(openai), "https://api.openai.com/v1");
	setenv("OPENAI_BASE_URL", "http://localhost:11434/v1", 1);
	assert_string_equal(wfm_provider_base_url(openai), "http://localhost:11434/v1");
	assert_null(wfm_provider_base_url(wfm_provider_find("exec")));
	wfm_test_unset_provider_env();
}

static void test_provider__api_key(void **state)
{
	const struct wfm_provider *anthropic = wfm_provider_find("anthropic");
	const struct wfm_provider *openai = wfm_provider_find("openai");
	const char *key = "x";

	assert_wfm_ok(wfm_provider_api_key(&key, wfm_provider_find("exec"), NULL));
	assert_null(key);
	assert_int_equal(wfm_provider_api_key(&key, anthropic, "http://127.0.0.1:9"), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "the anthropic provider needs an API key in ANTHROPIC_API_KEY");
	setenv("ANTHROPIC_API_KEY", "secret", 1);
	assert_wfm_ok(wfm_provider_api_key(&key, anthropic, "https://api.anthropic.com"));
	assert_string_equal(key, "secret");
	/* openai: at api.openai.com only; a local server needs none */
	assert_int_equal(wfm_provider_api_key(&key, openai, "https://api.openai.com/v1"),
			 WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "the openai provider needs an API key in OPENAI_API_KEY (or "
			    "OPENAI_BASE_URL pointing at a local server)");
	assert_wfm_ok(wfm_provider_api_key(&key, openai, "http://localhost:11434/v1"));
	assert_null(key);
	setenv("OPENAI_API_KEY", "sk", 1);
	assert_wfm_ok(wfm_provider_api_key(&key, openai, "https://api.openai.com/v1"));
	assert_string_equal(key, "sk");
	wfm_test_unset_provider_env();
}

static void test_provider__messages(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_provider_names(&b);
	assert_string_equal(b.ptr, "exec, anthropic or openai");
	wfm_buf_release(&b);
	assert_int_equal(wfm_provider_none_error(), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "no one to run the agents: set ANTHROPIC_API_KEY or OPENAI_API_KEY (or "
			    "OPENAI_BASE_URL for a local server), or give --provider exec "
			    "--agent-cmd <cmd>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider__find),	   cmocka_unit_test(test_provider__default),
		cmocka_unit_test(test_provider__base_url), cmocka_unit_test(test_provider__api_key),
		cmocka_unit_test(test_provider__messages),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
