#include "base/common.h"
#include "base/yaml.h"

#include <yaml.h>

/* as base/json.h's documents */
#define MAX_DEPTH 500

static int is_null(const yaml_node_t *n)
{
	static const char *const forms[] = { "", "~", "null", "Null", "NULL" };
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(forms); i++)
		if (!strcmp(v, forms[i]))
			return 1;
	return 0;
}

static int convert(cJSON **out, size_t *line, yaml_document_t *doc, yaml_node_t *n, unsigned depth)
{
	*out = NULL;
	*line = n->start_mark.line + 1;
	if (depth > MAX_DEPTH)
		return wfm_error_setc(WFM_EINVALID, "nested deeper than %d levels", MAX_DEPTH);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		*out = is_null(n) ? cJSON_CreateNull()
				  : wfm_json_strn((const char *)n->data.scalar.value,
						  n->data.scalar.length);
		break;
	case YAML_SEQUENCE_NODE:
		*out = wfm_json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			cJSON *v;
			int rc =
				convert(&v, line, doc, yaml_document_get_node(doc, *it), depth + 1);

			if (rc < 0)
				goto fail;
			wfm_json_add(*out, NULL, v);
		}
		break;
	case YAML_MAPPING_NODE:
		*out = wfm_json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			cJSON *v;
			int rc;

			if (k->type != YAML_SCALAR_NODE) {
				*line = k->start_mark.line + 1;
				wfm_error_setc(WFM_EINVALID, "a mapping key that is not a scalar");
				goto fail;
			}
			rc = convert(&v, line, doc, yaml_document_get_node(doc, p->value),
				     depth + 1);
			if (rc < 0)
				goto fail;
			wfm_json_add(*out, (const char *)k->data.scalar.value, v);
		}
		break;
	default:
		*out = cJSON_CreateNull();
		break;
	}
	if (!*out) {
		fprintf(stderr, "fatal: out of memory reading YAML\n");
		abort();
	}
	return 0;
fail:
	cJSON_Delete(*out);
	*out = NULL;
	return WFM_EINVALID;
}

int wfm_yaml_parse(cJSON **out, size_t *line, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	*out = NULL;
	*line = 0;
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "fatal: out of memory starting a YAML parser\n");
		abort();
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		*line = parser.problem_mark.line + 1;
		rc = wfm_error_setc(WFM_EINVALID, "%s",
				    parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		*out = cJSON_CreateNull();
	else
		rc = convert(out, line, &doc, root, 0);
	if (rc == 0)
		*line = 0;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
