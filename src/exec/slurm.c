/*
 * The Slurm executor: each oracle run a batch job (exec/slurm.h for the
 * job's script and files, docs/executors.md for the cluster's side).
 * State comes from squeue, then scontrol once squeue has forgotten the
 * job, then the result file the job writes: no accounting database.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/proc.h"
#include "base/process.h"
#include "exec/leftovers.h"
#include "exec/remote.h"
#include "exec/slurm.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * How long the controller may be unreachable (restarting, failing over)
 * before a poll, or a submit whose sbatch cannot reach it, fails. By the
 * clock, not by calls: squeue gives up after about 18 s with Slurm's
 * default MessageTimeout, at once when munge is down.
 */
#define CONTROLLER_WAIT_MS (10 * 60 * 1000)
/* sbatch's and squeue's words for a controller they cannot reach */
#define NO_CONTROLLER "Unable to contact slurm controller"
/* job ids per squeue call when looking for a dead process's jobs */
#define ORPHANS_PER_SQUEUE 100
/* how long a job that ended may take to show its result file (NFS caches) */
#define RESULT_WAIT_MS 5000

unsigned long wfm_slurm_time_minutes(unsigned long timeout_sec)
{
	if (!timeout_sec)
		return 0;
	return (timeout_sec + 59) / 60 + WFM_SLURM_SETUP_MINUTES;
}

void wfm_slurm_sbatch_argv(struct wfm_strvec *out, const struct wfm_slurm_job *job,
			   const struct wfm_executor_opts *opts)
{
	struct wfm_buf b = WFM_BUF_INIT;
	unsigned long minutes = wfm_slurm_time_minutes(job->timeout_sec);

	wfm_strvec_push(out, "sbatch");
	wfm_strvec_push(out, "--parsable");
	wfm_buf_addf(&b, "--job-name=%s", job->name ? job->name : "wfm-oracle");
	wfm_strvec_push(out, b.ptr);
	wfm_buf_clear(&b);
	wfm_buf_addf(&b, "--output=%s/slurm.out", job->dir);
	wfm_strvec_push(out, b.ptr);
	wfm_buf_clear(&b);
	wfm_buf_addf(&b, "--chdir=%s", job->dir);
	wfm_strvec_push(out, b.ptr);
	/* the environment sbatch runs with, already scrubbed, is the job's */
	wfm_strvec_push(out, "--export=ALL");
	wfm_strvec_push(out, "--nodes=1");
	wfm_strvec_push(out, "--ntasks=1");
	/* a job that is lost is submitted again by the executor (exec/executor.c),
	 * never by Slurm as well: the command would run twice */
	wfm_strvec_push(out, "--no-requeue");
	if (opts->partition && *opts->partition) {
		wfm_buf_clear(&b);
		wfm_buf_addf(&b, "--partition=%s", opts->partition);
		wfm_strvec_push(out, b.ptr);
	}
	if (minutes) {
		wfm_buf_clear(&b);
		wfm_buf_addf(&b, "--time=%lu", minutes);
		wfm_strvec_push(out, b.ptr);
	}
	if (opts->cpus) {
		wfm_buf_clear(&b);
		wfm_buf_addf(&b, "--cpus-per-task=%lu", opts->cpus);
		wfm_strvec_push(out, b.ptr);
	}
	if (opts->mem && *opts->mem) {
		wfm_buf_clear(&b);
		wfm_buf_addf(&b, "--mem=%s", opts->mem);
		wfm_strvec_push(out, b.ptr);
	}
	wfm_buf_clear(&b);
	wfm_buf_addf(&b, "%s/job.sh", job->dir);
	wfm_strvec_push(out, b.ptr);
	wfm_buf_release(&b);
}

static void assign(struct wfm_buf *out, const char *name, const char *value)
{
	wfm_buf_addf(out, "%s=", name);
	wfm_buf_add_sq(out, value);
	wfm_buf_addch(out, '\n');
}

/*
 * The script's steps. Everything it reports goes to result.json through
 * printf of numbers and fixed words: no output of the command is ever
 * spliced into JSON by the shell (the engine reads `output` itself).
 */
