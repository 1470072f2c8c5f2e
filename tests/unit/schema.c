#include "support/test.h"
#include "agent/schema.h"
#include "base/json.h"

/* Parses JSON written in a test; single quotes stand for double ones, to spare escapes. */
static cJSON *J(const char *text)
{
	char *t = wfm_strdup(text);
	cJSON *v;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = cJSON_Parse(t);
	if (!v)
		fail_msg("bad JSON in the test: %s", t);
	free(t);
	return v;
}

static void valid(const char *schema, const char *value)
{
	cJSON *s = J(schema), *v = J(value);
	int rc = wfm_schema_validate(s, v);

	if (rc < 0)
		fail_msg("%s should match %s, got: %s", value, schema, wfm_error_last());
	cJSON_Delete(s);
	cJSON_Delete(v);
}

/* value must fail schema with exactly msg */
static void invalid(const char *schema, const char *value, const char *msg)
{
	cJSON *s = J(schema), *v = J(value);
	int rc = wfm_schema_validate(s, v);

	if (rc == 0)
		fail_msg("%s should not match %s", value, schema);
	assert_int_equal(rc, WFM_EINVALID);
	if (strcmp(wfm_error_last(), msg))
		fail_msg("%s against %s: expected '%s', got '%s'", value, schema, msg,
			 wfm_error_last());
	cJSON_Delete(s);
	cJSON_Delete(v);
}

static void check_ok(const char *schema)
{
	cJSON *s = J(schema);

	if (wfm_schema_check(s) < 0)
		fail_msg("%s should be accepted, got: %s", schema, wfm_error_last());
	cJSON_Delete(s);
}

/* schema must be refused with a message holding want */
static void check_fails(const char *schema, const char *want)
{
	cJSON *s = J(schema);
	int rc = wfm_schema_check(s);

	if (rc == 0)
		fail_msg("%s should be refused", schema);
	assert_int_equal(rc, WFM_EINVALID);
	if (!strstr(wfm_error_last(), want))
		fail_msg("%s: expected '%s' in '%s'", schema, want, wfm_error_last());
	cJSON_Delete(s);
}

static void test_schema__type(void **state)
{
	valid("{'type':'string'}", "'x'");
	valid("{'type':'number'}", "1.5");
	valid("{'type':'number'}", "2");
	valid("{'type':'integer'}", "2");
	valid("{'type':'integer'}", "2.0");
	valid("{'type':'boolean'}", "false");
	valid("{'type':'object'}", "{}");
	valid("{'type':'array'}", "[]");
	valid("{'type':'null'}", "null");
	valid("{'type':['string','null']}", "null");
	valid("{'type':['string','null']}", "'s'");
	valid("{}", "[1,{'a':null}]");
	invalid("{'type':'string'}", "1", "$: expected string, got integer");
	invalid("{'type':'integer'}", "1.5", "$: expected integer, got number");
	invalid("{'type':'number'}", "'1'", "$: expected number, got string");
	invalid("{'type':'boolean'}", "0", "$: expected boolean, got integer");
	invalid("{'type':'object'}", "[]", "$: expected object, got array");
	invalid("{'type':'array'}", "{}", "$: expected array, got object");
	invalid("{'type':'null'}", "false", "$: expected null, got boolean");
	invalid("{'type':['string','integer','null']}", "true",
		"$: expected string, integer or null, got boolean");
}

static void test_schema__properties_and_paths(void **state)
{
	const char *s = "{'type':'object','properties':{'a':{'type':'object','properties':"
			"{'b':{'type':'array','items':{'type':'string'}}}},"
			"'odd key':{'type':'integer'}}}";

	valid(s, "{'a':{'b':['x','y']},'odd key':3,'other':true}");
	invalid(s, "{'a':{'b':['x',2]}}", "$.a.b[1]: expected string, got integer");
	invalid(s, "{'odd key':'3'}", "$[\"odd key\"]: expected integer, got string");
	invalid("{'type':'object','properties':{'x':{'type':'string'}}}", "{'x':1}",
		"$.x: expected string, got integer");
}

static void test_schema__required(void **state)
{
	const char *s = "{'required':['name','ok'],'properties':{'name':{'type':'string'}}}";

	valid(s, "{'name':'n','ok':1}");
	invalid(s, "{'ok':true}", "$.name: missing required property");
	invalid(s, "{'name':'n'}", "$.ok: missing required property");
	invalid("{'properties':{'a':{'required':['b']}}}", "{'a':{}}",
		"$.a.b: missing required property");
	/* required only concerns objects */
	valid(s, "'not an object'");
}

