/*
 * The card's estimate (engine/estimate.h): agents per phase from the
 * meta's `agents`, tokens and USD from unit sizes, models and prices, and
 * the range measured on a pilot's units.
 */
#include "support/test.h"
#include "agent/provider.h"
#include "base/json.h"
#include "engine/config.h"
#include "engine/estimate.h"
#include "llm/price.h"

#include <math.h>

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static cJSON *parse(const char *text)
{
	cJSON *v = NULL;

	assert_wfm_ok(wfm_json_parse(&v, text, strlen(text)));
	return v;
}

/* migrate's phases, as workflows/migrate.js has them */
static const char *migrate_meta =
	"{\"name\":\"migrate\",\"description\":\"d\","
	"\"args\":{\"match\":{\"type\":\"string\"},\"rounds\":{\"type\":\"integer\",\"default\":3}}"
	","
	"\"phases\":[{\"title\":\"Baseline\"},"
	"{\"title\":\"Select\",\"agents\":{\"role\":\"classifier\",\"perUnit\":1,\"unless\":"
	"\"match\"}},"
	"{\"title\":\"Implement\",\"agents\":{\"role\":\"implementer\",\"perUnit\":1}},"
	"{\"title\":\"Verify\",\"agents\":{\"role\":\"verifier\",\"perUnit\":[1,{\"arg\":"
	"\"rounds\",\"plus\":1}]}},"
	"{\"title\":\"Fix\",\"agents\":{\"role\":\"fixer\",\"perUnit\":[0,\"rounds\"]}},"
	"{\"title\":\"Merge\"}]}";

static void config(struct wfm_run_config *cfg, const char *provider)
{
	wfm_run_config_init(cfg);
	cfg->provider = wfm_provider_find(provider);
	assert_non_null(cfg->provider);
}

static void test_estimate__agents_per_phase(void **state)
{
	struct wfm_run_config cfg;
	struct wfm_estimate e;
	struct wfm_estimate_opts o = { 0 };
	uint64_t bytes[3] = { 400, 800, 1200 };
	cJSON *meta = parse(migrate_meta), *args = parse("{\"match\":\"x\"}");

	(void)state;
	config(&cfg, "exec");
	o.meta = meta;
	o.args = args;
	o.cfg = &cfg;
	o.units = 3;
	o.unit_bytes = bytes;
	wfm_estimate_run(&e, &o);
	assert_int_equal(e.nr, 6);
	assert_true(e.any);
	assert_true(e.known);
	assert_false(e.metered);
	assert_null(e.phases[0].role);
	/* match given: no classifiers */
	assert_string_equal(e.phases[1].unless, "match");
	assert_int_equal(e.phases[1].high, 0);
	assert_int_equal(e.phases[2].low, 3);
	assert_int_equal(e.phases[2].high, 3);
	/* rounds' default 3: 1 to 4 verifiers, 0 to 3 fixers per unit */
	assert_int_equal(e.phases[3].low, 3);
	assert_int_equal(e.phases[3].high, 12);
	assert_int_equal(e.phases[4].low, 0);
	assert_int_equal(e.phases[4].high, 9);
	assert_int_equal(e.agents_low, 6);
	assert_int_equal(e.agents_high, 24);
	assert_non_null(strstr(e.assumptions.ptr, "0-3 fixers per unit"));
	assert_null(strstr(e.assumptions.ptr, "prompt cache")); /* exec: nothing metered */
	wfm_estimate_release(&e);

	/* rounds given: it wins over the default; no match: a classifier per unit */
	cJSON_Delete(args);
	args = parse("{\"rounds\":1}");
	o.args = args;
	wfm_estimate_run(&e, &o);
	assert_null(e.phases[1].unless);
	assert_int_equal(e.phases[1].low, 3);
	assert_int_equal(e.phases[4].high, 3);
	assert_int_equal(e.agents_low, 3 + 3 + 3 + 0);
	assert_int_equal(e.agents_high, 3 + 3 + 6 + 3);
	wfm_estimate_release(&e);

	/* units not counted: per-unit phases are not known */
	o.units = -1;
	wfm_estimate_run(&e, &o);
	assert_true(e.any);
	assert_false(e.known);
	assert_false(e.phases[2].known);
	wfm_estimate_release(&e);

	wfm_run_config_release(&cfg);
	cJSON_Delete(meta);
	cJSON_Delete(args);
}

