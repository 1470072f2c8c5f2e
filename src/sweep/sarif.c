#include "base/common.h"
#include "base/strvec.h"
#include "git/hash.h"
#include "sweep/rules.h"
#include "sweep/sarif.h"

const char *wfm_sweep_security_severity(const char *severity)
{
	static const char *const scores[] = { "2.0", "5.5", "8.0", "9.5" };
	int rank = wfm_sweep_severity_rank(severity);

	return rank ? scores[rank - 1] : NULL;
}

const char *wfm_sweep_level(const char *severity)
{
	int rank = wfm_sweep_severity_rank(severity);

	return rank >= 3 ? "error" : rank == 2 ? "warning" : "note";
}

void wfm_sweep_line_hash(char out[17], const char *rule, const char *line)
{
	struct wfm_buf b = WFM_BUF_INIT;
	char hex[WFM_OID_HEXSZ + 1];
	int blank = 0;

	wfm_buf_adds(&b, rule ? rule : "");
	wfm_buf_addch(&b, '\n');
	for (const char *p = line ? line : ""; *p && *p != '\n'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
			blank = 1;
			continue;
		}
		/* blanks collapse to one space, and none at either end */
		if (blank && b.len && b.ptr[b.len - 1] != '\n')
			wfm_buf_addch(&b, ' ');
		blank = 0;
		wfm_buf_addch(&b, *p);
	}
	wfm_hash_hex(hex, b.ptr, b.len);
	memcpy(out, hex, 16);
	out[16] = '\0';
	wfm_buf_release(&b);
}

static cJSON *text(const char *s)
{
	cJSON *o = wfm_json_object();

	wfm_json_add_str(o, "text", s ? s : "");
	return o;
}

/* characters (UTF-8 code points) of the first line of s */
static long first_line_chars(const char *s, int last)
{
	const char *from = s ? s : "";
	long n = 0;

	if (last && strrchr(from, '\n') && strrchr(from, '\n')[1])
		from = strrchr(from, '\n') + 1;
	for (const char *p = from; *p && *p != '\n'; p++)
		n += ((unsigned char)*p & 0xC0) != 0x80;
	return n;
}

struct rule_row {
	const char *id;
	const char *severity; /* the highest its results have */
	const char *explanation;
	const struct wfm_sweep_rule *table;
};

static size_t rule_index(struct rule_row **rows, size_t *nr, size_t *alloc, const cJSON *f)
{
	const char *id = wfm_json_get_str(f, "rule", "");
	const char *sev = wfm_json_get_str(f, "severity", "medium");

	for (size_t i = 0; i < *nr; i++)
		if (!strcmp((*rows)[i].id, id)) {
			if (wfm_sweep_severity_rank(sev) >
			    wfm_sweep_severity_rank((*rows)[i].severity))
				(*rows)[i].severity = sev;
			return i;
		}
	WFM_ALLOC_GROW(*rows, *nr + 1, *alloc);
	(*rows)[*nr].id = id;
	(*rows)[*nr].severity = sev;
	(*rows)[*nr].explanation = wfm_json_get_str(f, "explanation", "");
	(*rows)[*nr].table = NULL;
	return (*nr)++;
}

