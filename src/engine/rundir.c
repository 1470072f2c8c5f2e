/*
 * Run directories: creating, finding and locking them, their events and
 * control files, and listing them for ps.
 *
 * The lock file is a pidlock (git/pidlock.h). Creating it is atomic, but
 * taking over a stale one (read, see the holder is dead, remove, create)
 * is not, so whoever creates or takes over a run's lock does it under a
 * flock() on the run's directory: two resumes of a crashed run cannot
 * both win.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "engine/rundir.h"
#include "git/pidlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#define ID_MAX 128

/* Keeps the first error's code and message across the clean-up after it. */
struct saved_error {
	int code;
	char *msg;
};

static void save_error(struct saved_error *e, int code)
{
	e->code = code;
	e->msg = wfm_strdup(wfm_error_last());
}

static int restore_error(struct saved_error *e)
{
	int code = wfm_error_setc(e->code, "%s", e->msg);

	free(e->msg);
	e->msg = NULL;
	return code;
}

/* ---- files ---- */

static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = wfm_error_set("cannot sync '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Writes dir/name through a temporary file renamed over it, so a reader
 * sees the old content or the new, never a part. With sync, the data is
 * on disk before the rename (the directory entry is the caller's).
 */
static int write_atomic(const char *dir, const char *name, const char *data, size_t len, int sync)
{
	static unsigned long counter;
	struct wfm_buf tmp = WFM_BUF_INIT;
	char *path = wfm_fs_join(dir, name);
	int fd, rc = 0;

	wfm_buf_addf(&tmp, "%s.tmp-%ld-%lu", path, (long)getpid(),
		     __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				    "cannot create '%s': %s", tmp.ptr, strerror(errno));
		goto done;
	}
	if (wfm_fs_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		rc = wfm_error_set("cannot write '%s': %s", tmp.ptr, strerror(errno));
		close(fd);
		unlink(tmp.ptr);
		goto done;
	}
	if (close(fd) < 0 || rename(tmp.ptr, path) < 0) {
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.ptr);
	}
done:
	wfm_buf_release(&tmp);
	free(path);
	return rc;
}

/* flock() on a directory, waiting; *fd is -1 on failure. */
static int lock_dir(int *fd, const char *path)
{
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				      "cannot open '%s': %s", path, strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(*fd);
		*fd = -1;
		return wfm_error_set("cannot lock '%s': %s", path, strerror(errno));
	}
	return 0;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* ---- ids ---- */

static int valid_id(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > ID_MAX || id[0] == '.' || id[0] == '-')
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	/* ".." and a trailing "." or ".lock" are not allowed in ref names */
	return !strstr(id, "..") && id[len - 1] != '.' &&
	       (len < 5 || strcmp(id + len - 5, ".lock"));
}

static void new_id(struct wfm_buf *out)
{
	unsigned char rnd[3];
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 8);

		rnd[0] = (unsigned char)x;
		rnd[1] = (unsigned char)(x >> 8);
		rnd[2] = (unsigned char)(x >> 16);
	}
	wfm_buf_addf(out, "%s-%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2]);
}

static char *runs_dir(const char *commondir)
{
	return wfm_fs_join(commondir, "wfmigrate/runs");
}

/* The ids of every run directory, sorted. */
static int list_ids(struct wfm_strvec *out, const char *runs)
{
	struct dirent *de;
	DIR *d = opendir(runs);

	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return wfm_error_set("cannot read '%s': %s", runs, strerror(errno));
	}
	while ((de = readdir(d))) {
		char *p;

		if (!valid_id(de->d_name))
			continue;
		p = wfm_fs_join(runs, de->d_name);
		if (wfm_fs_is_dir(p))
			wfm_strvec_push(out, de->d_name);
		free(p);
	}
	closedir(d);
	for (size_t i = 1; i < out->nr; i++) /* insertion sort: few runs */
		for (size_t k = i; k > 0 && strcmp(out->v[k - 1], out->v[k]) > 0; k--) {
			char *t = out->v[k];
			out->v[k] = out->v[k - 1];
			out->v[k - 1] = t;
		}
	return 0;
}

