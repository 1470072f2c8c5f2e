#include "support/test.h"

#include <ctype.h>

#include "base/json.h"
#include "sweep/rules.h"
#include "sweep/sarif.h"
#include "sweep/scan.h"

/* The sweep's result ({findings}) of the rules over text as the one unit of a.c. */
static cJSON *swept(const char *text)
{
	struct wfm_sweep_scanner *s = NULL;
	struct wfm_sweep_findings f = WFM_SWEEP_FINDINGS_INIT;
	cJSON *result = wfm_json_object(), *list = wfm_json_array();

	assert_wfm_ok(wfm_sweep_scanner_new(&s));
	assert_wfm_ok(wfm_sweep_scan(&f, s, "src/a.c", WFM_LANG_C, 1, text, strlen(text)));
	for (size_t i = 0; i < f.nr; i++) {
		cJSON *j = wfm_sweep_finding_to_json(&f.v[i]);

		wfm_json_add_str(j, "verdict", "confirmed");
		wfm_json_add(list, NULL, j);
	}
	wfm_json_add(result, "findings", list);
	wfm_sweep_findings_release(&f);
	wfm_sweep_scanner_free(s);
	return result;
}

static const cJSON *get(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = isdigit((unsigned char)key[0]) ? cJSON_GetArrayItem(o, atoi(key))
						   : cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	o = isdigit((unsigned char)path[0]) ? cJSON_GetArrayItem(o, atoi(path))
					    : cJSON_GetObjectItemCaseSensitive(o, path);
	if (!o)
		fail_msg("no %s", path);
	return o;
}

static void assert_str(const cJSON *o, const char *path, const char *want)
{
	const cJSON *v = get(o, path);

	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	if (want)
		assert_string_equal(v->valuestring, want);
	else
		assert_true(*v->valuestring);
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble)
		fail_msg("%s is not an integer", path);
	return v->valuedouble;
}

static void test_sweep_sarif__every_field(void **state)
{
	cJSON *result = swept("void f(char *n)\n{\n\tchar b[8];\n\tstrcpy(b, n);\n}\n");
	cJSON *log = NULL,
	      *reviewer = wfm_test_json(
		      "{\"rule\": \"memory-safety/unbounded-copy\", \"severity\": \"critical\","
		      " \"file\": \"src/a.c\", \"startLine\": 4, \"endLine\": 4,"
		      " \"evidence\": \"\\tstrcpy(b, n);\", \"explanation\": \"n is longer than "
		      "b\","
		      " \"source\": \"reviewer\", \"verdict\": \"unverified\","
		      " \"votes\": {\"confirmed\": 1, \"refuted\": 0, \"failed\": 2}}");
	const cJSON *run, *rules, *r, *results;
	size_t reviewer_rule = 0;

	wfm_json_add(cJSON_GetObjectItemCaseSensitive(result, "findings"), NULL, reviewer);
	assert_wfm_ok(wfm_sweep_sarif(&log, result, "20260101-000000-abcdef"));
	assert_str(log, "$schema", NULL);
	assert_str(log, "version", "2.1.0");
	assert_true(cJSON_IsArray(get(log, "runs")));
	assert_int_equal(cJSON_GetArraySize(get(log, "runs")), 1);
	run = get(log, "runs.0");
	assert_str(run, "tool.driver.name", "git-wfmigrate");
	assert_str(run, "tool.driver.version", WFM_VERSION);
	assert_str(run, "tool.driver.informationUri", NULL);
	assert_str(run, "automationDetails.id", "wfmigrate/sweep/20260101-000000-abcdef");

	rules = get(run, "tool.driver.rules");
	assert_true(cJSON_IsArray(rules));
	/* every rule of the table, then the reviewer's */
	assert_int_equal(cJSON_GetArraySize(rules), wfm_sweep_rules_nr + 1);
	for (int i = 0; i < cJSON_GetArraySize(rules); i++) {
		const cJSON *tags;

		r = cJSON_GetArrayItem(rules, i);
		assert_str(r, "id", NULL);
		assert_str(r, "shortDescription.text", NULL);
		assert_str(r, "fullDescription.text", NULL);
		assert_str(r, "help.text", NULL);
		assert_str(r, "properties.security-severity", NULL);
		tags = get(r, "properties.tags");
		assert_true(cJSON_IsArray(tags));
		assert_string_equal(cJSON_GetArrayItem(tags, 0)->valuestring, "security");
		if (!strcmp(get(r, "id")->valuestring, "memory-safety/unbounded-copy"))
			reviewer_rule = (size_t)i;
		if (!strcmp(get(r, "id")->valuestring, "secret/private-key"))
			assert_str(r, "properties.security-severity", "9.5");
		if (!strcmp(get(r, "id")->valuestring, "dangerous-call/c-strcpy"))
			assert_str(r, "properties.security-severity", "5.5");
	}
	assert_int_equal(reviewer_rule, wfm_sweep_rules_nr);
	/* critical, as the reviewer said */
	assert_str(cJSON_GetArrayItem(rules, (int)wfm_sweep_rules_nr),
		   "properties.security-severity", "9.5");

	results = get(run, "results");
	assert_true(cJSON_IsArray(results));
	assert_int_equal(cJSON_GetArraySize(results), 2);
	/* the rule's finding: its columns */
	r = get(results, "0");
	assert_str(r, "ruleId", "dangerous-call/c-strcpy");
	assert_str(r, "level", "warning");
	assert_str(r, "message.text", NULL);
	assert_true(cJSON_IsArray(get(r, "locations")));
	assert_str(r, "locations.0.physicalLocation.artifactLocation.uri", "src/a.c");
	assert_int_equal(num(r, "locations.0.physicalLocation.region.startLine"), 4);
	assert_int_equal(num(r, "locations.0.physicalLocation.region.endLine"), 4);
	assert_int_equal(num(r, "locations.0.physicalLocation.region.startColumn"), 2);
	assert_int_equal(num(r, "locations.0.physicalLocation.region.endColumn"), 9);
	assert_str(r, "partialFingerprints.primaryLocationLineHash", NULL);
	assert_int_equal(strlen(get(r, "partialFingerprints.primaryLocationLineHash")->valuestring),
			 16 + 2);
	assert_string_equal(get(r, "partialFingerprints.primaryLocationLineHash")->valuestring + 16,
			    ":1");
	/* the reviewer's: no columns given, the evidence's line */
	r = get(results, "1");
	assert_str(r, "ruleId", "memory-safety/unbounded-copy");
	assert_int_equal(num(r, "ruleIndex"), wfm_sweep_rules_nr);
	assert_str(r, "level", "error");
	assert_str(r, "message.text", "n is longer than b");
	assert_int_equal(num(r, "locations.0.physicalLocation.region.startColumn"), 1);
	assert_int_equal(num(r, "locations.0.physicalLocation.region.endColumn"), 15);
	assert_str(r, "properties.verdict", "unverified");
	cJSON_Delete(log);
	cJSON_Delete(result);
}