static cJSON *rule_json(const struct rule_row *r)
{
	cJSON *o = wfm_json_object(), *props = wfm_json_object(), *tags = wfm_json_array();
	const struct wfm_sweep_rule *t = r->table;
	const char *slash = strchr(r->id, '/');
	struct wfm_buf name = WFM_BUF_INIT;

	wfm_json_add_str(o, "id", r->id);
	if (t) {
		wfm_json_add(o, "shortDescription", text(t->short_desc));
		wfm_json_add(o, "fullDescription", text(t->full_desc));
		wfm_json_add(o, "help", text(t->help));
	} else {
		/* a reviewer's rule: "memory-safety/unbounded-copy" → "unbounded copy
		 * (memory-safety)" */
		for (const char *p = slash ? slash + 1 : r->id; *p; p++)
			wfm_buf_addch(&name, *p == '-' ? ' ' : *p);
		if (slash)
			wfm_buf_addf(&name, " (%.*s)", (int)(slash - r->id), r->id);
		wfm_json_add(o, "shortDescription", text(name.ptr));
		wfm_json_add(o, "fullDescription",
			     text(r->explanation && *r->explanation ? r->explanation : name.ptr));
		wfm_json_add(o, "help",
			     text("Reported by a reviewer agent of git wfmigrate sweep and "
				  "challenged by "
				  "verifier agents; the result's message says why it is a "
				  "vulnerability."));
	}
	wfm_json_add_str(props, "security-severity",
			 wfm_sweep_security_severity(t ? t->severity : r->severity));
	wfm_json_add(tags, NULL, cJSON_CreateString("security"));
	wfm_json_add(props, "tags", tags);
	wfm_json_add(o, "properties", props);
	wfm_buf_release(&name);
	return o;
}

/* "<hash>:<n>", n counting the earlier findings of the file with the same hash */
static void fingerprint(char out[40], struct wfm_strvec *seen, const char *file, const char *rule,
			const char *evidence)
{
	struct wfm_buf key = WFM_BUF_INIT;
	char hash[17];
	unsigned n = 1;

	wfm_sweep_line_hash(hash, rule, evidence);
	wfm_buf_addf(&key, "%s\n%s", file, hash);
	for (size_t i = 0; i < seen->nr; i++)
		n += !strcmp(seen->v[i], key.ptr);
	wfm_strvec_push(seen, key.ptr);
	snprintf(out, 40, "%s:%u", hash, n);
	wfm_buf_release(&key);
}

static cJSON *result_json(const cJSON *f, size_t index, struct wfm_strvec *seen)
{
	cJSON *o = wfm_json_object(), *loc = wfm_json_object(), *phys = wfm_json_object();
	cJSON *art = wfm_json_object(), *region = wfm_json_object(), *locs = wfm_json_array();
	cJSON *fp = wfm_json_object(), *props = wfm_json_object();
	const char *rule = wfm_json_get_str(f, "rule", "");
	const char *sev = wfm_json_get_str(f, "severity", "medium");
	const char *file = wfm_json_get_str(f, "file", "");
	const char *evidence = wfm_json_get_str(f, "evidence", "");
	const char *why = wfm_json_get_str(f, "explanation", "");
	const struct wfm_sweep_rule *t = wfm_sweep_rule_find(rule);
	double start = wfm_json_get_num(f, "startLine", 1), end = wfm_json_get_num(f, "endLine", 0);
	double scol = wfm_json_get_num(f, "startColumn", 0),
	       ecol = wfm_json_get_num(f, "endColumn", 0);
	const cJSON *votes = cJSON_GetObjectItemCaseSensitive(f, "votes");
	const cJSON *also = cJSON_GetObjectItemCaseSensitive(f, "also");
	char print[40];

	if (end < start)
		end = start;
	/* a reviewer gives lines only: from the first column to the end of the evidence */
	if (scol < 1) {
		scol = 1;
		ecol = (double)first_line_chars(evidence, 1) + 1;
	}
	if (ecol < 1 || (end == start && ecol <= scol))
		ecol = scol + 1;
	wfm_json_add_str(o, "ruleId", rule);
	wfm_json_add_num(o, "ruleIndex", (double)index);
	wfm_json_add_str(o, "level", wfm_sweep_level(sev));
	wfm_json_add(o, "message", text(*why ? why : t ? t->short_desc : rule));
	wfm_json_add_str(art, "uri", file);
	wfm_json_add_num(region, "startLine", start);
	wfm_json_add_num(region, "startColumn", scol);
	wfm_json_add_num(region, "endLine", end);
	wfm_json_add_num(region, "endColumn", ecol);
	wfm_json_add(phys, "artifactLocation", art);
	wfm_json_add(phys, "region", region);
	wfm_json_add(loc, "physicalLocation", phys);
	wfm_json_add(locs, NULL, loc);
	wfm_json_add(o, "locations", locs);
	fingerprint(print, seen, file, rule, evidence);
	wfm_json_add_str(fp, "primaryLocationLineHash", print);
	wfm_json_add(o, "partialFingerprints", fp);
	wfm_json_add_str(props, "severity", sev);
	wfm_json_add_str(props, "source", wfm_json_get_str(f, "source", "reviewer"));
	wfm_json_add_str(props, "verdict", wfm_json_get_str(f, "verdict", "confirmed"));
	if (cJSON_IsObject(votes))
		wfm_json_add(props, "votes", cJSON_Duplicate(votes, 1));
	if (cJSON_IsArray(also))
		wfm_json_add(props, "alsoReportedAs", cJSON_Duplicate(also, 1));
	wfm_json_add(o, "properties", props);
	return o;
}