static void test_schema__additional_properties(void **state)
{
	const char *closed = "{'type':'object','properties':{'a':{}},'additionalProperties':false}";
	const char *typed = "{'type':'object','properties':{'a':{}},"
			    "'additionalProperties':{'type':'integer'}}";

	valid(closed, "{'a':[1]}");
	invalid(closed, "{'a':1,'b':2}", "$.b: unexpected property");
	valid("{'additionalProperties':true}", "{'x':1}");
	valid(typed, "{'a':'s','b':2,'c':3}");
	invalid(typed, "{'a':'s','b':'2'}", "$.b: expected integer, got string");
}

static void test_schema__enum_const(void **state)
{
	valid("{'enum':['a','b',3,null,{'k':[1]}]}", "'b'");
	valid("{'enum':['a','b',3,null,{'k':[1]}]}", "null");
	valid("{'enum':['a','b',3,null,{'k':[1]}]}", "{'k':[1]}");
	valid("{'enum':[1]}", "1.0");
	invalid("{'enum':['a','b']}", "'c'", "$: expected one of [\"a\",\"b\"]");
	invalid("{'enum':['a','b']}", "'A'", "$: expected one of [\"a\",\"b\"]");
	valid("{'const':{'x':[true]}}", "{'x':[true]}");
	invalid("{'const':42}", "43", "$: expected 42");
	invalid("{'properties':{'v':{'const':'yes'}}}", "{'v':'no'}", "$.v: expected \"yes\"");
}

static void test_schema__arrays(void **state)
{
	const char *s = "{'type':'array','items':{'type':'integer'},'minItems':1,'maxItems':3}";

	valid(s, "[1]");
	valid(s, "[1,2,3]");
	invalid(s, "[]", "$: expected at least 1 items, got 0");
	invalid(s, "[1,2,3,4]", "$: expected at most 3 items, got 4");
	invalid(s, "[1,'2']", "$[1]: expected integer, got string");
	valid("{'uniqueItems':true}", "[1,'1',[1],{'a':1},{'a':2}]");
	invalid("{'uniqueItems':true}", "[{'a':1},2,{'a':1}]", "$: items 0 and 2 are equal");
	valid("{'uniqueItems':false}", "[1,1]");
	valid("{'items':false}", "[]");
	invalid("{'items':false}", "[1]", "$[0]: not allowed");
}

static void test_schema__strings(void **state)
{
	const char *s = "{'type':'string','minLength':2,'maxLength':4}";

	valid(s, "'ab'");
	/* characters, not bytes: five characters, six bytes */
	valid("{'maxLength':5}", "'h\\u00e9llo'");
	invalid("{'maxLength':4}", "'h\\u00e9llo'", "$: expected at most 4 characters, got 5");
	invalid(s, "'a'", "$: expected at least 2 characters, got 1");
	invalid(s, "'abcde'", "$: expected at most 4 characters, got 5");
	valid("{'pattern':'^[a-z]+-[0-9]+$'}", "'abc-12'");
	valid("{'pattern':'b'}", "'abc'"); /* not anchored */
	invalid("{'pattern':'^[a-z]+$'}", "'abc1'", "$: does not match the pattern '^[a-z]+$'");
	/* string keywords do not concern other types */
	valid("{'minLength':3,'pattern':'x'}", "12");
}

static void test_schema__numbers(void **state)
{
	valid("{'minimum':1,'maximum':3}", "1");
	valid("{'minimum':1,'maximum':3}", "3");
	invalid("{'minimum':1}", "0.5", "$: expected a number >= 1, got 0.5");
	invalid("{'maximum':3}", "4", "$: expected a number <= 3, got 4");
	invalid("{'exclusiveMinimum':1}", "1", "$: expected a number above 1, got 1");
	invalid("{'exclusiveMaximum':3}", "3", "$: expected a number below 3, got 3");
	valid("{'exclusiveMinimum':1,'exclusiveMaximum':3}", "2.5");
	/* draft 4: booleans that make minimum and maximum exclusive */
	invalid("{'minimum':1,'exclusiveMinimum':true}", "1",
		"$: expected a number above 1, got 1");
	invalid("{'maximum':1,'exclusiveMaximum':true}", "1",
		"$: expected a number below 1, got 1");
	valid("{'minimum':1,'exclusiveMinimum':false}", "1");
	valid("{'multipleOf':0.1}", "0.3");
	valid("{'multipleOf':5}", "-15");
	invalid("{'multipleOf':5}", "7", "$: expected a multiple of 5, got 7");
	valid("{'minimum':10}", "'strings are not numbers'");
}

