#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/yaml.h"
#include "agent/agent_type.h"
#include "agent/tools.h"

#define AGENTS_DIR ".claude/agents"

/*
 * The built-in types, after Claude Code's. Their prompts, like the
 * roles', are followed by the role's rules (how the worktree works);
 * general-purpose and workflow-subagent have none of their own: the
 * role's prompt is theirs.
 */
static const struct builtin {
	const char *name, *description;
	const char *role;  /* its capabilities: see struct wfm_agent_type */
	const char *tools; /* as a file's tools line; NULL: every tool */
	const char *prompt;
} builtins[] = {
	{ "general-purpose",
	  "General-purpose agent for researching complex questions, searching for code, and "
	  "executing multi-step tasks",
	  "implementer", NULL, NULL },
	{ "Explore",
	  "Fast agent for exploring a code base: finds files, searches the code and answers "
	  "questions about it; changes nothing",
	  "triager", "Read, Glob, Grep",
	  "You explore a code base quickly to answer the question in the task. Search with Glob "
	  "and Grep before you read, read only what you need, and answer with what you found, "
	  "citing paths and line numbers." },
	{ "Plan",
	  "Software architect agent for designing implementation plans: explores the code "
	  "read-only and answers with a step-by-step plan",
	  "reviewer", "Read, Glob, Grep",
	  "You are a software architect. Explore the code as far as the task needs, then answer "
	  "with a step-by-step implementation plan: the files to change and how, in what order, "
	  "and the risks and open questions. The plan is your answer: you change nothing." },
	{ "workflow-subagent", "The default agent of a workflow: the same as no agentType",
	  "implementer", NULL, NULL },
};

/* What a message about a file needs: its name as shown, and its front matter. */
struct source {
	const char *path;
	const char *fm; /* the front matter, from the line after the first '---' */
	size_t fm_len;
};

__attribute__((format(printf, 3, 4))) static int bad(const struct source *src, size_t line,
						     const char *fmt, ...)
{
	struct wfm_buf msg = WFM_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	wfm_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	rc = wfm_error_setc(WFM_EINVALID, "%s:%zu: %s", src->path, line, msg.ptr);
	wfm_buf_release(&msg);
	return rc;
}

/* The line of the file where key is set at the top of the front matter; 1 when none is. */
static size_t key_line(const struct source *src, const char *key)
{
	const char *p = src->fm, *end = src->fm + src->fm_len;
	size_t n = strlen(key), line = 2;

	while (p < end) {
		const char *q = p + n;

		if ((size_t)(end - p) > n && !strncmp(p, key, n)) {
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end && *q == ':')
				return line;
		}
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
		line++;
	}
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* "Read, Grep , Glob" → each name, trimmed; empty ones skipped */
static void split_tools(struct wfm_strvec *out, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *b = s, *e = s + n;

		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		if (e > b)
			wfm_strvec_push_nodup(out, wfm_strndup(b, (size_t)(e - b)));
		s += n;
		if (*s)
			s++;
	}
}

/* tools or disallowedTools into out: 1 when the key is given, 0 when absent or null */
static int read_tools(struct wfm_strvec *out, const cJSON *fm, const char *key,
		      const struct source *src)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(fm, key), *it;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v)) {
		split_tools(out, v->valuestring);
		return 1;
	}
	if (!cJSON_IsArray(v))
		return bad(src, key_line(src, key),
			   "'%s' must be a comma-separated string or a list of tool names", key);
	cJSON_ArrayForEach (it, v) {
		if (!cJSON_IsString(it))
			return bad(src, key_line(src, key), "'%s' must list tool names", key);
		split_tools(out, it->valuestring);
	}
	return 1;
}