/* The id of the run named by an id or a unique prefix of one. */
static int resolve(char **out, const char *commondir, const char *name)
{
	struct wfm_strvec ids = WFM_STRVEC_INIT, hits = WFM_STRVEC_INIT;
	char *runs = runs_dir(commondir), *exact = NULL;
	int rc = 0;

	*out = NULL;
	if (!valid_id(name)) {
		rc = wfm_error_setc(WFM_ENOTFOUND, "'%s' is not a run id", name);
		goto done;
	}
	exact = wfm_fs_join(runs, name);
	if (wfm_fs_is_dir(exact)) {
		*out = wfm_strdup(name);
		goto done;
	}
	if ((rc = list_ids(&ids, runs)) < 0)
		goto done;
	for (size_t i = 0; i < ids.nr; i++)
		if (!strncmp(ids.v[i], name, strlen(name)))
			wfm_strvec_push(&hits, ids.v[i]);
	if (!hits.nr) {
		rc = wfm_error_setc(WFM_ENOTFOUND, "no run '%s'", name);
	} else if (hits.nr > 1) {
		struct wfm_buf list = WFM_BUF_INIT;

		for (size_t i = 0; i < hits.nr && i < 5; i++)
			wfm_buf_addf(&list, "%s%s", i ? ", " : "", hits.v[i]);
		if (hits.nr > 5)
			wfm_buf_addf(&list, " and %zu more", hits.nr - 5);
		rc = wfm_error_setc(WFM_EAMBIGUOUS, "run id '%s' is ambiguous: %s", name, list.ptr);
		wfm_buf_release(&list);
	} else {
		*out = wfm_strdup(hits.v[0]);
	}
done:
	wfm_strvec_clear(&ids);
	wfm_strvec_clear(&hits);
	free(exact);
	free(runs);
	return rc;
}

static enum wfm_run_state state_of(const char *dir, pid_t *pid);

int wfm_run_state_live(enum wfm_run_state s)
{
	return s == WFM_RUN_STATE_RUNNING || s == WFM_RUN_STATE_PAUSED ||
	       s == WFM_RUN_STATE_STOPPING;
}

/* The id of the only run whose process is alive. */
static int the_live_one(char **out, const char *commondir)
{
	struct wfm_strvec ids = WFM_STRVEC_INIT, live = WFM_STRVEC_INIT;
	char *runs = runs_dir(commondir);
	int rc;

	*out = NULL;
	if ((rc = list_ids(&ids, runs)) < 0)
		goto done;
	for (size_t i = 0; i < ids.nr; i++) {
		char *dir = wfm_fs_join(runs, ids.v[i]);
		pid_t pid;

		if (wfm_run_state_live(state_of(dir, &pid)))
			wfm_strvec_push(&live, ids.v[i]);
		free(dir);
	}
	if (!live.nr) {
		rc = wfm_error_setc(WFM_ENOTFOUND, "no run is running");
	} else if (live.nr > 1) {
		struct wfm_buf list = WFM_BUF_INIT;

		for (size_t i = 0; i < live.nr; i++)
			wfm_buf_addf(&list, "%s%s", i ? ", " : "", live.v[i]);
		rc = wfm_error_setc(WFM_EAMBIGUOUS, "%zu runs are running (%s): name one", live.nr,
				    list.ptr);
		wfm_buf_release(&list);
	} else {
		*out = wfm_strdup(live.v[0]);
	}
done:
	wfm_strvec_clear(&ids);
	wfm_strvec_clear(&live);
	free(runs);
	return rc;
}

/* ---- handles ---- */

static struct wfm_rundir *rundir_new(const char *commondir, const char *id)
{
	struct wfm_rundir *r = wfm_calloc(1, sizeof(*r));
	struct wfm_buf p = WFM_BUF_INIT;

	r->id = wfm_strdup(id);
	r->commondir = wfm_strdup(commondir);
	wfm_buf_addf(&p, "%s/wfmigrate/runs/%s", commondir, id);
	r->path = wfm_buf_detach(&p, NULL);
	r->lock_path = wfm_fs_join(r->path, "lock");
	r->control_path = wfm_fs_join(r->path, "control");
	r->events_fd = -1;
	pthread_mutex_init(&r->events_mu, NULL);
	return r;
}

