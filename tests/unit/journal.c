#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/journal.h"
#include "git/hash.h"
#include "git/repo.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = wfm_calloc(1, sizeof(*f));

	f->dir = wfm_test_tmpdir();
	f->path = wfm_fs_join(f->dir, "journal.jsonl");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wfm_test_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static char *canon(const cJSON *v)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_json_canonical(&b, v);
	return wfm_buf_detach(&b, NULL);
}

static void append_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

/* Asserts the lookup of key gives the JSON text want (canonically). */
static void assert_lookup(struct wfm_journal *j, const char *key, const char *want)
{
	cJSON *got = NULL, *expected = wfm_test_json(want);
	char *a, *b;

	assert_int_equal(wfm_journal_lookup(&got, j, key), 1);
	a = canon(got);
	b = canon(expected);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(got);
	cJSON_Delete(expected);
}

static void test_journal__append_reopen_lookup(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	cJSON *r1 =
		wfm_test_json("{\"output\":\"done\",\"branch\":\"wfmigrate/x/a\",\"changed\":3}");
	cJSON *r2 = wfm_test_json("[1,\"two\",null]");
	cJSON *got = NULL;
	char *text, *line;

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_true(access(f->path, F_OK) == 0);
	assert_int_equal(wfm_journal_count(j), 0);
	assert_int_equal(wfm_journal_lookup(&got, j, "k#1"), 0);
	assert_null(got);
	assert_wfm_ok(wfm_journal_append(j, "k#1", "agent", r1));
	assert_wfm_ok(wfm_journal_append(j, "k#2", "oracle", r2));
	assert_wfm_ok(wfm_journal_append(j, "n#1", "diff", NULL));
	assert_int_equal(wfm_journal_count(j), 3);
	assert_lookup(j, "k#1", "{\"branch\":\"wfmigrate/x/a\",\"changed\":3,\"output\":\"done\"}");
	/* the copy is the caller's: changing it changes nothing recorded */
	assert_int_equal(wfm_journal_lookup(&got, j, "k#2"), 1);
	cJSON_DeleteItemFromArray(got, 0);
	cJSON_Delete(got);
	assert_lookup(j, "k#2", "[1,\"two\",null]");
	wfm_journal_free(j);

	/* one canonical line per record, in append order */
	text = wfm_test_read(f->path);
	assert_int_equal(count_lines(text), 3);
	line = strstr(text, "{\"key\":\"k#1\",\"method\":\"agent\",\"result\":{\"branch\":");
	assert_ptr_equal(line, text);
	assert_non_null(strstr(text, "\"ts\":"));
	assert_non_null(strstr(text, ",\"v\":1}\n"));
	free(text);

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), 3);
	assert_lookup(j, "k#1", "{\"output\":\"done\",\"changed\":3,\"branch\":\"wfmigrate/x/a\"}");
	assert_lookup(j, "k#2", "[1,\"two\",null]");
	assert_lookup(j, "n#1", "null");
	assert_int_equal(wfm_journal_lookup(&got, j, "k#3"), 0);
	wfm_journal_free(j);
	cJSON_Delete(r1);
	cJSON_Delete(r2);
}

static void test_journal__a_key_is_recorded_once(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	cJSON *one = wfm_test_json("1"), *two = wfm_test_json("2");
	char *text;

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_wfm_ok(wfm_journal_append(j, "k#1", "agent", one));
	assert_int_equal(wfm_journal_append(j, "k#1", "agent", two), WFM_EEXISTS);
	assert_non_null(strstr(wfm_error_last(), "k#1"));
	assert_lookup(j, "k#1", "1");
	wfm_journal_free(j);
	text = wfm_test_read(f->path);
	assert_int_equal(count_lines(text), 1);
	free(text);

	/* a key twice in the file (written by hand) keeps its first result */
	append_text(f->path, "{\"key\":\"k#1\",\"method\":\"agent\",\"result\":2}\n");
	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), 1);
	assert_lookup(j, "k#1", "1");
	assert_int_equal(wfm_journal_append(j, "", "agent", one), WFM_EINVALID);
	wfm_journal_free(j);
	cJSON_Delete(one);
	cJSON_Delete(two);
}