static int usable(const cJSON *f)
{
	return cJSON_IsObject(f) && wfm_json_get_nonempty(f, "rule") &&
	       wfm_json_get_nonempty(f, "file") &&
	       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "startLine"));
}

int wfm_sweep_sarif(cJSON **out, const cJSON *result, const char *run_id)
{
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(result, "findings"), *f;
	struct rule_row *rows = NULL;
	size_t nr = 0, alloc = 0;
	struct wfm_strvec seen = WFM_STRVEC_INIT;
	struct wfm_buf id = WFM_BUF_INIT;
	cJSON *log, *runs, *run, *tool, *driver, *rules, *results, *auto_;

	*out = NULL;
	if (!cJSON_IsArray(findings))
		return wfm_error_setc(WFM_EINVALID, "the sweep's result has no findings");
	/* the table's rules first, in its order: their indexes never change */
	for (size_t i = 0; i < wfm_sweep_rules_nr; i++) {
		WFM_ALLOC_GROW(rows, nr + 1, alloc);
		rows[nr].id = wfm_sweep_rules[i].id;
		rows[nr].severity = wfm_sweep_rules[i].severity;
		rows[nr].explanation = wfm_sweep_rules[i].full_desc;
		rows[nr].table = &wfm_sweep_rules[i];
		nr++;
	}
	results = wfm_json_array();
	cJSON_ArrayForEach (f, findings) {
		if (!usable(f))
			continue;
		wfm_json_add(results, NULL,
			     result_json(f, rule_index(&rows, &nr, &alloc, f), &seen));
	}
	rules = wfm_json_array();
	for (size_t i = 0; i < nr; i++)
		wfm_json_add(rules, NULL, rule_json(&rows[i]));

	log = wfm_json_object();
	wfm_json_add_str(log, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	wfm_json_add_str(log, "version", "2.1.0");
	runs = wfm_json_array();
	run = wfm_json_object();
	tool = wfm_json_object();
	driver = wfm_json_object();
	wfm_json_add_str(driver, "name", WFM_SWEEP_TOOL_NAME);
	wfm_json_add_str(driver, "version", WFM_VERSION);
	wfm_json_add_str(driver, "semanticVersion", WFM_VERSION);
	wfm_json_add_str(driver, "informationUri", WFM_SWEEP_INFORMATION_URI);
	wfm_json_add(driver, "rules", rules);
	wfm_json_add(tool, "driver", driver);
	wfm_json_add(run, "tool", tool);
	auto_ = wfm_json_object();
	wfm_buf_addf(&id, "wfmigrate/sweep/%s", run_id ? run_id : "");
	wfm_json_add_str(auto_, "id", id.ptr);
	wfm_json_add(run, "automationDetails", auto_);
	wfm_json_add_str(run, "columnKind", "unicodeCodePoints");
	wfm_json_add(run, "results", results);
	wfm_json_add(runs, NULL, run);
	wfm_json_add(log, "runs", runs);
	*out = log;
	free(rows);
	wfm_strvec_clear(&seen);
	wfm_buf_release(&id);
	return 0;
}