/* the fingerprints of the results of the rules over text */
static void prints(char out[][40], size_t max, size_t *nr, const char *text)
{
	cJSON *result = swept(text), *log = NULL;
	const cJSON *r;

	*nr = 0;
	assert_wfm_ok(wfm_sweep_sarif(&log, result, "x"));
	cJSON_ArrayForEach (r, get(log, "runs.0.results")) {
		assert_true(*nr < max);
		snprintf(out[(*nr)++], 40, "%s",
			 get(r, "partialFingerprints.primaryLocationLineHash")->valuestring);
	}
	cJSON_Delete(log);
	cJSON_Delete(result);
}

static void test_sweep_sarif__fingerprints_survive_moved_lines(void **state)
{
	char a[4][40], b[4][40], c[4][40];
	size_t na, nb, nc;

	prints(a, 4, &na, "void f(char *n)\n{\n\tstrcpy(b, n);\n\tstrcpy(b, n);\n}\n");
	/* lines inserted above, and the indentation changed */
	prints(b, 4, &nb,
	       "/* a new comment */\n\nint g;\nvoid f(char *n)\n{\n    strcpy(b, n);\n"
	       "    strcpy(b,  n);\n}\n");
	assert_int_equal(na, 2);
	assert_int_equal(nb, 2);
	assert_string_equal(a[0], b[0]);
	assert_string_equal(a[1], b[1]);
	/* two identical lines: one hash, counted */
	assert_memory_equal(a[0], a[1], 16);
	assert_string_equal(a[0] + 16, ":1");
	assert_string_equal(a[1] + 16, ":2");
	/* the line's text changed: another fingerprint */
	prints(c, 4, &nc, "void f(char *n)\n{\n\tstrcpy(buf, n);\n}\n");
	assert_int_equal(nc, 1);
	assert_string_not_equal(a[0], c[0]);
}

static void test_sweep_sarif__levels_and_bad_input(void **state)
{
	cJSON *log = NULL, *bad = wfm_test_json("{\"scope\": {}}");

	assert_string_equal(wfm_sweep_level("critical"), "error");
	assert_string_equal(wfm_sweep_level("high"), "error");
	assert_string_equal(wfm_sweep_level("medium"), "warning");
	assert_string_equal(wfm_sweep_level("low"), "note");
	assert_string_equal(wfm_sweep_security_severity("high"), "8.0");
	assert_string_equal(wfm_sweep_security_severity("low"), "2.0");
	assert_null(wfm_sweep_security_severity("bogus"));
	assert_int_equal(wfm_sweep_sarif(&log, bad, "x"), WFM_EINVALID);
	assert_null(log);
	cJSON_Delete(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_sarif__every_field),
		cmocka_unit_test(test_sweep_sarif__fingerprints_survive_moved_lines),
		cmocka_unit_test(test_sweep_sarif__levels_and_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
