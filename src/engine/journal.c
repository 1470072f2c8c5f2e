/*
 * The journal: an append-only file of JSON lines and, in memory, a table
 * from key to the canonical text of its result (parsed again on lookup,
 * which is rare next to what a request costs, and keeps memory small).
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/buf.h"
#include "engine/journal.h"
#include "git/hash.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

/* hashed in front of every key: a new key scheme must change it */
#define KEY_SCHEME "wfm-journal-1"
#define RECORD_VERSION 1

/* ---- a string-keyed table, open addressing ---- */

struct slot {
	char *key; /* NULL: empty */
	char *text;
	unsigned long n;
};

struct table {
	struct slot *slots;
	size_t nr, alloc; /* alloc: 0 or a power of two */
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct slot *table_find(struct table *t, const char *key)
{
	size_t i;

	if (!t->alloc)
		return NULL;
	for (i = str_hash(key) & (t->alloc - 1); t->slots[i].key; i = (i + 1) & (t->alloc - 1))
		if (!strcmp(t->slots[i].key, key))
			return &t->slots[i];
	return NULL;
}

/* Where key goes in a table without it. */
static struct slot *empty_slot(struct table *t, const char *key)
{
	size_t i = str_hash(key) & (t->alloc - 1);

	while (t->slots[i].key)
		i = (i + 1) & (t->alloc - 1);
	return &t->slots[i];
}

/* The slot for key, added (with text NULL, n 0) when missing. */
static struct slot *table_get(struct table *t, const char *key)
{
	struct slot *s = table_find(t, key);

