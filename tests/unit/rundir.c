#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/rundir.h"
#include "git/pidlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

struct fixture {
	char *common; /* stands for <git-common-dir>: rundir needs no repository */
	char *script;
};

static int setup(void **state)
{
	struct fixture *f = wfm_calloc(1, sizeof(*f));

	f->common = wfm_test_tmpdir();
	wfm_test_write(f->common, "src/flow.js",
		       "export const meta = { name: 'migrate', description: 'd' };\nreturn 1;\n");
	f->script = wfm_fs_join(f->common, "src/flow.js");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wfm_test_rmtree(f->common);
	free(f->common);
	free(f->script);
	free(f);
	return 0;
}

static char *slurp_in(const struct wfm_rundir *r, const char *name)
{
	char *path = wfm_rundir_file(r, name), *text = wfm_test_read(path);

	free(path);
	return text;
}

static void put(const struct wfm_rundir *r, const char *name, const char *text)
{
	char *path = wfm_rundir_file(r, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(path);
}

/* A pid that no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static struct wfm_rundir *new_run(struct fixture *f, const char *meta_text)
{
	struct wfm_rundir *r = NULL;
	cJSON *meta = meta_text ? wfm_test_json(meta_text) : NULL;

	assert_wfm_ok(wfm_rundir_create(&r, f->common, f->script, NULL, meta));
	cJSON_Delete(meta);
	return r;
}

static void test_rundir__create_writes_the_tree(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = NULL;
	struct wfm_pidlock_owner owner;
	cJSON *args = wfm_test_json("{\"z\":1,\"a\":[\"x\"],\"m\":{\"q\":true,\"b\":null}}");
	cJSON *meta = wfm_test_json(
		      "{\"name\":\"migrate\",\"description\":\"d\",\"id\":\"bogus\"}"),
	      *m;
	char *text, *lock, *want_path;
	const cJSON *created;
	regex_t re;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	assert_wfm_ok(wfm_rundir_create(&r, f->common, f->script, args, meta));
	/* a sortable id that is a valid ref component */
	assert_int_equal(regcomp(&re, "^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$", REG_EXTENDED), 0);
	if (regexec(&re, r->id, 0, NULL, 0))
		fail_msg("unexpected run id '%s'", r->id);
	regfree(&re);
	assert_int_equal(wfm_test_sh_status(f->common,
					    "git check-ref-format 'refs/heads/"
					    "wfmigrate/%s/integration'",
					    r->id),
			 0);
	want_path = wfm_fs_join(f->common, "wfmigrate/runs");
	assert_int_equal(strncmp(r->path, want_path, strlen(want_path)), 0);
	assert_string_equal(r->path + strlen(want_path) + 1, r->id);
	free(want_path);
	assert_string_equal(r->commondir, f->common);
	assert_true(r->locked);

	text = slurp_in(r, "workflow.js");
	assert_string_equal(text, "export const meta = { name: 'migrate', description: 'd' };\n"
				  "return 1;\n");
	free(text);
	/* args as given, key order kept */
	text = slurp_in(r, "args.json");
	assert_string_equal(text, "{\"z\":1,\"a\":[\"x\"],\"m\":{\"q\":true,\"b\":null}}\n");
	free(text);
	text = slurp_in(r, "meta.json");
	m = wfm_test_json(text);
	free(text);
	assert_string_equal(cJSON_GetObjectItem(m, "name")->valuestring, "migrate");
	assert_string_equal(cJSON_GetObjectItem(m, "id")->valuestring, r->id);
	created = cJSON_GetObjectItem(m, "created");
	assert_true(cJSON_IsNumber(created) && created->valuedouble > 1.7e12);
	cJSON_Delete(m);
	text = wfm_rundir_file(r, "agents");
	assert_true(wfm_fs_is_dir(text));
	free(text);

	/* the lock names this process with its start time */
	lock = wfm_rundir_file(r, "lock");
	assert_wfm_ok(wfm_pidlock_read(&owner, lock));
	assert_true(wfm_pidlock_is_self(&owner));
	assert_true(owner.start != 0);
	/* nothing else: no temporary files left */
	d = opendir(r->path);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			entries++;
			if (strstr(de->d_name, "tmp"))
				fail_msg("left behind: %s", de->d_name);
		}
	closedir(d);
	assert_int_equal(entries, 5); /* workflow.js args.json meta.json agents lock */
	wfm_rundir_free(r);
	assert_false(wfm_fs_exists(lock));
	free(lock);
	cJSON_Delete(args);
	cJSON_Delete(meta);
}