static void test_estimate__no_agents_said(void **state)
{
	struct wfm_run_config cfg;
	struct wfm_estimate e;
	struct wfm_estimate_opts o = { 0 };
	cJSON *meta =
		parse("{\"name\":\"n\",\"description\":\"d\",\"phases\":[{\"title\":\"A\"}]}");

	(void)state;
	config(&cfg, "exec");
	o.meta = meta;
	o.cfg = &cfg;
	o.units = 5;
	wfm_estimate_run(&e, &o);
	assert_false(e.any);
	assert_false(e.known);
	wfm_estimate_release(&e);
	/* a count needs no units; an argument without a value or default is not known */
	cJSON_Delete(meta);
	meta = parse("{\"name\":\"n\",\"description\":\"d\",\"phases\":["
		     "{\"title\":\"Plan\",\"agents\":{\"role\":\"planner\",\"count\":2}},"
		     "{\"title\":\"X\",\"agents\":{\"role\":\"judge\",\"count\":\"judges\"}}]}");
	o.meta = meta;
	o.units = -1;
	wfm_estimate_run(&e, &o);
	assert_true(e.phases[0].known);
	assert_int_equal(e.phases[0].high, 2);
	assert_false(e.phases[1].known);
	assert_false(e.known);
	wfm_estimate_release(&e);
	wfm_run_config_release(&cfg);
	cJSON_Delete(meta);
}

static void test_estimate__agent_tokens(void **state)
{
	uint64_t tokens, input, unit = 1000 / WFM_ESTIMATE_BYTES_PER_TOKEN;
	uint64_t start = WFM_ESTIMATE_PROMPT_TOKENS + 2 * unit;
	uint64_t growth = unit + WFM_ESTIMATE_TOOL_TOKENS;

	(void)state;
	wfm_estimate_agent(&tokens, &input, 1000, 1);
	assert_int_equal(input, start);
	assert_int_equal(tokens, start + WFM_ESTIMATE_OUTPUT_TOKENS);
	/* the context grows each turn by the unit and a tool result */
	wfm_estimate_agent(&tokens, &input, 1000, 3);
	assert_int_equal(input, 3 * start + 3 * growth);
	assert_int_equal(tokens, input + 3 * WFM_ESTIMATE_OUTPUT_TOKENS);
	/* a larger unit costs more */
	wfm_estimate_agent(&tokens, &input, 8000, 3);
	assert_true(input > 3 * start + 3 * growth);
}