static int listed(const struct wfm_strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

/* Claude Code's tool → ours; 0 for a tool this project does not have */
static unsigned tool_id(const char *name)
{
	return !strcmp(name, "MultiEdit") ? WFM_TOOL_EDIT : wfm_tool_find(name);
}

/* Takes the disallowed tools out of the list and works out the mask and the role. */
static void finish_tools(struct wfm_agent_type *t)
{
	struct wfm_strvec kept = WFM_STRVEC_INIT;
	unsigned off = 0;

	t->mask = 0;
	for (size_t i = 0; i < t->disallowed.nr; i++)
		off |= wfm_tool_find(t->disallowed.v[i]);
	if (t->all_tools) {
		t->mask = WFM_TOOLS_ALL & ~off;
	} else {
		for (size_t i = 0; i < t->tools.nr; i++) {
			if (listed(&t->disallowed, t->tools.v[i]) || listed(&kept, t->tools.v[i]))
				continue;
			wfm_strvec_push(&kept, t->tools.v[i]);
			t->mask |= tool_id(t->tools.v[i]);
		}
		wfm_strvec_clear(&t->tools);
		t->tools = kept;
	}
	t->role = wfm_role_find(t->mask & (WFM_TOOL_WRITE | WFM_TOOL_EDIT) ? "implementer"
									   : "reviewer");
}

static int is_fence(const char *s, size_t n)
{
	if (n < 3 || strncmp(s, "---", 3))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* A required non-empty string of the front matter, or an error. */
static int required(char **out, const cJSON *fm, const char *key, const struct source *src)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(fm, key);

	if (!v || cJSON_IsNull(v))
		return bad(src, 1, "no '%s' in the front matter", key);
	if (!cJSON_IsString(v) || !*v->valuestring)
		return bad(src, key_line(src, key), "'%s' must be a non-empty string", key);
	*out = wfm_strdup(v->valuestring);
	return 0;
}

/* Fills t from the file's text; t->name is set as soon as it is known, even when it fails. */
static int parse(struct wfm_agent_type *t, const char *text, size_t len, const char *path)
{
	struct wfm_buf lf = WFM_BUF_INIT;
	struct source src = { path, NULL, 0 };
	const char *s, *p, *body;
	cJSON *fm = NULL;
	const cJSON *model;
	size_t n, yline;
	int rc;

	for (size_t i = 0; i < len; i++)
		if (text[i] != '\r' || i + 1 == len || text[i + 1] != '\n')
			wfm_buf_addch(&lf, text[i]);
	s = lf.ptr;
	if (!strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	n = strcspn(s, "\n");
	if (!is_fence(s, n)) {
		rc = bad(&src, 1, "no front matter: the file must start with a '---' line");
		goto done;
	}
	src.fm = p = s[n] ? s + n + 1 : s + n;
	for (;;) {
		if (!*p) {
			rc = bad(&src, 1, "the front matter has no closing '---' line");
			goto done;
		}
		n = strcspn(p, "\n");
		if (is_fence(p, n))
			break;
		p += n;
		if (*p)
			p++;
	}
	src.fm_len = (size_t)(p - src.fm);
	body = p[n] ? p + n + 1 : p + n;
	if (wfm_yaml_parse(&fm, &yline, src.fm, src.fm_len) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", wfm_error_last());
		rc = bad(&src, yline + 1, "bad YAML in the front matter: %s", why);
		goto done;
	}
	if (!cJSON_IsObject(fm) && !cJSON_IsNull(fm)) {
		rc = bad(&src, 2, "the front matter is not a mapping of keys to values");
		goto done;
	}
	if ((rc = required(&t->name, fm, "name", &src)) < 0 ||
	    (rc = required(&t->description, fm, "description", &src)) < 0)
		goto done;
	if ((rc = read_tools(&t->tools, fm, "tools", &src)) < 0)
		goto done;
	t->all_tools = !rc;
	if ((rc = read_tools(&t->disallowed, fm, "disallowedTools", &src)) < 0)
		goto done;
	model = cJSON_GetObjectItemCaseSensitive(fm, "model");
	if (model && !cJSON_IsNull(model) && !cJSON_IsString(model)) {
		rc = bad(&src, key_line(&src, "model"),
			 "'model' must be haiku, sonnet, opus, inherit or a model id");
		goto done;
	}
	if (cJSON_IsString(model) && *model->valuestring && strcmp(model->valuestring, "inherit"))
		t->model = wfm_strdup(model->valuestring);
	finish_tools(t);

	while (is_space(*body))
		body++;
	n = strlen(body);
	while (n && is_space(body[n - 1]))
		n--;
	if (n)
		t->prompt = wfm_strndup(body, n);
	rc = 0;
done:
	cJSON_Delete(fm);
	wfm_buf_release(&lf);
	return rc;
}

int wfm_agent_type_parse(struct wfm_agent_type **out, const char *text, size_t len,
			 const char *path)
{
	struct wfm_agent_type *t = wfm_calloc(1, sizeof(*t));
	int rc = parse(t, text, len, path);

	*out = NULL;
	if (rc < 0) {
		wfm_agent_type_free(t);
		return rc;
	}
	t->path = wfm_strdup(path);
	*out = t;
	return 0;
}

static struct wfm_agent_type *builtin_new(const struct builtin *b)
{
	struct wfm_agent_type *t = wfm_calloc(1, sizeof(*t));

	t->name = wfm_strdup(b->name);
	t->description = wfm_strdup(b->description);
	if (b->prompt)
		t->prompt = wfm_strdup(b->prompt);
	if (b->tools)
		split_tools(&t->tools, b->tools);
	t->all_tools = !b->tools;
	finish_tools(t);
	t->role = wfm_role_find(b->role);
	return t;
}

/*
 * Reads the custom types in the order they are looked up. With name, stops at
 * the first that defines it (*out) or at a broken file that may (an error);
 * known gets "name (file)" for each file read before.
 */
static int scan(struct wfm_agent_type **out, const char *name,
		const struct wfm_agent_type_where *where, struct wfm_buf *known)
{
	const char *roots[] = { where->top, where->home };
	const char *shown[] = { AGENTS_DIR, "~/" AGENTS_DIR };
	int rc = 0;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(roots) && !*out && rc == 0; i++) {
		struct wfm_strvec files = WFM_STRVEC_INIT;
		char *dir;

		if (!roots[i] || !*roots[i])
			continue;
		dir = wfm_fs_join(roots[i], AGENTS_DIR);
		wfm_fs_list(&files, dir, ".md");
		for (size_t j = 0; j < files.nr && !*out && rc == 0; j++) {
			struct wfm_agent_type *t = wfm_calloc(1, sizeof(*t));
			struct wfm_buf text = WFM_BUF_INIT, display = WFM_BUF_INIT;
			char *path = wfm_fs_join(dir, files.v[j]);

			wfm_buf_addf(&display, "%s/%s", shown[i], files.v[j]);
			rc = wfm_buf_read_file(&text, path);
			if (rc == 0)
				rc = parse(t, text.ptr, text.len, display.ptr);
			if (rc == 0 && name && !strcmp(t->name, name)) {
				t->path = path;
				path = NULL;
				*out = t;
				t = NULL;
			} else if (rc == 0) {
				wfm_buf_addf(known, ", %s (%s)", t->name, display.ptr);
			} else if (!name || (t->name && strcmp(t->name, name))) {
				rc = 0; /* broken, but not the one asked for */
			}
			wfm_agent_type_free(t);
			free(path);
			wfm_buf_release(&text);
			wfm_buf_release(&display);
		}
		free(dir);
		wfm_strvec_clear(&files);
	}
	return rc;
}

static void list_builtins(struct wfm_buf *out)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(builtins); i++)
		wfm_buf_addf(out, "%s%s", i ? ", " : "", builtins[i].name);
}