static void test_rundir__create_fails_without_leftovers(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = NULL, *r2 = NULL;
	char *missing = wfm_fs_join(f->common, "nope.js"), *runs;
	DIR *d;
	struct dirent *de;

	assert_int_equal(wfm_rundir_create(&r, f->common, missing, NULL, NULL), WFM_ENOTFOUND);
	assert_null(r);
	assert_non_null(strstr(wfm_error_last(), "nope.js"));
	assert_int_equal(wfm_rundir_create(&r, f->common, NULL, NULL, NULL), WFM_EINVALID);

	/* two runs in the same second get different ids */
	r = new_run(f, NULL);
	r2 = new_run(f, NULL);
	assert_string_not_equal(r->id, r2->id);
	wfm_rundir_free(r);
	wfm_rundir_free(r2);
	runs = wfm_fs_join(f->common, "wfmigrate/runs");
	d = opendir(runs);
	assert_non_null(d);
	int n = 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 2);
	free(runs);
	free(missing);
}

static void test_rundir__open_by_id_and_prefix(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = NULL, *o = NULL;
	char *runs = wfm_fs_join(f->common, "wfmigrate/runs");
	char prefix[32];

	assert_int_equal(wfm_rundir_open(&o, f->common, "20260101", 0), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "no run '20260101'");
	r = new_run(f, NULL);
	assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 0));
	assert_string_equal(o->id, r->id);
	assert_string_equal(o->path, r->path);
	assert_false(o->locked);
	wfm_rundir_free(o);
	snprintf(prefix, sizeof(prefix), "%.10s", r->id);
	assert_wfm_ok(wfm_rundir_open(&o, f->common, prefix, 0));
	assert_string_equal(o->id, r->id);
	wfm_rundir_free(o);

	/* ambiguous prefixes list the runs; an exact id wins over a longer one */
	free(wfm_test_sh(runs, "mkdir r1 r12 r2"));
	assert_int_equal(wfm_rundir_open(&o, f->common, "r", 0), WFM_EAMBIGUOUS);
	assert_non_null(strstr(wfm_error_last(), "ambiguous: r1, r12, r2"));
	assert_wfm_ok(wfm_rundir_open(&o, f->common, "r1", 0));
	assert_string_equal(o->id, "r1");
	wfm_rundir_free(o);
	assert_int_equal(wfm_rundir_open(&o, f->common, "r3", 0), WFM_ENOTFOUND);

	/* nothing that could leave the runs directory */
	assert_int_equal(wfm_rundir_open(&o, f->common, "../runs", 0), WFM_ENOTFOUND);
	assert_int_equal(wfm_rundir_open(&o, f->common, "..", 0), WFM_ENOTFOUND);
	assert_int_equal(wfm_rundir_open(&o, f->common, "a/b", 0), WFM_ENOTFOUND);
	assert_int_equal(wfm_rundir_open(&o, f->common, "", 0), WFM_ENOTFOUND);
	assert_null(o);
	wfm_rundir_free(r);
	free(runs);
}

/* Writes "<pid> <start>", or "<pid>" alone when start is 0. */
static void write_lock(const struct wfm_rundir *r, long pid, unsigned long long start)
{
	char text[64];

	if (start)
		snprintf(text, sizeof(text), "%ld %llu\n", pid, start);
	else
		snprintf(text, sizeof(text), "%ld\n", pid);
	put(r, "lock", text);
}

