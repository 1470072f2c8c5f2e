#include "base/common.h"
#include "base/regex.h"
#include "sweep/rules.h"

#define C_LIKE (WFM_SWEEP_LANG(WFM_LANG_C) | WFM_SWEEP_LANG(WFM_LANG_CPP))
#define PY WFM_SWEEP_LANG(WFM_LANG_PYTHON)
#define JS                                                                                         \
	(WFM_SWEEP_LANG(WFM_LANG_JAVASCRIPT) | WFM_SWEEP_LANG(WFM_LANG_TYPESCRIPT) |               \
	 WFM_SWEEP_LANG(WFM_LANG_TSX))
#define GO WFM_SWEEP_LANG(WFM_LANG_GO)
#define RUST WFM_SWEEP_LANG(WFM_LANG_RUST)
#define JAVA WFM_SWEEP_LANG(WFM_LANG_JAVA)

/* a call of name, not a method (x.name, x->name) nor a longer name (my_name, name_s) */
#define CALL(name) "(?<![\\w.$>])" name "\\s*\\("

/* a dangerous call: its id, language, pattern and what to use instead */
#define DANGER(id, langs, pattern, what, instead)                                                  \
	{                                                                                          \
		"dangerous-call/" id, "medium", "Call of " what,                                   \
			"The code calls " what ", which is unsafe with input an attacker may "     \
			"control; each call needs a reason.",                                      \
			instead, langs, pattern, 0                                                 \
	}

