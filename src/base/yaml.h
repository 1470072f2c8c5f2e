#ifndef WFM_BASE_YAML_H
#define WFM_BASE_YAML_H

/*
 * YAML: the libyaml adapter (the only file that includes yaml.h). A
 * document is read into a JSON tree: mappings become objects (keys in
 * their order; a key that is not a scalar is an error), sequences arrays,
 * and every scalar a string as written, except the plain null forms
 * ("", "~", "null", "Null", "NULL"), which become null. Numbers and
 * booleans stay strings: the caller knows what a key means. Anchors and
 * aliases are resolved.
 */
#include <stddef.h>

#include "base/json.h"

/*
 * Parses the first document of text[0..len) into a new tree (free with
 * cJSON_Delete()); an empty text is null. WFM_EINVALID on bad YAML or
 * nesting deeper than 500 levels, *out NULL, the message libyaml's
 * problem ("mapping values are not allowed in this context") and *line
 * its 1-based line in text.
 */
int wfm_yaml_parse(cJSON **out, size_t *line, const char *text, size_t len);

#endif