static void test_journal__occurrences_count_per_base(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	struct wfm_buf k = WFM_BUF_INIT;

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	wfm_journal_occurrence(&k, j, "aaa");
	assert_string_equal(k.ptr, "aaa#1");
	wfm_buf_clear(&k);
	wfm_journal_occurrence(&k, j, "bbb");
	assert_string_equal(k.ptr, "bbb#1");
	wfm_buf_clear(&k);
	wfm_journal_occurrence(&k, j, "aaa");
	assert_string_equal(k.ptr, "aaa#2");
	/* it appends, as buffers do */
	wfm_journal_occurrence(&k, j, "aaa");
	assert_string_equal(k.ptr, "aaa#2aaa#3");
	wfm_buf_clear(&k);
	assert_wfm_ok(wfm_journal_append(j, "aaa#1", "agent", NULL));
	wfm_journal_free(j);

	/* a new execution counts from 1 again, whatever is recorded */
	assert_wfm_ok(wfm_journal_open(&j, f->path));
	wfm_journal_occurrence(&k, j, "aaa");
	assert_string_equal(k.ptr, "aaa#1");
	wfm_journal_free(j);
	wfm_buf_release(&k);
}

#define THREADS 8
#define PER_THREAD 200

struct occ_arg {
	struct wfm_journal *j;
	unsigned long got[PER_THREAD];
};

static void *occ_thread(void *p)
{
	struct occ_arg *a = p;
	struct wfm_buf k = WFM_BUF_INIT;

	for (int i = 0; i < PER_THREAD; i++) {
		wfm_buf_clear(&k);
		wfm_journal_occurrence(&k, a->j, "same");
		a->got[i] = strtoul(strchr(k.ptr, '#') + 1, NULL, 10);
	}
	wfm_buf_release(&k);
	return NULL;
}

static void test_journal__occurrences_are_thread_safe(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	struct occ_arg args[THREADS];
	pthread_t t[THREADS];
	char seen[THREADS * PER_THREAD + 1] = { 0 };

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	for (int i = 0; i < THREADS; i++) {
		args[i].j = j;
		assert_int_equal(pthread_create(&t[i], NULL, occ_thread, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* every number from 1 to 8×N handed out exactly once */
	for (int i = 0; i < THREADS; i++)
		for (int n = 0; n < PER_THREAD; n++) {
			unsigned long v = args[i].got[n];

			assert_true(v >= 1 && v <= THREADS * PER_THREAD);
			assert_int_equal(seen[v], 0);
			seen[v] = 1;
		}
	wfm_journal_free(j);
}

#define APPENDS 40
#define PAD                                                                                        \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"                          \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct app_arg {
	struct wfm_journal *j;
	int id;
	int failures;
};

static void *app_thread(void *p)
{
	struct app_arg *a = p;
	char key[64];

	for (int i = 0; i < APPENDS; i++) {
		cJSON *r = wfm_json_object();

		/* results of some size, so that a torn write would show */
		wfm_json_add_num(r, "thread", a->id);
		wfm_json_add_num(r, "i", i);
		wfm_json_add_str(r, "pad", PAD);
		snprintf(key, sizeof(key), "t%d#%d", a->id, i + 1);
		if (wfm_journal_append(a->j, key, "agent", r) < 0)
			a->failures++;
		cJSON_Delete(r);
	}
	return NULL;
}

static void test_journal__concurrent_appends_stay_whole(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	struct app_arg args[THREADS];
	pthread_t t[THREADS];
	char *text;
	size_t lines = 0;

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	for (int i = 0; i < THREADS; i++) {
		args[i].j = j;
		args[i].id = i;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, app_thread, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(wfm_journal_count(j), THREADS * APPENDS);
	wfm_journal_free(j);

	/* every line parses on its own */
	text = wfm_test_read(f->path);
	for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		cJSON *v = NULL;

		assert_wfm_ok(wfm_json_parse(&v, p, (size_t)(nl - p)));
		assert_true(cJSON_IsObject(cJSON_GetObjectItem(v, "result")));
		cJSON_Delete(v);
		lines++;
	}
	assert_int_equal(lines, THREADS * APPENDS);
	free(text);

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), THREADS * APPENDS);
	assert_lookup(j, "t7#40", "{\"thread\":7,\"i\":39,\"pad\":\"" PAD "\"}");
	wfm_journal_free(j);
}