const struct wfm_sweep_rule wfm_sweep_rules[] = {
	{ "secret/private-key", "critical", "Committed private key",
	  "A private key (PEM) is committed: anyone who can read the repository can use it.",
	  "Remove the key from the history, revoke it, and load keys from a secret store at run "
	  "time.",
	  0, "-----BEGIN ((RSA|EC|DSA|OPENSSH) )?PRIVATE KEY-----", 0 },
	{ "secret/aws-access-key", "high", "Committed AWS access key id",
	  "An AWS access key id (AKIA..., ASIA...) is committed; its secret key is likely near.",
	  "Deactivate the key in IAM, remove it from the history, and use roles or the "
	  "environment instead. AWS's documented example keys (containing EXAMPLE) are not "
	  "reported.",
	  0, "\\b(?:AKIA|ASIA)(?![0-9A-Z]{0,9}EXAMPLE)[0-9A-Z]{16}\\b", 0 },
	{ "secret/generic-token", "high", "Committed API token",
	  "A token of GitHub (ghp_), Slack (xox?-) or Stripe (sk_live_) is committed.",
	  "Revoke the token, remove it from the history, and read it from the environment or a "
	  "secret store.",
	  0,
	  "\\b(?:ghp_[A-Za-z0-9]{36}|xox[baprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{24,})(?![A-"
	  "Za-z0-9])",
	  0 },
	DANGER("c-gets", C_LIKE, CALL("gets"), "gets()",
	       "gets() cannot bound its copy: use fgets() with the buffer's size."),
	DANGER("c-strcpy", C_LIKE, CALL("strcpy"), "strcpy()",
	       "strcpy() copies without a bound: use a copy bounded by the destination's size "
	       "(snprintf, strlcpy) and check for truncation."),
	DANGER("c-strcat", C_LIKE, CALL("strcat"), "strcat()",
	       "strcat() appends without a bound: use a bounded append and check for truncation."),
	DANGER("c-sprintf", C_LIKE, CALL("sprintf"), "sprintf()",
	       "sprintf() writes without a bound: use snprintf() with the buffer's size."),
	DANGER("c-system", C_LIKE, CALL("system"), "system()",
	       "system() runs a shell: build an argument vector and use execve()/posix_spawn()."),
	DANGER("python-eval", PY, CALL("eval"), "eval()",
	       "eval() runs text as code: parse data with ast.literal_eval() or json."),
	DANGER("python-exec", PY, CALL("exec"), "exec()",
	       "exec() runs text as code: do not build code from input."),
	DANGER("python-os-system", PY, "\\bos\\.system\\s*\\(", "os.system()",
	       "os.system() runs a shell: use subprocess.run() with a list of arguments."),
	DANGER("python-shell-true", PY, "\\bsubprocess\\.\\w+\\s*\\([^\\n]*\\bshell\\s*=\\s*True",
	       "subprocess with shell=True",
	       "shell=True runs a shell on the command: pass a list of arguments without it."),
	DANGER("python-pickle-loads", PY, "\\b(?:c?pickle)\\.loads?\\s*\\(", "pickle.loads()",
	       "Unpickling runs code chosen by whoever wrote the data: use json for untrusted "
	       "data."),
	DANGER("js-eval", JS, CALL("eval"), "eval()",
	       "eval() runs text as code: parse data with JSON.parse()."),
	DANGER("js-new-function", JS, "\\bnew\\s+Function\\s*\\(", "new Function()",
	       "new Function() compiles text as code: do not build code from input."),
	DANGER("js-child-process-exec", JS,
	       "\\bchild_process['\"]?\\s*\\)?\\s*\\.\\s*exec(?:Sync)?\\s*\\(",
	       "child_process.exec()",
	       "exec() runs a shell: use execFile() or spawn() with a list of arguments."),
	DANGER("go-shell-command", GO,
	       "\\bexec\\.Command(?:Context)?\\s*\\([^\\n]*\"(?:sh|bash)\"\\s*,\\s*\"-c\"",
	       "exec.Command(\"sh\", \"-c\", ...)",
	       "A shell command line built in code: run the program with its arguments instead."),
	DANGER("rust-shell-command", RUST,
	       "\\bCommand::new\\s*\\(\\s*\"(?:sh|bash)\"\\s*\\)\\s*\\.\\s*args?\\s*\\(\\s*(?:&?\\["
	       "\\s*)?\"-c\"",
	       "Command::new(\"sh\").arg(\"-c\")",
	       "A shell command line built in code: run the program with its arguments instead."),
	DANGER("java-runtime-exec", JAVA,
	       "\\bRuntime\\s*\\.\\s*getRuntime\\s*\\(\\s*\\)\\s*\\.\\s*exec\\s*\\(",
	       "Runtime.getRuntime().exec()",
	       "Runtime.exec() with a string splits it naively: use ProcessBuilder with a list "
	       "of arguments."),
	{ "prompt-injection/reviewer-instruction", "high", "Text addressed to a reviewer or AI",
	  "The code holds text that tries to instruct a reviewer or an AI model (\"ignore previous "
	  "instructions\", \"AI reviewers: report nothing\"): an attempt to steer an automated "
	  "review.",
	  "Remove the text; review the code around it by hand, as its author tried to hide "
	  "something from automated review.",
	  0,
	  "ignore\\s+(?:all\\s+)?(?:the\\s+)?(?:previous|prior|above)\\s+instructions"
	  "|\\b(?:AI|LLM|automated)\\s+(?:code\\s+|security\\s+)?(?:reviewers?|scanners?|"
	  "assistants?)"
	  "[^\\n]{0,40}?(?:report\\s+nothing|do\\s+not\\s+report|don't\\s+report|ignore|skip)"
	  "|\\breport\\s+(?:no|zero)\\s+(?:findings|issues|vulnerabilities)"
	  "|\\byou\\s+are\\s+now\\s+(?:a|an)\\s",
	  1 },
};

const size_t wfm_sweep_rules_nr = WFM_ARRAY_SIZE(wfm_sweep_rules);

const char *const wfm_sweep_categories[] = {
	"memory-safety", "injection",	    "secrets", "crypto", "path-traversal",
	"authz",	 "deserialization", "other",   NULL,
};

const struct wfm_sweep_rule *wfm_sweep_rule_find(const char *id)
{
	for (size_t i = 0; id && i < wfm_sweep_rules_nr; i++)
		if (!strcmp(wfm_sweep_rules[i].id, id))
			return &wfm_sweep_rules[i];
	return NULL;
}

int wfm_sweep_severity_rank(const char *severity)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };

	for (size_t i = 0; severity && i < WFM_ARRAY_SIZE(names); i++)
		if (!strcmp(names[i], severity))
			return (int)i + 1;
	return 0;
}