static const char script_body[] =
	"set -u\n"
	"started=$(date +%s%3N)\n"
	"node=$(printf %s \"${SLURMD_NODENAME:-$(hostname)}\" | tr -cd 'A-Za-z0-9._-')\n"
	"result() {\n"
	"\tprintf '%s\\n' \"$1\" >\"$job/result.json.tmp\" &&\n"
	"\t\tmv -f \"$job/result.json.tmp\" \"$job/result.json\"\n"
	"}\n"
	"fail() {\n"
	"\techo \"wfmigrate job: $1\" >&2\n"
	"\tresult \"{\\\"error\\\": \\\"$1\\\", \\\"node\\\": \\\"$node\\\"}\"\n"
	"\texit 0\n"
	"}\n"
	"# a remote or cache owned by another user is still ours to read\n"
	"git() { command git -c safe.directory='*' \"$@\"; }\n"
	"repo=$cache/$(printf %s \"$remote\" | cksum | cut -d' ' -f1).git\n"
	"mkdir -p \"$cache\" || fail 'cannot create the node cache'\n"
	"# jobs on one node share the cache: one at a time fetches or adds a worktree\n"
	"exec 9>>\"$repo.lock\" || fail 'cannot lock the node cache'\n"
	"lock() { ! command -v flock >/dev/null || flock \"$@\" 9; }\n"
	"lock\n"
	"[ -d \"$repo\" ] || git init -q --bare \"$repo\" || fail 'cannot create the node cache'\n"
	"git -C \"$repo\" fetch -q --no-tags --no-write-fetch-head \"$remote\" \"+$ref:$ref\" ||\n"
	"\tfail 'cannot fetch the commit from the remote'\n"
	"wt=$(mktemp -d \"${TMPDIR:-/tmp}/wfm-job.XXXXXX\") || fail 'cannot make a worktree "
	"directory'\n"
	"git -C \"$repo\" worktree add -q --detach \"$wt\" \"$commit\" ||\n"
	"\t{ rmdir \"$wt\"; fail 'cannot check out the commit'; }\n"
	"lock -u\n"
	"cleanup() {\n"
	"\tcd / && lock\n"
	"\tgit -C \"$repo\" worktree remove --force \"$wt\" 2>/dev/null || rm -rf \"$wt\"\n"
	"\tgit -C \"$repo\" worktree prune 2>/dev/null\n"
	"\tlock -u\n"
	"}\n"
	"# scancel, preemption or Slurm's time limit: SIGTERM first; leave no worktree behind\n"
	"trap 'cleanup; exit 143' TERM INT HUP\n"
	"cd \"$wt\" || fail 'cannot enter the worktree'\n"
	"[ -z \"$file_env\" ] || export \"$file_env=$job/file\"\n"
	"in=/dev/null\n"
	"[ -f \"$job/input\" ] && in=$job/input\n"
	"run() {\n"
	"\tif [ \"$timeout\" -gt 0 ]; then\n"
	"\t\ttimeout -k 2 \"$timeout\" /bin/sh -c \"$command\"\n"
	"\telse\n"
	"\t\t/bin/sh -c \"$command\"\n"
	"\tfi\n"
	"}\n"
	"start=$(date +%s%N)\n"
	"if [ \"$split\" = 1 ]; then\n"
	"\trun <\"$in\" >\"$job/output\" 2>\"$job/stderr\" 9>&-\n"
	"else\n"
	"\trun <\"$in\" >\"$job/output\" 2>&1 9>&-\n"
	"fi\n"
	"status=$?\n"
	"end=$(date +%s%N)\n"
	"head= work=\n"
	"if [ -n \"$work_ref\" ] && [ $status -eq 0 ]; then\n"
	"\t# what the command committed, and on top of it all it left besides\n"
	"\thead=$(git rev-parse HEAD) && git add -A && tree=$(git write-tree) &&\n"
	"\t\twork=$(git -c user.name='git wfmigrate' -c user.email=wfmigrate@localhost \\\n"
	"\t\t\tcommit-tree \"$tree\" -p \"$head\" -m 'git wfmigrate: the work of a job') &&\n"
	"\t\tgit push -q --no-verify \"$remote\" \"+$work:$work_ref\" ||\n"
	"\t\t{ trap - TERM INT HUP; cleanup; fail 'cannot push the work back to the remote'; }\n"
	"fi\n"
	"trap - TERM INT HUP\n"
	"cleanup\n"
	"ms=$(((end - start) / 1000000))\n"
	"code=$status signal=null timed=false\n"
	"if [ \"$timeout\" -gt 0 ] && [ \"$ms\" -ge $((timeout * 1000)) ] &&\n"
	"\t{ [ $status -eq 124 ] || [ $status -eq 137 ]; }; then\n"
	"\t# timeout(1) ended it: TERM, or KILL after the grace\n"
	"\ttimed=true code=null signal=15\n"
	"\t[ $status -eq 137 ] && signal=9\n"
	"elif [ $status -gt 128 ] && [ $status -le 192 ]; then\n"
	"\tcode=null signal=$((status - 128))\n"
	"fi\n"
	"result \"{\\\"exitCode\\\": $code, \\\"signal\\\": $signal, \\\"timedOut\\\": $timed, "
	"\\\"durationMs\\\": $ms, \\\"dir\\\": \\\"$wt\\\", \\\"node\\\": \\\"$node\\\", "
	"\\\"startedMs\\\": $started, \\\"head\\\": \\\"$head\\\", \\\"work\\\": "
	"\\\"$work\\\"}\"\n";

void wfm_slurm_script(struct wfm_buf *out, const struct wfm_slurm_job *job)
{
	wfm_buf_adds(out, "#!/bin/sh\n"
			  "# git wfmigrate: one command (the oracle, an agent) as a Slurm job "
			  "(docs/executors.md)\n");
	assign(out, "job", job->dir);
	assign(out, "remote", job->remote);
	assign(out, "ref", job->ref);
	assign(out, "commit", job->commit);
	wfm_buf_addf(out, "timeout=%lu\n", job->timeout_sec);
	if (job->node_cache && *job->node_cache) {
		wfm_buf_adds(out, "cache=");
		wfm_buf_add_sq(out, job->node_cache);
		wfm_buf_adds(out, "/wfmigrate-cache\n");
	} else {
		wfm_buf_adds(out, "cache=${TMPDIR:-/tmp}/wfmigrate-cache\n");
	}
	assign(out, "command", job->command);
	assign(out, "file_env", job->file_env ? job->file_env : "");
	wfm_buf_addf(out, "split=%d\n", job->split_stderr ? 1 : 0);
	assign(out, "work_ref", job->work_ref ? job->work_ref : "");
	wfm_buf_adds(out, script_body);
}

