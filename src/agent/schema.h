#ifndef WFM_AGENT_SCHEMA_H
#define WFM_AGENT_SCHEMA_H

/*
 * JSON Schema, the subset agents' structured output is checked against
 * (docs/agents.md, "Schemas"):
 *
 *   type (a name or a list of names: string, number, integer, boolean,
 *   object, array, null), enum, const, properties, required,
 *   additionalProperties (a boolean or a schema), minProperties,
 *   maxProperties, items (one schema for every item), minItems, maxItems,
 *   uniqueItems, minLength, maxLength (in characters), pattern (PCRE2,
 *   unanchored), minimum, maximum, exclusiveMinimum, exclusiveMaximum
 *   (numbers, or booleans as in draft 4), multipleOf, allOf, anyOf,
 *   oneOf, not. A schema is an object, or true (anything) or false
 *   (nothing).
 *
 * Keywords that would constrain a value but are not implemented ($ref,
 * patternProperties, if/then/else, items as a list, ...) are refused
 * rather than ignored, so that no constraint is silently dropped. Every
 * other keyword (title, description, format, default, $defs, nullable,
 * ...) is ignored.
 */
#include "base/json.h"

/*
 * Whether schema is one of the above and some value can match it.
 * WFM_EINVALID with the place in the schema when it is malformed
 * ("invalid schema at $.properties.n: 'minimum' must be a number") or
 * provably unsatisfiable ("unsatisfiable schema at $: required property
 * 'x' is excluded by additionalProperties: false"; an empty enum, an
 * enum or const that the rest of the schema rejects, a minimum above the
 * maximum, an unknown type name, ...). Contradictions across the members
 * of allOf are not looked for.
 */
int wfm_schema_check(const cJSON *schema);

/*
 * wfm_schema_check() for a schema that only objects are checked against
 * (an agent's output): WFM_EINVALID also when no object can match it
 * ({"type": "string"}; {"required": ["x"], "additionalProperties":
 * false}, which only a non-object can match).
 */
int wfm_schema_check_object(const cJSON *schema);

/*
 * 0 when value matches schema; WFM_EINVALID with "<path>: <reason>" for
 * the first violation found, the path in JSONPath form: "$.files[2].path:
 * expected string", "$.name: missing required property". A malformed
 * schema is WFM_EINVALID too (call wfm_schema_check first).
 */
int wfm_schema_validate(const cJSON *schema, const cJSON *value);

#endif