void wfm_rundir_free(struct wfm_rundir *r)
{
	if (!r)
		return;
	if (r->locked)
		wfm_pidlock_remove_own(r->lock_path);
	if (r->events_fd >= 0)
		close(r->events_fd);
	pthread_mutex_destroy(&r->events_mu);
	free(r->id);
	free(r->path);
	free(r->commondir);
	free(r->lock_path);
	free(r->control_path);
	free(r);
}

char *wfm_rundir_file(const struct wfm_rundir *r, const char *name)
{
	return wfm_fs_join(r->path, name);
}

/* Takes r's lock, taking over a stale one. */
static int take_lock(struct wfm_rundir *r)
{
	struct wfm_pidlock_owner owner;
	int fd, rc;

	if ((rc = lock_dir(&fd, r->path)) < 0)
		return rc;
	rc = wfm_pidlock_read(&owner, r->lock_path);
	if (rc == 0 && wfm_pidlock_alive(&owner)) {
		rc = wfm_error_setc(WFM_ELOCKED, "run %s is running (pid %ld)", r->id,
				    (long)owner.pid);
		goto done;
	}
	if (rc == 0 || rc == WFM_EINVALID) {
		unsigned killed;

		/*
		 * Its holder died, or died before it wrote its pid. What it
		 * started (agents, oracles) outlived it in process groups of
		 * their own, spending tokens for results nobody will collect:
		 * ended here (best effort; the pool ends them anyway before it
		 * hands their worktrees to anyone).
		 */
		if (rc == 0)
			wfm_proc_kill_orphans(&killed, owner.pid, owner.start, 5000);
		if (unlink(r->lock_path) < 0 && errno != ENOENT) {
			rc = wfm_error_set("cannot remove the stale lock '%s': %s", r->lock_path,
					   strerror(errno));
			goto done;
		}
	} else if (rc != WFM_ENOTFOUND) {
		goto done;
	}
	rc = wfm_pidlock_create(r->lock_path);
	if (rc == WFM_EEXISTS) /* someone who does not flock(): leave it to them */
		rc = wfm_error_setc(WFM_ELOCKED, "run %s is being started by another process",
				    r->id);
	if (rc == 0)
		r->locked = 1;
done:
	unlock_dir(fd);
	return rc;
}

int wfm_rundir_lock_handover(struct wfm_rundir *r)
{
	struct wfm_buf tmp = WFM_BUF_INIT;
	int rc;

	if (!r->locked)
		return wfm_error_set("run %s: its lock is not held here", r->id);
	wfm_buf_addf(&tmp, "%s.%ld.tmp", r->lock_path, (long)getpid());
	unlink(tmp.ptr);
	if ((rc = wfm_pidlock_create(tmp.ptr)) == 0 && rename(tmp.ptr, r->lock_path) < 0) {
		rc = wfm_error_set("cannot rename '%s' to '%s': %s", tmp.ptr, r->lock_path,
				   strerror(errno));
		unlink(tmp.ptr);
	}
	wfm_buf_release(&tmp);
	return rc;
}

static cJSON *meta_for(const char *id, const cJSON *meta)
{
	cJSON *m = cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : NULL;

	if (!m)
		m = wfm_json_object();
	cJSON_DeleteItemFromObjectCaseSensitive(m, "id");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "created");
	wfm_json_add_str(m, "id", id);
	wfm_json_add_num(m, "created", (double)wfm_clock_wall_ms());
	return m;
}

static int write_json(const char *dir, const char *name, const cJSON *v)
{
	struct wfm_buf text = WFM_BUF_INIT;
	int rc;

	if (v)
		wfm_json_print(&text, v);
	else
		wfm_buf_adds(&text, "null");
	wfm_buf_addch(&text, '\n');
	rc = write_atomic(dir, name, text.ptr, text.len, 1);
	wfm_buf_release(&text);
	return rc;
}