static void test_rundir__lock_refuses_a_live_holder(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL), *o = NULL;
	struct wfm_pidlock_owner owner;
	unsigned long long start;
	char want[128], *lock = wfm_rundir_file(r, "lock");
	pid_t child;

	/* held by this process */
	assert_int_equal(wfm_rundir_open(&o, f->common, r->id, 1), WFM_ELOCKED);
	snprintf(want, sizeof(want), "run %s is running (pid %ld)", r->id, (long)getpid());
	assert_string_equal(wfm_error_last(), want);
	assert_null(o);
	/* a handle without the lock leaves it alone when freed */
	assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 0));
	wfm_rundir_free(o);
	assert_true(wfm_fs_exists(lock));

	/* held by another live process, with or without its start time */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_wfm_ok(wfm_proc_start_time(&start, child));
	write_lock(r, (long)child, start);
	assert_int_equal(wfm_rundir_open(&o, f->common, r->id, 1), WFM_ELOCKED);
	snprintf(want, sizeof(want), "run %s is running (pid %ld)", r->id, (long)child);
	assert_string_equal(wfm_error_last(), want);
	write_lock(r, (long)child, 0);
	assert_int_equal(wfm_rundir_open(&o, f->common, r->id, 1), WFM_ELOCKED);
	/* the same pid with another start time is an unrelated process: the holder is gone */
	write_lock(r, (long)child, start + 1);
	assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 1));
	assert_true(o->locked);
	assert_wfm_ok(wfm_pidlock_read(&owner, lock));
	assert_true(wfm_pidlock_is_self(&owner));
	wfm_rundir_free(o);
	assert_false(wfm_fs_exists(lock));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	r->locked = 0;
	wfm_rundir_free(r);
	free(lock);
}

static void test_rundir__stale_lock_is_taken_over(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL), *o = NULL;
	struct wfm_pidlock_owner owner;
	char *lock = wfm_rundir_file(r, "lock");
	const char *broken[] = { "", "garbage\n", "-5\n" };

	/* its holder died */
	write_lock(r, (long)dead_pid(), 12345);
	assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 1));
	assert_true(o->locked);
	assert_wfm_ok(wfm_pidlock_read(&owner, lock));
	assert_true(wfm_pidlock_is_self(&owner));
	wfm_rundir_free(o);
	assert_false(wfm_fs_exists(lock));
	/* no lock at all (the run ended) */
	assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 1));
	assert_true(wfm_fs_exists(lock));
	wfm_rundir_free(o);
	/* its holder died before writing its pid, or someone wrote nonsense */
	for (size_t i = 0; i < WFM_ARRAY_SIZE(broken); i++) {
		put(r, "lock", broken[i]);
		assert_wfm_ok(wfm_rundir_open(&o, f->common, r->id, 1));
		assert_wfm_ok(wfm_pidlock_read(&owner, lock));
		assert_true(wfm_pidlock_is_self(&owner));
		wfm_rundir_free(o);
	}
	r->locked = 0;
	wfm_rundir_free(r);
	free(lock);
}

#define RACERS 4

static void test_rundir__one_of_many_takes_over(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL);
	int results[2], release[2], won = 0, lost = 0;
	pid_t kids[RACERS];
	char c;

	write_lock(r, (long)dead_pid(), 1);
	assert_int_equal(pipe(results), 0);
	assert_int_equal(pipe(release), 0);
	for (int i = 0; i < RACERS; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			struct wfm_rundir *o = NULL;
			int rc = wfm_rundir_open(&o, f->common, r->id, 1);

			close(release[1]);
			c = rc == 0 ? 'W' : rc == WFM_ELOCKED ? 'L' : 'E';
			if (write(results[1], &c, 1) != 1)
				_exit(2);
			/* the winner holds the lock until every racer has tried */
			while (read(release[0], &c, 1) > 0)
				;
			wfm_rundir_free(o);
			_exit(0);
		}
	}
	close(release[0]);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(read(results[0], &c, 1), 1);
		won += c == 'W';
		lost += c == 'L';
	}
	close(release[1]);
	for (int i = 0; i < RACERS; i++) {
		int status;

		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, RACERS - 1);
	close(results[0]);
	close(results[1]);
	r->locked = 0;
	wfm_rundir_free(r);
}