static void test_schema__objects_size(void **state)
{
	valid("{'minProperties':1,'maxProperties':2}", "{'a':1}");
	invalid("{'minProperties':1}", "{}", "$: expected at least 1 properties, got 0");
	invalid("{'maxProperties':1}", "{'a':1,'b':2}", "$: expected at most 1 properties, got 2");
}

static void test_schema__combinators(void **state)
{
	const char *any = "{'anyOf':[{'type':'string'},{'type':'null'}]}";
	const char *one = "{'oneOf':[{'type':'integer'},{'minimum':0}]}";

	valid(any, "'s'");
	valid(any, "null");
	invalid(any, "3",
		"$: matches no schema of anyOf (the first: expected string, got integer)");
	valid(one, "-1");
	valid(one, "0.5");
	invalid(one, "2", "$: matches 2 schemas of oneOf, expected exactly one");
	invalid(one, "-0.5",
		"$: matches no schema of oneOf (the first: expected integer, got number)");
	valid("{'allOf':[{'type':'integer'},{'minimum':2}]}", "2");
	invalid("{'allOf':[{'type':'integer'},{'minimum':2}]}", "1",
		"$: expected a number >= 2, got 1");
	valid("{'not':{'type':'string'}}", "1");
	invalid("{'not':{'type':'string'}}", "'s'", "$: matches the schema of 'not'");
	invalid("{'properties':{'x':{'anyOf':[{'properties':{'y':{'type':'string'}}},false]}}}",
		"{'x':{'y':1}}",
		"$.x: matches no schema of anyOf (the first: $.x.y: expected string, "
		"got integer)");
}

static void test_schema__boolean_schemas(void **state)
{
	valid("true", "{'anything':[1]}");
	invalid("false", "1", "$: not allowed");
	valid("{'properties':{'gone':false}}", "{'other':1}");
	invalid("{'properties':{'gone':false}}", "{'gone':1}", "$.gone: not allowed");
	check_ok("true");
	check_fails("false", "unsatisfiable schema at $: false matches nothing");
}

static void test_schema__unknown_keywords_ignored(void **state)
{
	const char *s = "{'$schema':'https://json-schema.org/draft/2020-12/schema','title':'T',"
			"'description':'d','type':'string','format':'email','nullable':true,"
			"'default':'x','examples':['a'],'$defs':{'x':{'type':'nothing-checked'}},"
			"'x-vendor':{'type':7}}";

	check_ok(s);
	valid(s, "'not an email'");
	invalid(s, "null", "$: expected string, got null");
}