static void test_journal__torn_last_line_is_dropped(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	cJSON *got = NULL, *v = wfm_test_json("{\"ok\":true}");
	struct stat st;
	char *text;
	size_t good;

	append_text(f->path,
		    "{\"key\":\"a#1\",\"method\":\"agent\",\"result\":1,\"ts\":1,\"v\":1}\n"
		    "{\"key\":\"b#1\",\"method\":\"agent\",\"result\":2,\"ts\":1,\"v\":1}\n");
	good = strlen(text = wfm_test_read(f->path));
	free(text);
	/* a crash in the middle of the third append */
	append_text(f->path, "{\"key\":\"c#1\",\"method\":\"agent\",\"result\":{\"output\":\"hal");

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), 2);
	assert_int_equal(wfm_journal_lookup(&got, j, "c#1"), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal((size_t)st.st_size, good);
	/* the request ran again: its result follows the last whole record */
	assert_wfm_ok(wfm_journal_append(j, "c#1", "agent", v));
	wfm_journal_free(j);

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), 3);
	assert_lookup(j, "c#1", "{\"ok\":true}");
	wfm_journal_free(j);
	text = wfm_test_read(f->path);
	assert_int_equal(count_lines(text), 3);
	free(text);
	cJSON_Delete(v);
}

static void expect_open_error(const char *path, const char *want)
{
	struct wfm_journal *j = NULL;

	assert_int_equal(wfm_journal_open(&j, path), WFM_ECONFIG);
	assert_null(j);
	if (!strstr(wfm_error_last(), want))
		fail_msg("'%s' does not say '%s'", wfm_error_last(), want);
}

static void test_journal__bad_line_is_an_error_naming_it(void **state)
{
	struct fixture *f = *state;
	const char *good = "{\"key\":\"a#1\",\"method\":\"agent\",\"result\":1}\n";
	struct wfm_buf text = WFM_BUF_INIT;

	append_text(f->path, good);
	append_text(f->path, "{\"key\":\"b#1\",\"method\":\"agent\",\"result\":}\n");
	append_text(f->path, good);
	expect_open_error(f->path, "line 2: invalid JSON at byte");
	assert_non_null(strstr(wfm_error_last(), f->path));

	/* blank lines are fine; a record without its fields is not */
	unlink(f->path);
	append_text(f->path, good);
	append_text(f->path, "\n");
	append_text(f->path, "{\"key\":\"b#1\",\"method\":\"agent\"}\n");
	expect_open_error(f->path, "line 3: not a journal record");

	unlink(f->path);
	append_text(f->path, "[1]\n");
	expect_open_error(f->path, "line 1: not a journal record");

	/* a newer format is refused rather than misread */
	unlink(f->path);
	append_text(f->path, "{\"key\":\"a#1\",\"method\":\"agent\",\"result\":1,\"v\":2}\n");
	expect_open_error(f->path, "line 1: record version is not 1");

	/* a bad line that is not the last, even without a final newline after it */
	unlink(f->path);
	wfm_buf_adds(&text, "garbage\n");
	wfm_buf_adds(&text, good);
	wfm_buf_adds(&text, "{\"key\":");
	append_text(f->path, text.ptr);
	expect_open_error(f->path, "line 1:");
	wfm_buf_release(&text);
}

static void test_journal__append_is_on_disk_when_it_returns(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wfm_journal *cj = NULL;
		cJSON *r = wfm_json_object();

		wfm_json_add_str(r, "from", "child");
		if (wfm_journal_open(&cj, f->path) < 0 ||
		    wfm_journal_append(cj, "child#1", "agent", r) < 0)
			_exit(1);
		_exit(0); /* no free, no close, no exit handlers */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_int_equal(wfm_journal_count(j), 1);
	assert_lookup(j, "child#1", "{\"from\":\"child\"}");
	wfm_journal_free(j);
}