static void test_rundir__control_round_trip(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL);
	char *text, prefix[16];

	/* no file: run */
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_RUN);
	assert_wfm_ok(wfm_control_set(f->common, r->id, WFM_CONTROL_PAUSE));
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_PAUSE);
	text = slurp_in(r, "control");
	assert_string_equal(text, "pause\n");
	free(text);
	snprintf(prefix, sizeof(prefix), "%.12s", r->id);
	assert_wfm_ok(wfm_control_set(f->common, prefix, WFM_CONTROL_STOP));
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_STOP);
	assert_wfm_ok(wfm_control_set(f->common, r->id, WFM_CONTROL_RUN));
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_RUN);
	/* written by hand: whitespace is fine, anything else is run */
	put(r, "control", "  stop \r\n");
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_STOP);
	put(r, "control", "halt\n");
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_RUN);
	put(r, "control", "");
	assert_int_equal(wfm_control_get(r), WFM_CONTROL_RUN);
	assert_string_equal(wfm_control_name(WFM_CONTROL_PAUSE), "pause");

	assert_int_equal(wfm_control_set(f->common, "20990101-000000-000000", WFM_CONTROL_STOP),
			 WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "no run '20990101-000000-000000'");
	wfm_rundir_free(r);
}

struct flipper {
	const char *common;
	const char *id;
	int failures;
	int done;
};