static void test_schema__refused_keywords(void **state)
{
	check_fails("{'$ref':'#/$defs/x'}", "invalid schema at $: '$ref' is not supported");
	check_fails("{'properties':{'a':{'patternProperties':{}}}}",
		    "invalid schema at $.properties.a: 'patternProperties' is not supported");
	check_fails("{'if':{},'then':{}}", "is not supported");
	check_fails("{'items':[{'type':'string'}]}", "'items' as a list is not supported");
	check_fails("{'contains':{}}", "'contains' is not supported");
	/* validate refuses them too, rather than pass anything */
	{
		cJSON *s = J("{'$ref':'#/x'}"), *v = J("1");
		assert_int_equal(wfm_schema_validate(s, v), WFM_EINVALID);
		assert_non_null(strstr(wfm_error_last(), "'$ref' is not supported"));
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
}

static void test_schema__malformed(void **state)
{
	check_fails("[]", "invalid schema at $: a schema must be an object or a boolean");
	check_fails("{'type':'strin'}", "invalid schema at $: unknown type 'strin'");
	check_fails("{'type':['string',3]}", "'type' must be a type name or a list of them");
	check_fails("{'type':[]}", "'type' is an empty list");
	check_fails("{'required':'a'}", "'required' must be a list of property names");
	check_fails("{'required':[1]}", "'required' must be a list of property names");
	check_fails("{'properties':[]}", "'properties' must be an object");
	check_fails("{'properties':{'a':{'type':'nope'}}}",
		    "invalid schema at $.properties.a: unknown type 'nope'");
	check_fails("{'properties':{'a b':{'minLength':-1}}}",
		    "invalid schema at $.properties[\"a b\"]: 'minLength' must be a non-negative "
		    "integer");
	check_fails("{'maxItems':1.5}", "'maxItems' must be a non-negative integer");
	check_fails("{'minimum':'1'}", "'minimum' must be a number");
	check_fails("{'exclusiveMaximum':'1'}", "'exclusiveMaximum' must be a number");
	check_fails("{'multipleOf':0}", "'multipleOf' must be a number above 0");
	check_fails("{'uniqueItems':1}", "'uniqueItems' must be a boolean");
	check_fails("{'enum':'a'}", "'enum' must be a list");
	check_fails("{'pattern':'('}", "invalid pattern '('");
	check_fails("{'items':{'items':3}}", "invalid schema at $.items: 'items' must be a schema");
	check_fails("{'anyOf':[]}", "'anyOf' must be a non-empty list of schemas");
	check_fails("{'allOf':[1]}", "'allOf' must be a non-empty list of schemas");
	check_fails("{'additionalProperties':1}", "'additionalProperties' must be a schema");
	check_fails("{'oneOf':[{'type':'x'}]}", "invalid schema at $.oneOf[0]: unknown type 'x'");
	{
		assert_int_equal(wfm_schema_check(NULL), WFM_EINVALID);
	}
}

static void test_schema__unsatisfiable(void **state)
{
	check_fails("{'type':'object','required':['x'],'properties':{'y':{}},"
		    "'additionalProperties':false}",
		    "unsatisfiable schema at $: required property 'x' is excluded by "
		    "additionalProperties: false");
	check_fails("{'type':'object','required':['x'],'additionalProperties':false,"
		    "'properties':{'y':{}}}",
		    "required property 'x' is excluded");
	check_fails("{'required':['x'],'additionalProperties':{'type':[]}}",
		    "'type' is an empty list");
	check_fails("{'type':'object','required':['x'],'additionalProperties':{'enum':[]}}",
		    "excluded by additionalProperties: <schema>");
	check_fails("{'enum':[]}", "unsatisfiable schema at $: 'enum' is empty");
	check_fails("{'type':'string','enum':[1,2]}", "no value of 'enum' matches the rest");
	check_fails("{'type':'integer','const':'a'}",
		    "'const' does not match the rest of the schema "
		    "($: expected integer, got string)");
	check_fails("{'type':'string','minLength':5,'maxLength':3}",
		    "minLength 5 is greater than maxLength 3");
	check_fails("{'type':'array','minItems':2,'maxItems':1}",
		    "minItems 2 is greater than maxItems 1");
	check_fails("{'type':'object','minProperties':2,'maxProperties':1}",
		    "minProperties 2 is greater than maxProperties 1");
	check_fails("{'type':'number','minimum':3,'maximum':1}",
		    "no number is at least 3 and at most 1");
	check_fails("{'type':'number','exclusiveMinimum':1,'maximum':1}", "no number is above 1");
	check_fails("{'type':'integer','minimum':1.2,'maximum':1.8}", "no integer is at least 1.2");
	check_fails("{'type':'object','properties':{'p':{'type':'object','properties':{'q':"
		    "{'enum':[]}},'required':['q']}},'required':['p']}",
		    "unsatisfiable schema at $.properties.p.properties.q: 'enum' is empty");
	check_fails("{'type':'object','required':['x'],'properties':{'x':false}}",
		    "false matches nothing");
	check_fails("{'type':'array','minItems':1,'items':false}", "false matches nothing");
	check_fails("{'type':'object','required':['a','b','a'],'maxProperties':1}",
		    "2 properties are required but maxProperties is 1");
	check_fails("{'type':'object','properties':{'a':{},'b':false},'additionalProperties':false,"
		    "'minProperties':2}",
		    "minProperties is 2 but only 1 properties are allowed");
	check_fails("{'anyOf':[{'enum':[]},false]}", "'enum' is empty");
	check_fails("{'allOf':[{'type':'string'},{'type':'string','minLength':3,'maxLength':1}]}",
		    "at $.allOf[1]: minLength 3 is greater than maxLength 1");
	check_fails("{'not':{}}", "'not' excludes every value");
	check_fails("{'not':true}", "'not' excludes every value");
	check_fails("{'type':['string','null'],'minLength':3,'enum':['ab']}",
		    "no value of 'enum' matches");
}

static void test_schema__object_only(void **state)
{
	const char *ok[] = {
		"true",
		"{}",
		"{'type':'object'}",
		"{'type':['string','object']}",
		"{'enum':[1,{'a':1}]}",
		"{'const':{}}",
		"{'required':['x']}",
	};
	const char *bad[][2] = {
		{ "{'type':'string'}",
		  "unsatisfiable schema at $: it allows string only, no object" },
		{ "{'type':['array','null']}", "it allows array or null only, no object" },
		/* any value but an object matches it */
		{ "{'required':['x'],'additionalProperties':false}",
		  "required property 'x' is excluded" },
		{ "{'enum':[1,'a']}", "no value of 'enum' matches" },
		{ "{'const':3}", "'const' is not an object" },
		{ "false", "false matches nothing" },
		{ "{'type':'strin'}", "invalid schema at $: unknown type 'strin'" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(ok); i++) {
		cJSON *s = J(ok[i]);
		if (wfm_schema_check_object(s) < 0)
			fail_msg("%s: %s", ok[i], wfm_error_last());
		cJSON_Delete(s);
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(bad); i++) {
		cJSON *s = J(bad[i][0]);
		assert_int_equal(wfm_schema_check_object(s), WFM_EINVALID);
		if (!strstr(wfm_error_last(), bad[i][1]))
			fail_msg("%s: expected '%s' in '%s'", bad[i][0], bad[i][1],
				 wfm_error_last());
		cJSON_Delete(s);
	}
	check_ok("{'required':['x'],'additionalProperties':false}");
	check_ok("{'type':'string'}");
}

static void test_schema__satisfiable(void **state)
{
	/* a property nothing matches must just be absent */
	check_ok("{'properties':{'x':false}}");
	check_ok("{'properties':{'x':{'enum':[]}}}");
	/* one type of several is enough */
	check_ok("{'type':['object','string'],'required':['x'],'additionalProperties':false}");
	/* keywords for other types do not count */
	check_ok("{'type':'string','required':['x'],'additionalProperties':false}");
	check_ok("{'type':'string','minimum':3,'maximum':1}");
	check_ok("{'type':'array','minItems':0,'items':false}");
	check_ok("{'anyOf':[false,{'type':'string'}]}");
	check_ok("{'type':'integer','minimum':1.2,'maximum':2}");
	check_ok("{'type':'number','minimum':1,'maximum':1}");
	check_ok("{'enum':[1,'a'],'type':'string'}");
	check_ok("{'type':'object','required':['a'],'properties':{'a':{'const':3}},"
		 "'additionalProperties':false}");
	/* a schema a model is asked to fill in */
	check_ok("{'type':'object','additionalProperties':false,'required':['verdict','findings'],"
		 "'properties':{'verdict':{'enum':['pass','fail']},"
		 "'findings':{'type':'array','maxItems':50,'items':{'type':'object',"
		 "'required':['file','line','why'],'properties':{'file':{'type':'string',"
		 "'minLength':1},'line':{'type':'integer','minimum':1},'why':{'type':'string'},"
		 "'severity':{'type':['string','null'],'enum':['low','high',null]}}}}}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema__type),
		cmocka_unit_test(test_schema__properties_and_paths),
		cmocka_unit_test(test_schema__required),
		cmocka_unit_test(test_schema__additional_properties),
		cmocka_unit_test(test_schema__enum_const),
		cmocka_unit_test(test_schema__arrays),
		cmocka_unit_test(test_schema__strings),
		cmocka_unit_test(test_schema__numbers),
		cmocka_unit_test(test_schema__objects_size),
		cmocka_unit_test(test_schema__combinators),
		cmocka_unit_test(test_schema__boolean_schemas),
		cmocka_unit_test(test_schema__unknown_keywords_ignored),
		cmocka_unit_test(test_schema__refused_keywords),
		cmocka_unit_test(test_schema__malformed),
		cmocka_unit_test(test_schema__unsatisfiable),
		cmocka_unit_test(test_schema__object_only),
		cmocka_unit_test(test_schema__satisfiable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