int wfm_agent_type_find(struct wfm_agent_type **out, const char *name,
			const struct wfm_agent_type_where *where)
{
	struct wfm_buf known = WFM_BUF_INIT;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(builtins); i++)
		if (!strcmp(builtins[i].name, name)) {
			*out = builtin_new(&builtins[i]);
			return 0;
		}
	list_builtins(&known);
	rc = scan(out, name, where, &known);
	if (rc == 0 && !*out)
		rc = wfm_error_setc(WFM_ENOTFOUND, "unknown agentType '%s'; known: %s", name,
				    known.ptr);
	wfm_buf_release(&known);
	return rc;
}

void wfm_agent_type_list(struct wfm_buf *out, const struct wfm_agent_type_where *where)
{
	struct wfm_agent_type *none = NULL;

	list_builtins(out);
	scan(&none, NULL, where, out);
}

static cJSON *names_json(const struct wfm_strvec *sv)
{
	cJSON *a = wfm_json_array();

	for (size_t i = 0; i < sv->nr; i++)
		wfm_json_add_str(a, NULL, sv->v[i]);
	return a;
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s)
		wfm_json_add_str(o, key, s);
	else
		wfm_json_add_null(o, key);
}

cJSON *wfm_agent_type_to_json(const struct wfm_agent_type *t)
{
	cJSON *o = wfm_json_object();

	wfm_json_add_str(o, "name", t->name);
	wfm_json_add_str(o, "description", t->description);
	if (t->all_tools)
		wfm_json_add_null(o, "tools");
	else
		wfm_json_add(o, "tools", names_json(&t->tools));
	wfm_json_add(o, "disallowedTools", names_json(&t->disallowed));
	add_str_or_null(o, "model", t->model);
	add_str_or_null(o, "prompt", t->prompt);
	add_str_or_null(o, "path", t->path);
	return o;
}

void wfm_agent_type_free(struct wfm_agent_type *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->description);
	free(t->prompt);
	free(t->model);
	free(t->path);
	wfm_strvec_clear(&t->tools);
	wfm_strvec_clear(&t->disallowed);
	free(t);
}