int wfm_slurm_parse_jobid(char *out, size_t outsz, const char *text)
{
	size_t n = 0;

	while (*text == ' ' || *text == '\n')
		text++;
	while (text[n] >= '0' && text[n] <= '9')
		n++;
	if (!n || n >= outsz || (text[n] && text[n] != ';' && text[n] != '\n' && text[n] != '_'))
		return wfm_error_set("sbatch printed no job id: '%s'", text);
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}

static const struct {
	const char *word;
	enum wfm_exec_state state;
} states[] = {
	{ "PENDING", WFM_EXEC_PENDING },
	{ "REQUEUED", WFM_EXEC_PENDING },
	{ "REQUEUE_FED", WFM_EXEC_PENDING },
	{ "REQUEUE_HOLD", WFM_EXEC_PENDING },
	{ "RESV_DEL_HOLD", WFM_EXEC_PENDING },
	{ "CONFIGURING", WFM_EXEC_RUNNING },
	{ "RUNNING", WFM_EXEC_RUNNING },
	{ "COMPLETING", WFM_EXEC_RUNNING },
	{ "SUSPENDED", WFM_EXEC_RUNNING },
	{ "STOPPED", WFM_EXEC_RUNNING },
	{ "SIGNALING", WFM_EXEC_RUNNING },
	{ "STAGE_OUT", WFM_EXEC_RUNNING },
	{ "RESIZING", WFM_EXEC_RUNNING },
	{ "COMPLETED", WFM_EXEC_DONE },
	{ "FAILED", WFM_EXEC_DONE },
	{ "TIMEOUT", WFM_EXEC_DONE },
	{ "OUT_OF_MEMORY", WFM_EXEC_DONE },
	{ "CANCELLED", WFM_EXEC_DONE },
	{ "DEADLINE", WFM_EXEC_DONE },
	/* no fault of the command: run it again */
	{ "NODE_FAIL", WFM_EXEC_LOST },
	{ "PREEMPTED", WFM_EXEC_LOST },
	{ "BOOT_FAIL", WFM_EXEC_LOST },
	{ "REVOKED", WFM_EXEC_LOST },
	{ "SPECIAL_EXIT", WFM_EXEC_LOST },
};

enum wfm_exec_state wfm_slurm_state(const char *word)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(states); i++)
		if (!strcmp(states[i].word, word))
			return states[i].state;
	/* a state newer than this table: it has not ended as far as we know */
	return WFM_EXEC_RUNNING;
}