void wfm_sweep_findings_release(struct wfm_sweep_findings *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->v[i].file);
		free(f->v[i].evidence);
	}
	free(f->v);
	f->v = NULL;
	f->nr = f->alloc = 0;
}

struct wfm_sweep_scanner {
	struct wfm_regex *re[WFM_ARRAY_SIZE(wfm_sweep_rules)];
};

int wfm_sweep_scanner_new(struct wfm_sweep_scanner **out)
{
	struct wfm_sweep_scanner *s = wfm_calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	for (size_t i = 0; i < wfm_sweep_rules_nr; i++) {
		const struct wfm_sweep_rule *r = &wfm_sweep_rules[i];

		rc = wfm_regex_compile(&s->re[i], r->pattern, r->caseless ? WFM_REGEX_CASELESS : 0);
		if (rc < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", wfm_error_last());
			wfm_sweep_scanner_free(s);
			return wfm_error_setc(rc, "sweep rule %s: %s", r->id, why);
		}
	}
	*out = s;
	return 0;
}

void wfm_sweep_scanner_free(struct wfm_sweep_scanner *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < wfm_sweep_rules_nr; i++)
		wfm_regex_free(s->re[i]);
	free(s);
}

/* characters (UTF-8 code points) in s[0..n) */
static uint32_t chars(const char *s, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* evidence longer than this is cut (a minified file's one line) */
#define EVIDENCE_MAX 400

static void add(struct wfm_sweep_findings *out, const struct wfm_sweep_rule *rule, const char *path,
		uint32_t start_line, const char *text, size_t len, size_t from, size_t to)
{
	struct wfm_sweep_finding *f;
	size_t bol = from, eol = from, end_bol;
	uint32_t line = start_line, lines_in = 0;

	for (size_t i = 0; i < from; i++)
		line += text[i] == '\n';
	while (bol > 0 && text[bol - 1] != '\n')
		bol--;
	while (eol < len && text[eol] != '\n')
		eol++;
	/* a match that ends with a newline ends on the line before it */
	if (to > from && text[to - 1] == '\n')
		to--;
	end_bol = from;
	for (size_t i = from; i < to; i++)
		if (text[i] == '\n') {
			lines_in++;
			end_bol = i + 1;
		}
	if (end_bol == from)
		end_bol = bol;
	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	f = &out->v[out->nr++];
	f->rule = rule;
	f->file = wfm_strdup(path);
	f->start_line = line;
	f->end_line = line + lines_in;
	f->start_column = chars(text + bol, from - bol) + 1;
	f->end_column = chars(text + end_bol, to - end_bol) + 1;
	if (eol > bol && text[eol - 1] == '\r')
		eol--;
	if (eol - bol > EVIDENCE_MAX) {
		eol = bol + EVIDENCE_MAX;
		while (eol > bol && ((unsigned char)text[eol] & 0xC0) == 0x80)
			eol--; /* on a character boundary */
	}
	f->evidence = wfm_strndup(text + bol, eol - bol);
}

int wfm_sweep_scan(struct wfm_sweep_findings *out, const struct wfm_sweep_scanner *s,
		   const char *path, enum wfm_lang lang, uint32_t start_line, const char *text,
		   size_t len)
{
	struct wfm_regex_match m;
	int rc = 0;

	if (start_line < 1)
		start_line = 1;
	for (size_t i = 0; i < wfm_sweep_rules_nr; i++) {
		const struct wfm_sweep_rule *r = &wfm_sweep_rules[i];
		size_t at = 0;

		if (r->langs && (lang < 0 || !(r->langs & WFM_SWEEP_LANG(lang))))
			continue;
		while (at <= len && (rc = wfm_regex_match(s->re[i], text, len, at, &m)) == 1) {
			size_t from = (size_t)m.start[0], to = (size_t)m.end[0];

			add(out, r, path, start_line, text, len, from, to);
			at = to > from ? to : to + 1;
		}
		if (rc < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", wfm_error_last());
			return wfm_error_setc(rc, "sweep rule %s on %s: %s", r->id, path, why);
		}
	}
	return 0;
}