static void test_journal__key_ignores_member_order(void **state)
{
	cJSON *p1 = wfm_test_json(
		"{\"prompt\":\"fix\",\"label\":\"a\",\"opts\":{\"x\":1,\"y\":[1,2]}}");
	cJSON *p2 = wfm_test_json(
		"{\"opts\":{\"y\":[1,2],\"x\":1.0},\"label\":\"a\",\"prompt\":\"fix\"}");
	cJSON *p3 = wfm_test_json(
		"{\"opts\":{\"y\":[2,1],\"x\":1},\"label\":\"a\",\"prompt\":\"fix\"}");
	cJSON *null = wfm_test_json("null");
	char k1[WFM_OID_HEXSZ + 1], k2[WFM_OID_HEXSZ + 1], k3[WFM_OID_HEXSZ + 1];
	char k4[WFM_OID_HEXSZ + 1], k5[WFM_OID_HEXSZ + 1], k6[WFM_OID_HEXSZ + 1];

	wfm_journal_key(k1, "agent", p1, "base=1a2b model=m");
	wfm_journal_key(k2, "agent", p2, "base=1a2b model=m");
	assert_int_equal(strlen(k1), WFM_OID_HEXSZ);
	assert_string_equal(k1, k2);
	/* anything else that differs gives another key */
	wfm_journal_key(k3, "agent", p3, "base=1a2b model=m");
	assert_string_not_equal(k1, k3);
	wfm_journal_key(k4, "agent", p1, "base=3c4d model=m");
	assert_string_not_equal(k1, k4);
	wfm_journal_key(k5, "oracle", p1, "base=1a2b model=m");
	assert_string_not_equal(k1, k5);
	wfm_journal_key(k6, "agent", p1, NULL);
	assert_string_not_equal(k1, k6);
	wfm_journal_key(k5, "agent", p1, "");
	assert_string_equal(k5, k6);
	/* NULL params are null */
	wfm_journal_key(k5, "diff", NULL, NULL);
	wfm_journal_key(k6, "diff", null, NULL);
	assert_string_equal(k5, k6);
	cJSON_Delete(p1);
	cJSON_Delete(p2);
	cJSON_Delete(p3);
	cJSON_Delete(null);
}

static void test_journal__key_scheme_is_pinned(void **state)
{
	cJSON *p = wfm_test_json("{\"b\":[1,2.5],\"a\":\"x\"}");
	char key[WFM_OID_HEXSZ + 1], *want, *tmp = wfm_test_tmpdir();

	/* a key scheme change must be deliberate: it re-runs every journaled request */
	wfm_journal_key(key, "agent", p, "base=abc");
	want = wfm_test_sh(tmp, "printf 'wfm-journal-1\\000agent\\000{\"a\":\"x\",\"b\":[1,2.5]}"
				"\\000base=abc' | git hash-object --stdin");
	want[WFM_OID_HEXSZ] = '\0';
	assert_string_equal(key, want);
	free(want);
	/* wfm_hash_hex is git's blob id */
	wfm_hash_hex(key, "hello\n", 6);
	assert_string_equal(key, "ce013625030ba8dba906f756967f9e9ca394464a");
	wfm_test_rmtree(tmp);
	free(tmp);
	cJSON_Delete(p);
}

static void test_journal__results_keep_any_bytes_valid(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	cJSON *r = cJSON_CreateString("tail \xff\xfe of a\nbinary\toutput \"q\"");
	char *text;

	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_wfm_ok(wfm_journal_append(j, "k#1", "oracle", r));
	wfm_journal_free(j);
	text = wfm_test_read(f->path);
	assert_int_equal(count_lines(text), 1);
	free(text);
	assert_wfm_ok(wfm_journal_open(&j, f->path));
	assert_lookup(j, "k#1",
		      "\"tail \xef\xbf\xbd\xef\xbf\xbd of a\\nbinary\\toutput \\\"q\\\"\"");
	wfm_journal_free(j);
	cJSON_Delete(r);
}

static void test_journal__open_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct wfm_journal *j = NULL;
	char *missing = wfm_fs_join(f->dir, "no/such/dir/journal.jsonl");

	assert_int_equal(wfm_journal_open(&j, missing), WFM_ENOTFOUND);
	assert_null(j);
	assert_non_null(strstr(wfm_error_last(), "cannot open"));
	free(missing);
}

#define TEST(name) cmocka_unit_test_setup_teardown(test_journal__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(append_reopen_lookup),
		TEST(a_key_is_recorded_once),
		TEST(occurrences_count_per_base),
		TEST(occurrences_are_thread_safe),
		TEST(concurrent_appends_stay_whole),
		TEST(torn_last_line_is_dropped),
		TEST(bad_line_is_an_error_naming_it),
		TEST(append_is_on_disk_when_it_returns),
		cmocka_unit_test(test_journal__key_ignores_member_order),
		cmocka_unit_test(test_journal__key_scheme_is_pinned),
		TEST(results_keep_any_bytes_valid),
		TEST(open_fails_cleanly),
	};
	int rc;

	if (wfm_git_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	wfm_git_shutdown();
	return rc;
}