int wfm_slurm_scontrol_state(char *out, size_t outsz, const char *text)
{
	const char *p = strstr(text, "JobState=");
	size_t n = 0;

	if (!p)
		return WFM_ENOTFOUND;
	p += strlen("JobState=");
	while (p[n] && p[n] != ' ' && p[n] != '\n' && p[n] != '\t')
		n++;
	if (!n || n >= outsz)
		return WFM_ENOTFOUND;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int wfm_slurm_held(const char *reason)
{
	/* squeue writes it with spaces, scontrol with underscores */
	return !strcmp(reason, "launch failed requeued held") ||
	       !strcmp(reason, "launch_failed_requeued_held");
}

void wfm_slurm_orphans(struct wfm_strvec *out, const char *squeue,
		       const struct wfm_job_ledger *ledger)
{
	struct wfm_buf line = WFM_BUF_INIT;

	while (*squeue) {
		const char *nl = strchr(squeue, '\n');
		size_t len = nl ? (size_t)(nl - squeue) : strlen(squeue);
		char *state, *dir;

		wfm_buf_clear(&line);
		wfm_buf_add(&line, squeue, len);
		squeue += len + (nl != NULL);
		if ((state = strchr(line.ptr, '|')) == NULL)
			continue;
		*state++ = '\0';
		if ((dir = strchr(state, '|')) == NULL)
			continue;
		*dir++ = '\0';
		if (wfm_slurm_state(state) != WFM_EXEC_PENDING &&
		    wfm_slurm_state(state) != WFM_EXEC_RUNNING)
			continue;
		for (size_t i = 0; i < ledger->ids.nr; i++) {
			if (strcmp(ledger->ids.v[i], line.ptr) || strcmp(ledger->dirs.v[i], dir))
				continue;
			wfm_strvec_push(out, line.ptr);
			break;
		}
	}
	wfm_buf_release(&line);
}

/* ---- the executor ---- */

struct slurm {
	struct wfm_executor base;
	struct wfm_executor_opts opts; /* its strings are the copies below */
	char *repo_path, *run, *remote, *job_dir, *node_cache, *partition, *mem;
	pthread_mutex_t mu, push_mu;
	struct wfm_strvec pushed; /* commits the remote has, under mu */
	char *ledger;		  /* of the run's jobs (exec/job_ledger.h) */
	struct wfm_strvec ended;  /* ids of jobs seen ended, for free to forget; under mu */
};

struct wfm_exec_job {
	char *dir;
	char *work_ref; /* where its work is pushed; NULL: nothing to keep */
	char id[32];
	uint64_t submitted_ms; /* wall clock, against the node's start */
	int cancelled;	       /* by us */
	uint64_t unreachable;  /* since when squeue fails (monotonic ms); 0: it answers */
	char state[32];	       /* the last state Slurm gave */
	char commit[WFM_OID_HEXSZ + 1];
	struct wfm_strvec known;
	struct wfm_oracle_opts opts; /* for collect: tests, known_failures, output_cap */
	size_t err_cap;
	int oracle; /* an oracle run's job, not an agent's */
	int ended;  /* poll saw it end (done or lost): in s->ended */
};

static char *dup_or_null(const char *s)
{
	return s && *s ? wfm_strdup(s) : NULL;
}

static int cancel_orphans(struct slurm *s);
static void slurm_free(struct wfm_executor *ex);

static int slurm_open(struct wfm_executor **out, const struct wfm_executor_opts *opts)
{
	struct slurm *s;
	int rc;

	if (!opts->remote || !*opts->remote)
		return wfm_error_setc(WFM_EINVALID, "the slurm executor needs a shared remote "
						    "(--remote or git config wfmigrate.remote)");
	if (!opts->repo_path || !opts->run || !opts->job_dir)
		return wfm_error_setc(
			WFM_EINVALID,
			"the slurm executor needs a repository, a run and a job directory");
	s = wfm_calloc(1, sizeof(*s));
	s->opts = *opts;
	s->opts.repo_path = s->repo_path = wfm_strdup(opts->repo_path);
	s->opts.run = s->run = wfm_strdup(opts->run);
	s->opts.remote = s->remote = wfm_strdup(opts->remote);
	s->opts.job_dir = s->job_dir = wfm_strdup(opts->job_dir);
	s->opts.node_cache = s->node_cache = dup_or_null(opts->node_cache);
	s->opts.partition = s->partition = dup_or_null(opts->partition);
	s->opts.mem = s->mem = dup_or_null(opts->mem);
	s->opts.pool = NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->push_mu, NULL);
	s->ledger = wfm_job_ledger_path(s->job_dir, s->run);
	rc = cancel_orphans(s);
	if (rc < 0) {
		slurm_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

/* Runs argv; its stdout in out, its exit code in *code (-1: killed). stderr is kept apart. */
static int run_cmd(struct wfm_process_result *r, const char *const *argv,
		   const char *const *env_set)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;

	po.argv = argv;
	/* the job inherits sbatch's environment: the same scrub as a local oracle */
	po.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	po.env_set = env_set;
	po.split_stderr = 1;
	po.output_cap = 64 * 1024;
	po.err_cap = 4096;
	po.timeout_ms = 120 * 1000;
	return wfm_process_run(r, &po);
}

/*
 * The jobs of this run that an earlier process of it submitted and left
 * queued or running when it died: the ledger's, as far as squeue still
 * lists them in the directory the ledger gives. Cancelled, counted in
 * s->base.orphans, and the ledger emptied of every job it held (those
 * that had ended too). When Slurm cannot be asked the open fails: the
 * ledger is kept, for a later open.
 */
static int cancel_orphans(struct slurm *s)
{
	struct wfm_job_ledger l = WFM_JOB_LEDGER_INIT;
	struct wfm_strvec orphans = WFM_STRVEC_INIT, argv = WFM_STRVEC_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_buf ids = WFM_BUF_INIT;
	int rc;

	rc = wfm_job_ledger_read(&l, s->ledger);
	if (rc < 0 || !l.ids.nr)
		goto done;
	/* by id, a hundred at a time: the answer stays small whatever else the user runs */
	for (size_t i = 0; i < l.ids.nr; i += ORPHANS_PER_SQUEUE) {
		const char *squeue[] = { "squeue",   "-h", "-t", "all", "-o",
					 "%A|%T|%Z", "-j", NULL, NULL };

		wfm_buf_clear(&ids);
		for (size_t k = i; k < l.ids.nr && k < i + ORPHANS_PER_SQUEUE; k++)
			wfm_buf_addf(&ids, "%s%s", k > i ? "," : "", l.ids.v[k]);
		squeue[7] = ids.ptr;
		wfm_process_result_release(&r);
		rc = run_cmd(&r, squeue, NULL);
		if (rc < 0)
			goto done;
		/* a single id Slurm has forgotten is an error; several, a shorter list */
		if (r.exit_code != 0 && !strstr(r.err.ptr, "Invalid job id")) {
			wfm_buf_rtrim(&r.err);
			rc = wfm_error_set("cannot ask Slurm which jobs of run %s are still "
					   "queued (listed in '%s'): %s",
					   s->run, s->ledger, r.err.ptr);
			goto done;
		}
		if (r.exit_code == 0)
			wfm_slurm_orphans(&orphans, r.output.ptr, &l);
	}
	if (orphans.nr) {
		wfm_strvec_push(&argv, "scancel");
		for (size_t i = 0; i < orphans.nr; i++)
			wfm_strvec_push(&argv, orphans.v[i]);
		wfm_process_result_release(&r);
		rc = run_cmd(&r, (const char *const *)argv.v, NULL);
		/* one that ended meanwhile is "Invalid job id": gone, as wanted */
		if (rc == 0 && r.exit_code != 0 && !strstr(r.err.ptr, "Invalid job id")) {
			wfm_buf_rtrim(&r.err);
			rc = wfm_error_set("cannot cancel the jobs an earlier process of run %s "
					   "left on the cluster: %s",
					   s->run, r.err.ptr);
		}
		if (rc < 0)
			goto done;
	}
	s->base.orphans = orphans.nr;
	rc = wfm_job_ledger_forget(s->ledger, (const char *const *)l.ids.v);
done:
	wfm_process_result_release(&r);
	wfm_buf_release(&ids);
	wfm_strvec_clear(&argv);
	wfm_strvec_clear(&orphans);
	wfm_job_ledger_release(&l);
	return rc;
}

static int pushed(struct slurm *s, const char *commit)
{
	int found = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->pushed.nr && !found; i++)
		found = !strcmp(s->pushed.v[i], commit);
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* Writes a file of the job's directory: its script (mode 0755) or what the command reads. */
static int write_job_file(const char *dir, const char *name, const char *data, size_t len,
			  mode_t mode)
{
	char *path = wfm_fs_join(dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc;

	if (fd < 0) {
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	rc = wfm_fs_write_all(fd, data, len);
	if (rc < 0)
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	free(path);
	return rc;
}

/* An environment variable's name: what `export "$file_env=..."` takes safely. */
static int valid_env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void job_release(struct wfm_exec_job *job)
{
	if (!job)
		return;
	free(job->dir);
	free(job->work_ref);
	wfm_strvec_clear(&job->known);
	free(job);
}

static int slurm_submit(struct wfm_executor *ex, struct wfm_exec_job **out,
			const struct wfm_exec_spec *spec)
{
	struct slurm *s = (struct slurm *)ex;
	struct wfm_exec_job *job = wfm_calloc(1, sizeof(*job));
	struct wfm_slurm_job sj = { 0 };
	struct wfm_strvec argv = WFM_STRVEC_INIT, env = WFM_STRVEC_INIT;
	struct wfm_buf b = WFM_BUF_INIT, name = WFM_BUF_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	char *ref = wfm_remote_ref(s->run, spec->commit);
	int rc = 0;

	snprintf(job->commit, sizeof(job->commit), "%s", spec->commit);
	if (spec->file_env && !valid_env_name(spec->file_env)) {
		rc = wfm_error_setc(WFM_EINVALID, "'%s' is not a variable's name", spec->file_env);
		goto done;
	}
	job->oracle = spec->oracle != NULL;
	if (spec->oracle) {
		job->opts = *spec->oracle;
		if (spec->oracle->known_failures) {
			for (const char *const *k = spec->oracle->known_failures; *k; k++)
				wfm_strvec_push(&job->known, *k);
			job->opts.known_failures = (const char *const *)job->known.v;
		}
	} else {
		job->opts.output_cap = spec->output_cap;
		job->opts.timeout_sec = spec->timeout_sec;
	}
	job->opts.command = NULL; /* not needed past the script */
	job->opts.env_set = NULL;
	job->opts.cancel = NULL;
	job->err_cap = spec->err_cap;

	/* one push at a time: two runs of one commit must not race for its ref */
	pthread_mutex_lock(&s->push_mu);
	if (!pushed(s, spec->commit)) {
		rc = wfm_remote_push(s->repo_path, s->remote, spec->commit, ref);
		if (rc == 0) {
			pthread_mutex_lock(&s->mu);
			wfm_strvec_push(&s->pushed, spec->commit);
			pthread_mutex_unlock(&s->mu);
		}
	}
	pthread_mutex_unlock(&s->push_mu);
	if (rc < 0)
		goto done;

	{
		/* the run's jobs together, for clean to remove (exec/leftovers.h) */
		char *dir = wfm_exec_run_job_dir(s->job_dir, s->run);

		rc = wfm_fs_mkdir_p(dir);
		wfm_buf_addf(&b, "%s/job.XXXXXX", dir);
		free(dir);
	}
	if (rc < 0)
		goto done;
	if (!mkdtemp(b.ptr)) {
		rc = wfm_error_set("cannot make a job directory in '%s': %s", s->job_dir,
				   strerror(errno));
		goto done;
	}
	job->dir = wfm_buf_detach(&b, NULL);

	wfm_buf_addf(&name, "wfm-%s-%.7s", spec->label && *spec->label ? spec->label : "oracle",
		     spec->commit);
	for (char *c = name.ptr; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			*c = '-';
	if (spec->keep_work)
		job->work_ref = wfm_remote_work_ref(s->run, strrchr(job->dir, '/') + 1);
	sj.dir = job->dir;
	sj.remote = s->remote;
	sj.ref = ref;
	sj.commit = spec->commit;
	sj.command = spec->command;
	sj.timeout_sec = spec->timeout_sec;
	sj.node_cache = s->node_cache;
	sj.name = name.ptr;
	sj.file_env = spec->file_env;
	sj.split_stderr = spec->split_stderr;
	sj.work_ref = job->work_ref;
	wfm_slurm_script(&b, &sj);
	rc = write_job_file(job->dir, "job.sh", b.ptr, b.len, 0755);
	if (rc == 0 && spec->input)
		rc = write_job_file(job->dir, "input", spec->input, spec->input_len, 0600);
	if (rc == 0 && spec->file_env)
		rc = write_job_file(job->dir, "file", spec->file_text ? spec->file_text : "",
				    spec->file_text ? strlen(spec->file_text) : 0, 0600);
	if (rc < 0)
		goto done;

	wfm_slurm_sbatch_argv(&argv, &sj, &s->opts);
	/*
	 * The job is Slurm's, not a child of ours: without our mark (base/proc.h),
	 * so that a successor of a killed engine does not SIGKILL it behind
	 * Slurm's back where it runs on this machine (its worktree would stay);
	 * the ledger has it cancelled through Slurm instead.
	 */
	for (const char *const *e = spec->env_set; e && *e; e++)
		wfm_strvec_push(&env, *e);
	wfm_strvec_push(&env, WFM_PROC_OWNER_VAR "=");
	for (uint64_t start = wfm_clock_mono_ms();;) {
		job->submitted_ms = wfm_clock_wall_ms();
		wfm_process_result_release(&r);
		rc = run_cmd(&r, (const char *const *)argv.v, (const char *const *)env.v);
		if (rc < 0)
			goto done;
		/*
		 * The controller restarting: sbatch could not connect, so nothing was
		 * submitted; try again for a while, as polls wait for it too. Any
		 * other failure may come after the job was taken: never twice.
		 */
		if (r.exit_code == 0 || !strstr(r.err.ptr, NO_CONTROLLER) ||
		    wfm_clock_mono_ms() - start >= CONTROLLER_WAIT_MS)
			break;
		usleep(1000 * 1000);
	}
	if (r.exit_code != 0) {
		wfm_buf_rtrim(&r.err);
		rc = wfm_error_set("sbatch failed (%s): %s",
				   r.exit_code < 0 ? "killed" : "exit code", r.err.ptr);
		goto done;
	}
	rc = wfm_slurm_parse_jobid(job->id, sizeof(job->id), r.output.ptr);
	if (rc < 0)
		goto done;
	snprintf(job->state, sizeof(job->state), "PENDING");
	/* for the process after us, should we die with the job in flight */
	rc = wfm_job_ledger_add(s->ledger, job->id, job->dir);
	if (rc < 0) {
		/* a job nobody would cancel must not run */
		const char *scancel[] = { "scancel", job->id, NULL };
		char *first = wfm_strdup(wfm_error_last());

		wfm_process_result_release(&r);
		run_cmd(&r, scancel, NULL);
		wfm_error_setc(rc, "%s", first);
		free(first);
		goto done;
	}
	*out = job;
	job = NULL;
done:
	wfm_process_result_release(&r);
	wfm_strvec_clear(&argv);
	wfm_strvec_clear(&env);
	wfm_buf_release(&b);
	wfm_buf_release(&name);
	free(ref);
	job_release(job);
	return rc;
}

static int has_result(const struct wfm_exec_job *job)
{
	char *path = wfm_fs_join(job->dir, "result.json");
	int yes = wfm_fs_exists(path);

	free(path);
	return yes;
}

static void set_state(struct wfm_exec_job *job, struct wfm_exec_status *out, const char *word)
{
	snprintf(job->state, sizeof(job->state), "%s", word);
	snprintf(out->detail, sizeof(out->detail), "%s", word);
	out->state = wfm_slurm_state(word);
	/* cancelled by someone else (an operator, a drained node) before it could
	 * write its result: no fault of the command */
	if (!strcmp(word, "CANCELLED") && !job->cancelled && !has_result(job))
		out->state = WFM_EXEC_LOST;
}

/* Remembers that job ended, for slurm_free to take it out of the ledger. */
static void ended(struct slurm *s, struct wfm_exec_job *job, const struct wfm_exec_status *st)
{
	if (job->ended || (st->state != WFM_EXEC_DONE && st->state != WFM_EXEC_LOST))
		return;
	job->ended = 1;
	pthread_mutex_lock(&s->mu);
	wfm_strvec_push(&s->ended, job->id);
	pthread_mutex_unlock(&s->mu);
}

/*
 * A job Slurm holds after its launch failed never runs unless an operator
 * releases it: cancel it (so it cannot run beside its successor) and call
 * it lost, to be submitted again.
 */
static int drop_held(struct wfm_exec_job *job, struct wfm_exec_status *out, const char *reason)
{
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	const char *scancel[] = { "scancel", job->id, NULL };
	int rc = run_cmd(&r, scancel, NULL);

	if (rc == 0 && r.exit_code != 0 && !strstr(r.err.ptr, "Invalid job id")) {
		wfm_buf_rtrim(&r.err);
		rc = wfm_error_set("scancel %s (held: %s) failed: %s", job->id, reason, r.err.ptr);
	}
	wfm_process_result_release(&r);
	if (rc < 0)
		return rc;
	out->state = WFM_EXEC_LOST;
	snprintf(out->detail, sizeof(out->detail), "%s", reason);
	return 0;
}

static int slurm_poll(struct wfm_executor *ex, struct wfm_exec_job *job,
		      struct wfm_exec_status *out)
{
	struct slurm *s = (struct slurm *)ex;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	const char *squeue[] = { "squeue", "-h", "-j", job->id, "-t", "all", "-o", "%T|%r", NULL };
	const char *scontrol[] = { "scontrol", "show", "job", job->id, NULL };
	char word[32];
	int rc;

	rc = run_cmd(&r, squeue, NULL);
	if (rc < 0)
		goto done;
	wfm_buf_rtrim(&r.output);
	if (r.exit_code == 0 && r.output.len) {
		/* a requeued job may be listed twice: the first line is the current one */
		char *nl = strchr(r.output.ptr, '\n'), *reason;

		if (nl)
			*nl = '\0';
		reason = strchr(r.output.ptr, '|');
		if (reason)
			*reason++ = '\0';
		job->unreachable = 0;
		set_state(job, out, r.output.ptr);
		if (out->state == WFM_EXEC_PENDING && reason && wfm_slurm_held(reason) &&
		    !job->cancelled)
			rc = drop_held(job, out, reason);
		goto done;
	}
	if (r.exit_code != 0 && !strstr(r.err.ptr, "Invalid job id")) {
		/*
		 * The controller is away. A job that wrote its result has ended,
		 * whatever Slurm will say of it: the run goes on meanwhile.
		 * Otherwise keep the last state for a while.
		 */
		if (has_result(job)) {
			job->unreachable = 0;
			out->state = WFM_EXEC_DONE;
			snprintf(out->detail, sizeof(out->detail), "%s", job->state);
			goto done;
		}
		if (!job->unreachable)
			job->unreachable = wfm_clock_mono_ms();
		if (wfm_clock_mono_ms() - job->unreachable >= CONTROLLER_WAIT_MS) {
			wfm_buf_rtrim(&r.err);
			rc = wfm_error_set("cannot ask Slurm about job %s for %d minutes: %s",
					   job->id, CONTROLLER_WAIT_MS / 60000, r.err.ptr);
			goto done;
		}
		set_state(job, out, job->state);
		goto done;
	}
	/* squeue has purged it (MinJobAge): scontrol may still know, the result file will */
	job->unreachable = 0;
	wfm_process_result_release(&r);
	rc = run_cmd(&r, scontrol, NULL);
	if (rc < 0)
		goto done;
	if (r.exit_code == 0 && wfm_slurm_scontrol_state(word, sizeof(word), r.output.ptr) == 0) {
		set_state(job, out, word);
	} else if (has_result(job)) {
		out->state = WFM_EXEC_DONE;
		snprintf(out->detail, sizeof(out->detail), "%s", job->state);
	} else {
		out->state = WFM_EXEC_LOST;
		snprintf(out->detail, sizeof(out->detail), "vanished");
	}
done:
	if (rc == 0)
		ended(s, job, out);
	wfm_process_result_release(&r);
	return rc;
}

static int slurm_cancel(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	const char *argv[] = { "scancel", job->id, NULL };
	int rc;

	(void)ex;
	job->cancelled = 1;
	rc = run_cmd(&r, argv, NULL);
	if (rc == 0 && r.exit_code != 0 && !strstr(r.err.ptr, "Invalid job id")) {
		wfm_buf_rtrim(&r.err);
		rc = wfm_error_set("scancel %s failed: %s", job->id, r.err.ptr);
	}
	wfm_process_result_release(&r);
	return rc;
}

/* The last cap bytes of the job's file name in *out, and its size in *bytes. */
static int read_tail(struct wfm_buf *out, uint64_t *bytes, const struct wfm_exec_job *job,
		     const char *name, size_t cap)
{
	char *path = wfm_fs_join(job->dir, name);
	int rc = 0;

	wfm_buf_clear(out);
	*bytes = 0;
	if (wfm_fs_exists(path)) {
		rc = wfm_buf_read_file(out, path);
		if (rc == 0) {
			*bytes = out->len;
			if (out->len > cap) {
				memmove(out->ptr, out->ptr + out->len - cap, cap);
				wfm_buf_setlen(out, cap);
			}
		}
	}
	free(path);
	return rc;
}

/* The command's output (and stderr, when it went apart) into p. */
static int read_output(const struct wfm_exec_job *job, struct wfm_process_result *p)
{
	size_t cap = job->opts.output_cap ? job->opts.output_cap : WFM_PROCESS_OUTPUT_CAP_DEFAULT;
	int rc = read_tail(&p->output, &p->output_bytes, job, "output", cap);

	if (rc == 0)
		rc = read_tail(&p->err, &p->err_bytes, job, "stderr",
			       job->err_cap ? job->err_cap : WFM_PROCESS_OUTPUT_CAP_DEFAULT);
	return rc;
}

/* The end of slurm.out, the job script's own errors, for messages. */
static void slurm_out_tail(struct wfm_buf *out, const struct wfm_exec_job *job)
{
	struct wfm_buf b = WFM_BUF_INIT;
	char *path = wfm_fs_join(job->dir, "slurm.out");

	if (wfm_buf_read_file(&b, path) == 0) {
		wfm_buf_rtrim(&b);
		if (b.len) {
			const char *line = strrchr(b.ptr, '\n');

			wfm_buf_addf(out, ": %s", line ? line + 1 : b.ptr);
		}
	}
	wfm_buf_addf(out, " (see %s)", path);
	free(path);
	wfm_buf_release(&b);
}

/* A commit id the job wrote in res, copied to out; "" when it wrote none or no hex. */
static void take_oid(char out[WFM_OID_HEXSZ + 1], const cJSON *res, const char *key)
{
	const char *v = wfm_json_get_str(res, key, "");

	out[0] = '\0';
	if (strlen(v) != WFM_OID_HEXSZ)
		return;
	for (const char *c = v; *c; c++)
		if (!isxdigit((unsigned char)*c))
			return;
	memcpy(out, v, WFM_OID_HEXSZ + 1);
}

static void take_where(struct wfm_exec_output *out, const struct wfm_exec_job *job,
		       const cJSON *res)
{
	double started = wfm_json_get_num(res, "startedMs", 0);

	snprintf(out->where.executor, sizeof(out->where.executor), "slurm");
	snprintf(out->where.job, sizeof(out->where.job), "%s", job->id);
	snprintf(out->where.node, sizeof(out->where.node), "%s", wfm_json_get_str(res, "node", ""));
	/* the node's clock against ours: a skew makes no negative wait */
	if (started > (double)job->submitted_ms)
		out->where.queue_ms = (uint64_t)started - job->submitted_ms;
}

static int slurm_collect_output(struct wfm_executor *ex, struct wfm_exec_job *job,
				struct wfm_exec_output *out)
{
	struct slurm *s = (struct slurm *)ex;
	struct wfm_buf text = WFM_BUF_INIT, why = WFM_BUF_INIT;
	char *path = wfm_fs_join(job->dir, "result.json");
	const char *what = job->oracle ? "oracle job" : "job";
	cJSON *res = NULL;
	const cJSON *v;
	int rc = 0;

	snprintf(out->where.executor, sizeof(out->where.executor), "slurm");
	snprintf(out->where.job, sizeof(out->where.job), "%s", job->id);
	if (job->cancelled) {
		out->proc.cancelled = 1;
		goto done;
	}
	/* a shared file system may show the file a moment after the job ended */
	for (int i = 0; i < RESULT_WAIT_MS / 100 && !wfm_fs_exists(path) &&
			strcmp(job->state, "TIMEOUT") && strcmp(job->state, "CANCELLED");
	     i++)
		usleep(100 * 1000);
	if (!wfm_fs_exists(path)) {
		if (!strcmp(job->state, "TIMEOUT")) {
			/* Slurm's limit came first (the fetch was slow): still a timeout */
			out->proc.timed_out = 1;
			out->proc.signal = SIGKILL;
			out->proc.exit_code = -1;
			rc = read_output(job, &out->proc);
			goto done;
		}
		slurm_out_tail(&why, job);
		rc = wfm_error_set("%s %s ended %s without a result%s", what, job->id, job->state,
				   why.ptr);
		goto done;
	}
	rc = wfm_buf_read_file(&text, path);
	if (rc < 0)
		goto done;
	if (wfm_json_parse(&res, text.ptr, text.len) < 0 || !cJSON_IsObject(res)) {
		rc = wfm_error_set("%s %s wrote a bad result in '%s'", what, job->id, path);
		goto done;
	}
	take_where(out, job, res);
	if ((v = cJSON_GetObjectItemCaseSensitive(res, "error")) && cJSON_IsString(v)) {
		slurm_out_tail(&why, job);
		rc = wfm_error_set("%s %s: %s%s", what, job->id, v->valuestring, why.ptr);
		goto done;
	}
	v = cJSON_GetObjectItemCaseSensitive(res, "exitCode");
	out->proc.exit_code = cJSON_IsNumber(v) ? v->valueint : -1;
	v = cJSON_GetObjectItemCaseSensitive(res, "signal");
	out->proc.signal = cJSON_IsNumber(v) ? v->valueint : 0;
	out->proc.timed_out = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "timedOut"));
	v = cJSON_GetObjectItemCaseSensitive(res, "durationMs");
	out->proc.duration_ms =
		cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
	rc = read_output(job, &out->proc);
	if (rc < 0)
		goto done;
	if (wfm_json_get_str(res, "dir", NULL))
		out->dir = wfm_strdup(wfm_json_get_str(res, "dir", NULL));
	take_oid(out->head, res, "head");
	take_oid(out->work, res, "work");
	if (job->work_ref && out->work[0]) {
		rc = wfm_remote_fetch(s->repo_path, s->remote, job->work_ref);
		if (rc < 0)
			goto done;
		out->work_ref = wfm_strdup(job->work_ref);
		out->repo_path = s->repo_path;
	} else {
		out->head[0] = out->work[0] = '\0';
	}
done:
	cJSON_Delete(res);
	wfm_buf_release(&text);
	wfm_buf_release(&why);
	free(path);
	return rc;
}

static int slurm_collect(struct wfm_executor *ex, struct wfm_exec_job *job,
			 struct wfm_oracle_result *out)
{
	struct wfm_exec_output o;
	int rc;

	wfm_exec_output_init(&o);
	rc = slurm_collect_output(ex, job, &o);
	wfm_oracle_result_init(out, &job->opts);
	snprintf(out->commit, sizeof(out->commit), "%s", job->commit);
	if (rc == 0) {
		wfm_process_result_release(&out->proc);
		out->proc = o.proc;
		{
			struct wfm_process_result empty = WFM_PROCESS_RESULT_INIT;

			o.proc = empty;
		}
		out->where = o.where;
		if (!out->proc.cancelled)
			wfm_oracle_result_finish(out, o.dir, &job->opts);
	}
	wfm_exec_output_release(&o);
	return rc;
}

static void slurm_job_free(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	(void)ex;
	job_release(job);
}

static void slurm_free(struct wfm_executor *ex)
{
	struct slurm *s = (struct slurm *)ex;

	free(s->repo_path);
	free(s->run);
	free(s->remote);
	free(s->job_dir);
	free(s->node_cache);
	free(s->partition);
	free(s->mem);
	wfm_strvec_clear(&s->pushed);
	/* the jobs seen ended need no cancelling by our successor: best effort */
	if (s->ledger && s->ended.nr)
		wfm_job_ledger_forget(s->ledger, (const char *const *)s->ended.v);
	free(s->ledger);
	wfm_strvec_clear(&s->ended);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->push_mu);
	free(s);
}

const struct wfm_executor_ops wfm_exec_slurm_ops = {
	.name = "slurm",
	.open = slurm_open,
	.submit = slurm_submit,
	.poll = slurm_poll,
	.cancel = slurm_cancel,
	.collect = slurm_collect,
	.collect_output = slurm_collect_output,
	.job_free = slurm_job_free,
	.free = slurm_free,
};