int wfm_rundir_create(struct wfm_rundir **out, const char *commondir, const char *script_path,
		      const cJSON *args, const cJSON *meta)
{
	struct wfm_buf id = WFM_BUF_INIT, script = WFM_BUF_INIT;
	struct saved_error err = { 0, NULL };
	struct wfm_rundir *r = NULL;
	char *runs = runs_dir(commondir), *agents = NULL;
	cJSON *m = NULL;
	int rc = 0, made = 0;

	*out = NULL;
	if (!script_path) {
		rc = wfm_error_setc(WFM_EINVALID, "a run needs a workflow script");
		goto done;
	}
	if ((rc = wfm_buf_read_file(&script, script_path)) < 0)
		goto done;
	if ((rc = wfm_fs_mkdir_p(runs)) < 0)
		goto done;
	for (int tries = 0; !made; tries++) {
		struct wfm_buf p = WFM_BUF_INIT;

		wfm_buf_clear(&id);
		new_id(&id);
		wfm_buf_addf(&p, "%s/%s", runs, id.ptr);
		if (mkdir(p.ptr, 0777) == 0)
			made = 1;
		else if (errno != EEXIST || tries >= 32)
			rc = wfm_error_set("cannot create '%s': %s", p.ptr, strerror(errno));
		wfm_buf_release(&p);
		if (rc < 0)
			goto done;
	}
	r = rundir_new(commondir, id.ptr);
	if ((rc = take_lock(r)) < 0)
		goto done;
	agents = wfm_fs_join(r->path, "agents");
	m = meta_for(r->id, meta);
	if ((rc = write_atomic(r->path, "workflow.js", script.ptr, script.len, 1)) < 0 ||
	    (rc = write_json(r->path, "args.json", args)) < 0 ||
	    (rc = write_json(r->path, "meta.json", m)) < 0)
		goto done;
	if (mkdir(agents, 0777) < 0) {
		rc = wfm_error_set("cannot create '%s': %s", agents, strerror(errno));
		goto done;
	}
	if ((rc = sync_path(r->path)) < 0 || (rc = sync_path(runs)) < 0)
		goto done;
done:
	if (rc < 0 && made) {
		char *path = wfm_buf_detach(&id, NULL);
		char *dir = wfm_fs_join(runs, path);

		save_error(&err, rc);
		if (r)
			r->locked = 0; /* removed with the directory */
		wfm_fs_rmtree(dir);
		restore_error(&err);
		free(dir);
		free(path);
	}
	if (rc < 0) {
		wfm_rundir_free(r);
		r = NULL;
	}
	*out = r;
	cJSON_Delete(m);
	free(agents);
	free(runs);
	wfm_buf_release(&id);
	wfm_buf_release(&script);
	return rc;
}