	if (s)
		return s;
	if ((t->nr + 1) * 4 > t->alloc * 3) {
		struct table bigger = { NULL, t->nr, t->alloc ? t->alloc * 2 : 64 };

		bigger.slots = wfm_calloc(bigger.alloc, sizeof(*bigger.slots));
		for (size_t k = 0; k < t->alloc; k++)
			if (t->slots[k].key)
				*empty_slot(&bigger, t->slots[k].key) = t->slots[k];
		free(t->slots);
		*t = bigger;
	}
	s = empty_slot(t, key);
	s->key = wfm_strdup(key);
	t->nr++;
	return s;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->alloc; i++) {
		free(t->slots[i].key);
		free(t->slots[i].text);
	}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- the journal ---- */

struct wfm_journal {
	pthread_mutex_t mu;
	char *path;
	int fd;
	off_t size;	      /* the end of the last complete record */
	int broken;	      /* a failed append could not be cut off: append no more */
	struct table records; /* key → canonical result */
	struct table seen;    /* base key → occurrences handed out */
	size_t count;
};

/* Makes a new directory entry durable. */
static int sync_dir(const char *path)
{
	char *dir = wfm_fs_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = wfm_error_set("cannot sync '%s': %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* Loads one complete line (without its newline). */
static int load_record(struct wfm_journal *j, const char *line, size_t len, size_t lineno)
{
	const cJSON *key, *method, *v;
	struct wfm_buf text = WFM_BUF_INIT;
	struct slot *s;
	cJSON *rec = NULL;
	int rc = 0;

	if (wfm_json_parse(&rec, line, len) < 0) {
		char *why = wfm_strdup(wfm_error_last()); /* formatting overwrites it */

		rc = wfm_error_setc(WFM_ECONFIG, "'%s' line %zu: %s", j->path, lineno, why);
		free(why);
		return rc;
	}
	key = cJSON_GetObjectItemCaseSensitive(rec, "key");
	method = cJSON_GetObjectItemCaseSensitive(rec, "method");
	v = cJSON_GetObjectItemCaseSensitive(rec, "v");
	if (!cJSON_IsObject(rec) || !cJSON_IsString(key) || !*key->valuestring ||
	    !cJSON_IsString(method) || !cJSON_HasObjectItem(rec, "result")) {
		rc = wfm_error_setc(WFM_ECONFIG,
				    "'%s' line %zu: not a journal record (needs key, method and "
				    "result)",
				    j->path, lineno);
		goto done;
	}
	if (v && (!cJSON_IsNumber(v) || v->valuedouble != RECORD_VERSION)) {
		/* a newer format: refuse rather than misread results and re-run nothing or all */
		rc = wfm_error_setc(WFM_ECONFIG,
				    "'%s' line %zu: record version is not %d (written by another "
				    "version of git wfmigrate?)",
				    j->path, lineno, RECORD_VERSION);
		goto done;
	}
	s = table_get(&j->records, key->valuestring);
	if (!s->text) {
		wfm_json_canonical(&text, cJSON_GetObjectItemCaseSensitive(rec, "result"));
		s->text = wfm_buf_detach(&text, NULL);
		j->count++;
	}
done:
	cJSON_Delete(rec);
	return rc;
}

static int load(struct wfm_journal *j)
{
	struct wfm_buf data = WFM_BUF_INIT;
	size_t lineno = 0, pos = 0;
	int rc;

	if ((rc = wfm_buf_read_fd(&data, j->fd, j->path)) < 0)
		goto done;
	while (pos < data.len) {
		const char *line = data.ptr + pos;
		const char *nl = memchr(line, '\n', data.len - pos);
		size_t len;
		int blank = 1;

		if (!nl)
			break; /* torn: cut off below */
		len = (size_t)(nl - line);
		lineno++;
		for (size_t i = 0; i < len && blank; i++)
			blank = strchr(" \t\r", line[i]) != NULL;
		if (!blank && (rc = load_record(j, line, len, lineno)) < 0)
			goto done;
		pos += len + 1;
	}
	j->size = (off_t)pos;
	if (pos < data.len) {
		/* the append that wrote it never returned, so nobody relied on it */
		if (ftruncate(j->fd, j->size) < 0 || fsync(j->fd) < 0) {
			rc = wfm_error_set("cannot cut the torn last line of '%s': %s", j->path,
					   strerror(errno));
			goto done;
		}
	}
done:
	wfm_buf_release(&data);
	return rc;
}

int wfm_journal_open(struct wfm_journal **out, const char *path)
{
	struct wfm_journal *j = wfm_calloc(1, sizeof(*j));
	int rc = 0, created = 0;

	*out = NULL;
	pthread_mutex_init(&j->mu, NULL);
	j->path = wfm_strdup(path);
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 && errno == ENOENT) {
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		created = j->fd >= 0;
		if (j->fd < 0 && errno == EEXIST)
			j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	}
	if (j->fd < 0) {
		rc = wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				    "cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	if (created && (rc = sync_dir(path)) < 0)
		goto done;
	rc = load(j);
done:
	if (rc < 0) {
		wfm_journal_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

void wfm_journal_free(struct wfm_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	table_release(&j->records);
	table_release(&j->seen);
	pthread_mutex_destroy(&j->mu);
	free(j->path);
	free(j);
}

void wfm_journal_key(char out[WFM_OID_HEXSZ + 1], const char *method, const cJSON *params,
		     const char *extra)
{
	struct wfm_buf data = WFM_BUF_INIT;

	/* NUL separators: neither the method nor canonical JSON nor a C string holds one */
	wfm_buf_add(&data, KEY_SCHEME, sizeof(KEY_SCHEME));
	wfm_buf_add(&data, method, strlen(method) + 1);
	wfm_json_canonical(&data, params);
	wfm_buf_addch(&data, '\0');
	if (extra)
		wfm_buf_adds(&data, extra);
	wfm_hash_hex(out, data.ptr, data.len);
	wfm_buf_release(&data);
}

void wfm_journal_occurrence(struct wfm_buf *out, struct wfm_journal *j, const char *base)
{
	unsigned long n;

	pthread_mutex_lock(&j->mu);
	n = ++table_get(&j->seen, base)->n;
	pthread_mutex_unlock(&j->mu);
	wfm_buf_addf(out, "%s#%lu", base, n);
}

int wfm_journal_lookup(cJSON **out, struct wfm_journal *j, const char *key)
{
	struct slot *s;
	char *text = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&j->mu);
	s = table_find(&j->records, key);
	if (s && s->text)
		text = wfm_strdup(s->text);
	pthread_mutex_unlock(&j->mu);
	if (!text)
		return 0;
	rc = wfm_json_parse(out, text, strlen(text));
	free(text);
	return rc < 0 ? rc : 1;
}

int wfm_journal_append(struct wfm_journal *j, const char *key, const char *method,
		       const cJSON *result)
{
	struct wfm_buf line = WFM_BUF_INIT, text = WFM_BUF_INIT;
	cJSON *k = NULL, *m = NULL;
	struct slot *s;
	int rc = 0;

	if (!key || !*key || !method)
		return wfm_error_setc(WFM_EINVALID, "a journal record needs a key and a method");
	/* the fields in canonical order, so the whole line is canonical JSON */
	k = cJSON_CreateStringReference(key);
	m = cJSON_CreateStringReference(method);
	if (!k || !m) {
		fprintf(stderr, "fatal: out of memory building JSON\n");
		abort();
	}
	wfm_json_canonical(&text, result);
	wfm_buf_adds(&line, "{\"key\":");
	wfm_json_canonical(&line, k);
	wfm_buf_adds(&line, ",\"method\":");
	wfm_json_canonical(&line, m);
	wfm_buf_adds(&line, ",\"result\":");
	wfm_buf_add(&line, text.ptr, text.len);
	wfm_buf_addf(&line, ",\"ts\":%llu,\"v\":%d}\n", (unsigned long long)wfm_clock_wall_ms(),
		     RECORD_VERSION);

	pthread_mutex_lock(&j->mu);
	if (j->broken) {
		rc = wfm_error_set("journal '%s' is unusable after a failed write", j->path);
		goto unlock;
	}
	s = table_find(&j->records, key);
	if (s && s->text) {
		rc = wfm_error_setc(WFM_EEXISTS, "journal '%s' has a result for '%s' already",
				    j->path, key);
		goto unlock;
	}
	if (wfm_fs_write_all(j->fd, line.ptr, line.len) < 0 || fdatasync(j->fd) < 0) {
		int err = errno;

		/* cut the partial line off, or every later record would follow garbage */
		if (ftruncate(j->fd, j->size) < 0 || fsync(j->fd) < 0)
			j->broken = 1;
		rc = wfm_error_set("cannot write to '%s': %s", j->path, strerror(err));
		goto unlock;
	}
	j->size += (off_t)line.len;
	s = table_get(&j->records, key);
	s->text = wfm_buf_detach(&text, NULL);
	j->count++;
unlock:
	pthread_mutex_unlock(&j->mu);
	cJSON_Delete(k);
	cJSON_Delete(m);
	wfm_buf_release(&line);
	wfm_buf_release(&text);
	return rc;
}

size_t wfm_journal_count(const struct wfm_journal *j)
{
	struct wfm_journal *mj = (struct wfm_journal *)j;
	size_t n;

	pthread_mutex_lock(&mj->mu);
	n = mj->count;
	pthread_mutex_unlock(&mj->mu);
	return n;
}