static void test_estimate__usd_from_prices_and_cache(void **state)
{
	struct wfm_run_config cfg;
	struct wfm_estimate e, nocache;
	struct wfm_estimate_opts o = { 0 };
	struct wfm_price p;
	uint64_t bytes[1] = { 2000 }, t, in;
	double want_low, fresh, cached;
	cJSON *meta =
		parse("{\"name\":\"n\",\"description\":\"d\",\"phases\":["
		      "{\"title\":\"I\",\"agents\":{\"role\":\"implementer\",\"perUnit\":1}}]}");

	(void)state;
	config(&cfg, "anthropic");
	wfm_strvec_push(&cfg.models, "claude-sonnet-4-5");
	o.meta = meta;
	o.cfg = &cfg;
	o.units = 1;
	o.unit_bytes = bytes;
	wfm_estimate_run(&e, &o);
	assert_true(e.metered);
	assert_true(e.priced);
	assert_string_equal(e.phases[0].model, "claude-sonnet-4-5");
	assert_wfm_ok(wfm_price_find(&p, "claude-sonnet-4-5", NULL));
	wfm_estimate_agent(&t, &in, 2000, WFM_ESTIMATE_TURNS_LOW);
	assert_int_equal(e.tokens_low, t);
	fresh = (double)in * (100 - WFM_ESTIMATE_CACHED_PERCENT) / 100.0;
	cached = (double)in * WFM_ESTIMATE_CACHED_PERCENT / 100.0;
	want_low = (fresh * p.input + cached * p.cache_read + (double)(t - in) * p.output) / 1e6;
	assert_true(fabs(e.usd_low - want_low) < 1e-9);
	assert_true(e.usd_high > e.usd_low);
	assert_true(e.tokens_high > e.tokens_low);
	assert_non_null(strstr(e.assumptions.ptr, "40% of input read from the prompt cache"));

	/* without the cache every input token is fresh: dearer */
	cfg.no_cache = 1;
	wfm_estimate_run(&nocache, &o);
	assert_true(nocache.usd_low > e.usd_low);
	assert_int_equal(nocache.tokens_low, e.tokens_low);
	assert_non_null(strstr(nocache.assumptions.ptr, "0% of input"));
	wfm_estimate_release(&nocache);
	cfg.no_cache = 0;
	wfm_estimate_release(&e);

	/* wfmigrate.price overrides; a model without a price counts as $0 and says so */
	wfm_strvec_push(&cfg.prices, "claude-sonnet-4-5=30,150,0,0");
	wfm_estimate_run(&e, &o);
	assert_true(e.usd_low > 5 * want_low);
	wfm_estimate_release(&e);
	wfm_strvec_clear(&cfg.models);
	wfm_strvec_push(&cfg.models, "no-such-model");
	wfm_estimate_run(&e, &o);
	assert_false(e.priced);
	assert_string_equal(e.unpriced, "no-such-model");
	assert_near(e.usd_high, 0);
	assert_true(e.tokens_high > 0);
	wfm_estimate_release(&e);

	wfm_run_config_release(&cfg);
	cJSON_Delete(meta);
}

static void test_estimate__measured(void **state)
{
	struct wfm_estimate_measured m;
	cJSON *report = parse(
		"{\"totals\":{\"agents\":7,\"tokens\":5000,\"costUsd\":0.5},\"units\":["
		"{\"id\":\"a\",\"status\":\"merged\",\"agents\":2,\"tokens\":1000,\"costUsd\":0.1},"
		"{\"id\":\"b\",\"status\":\"rejected\",\"agents\":5,\"tokens\":3000,\"costUsd\":0."
		"3},"
		"{\"id\":\"c\",\"status\":\"pending\",\"agents\":0,\"tokens\":0},"
		"{\"id\":\"d\",\"status\":\"pending\",\"agents\":0,\"tokens\":0},"
		"{\"id\":\"e\",\"status\":\"skipped\",\"agents\":0,\"tokens\":0}]}");

	(void)state;
	assert_wfm_ok(wfm_estimate_measure(&m, report));
	assert_int_equal(m.measured, 2);
	assert_int_equal(m.left, 2);
	assert_int_equal(m.unit_agents_low, 2);
	assert_int_equal(m.unit_agents_high, 5);
	assert_int_equal(m.agents_low, 7 + 2 * 2);
	assert_int_equal(m.agents_high, 7 + 2 * 5);
	assert_int_equal(m.unit_tokens_low, 1000);
	assert_int_equal(m.unit_tokens_high, 3000);
	assert_int_equal(m.tokens_low, 5000 + 2 * 1000);
	assert_int_equal(m.tokens_high, 5000 + 2 * 3000);
	assert_near(m.usd_low, 0.5 + 2 * 0.1);
	assert_near(m.usd_high, 0.5 + 2 * 0.3);
	cJSON_Delete(report);

	report = parse("{\"units\":[{\"id\":\"c\",\"status\":\"pending\",\"agents\":0}]}");
	assert_int_equal(wfm_estimate_measure(&m, report), WFM_ENOTFOUND);
	cJSON_Delete(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate__agents_per_phase),
		cmocka_unit_test(test_estimate__no_agents_said),
		cmocka_unit_test(test_estimate__agent_tokens),
		cmocka_unit_test(test_estimate__usd_from_prices_and_cache),
		cmocka_unit_test(test_estimate__measured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