int wfm_rundir_open(struct wfm_rundir **out, const char *commondir, const char *id, int lock)
{
	struct wfm_rundir *r;
	char *real = NULL;
	int rc;

	*out = NULL;
	if ((rc = id ? resolve(&real, commondir, id) : the_live_one(&real, commondir)) < 0)
		return rc;
	r = rundir_new(commondir, real);
	free(real);
	if (lock && (rc = take_lock(r)) < 0) {
		wfm_rundir_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- events ---- */

int wfm_rundir_event(struct wfm_rundir *r, const cJSON *event)
{
	struct wfm_buf line = WFM_BUF_INIT, body = WFM_BUF_INIT;
	int rc = 0;

	if (!cJSON_IsObject(event))
		return wfm_error_setc(WFM_EINVALID, "an event is a JSON object");
	wfm_json_canonical(&body, event);
	if (cJSON_HasObjectItem(event, "ts")) {
		wfm_buf_add(&line, body.ptr, body.len);
	} else {
		/* "ts" first, for people reading the file */
		wfm_buf_addf(&line, "{\"ts\":%llu", (unsigned long long)wfm_clock_wall_ms());
		if (body.len > 2)
			wfm_buf_addch(&line, ',');
		wfm_buf_add(&line, body.ptr + 1, body.len - 1);
	}
	wfm_buf_addch(&line, '\n');

	pthread_mutex_lock(&r->events_mu);
	if (r->events_fd < 0) {
		char *path = wfm_rundir_file(r, "events.jsonl");

		r->events_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (r->events_fd < 0)
			rc = wfm_error_set("cannot open '%s': %s", path, strerror(errno));
		free(path);
	}
	if (rc == 0 && wfm_fs_write_all(r->events_fd, line.ptr, line.len) < 0)
		rc = wfm_error_set("cannot write '%s/events.jsonl': %s", r->path, strerror(errno));
	pthread_mutex_unlock(&r->events_mu);
	wfm_buf_release(&line);
	wfm_buf_release(&body);
	return rc;
}

/* ---- control ---- */

static const char *const control_names[] = { "run", "pause", "stop" };

const char *wfm_control_name(enum wfm_control c)
{
	return (unsigned)c < WFM_ARRAY_SIZE(control_names) ? control_names[c] : "run";
}

static enum wfm_control read_control(const char *path)
{
	char buf[32], *word;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return WFM_CONTROL_RUN;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return WFM_CONTROL_RUN;
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	word = buf + strspn(buf, " \t\r\n");
	for (size_t i = 0; i < WFM_ARRAY_SIZE(control_names); i++)
		if (!strcmp(word, control_names[i]))
			return (enum wfm_control)i;
	return WFM_CONTROL_RUN;
}

enum wfm_control wfm_control_get(struct wfm_rundir *r)
{
	return read_control(r->control_path);
}

int wfm_control_set(const char *commondir, const char *id, enum wfm_control c)
{
	struct wfm_buf text = WFM_BUF_INIT;
	struct wfm_rundir *r = NULL;
	int rc;

	if ((unsigned)c >= WFM_ARRAY_SIZE(control_names))
		return wfm_error_setc(WFM_EINVALID, "unknown control %d", (int)c);
	if ((rc = wfm_rundir_open(&r, commondir, id, 0)) < 0)
		return rc;
	wfm_buf_addf(&text, "%s\n", control_names[c]);
	rc = write_atomic(r->path, "control", text.ptr, text.len, 1);
	wfm_buf_release(&text);
	wfm_rundir_free(r);
	return rc;
}

/* ---- states and listing ---- */

static const char *const state_names[] = {
	"running", "paused", "stopping", "stopped", "failed", "done", "crashed",
};

const char *wfm_run_state_name(enum wfm_run_state s)
{
	return (unsigned)s < WFM_ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

static int mtime_before(const struct stat *a, const struct stat *b)
{
	if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
		return a->st_mtim.tv_sec < b->st_mtim.tv_sec;
	return a->st_mtim.tv_nsec < b->st_mtim.tv_nsec;
}

/* The state of the run in dir; *pid is its live holder or 0. */
static enum wfm_run_state state_of(const char *dir, pid_t *pid)
{
	struct wfm_pidlock_owner owner;
	char *lock = wfm_fs_join(dir, "lock"), *control = wfm_fs_join(dir, "control");
	char *report = wfm_fs_join(dir, "report.json");
	enum wfm_control c = read_control(control);
	enum wfm_run_state state = WFM_RUN_STATE_CRASHED;
	struct stat rst, lst;
	int has_lock = wfm_pidlock_read(&owner, lock) == 0;

	*pid = 0;
	if (has_lock && wfm_pidlock_alive(&owner)) {
		*pid = owner.pid;
		state = c == WFM_CONTROL_PAUSE	? WFM_RUN_STATE_PAUSED
			: c == WFM_CONTROL_STOP ? WFM_RUN_STATE_STOPPING
						: WFM_RUN_STATE_RUNNING;
		goto done;
	}
	/*
	 * A report older than a dead holder's lock is from an earlier
	 * execution: the last one (a resume) died before writing its own.
	 */
	if (stat(report, &rst) == 0 && !(stat(lock, &lst) == 0 && mtime_before(&rst, &lst))) {
		struct wfm_buf text = WFM_BUF_INIT;
		const cJSON *status;
		cJSON *doc = NULL;

		state = WFM_RUN_STATE_DONE;
		if (wfm_buf_read_file(&text, report) == 0 &&
		    wfm_json_parse(&doc, text.ptr, text.len) == 0) {
			status = cJSON_GetObjectItemCaseSensitive(doc, "status");
			if (cJSON_IsString(status) && !strcmp(status->valuestring, "stopped"))
				state = WFM_RUN_STATE_STOPPED;
			else if (cJSON_IsString(status) && !strcmp(status->valuestring, "failed"))
				state = WFM_RUN_STATE_FAILED;
		}
		cJSON_Delete(doc);
		wfm_buf_release(&text);
		goto done;
	}
	if (c == WFM_CONTROL_STOP)
		state = WFM_RUN_STATE_STOPPED;
done:
	wfm_error_clear();
	free(lock);
	free(control);
	free(report);
	return state;
}

enum wfm_run_state wfm_rundir_state(struct wfm_rundir *r, pid_t *pid)
{
	return state_of(r->path, pid);
}

static void read_meta(struct wfm_rundir_info *info, const char *dir)
{
	struct wfm_buf text = WFM_BUF_INIT;
	char *path = wfm_fs_join(dir, "meta.json");
	const cJSON *created, *name;
	cJSON *doc = NULL;

	if (wfm_buf_read_file(&text, path) < 0 || wfm_json_parse(&doc, text.ptr, text.len) < 0)
		goto done;
	created = cJSON_GetObjectItemCaseSensitive(doc, "created");
	if (cJSON_IsNumber(created) && created->valuedouble > 0)
		info->created_ms = (uint64_t)created->valuedouble;
	name = cJSON_GetObjectItemCaseSensitive(doc, "name");
	if (!cJSON_IsString(name))
		name = cJSON_GetObjectItemCaseSensitive(doc, "workflow");
	if (cJSON_IsObject(name))
		name = cJSON_GetObjectItemCaseSensitive(name, "name");
	if (cJSON_IsString(name) && *name->valuestring)
		info->workflow = wfm_strdup(name->valuestring);
done:
	wfm_error_clear();
	cJSON_Delete(doc);
	wfm_buf_release(&text);
	free(path);
}

/* args.json's "goal", when it is an object with one */
static void read_goal(struct wfm_rundir_info *info, const char *dir)
{
	struct wfm_buf text = WFM_BUF_INIT;
	char *path = wfm_fs_join(dir, "args.json");
	const cJSON *goal;
	cJSON *doc = NULL;

	if (wfm_buf_read_file(&text, path) == 0 && wfm_json_parse(&doc, text.ptr, text.len) == 0) {
		goal = cJSON_GetObjectItemCaseSensitive(doc, "goal");
		if (cJSON_IsString(goal) && *goal->valuestring)
			info->goal = wfm_strdup(goal->valuestring);
	}
	wfm_error_clear();
	cJSON_Delete(doc);
	wfm_buf_release(&text);
	free(path);
}

static int info_cmp(const void *a, const void *b)
{
	const struct wfm_rundir_info *x = a, *y = b;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

int wfm_rundir_list(struct wfm_rundir_info **out, size_t *nr, const char *commondir)
{
	struct wfm_strvec ids = WFM_STRVEC_INIT;
	struct wfm_rundir_info *info = NULL;
	char *runs = runs_dir(commondir);
	int rc;

	*out = NULL;
	*nr = 0;
	if ((rc = list_ids(&ids, runs)) < 0 || !ids.nr)
		goto done;
	info = wfm_calloc(ids.nr, sizeof(*info));
	for (size_t i = 0; i < ids.nr; i++) {
		char *dir = wfm_fs_join(runs, ids.v[i]);

		info[i].id = wfm_strdup(ids.v[i]);
		info[i].state = state_of(dir, &info[i].pid);
		read_meta(&info[i], dir);
		read_goal(&info[i], dir);
		free(dir);
	}
	qsort(info, ids.nr, sizeof(*info), info_cmp);
	*out = info;
	*nr = ids.nr;
done:
	wfm_strvec_clear(&ids);
	free(runs);
	return rc;
}

void wfm_rundir_info_free(struct wfm_rundir_info *info, size_t nr)
{
	for (size_t i = 0; info && i < nr; i++) {
		free(info[i].id);
		free(info[i].workflow);
		free(info[i].goal);
	}
	free(info);
}