static void *flip(void *p)
{
	struct flipper *fl = p;

	for (int i = 0; i < 300; i++)
		if (wfm_control_set(fl->common, fl->id,
				    i % 2 ? WFM_CONTROL_PAUSE : WFM_CONTROL_STOP) < 0)
			__atomic_add_fetch(&fl->failures, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&fl->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_rundir__control_is_replaced_atomically(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL);
	struct flipper fl = { f->common, r->id, 0, 0 };
	pthread_t t[2];
	int reads = 0;
	DIR *d;
	struct dirent *de;

	assert_wfm_ok(wfm_control_set(f->common, r->id, WFM_CONTROL_STOP));
	assert_int_equal(pthread_create(&t[0], NULL, flip, &fl), 0);
	assert_int_equal(pthread_create(&t[1], NULL, flip, &fl), 0);
	/* a reader never sees a missing or half-written file (which would read as run) */
	for (;;) {
		int done = __atomic_load_n(&fl.done, __ATOMIC_SEQ_CST) == 2;

		assert_int_not_equal(wfm_control_get(r), WFM_CONTROL_RUN);
		reads++;
		if (done)
			break;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	assert_int_equal(fl.failures, 0);
	assert_true(reads > 0);
	d = opendir(r->path);
	while ((de = readdir(d)))
		if (strstr(de->d_name, "tmp"))
			fail_msg("left behind: %s", de->d_name);
	closedir(d);
	wfm_rundir_free(r);
}

struct eventer {
	struct wfm_rundir *r;
	int id;
	int failures;
};

static void *emit(void *p)
{
	struct eventer *e = p;

	for (int i = 0; i < 100; i++) {
		cJSON *ev = wfm_json_object();

		wfm_json_add_str(ev, "type", "agent");
		wfm_json_add_num(ev, "thread", e->id);
		wfm_json_add_num(ev, "i", i);
		if (wfm_rundir_event(e->r, ev) < 0)
			e->failures++;
		cJSON_Delete(ev);
	}
	return NULL;
}

static void test_rundir__events_are_lines_with_a_time(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *r = new_run(f, NULL);
	struct eventer e[4];
	pthread_t t[4];
	cJSON *ev = wfm_test_json("{\"type\":\"phase\",\"title\":\"one\\ntwo\"}");
	cJSON *with_ts = wfm_test_json("{\"ts\":5,\"type\":\"x\"}"), *empty = wfm_json_object();
	cJSON *arr = wfm_json_array();
	char *text, *p, *nl;
	size_t lines = 0;

	assert_wfm_ok(wfm_rundir_event(r, ev));
	assert_wfm_ok(wfm_rundir_event(r, with_ts));
	assert_wfm_ok(wfm_rundir_event(r, empty));
	assert_int_equal(wfm_rundir_event(r, arr), WFM_EINVALID);
	text = slurp_in(r, "events.jsonl");
	assert_int_equal(strncmp(text, "{\"ts\":", 6), 0);
	assert_non_null(strstr(text, ",\"title\":\"one\\ntwo\",\"type\":\"phase\"}\n"
				     "{\"ts\":5,\"type\":\"x\"}\n{\"ts\":"));
	assert_int_equal(text[strlen(text) - 2], '}');
	free(text);

	for (int i = 0; i < 4; i++) {
		e[i] = (struct eventer){ r, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, emit, &e[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(e[i].failures, 0);
	}
	text = slurp_in(r, "events.jsonl");
	for (p = text; (nl = strchr(p, '\n')); p = nl + 1) {
		cJSON *v = NULL;

		assert_wfm_ok(wfm_json_parse(&v, p, (size_t)(nl - p)));
		assert_true(cJSON_IsNumber(cJSON_GetObjectItem(v, "ts")));
		cJSON_Delete(v);
		lines++;
	}
	assert_int_equal(*p, '\0');
	assert_int_equal(lines, 3 + 400);
	free(text);
	cJSON_Delete(ev);
	cJSON_Delete(with_ts);
	cJSON_Delete(empty);
	cJSON_Delete(arr);
	wfm_rundir_free(r);
}

static const struct wfm_rundir_info *find_info(const struct wfm_rundir_info *info, size_t nr,
					       const char *id)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(info[i].id, id))
			return &info[i];
	fail_msg("run %s is not listed", id);
	return NULL;
}

static void test_rundir__list_tells_the_states(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir *running = new_run(f, "{\"name\":\"migrate\"}");
	struct wfm_rundir *paused = new_run(f, "{\"workflow\":{\"name\":\"sweep\"}}");
	struct wfm_rundir *finished = new_run(f, NULL), *failed = new_run(f, NULL);
	struct wfm_rundir *stopped = new_run(f, NULL), *stopped2 = new_run(f, NULL);
	struct wfm_rundir *crashed = new_run(f, NULL), *crashed2 = new_run(f, NULL);
	struct wfm_rundir *ended[] = {
		finished, failed, stopped, stopped2, crashed, crashed2, NULL,
	};
	struct wfm_rundir *o = NULL;
	struct wfm_rundir_info *info = NULL;
	const struct wfm_rundir_info *it;
	size_t nr = 0;
	pid_t pid;
	char *runs = wfm_fs_join(f->common, "wfmigrate/runs");

	assert_wfm_ok(wfm_rundir_list(&info, &nr, f->common));
	assert_int_equal(nr, 8);
	wfm_rundir_info_free(info, nr);

	/* paused: alive, control pause */
	assert_wfm_ok(wfm_control_set(f->common, paused->id, WFM_CONTROL_PAUSE));
	/* ended cleanly: the lock is gone, the report written */
	put(finished, "report.json", "{\"status\":\"done\"}\n");
	put(failed, "report.json", "{\"status\":\"failed\"}\n");
	put(stopped, "report.json", "{\"status\":\"stopped\"}\n");
	/* stopped, then died before writing a report */
	assert_wfm_ok(wfm_control_set(f->common, stopped2->id, WFM_CONTROL_STOP));
	/* died: the lock names a dead process; crashed2 died after a resume */
	put(crashed2, "report.json", "{\"status\":\"stopped\"}\n");
	usleep(20000);
	for (struct wfm_rundir **p = ended; *p; p++) {
		char *lock = wfm_rundir_file(*p, "lock");

		if ((*p)->locked)
			unlink(lock);
		(*p)->locked = 0;
		free(lock);
	}
	write_lock(crashed, (long)dead_pid(), 1);
	write_lock(crashed2, (long)dead_pid(), 1);
	/* a directory made by hand */
	free(wfm_test_sh(runs, "mkdir old"));

	assert_wfm_ok(wfm_rundir_list(&info, &nr, f->common));
	assert_int_equal(nr, 9);
	/* oldest first; one made by hand (no creation time) before all */
	assert_string_equal(info[0].id, "old");
	assert_string_equal(info[1].id, running->id);
	it = find_info(info, nr, running->id);
	assert_int_equal(it->state, WFM_RUN_STATE_RUNNING);
	assert_int_equal(it->pid, getpid());
	assert_string_equal(it->workflow, "migrate");
	assert_true(it->created_ms > 0);
	it = find_info(info, nr, paused->id);
	assert_int_equal(it->state, WFM_RUN_STATE_PAUSED);
	assert_string_equal(it->workflow, "sweep");
	assert_int_equal(find_info(info, nr, finished->id)->state, WFM_RUN_STATE_DONE);
	assert_int_equal(find_info(info, nr, finished->id)->pid, 0);
	assert_null(find_info(info, nr, finished->id)->workflow);
	assert_int_equal(find_info(info, nr, failed->id)->state, WFM_RUN_STATE_FAILED);
	assert_int_equal(find_info(info, nr, stopped->id)->state, WFM_RUN_STATE_STOPPED);
	assert_int_equal(find_info(info, nr, stopped2->id)->state, WFM_RUN_STATE_STOPPED);
	assert_int_equal(find_info(info, nr, crashed->id)->state, WFM_RUN_STATE_CRASHED);
	assert_int_equal(find_info(info, nr, crashed2->id)->state, WFM_RUN_STATE_CRASHED);
	assert_int_equal(find_info(info, nr, "old")->state, WFM_RUN_STATE_CRASHED);
	assert_int_equal(find_info(info, nr, "old")->created_ms, 0);
	wfm_rundir_info_free(info, nr);

	/* stopping: alive, control stop */
	assert_wfm_ok(wfm_control_set(f->common, running->id, WFM_CONTROL_STOP));
	assert_int_equal(wfm_rundir_state(running, &pid), WFM_RUN_STATE_STOPPING);
	assert_int_equal(pid, getpid());
	assert_string_equal(wfm_run_state_name(WFM_RUN_STATE_STOPPING), "stopping");
	assert_true(wfm_run_state_live(WFM_RUN_STATE_PAUSED));
	assert_false(wfm_run_state_live(WFM_RUN_STATE_CRASHED));

	/* no id: the one live run, if there is exactly one */
	assert_int_equal(wfm_rundir_open(&o, f->common, NULL, 0), WFM_EAMBIGUOUS);
	assert_non_null(strstr(wfm_error_last(), "2 runs are running"));
	wfm_rundir_free(paused);
	assert_wfm_ok(wfm_rundir_open(&o, f->common, NULL, 0));
	assert_string_equal(o->id, running->id);
	wfm_rundir_free(o);
	wfm_rundir_free(running);
	assert_int_equal(wfm_rundir_open(&o, f->common, NULL, 0), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "no run is running");
	for (struct wfm_rundir **p = ended; *p; p++)
		wfm_rundir_free(*p);
	free(runs);
}

static void test_rundir__list_without_runs(void **state)
{
	struct fixture *f = *state;
	struct wfm_rundir_info *info = (void *)1;
	size_t nr = 7;

	assert_wfm_ok(wfm_rundir_list(&info, &nr, f->common));
	assert_null(info);
	assert_int_equal(nr, 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(test_rundir__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(create_writes_the_tree),
		TEST(create_fails_without_leftovers),
		TEST(open_by_id_and_prefix),
		TEST(lock_refuses_a_live_holder),
		TEST(stale_lock_is_taken_over),
		TEST(one_of_many_takes_over),
		TEST(control_round_trip),
		TEST(control_is_replaced_atomically),
		TEST(events_are_lines_with_a_time),
		TEST(list_tells_the_states),
		TEST(list_without_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
