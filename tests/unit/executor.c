#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "exec/executor.h"
#include "exec/job_ledger.h"
#include "exec/remote.h"
#include "exec/slurm.h"
#include "git/pool.h"
#include "git/repo.h"

#include <stdlib.h>
#include <unistd.h>

static char *repo, *bare, *pass_commit, *fail_commit;

static int setup(void **state)
{
	wfm_git_init();
	repo = wfm_test_repo_new();
	wfm_test_write(repo, "check.sh", "echo 'tests: 3 passed'\nexit 0\n");
	free(wfm_test_sh(repo, "git add -A && git commit -qm pass"));
	pass_commit = wfm_test_sh_trim(repo, "git rev-parse HEAD");
	wfm_test_write(repo, "check.sh",
		       "echo 'FAIL: test_two'\necho 'tests: 2 passed, 1 failed'\nexit 3\n");
	free(wfm_test_sh(repo, "git commit -qam fail"));
	fail_commit = wfm_test_sh_trim(repo, "git rev-parse HEAD");
	bare = wfm_test_tmpdir();
	free(wfm_test_sh(bare, "git init -q --bare ."));
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(repo);
	wfm_test_rmtree(bare);
	free(repo);
	free(bare);
	free(pass_commit);
	free(fail_commit);
	wfm_git_shutdown();
	return 0;
}

static void test_executor__table(void **state)
{
	struct wfm_executor *ex = NULL;
	struct wfm_executor_opts o = WFM_EXECUTOR_OPTS_INIT;

	assert_true(wfm_executor_known("local"));
	assert_true(wfm_executor_known("slurm"));
	assert_false(wfm_executor_known("kubernetes"));
	o.name = "kubernetes";
	assert_int_equal(wfm_executor_open(&ex, &o), WFM_EINVALID);
	assert_non_null(
		strstr(wfm_error_last(), "unknown executor 'kubernetes' (known: local, slurm)"));
	o.name = "slurm";
	assert_int_equal(wfm_executor_open(&ex, &o), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "needs a shared remote"));
	o.name = "local";
	assert_int_equal(wfm_executor_open(&ex, &o), WFM_EINVALID);
	assert_null(ex);
}

static void test_executor__sbatch_argv(void **state)
{
	struct wfm_executor_opts o = WFM_EXECUTOR_OPTS_INIT;
	struct wfm_slurm_job j = { 0 };
	struct wfm_strvec argv = WFM_STRVEC_INIT;
	struct wfm_buf all = WFM_BUF_INIT;

	assert_int_equal(wfm_slurm_time_minutes(0), 0);
	assert_int_equal(wfm_slurm_time_minutes(1), 1 + WFM_SLURM_SETUP_MINUTES);
	assert_int_equal(wfm_slurm_time_minutes(60), 1 + WFM_SLURM_SETUP_MINUTES);
	assert_int_equal(wfm_slurm_time_minutes(61), 2 + WFM_SLURM_SETUP_MINUTES);
	assert_int_equal(wfm_slurm_time_minutes(1800), 30 + WFM_SLURM_SETUP_MINUTES);

	j.dir = "/shared/jobs/job.abc";
	j.timeout_sec = 1800;
	wfm_slurm_sbatch_argv(&argv, &j, &o);
	for (size_t i = 0; i < argv.nr; i++)
		wfm_buf_addf(&all, "%s%s", i ? " " : "", argv.v[i]);
	assert_string_equal(all.ptr,
			    "sbatch --parsable --job-name=wfm-oracle "
			    "--output=/shared/jobs/job.abc/slurm.out --chdir=/shared/jobs/job.abc "
			    "--export=ALL --nodes=1 --ntasks=1 --no-requeue --time=35 "
			    "/shared/jobs/job.abc/job.sh");
	wfm_strvec_clear(&argv);
	wfm_buf_clear(&all);

	o.partition = "gpu";
	o.cpus = 4;
	o.mem = "8G";
	j.timeout_sec = 0;
	j.name = "wfm-merge-1a2b3c4";
	wfm_slurm_sbatch_argv(&argv, &j, &o);
	for (size_t i = 0; i < argv.nr; i++)
		wfm_buf_addf(&all, "%s%s", i ? " " : "", argv.v[i]);
	assert_string_equal(
		all.ptr,
		"sbatch --parsable --job-name=wfm-merge-1a2b3c4 "
		"--output=/shared/jobs/job.abc/slurm.out --chdir=/shared/jobs/job.abc "
		"--export=ALL --nodes=1 --ntasks=1 --no-requeue --partition=gpu --cpus-per-task=4 "
		"--mem=8G /shared/jobs/job.abc/job.sh");
	wfm_strvec_clear(&argv);
	wfm_buf_release(&all);
}

static void test_executor__slurm_answers(void **state)
{
	char id[32], st[32];

	assert_wfm_ok(wfm_slurm_parse_jobid(id, sizeof(id), "42\n"));
	assert_string_equal(id, "42");
	assert_wfm_ok(wfm_slurm_parse_jobid(id, sizeof(id), "1234;cluster\n"));
	assert_string_equal(id, "1234");
	assert_true(wfm_slurm_parse_jobid(id, sizeof(id), "") < 0);
	assert_true(wfm_slurm_parse_jobid(id, sizeof(id), "sbatch: error: x") < 0);
	assert_true(wfm_slurm_parse_jobid(id, 3, "12345") < 0);

	assert_int_equal(wfm_slurm_state("PENDING"), WFM_EXEC_PENDING);
	assert_int_equal(wfm_slurm_state("RUNNING"), WFM_EXEC_RUNNING);
	assert_int_equal(wfm_slurm_state("COMPLETING"), WFM_EXEC_RUNNING);
	assert_int_equal(wfm_slurm_state("COMPLETED"), WFM_EXEC_DONE);
	assert_int_equal(wfm_slurm_state("FAILED"), WFM_EXEC_DONE);
	assert_int_equal(wfm_slurm_state("TIMEOUT"), WFM_EXEC_DONE);
	assert_int_equal(wfm_slurm_state("CANCELLED"), WFM_EXEC_DONE);
	assert_int_equal(wfm_slurm_state("NODE_FAIL"), WFM_EXEC_LOST);
	assert_int_equal(wfm_slurm_state("PREEMPTED"), WFM_EXEC_LOST);
	assert_int_equal(wfm_slurm_state("BOOT_FAIL"), WFM_EXEC_LOST);
	assert_int_equal(wfm_slurm_state("SOMETHING_NEW"), WFM_EXEC_RUNNING);

	assert_wfm_ok(wfm_slurm_scontrol_state(
		st, sizeof(st),
		"JobId=18 JobName=wrap\n   UserId=root(0) GroupId=root(0)\n"
		"   JobState=NODE_FAIL Reason=None Dependency=(null)\n   ExitCode=0:0\n"));
	assert_string_equal(st, "NODE_FAIL");
	assert_int_equal(wfm_slurm_scontrol_state(
				 st, sizeof(st), "slurm_load_jobs error: Invalid job id specified"),
			 WFM_ENOTFOUND);
}

static void test_executor__ledger(void **state)
{
	char *dir = wfm_test_tmpdir(), *path = wfm_job_ledger_path(dir, "20261205-120000-abcdef");
	struct wfm_job_ledger l = WFM_JOB_LEDGER_INIT;
	const char *first[] = { "41", NULL }, *none[] = { NULL },
		   *all[] = { "42", "43", "44", "45", "46", "99", NULL };
	FILE *f;
	char *text;

	assert_non_null(strstr(path, "/20261205-120000-abcdef.jobs"));
	/* no ledger yet: no job, nothing to forget */
	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 0);
	assert_wfm_ok(wfm_job_ledger_forget(path, first));
	assert_false(wfm_fs_exists(path));

	assert_wfm_ok(wfm_job_ledger_add(path, "41", "/shared/jobs/job.a"));
	assert_wfm_ok(wfm_job_ledger_add(path, "42", "/shared/my jobs/job.b"));
	assert_wfm_ok(wfm_job_ledger_add(path, "43", "/shared/jobs/job.c"));
	text = wfm_test_read(path);
	assert_string_equal(text, "41 /shared/jobs/job.a\n42 /shared/my jobs/job.b\n"
				  "43 /shared/jobs/job.c\n");
	free(text);
	/* a line cannot hold these */
	assert_int_equal(wfm_job_ledger_add(path, "4 2", "/d"), WFM_EINVALID);
	assert_int_equal(wfm_job_ledger_add(path, "", "/d"), WFM_EINVALID);
	assert_int_equal(wfm_job_ledger_add(path, "45", "/d\n46 /e"), WFM_EINVALID);
	assert_int_equal(wfm_job_ledger_add(path, "45", ""), WFM_EINVALID);

	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 3);
	assert_string_equal(l.ids.v[0], "41");
	assert_string_equal(l.dirs.v[1], "/shared/my jobs/job.b");
	assert_string_equal(l.ids.v[2], "43");
	wfm_job_ledger_release(&l);

	/* forgetting some keeps the others, in order */
	assert_wfm_ok(wfm_job_ledger_forget(path, first));
	assert_wfm_ok(wfm_job_ledger_forget(path, none));
	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 2);
	assert_string_equal(l.ids.v[0], "42");
	assert_string_equal(l.ids.v[1], "43");
	wfm_job_ledger_release(&l);

	/* a crash mid-write leaves a torn last line, and a bad line is no job */
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("garbage\n 7 /x\n44 /shared/jobs/job.d\n45 /shared/jo", f);
	fclose(f);
	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 3);
	assert_string_equal(l.ids.v[2], "44");
	assert_string_equal(l.dirs.v[2], "/shared/jobs/job.d");
	wfm_job_ledger_release(&l);
	/* an append after a torn line ends it first: the new line stays whole */
	assert_wfm_ok(wfm_job_ledger_add(path, "46", "/shared/jobs/job.f"));
	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 5);
	assert_string_equal(l.ids.v[3], "45");
	assert_string_equal(l.dirs.v[3], "/shared/jo");
	assert_string_equal(l.ids.v[4], "46");
	assert_string_equal(l.dirs.v[4], "/shared/jobs/job.f");
	wfm_job_ledger_release(&l);
	/* forget rewrites the lines it can read */
	assert_wfm_ok(wfm_job_ledger_forget(path, first));
	text = wfm_test_read(path);
	assert_string_equal(text, "42 /shared/my jobs/job.b\n43 /shared/jobs/job.c\n"
				  "44 /shared/jobs/job.d\n45 /shared/jo\n46 /shared/jobs/job.f\n");
	free(text);

	/* forgetting every job removes the file; a new job makes it again */
	assert_wfm_ok(wfm_job_ledger_forget(path, all));
	assert_false(wfm_fs_exists(path));
	assert_wfm_ok(wfm_job_ledger_add(path, "50", "/shared/jobs/job.e"));
	assert_wfm_ok(wfm_job_ledger_read(&l, path));
	assert_int_equal(l.ids.nr, 1);
	assert_string_equal(l.ids.v[0], "50");
	wfm_job_ledger_release(&l);

	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_executor__slurm_orphans(void **state)
{
	struct wfm_job_ledger l = WFM_JOB_LEDGER_INIT;
	struct wfm_strvec out = WFM_STRVEC_INIT;

	assert_true(wfm_slurm_held("launch failed requeued held"));
	assert_true(wfm_slurm_held("launch_failed_requeued_held"));
	assert_false(wfm_slurm_held("None"));
	assert_false(wfm_slurm_held("Resources"));
	assert_false(wfm_slurm_held("JobHeldAdmin"));

	wfm_strvec_push(&l.ids, "7");
	wfm_strvec_push(&l.dirs, "/j/job.a");
	wfm_strvec_push(&l.ids, "8");
	wfm_strvec_push(&l.dirs, "/j/job.b");
	wfm_strvec_push(&l.ids, "9");
	wfm_strvec_push(&l.dirs, "/j/job.c");
	wfm_strvec_push(&l.ids, "10");
	wfm_strvec_push(&l.dirs, "/j/job|d");
	wfm_strvec_push(&l.ids, "11");
	wfm_strvec_push(&l.dirs, "/j/job.e");
	wfm_slurm_orphans(&out,
			  "7|RUNNING|/j/job.a\n"
			  "8|COMPLETED|/j/job.b\n"   /* ended: nothing to cancel */
			  "9|PENDING|/elsewhere/x\n" /* the id, but not our job: a new cluster */
			  "10|PENDING|/j/job|d\n"    /* a | in the directory */
			  "11|COMPLETING|/j/job.e\n"
			  "12|RUNNING|/j/job.f\n" /* not in the ledger */
			  "garbage\n"
			  "13|RUNNING",
			  &l);
	assert_int_equal(out.nr, 3);
	assert_string_equal(out.v[0], "7");
	assert_string_equal(out.v[1], "10");
	assert_string_equal(out.v[2], "11");
	wfm_strvec_clear(&out);
	wfm_slurm_orphans(&out, "", &l);
	assert_int_equal(out.nr, 0);
	wfm_job_ledger_release(&l);
}

/* Opening the slurm executor with no ledger asks Slurm nothing and finds no orphan. */
static void test_executor__slurm_open(void **state)
{
	struct wfm_executor_opts o = WFM_EXECUTOR_OPTS_INIT;
	struct wfm_executor *ex = NULL;
	char *jobs = wfm_test_tmpdir();

	o.name = "slurm";
	o.repo_path = repo;
	o.run = "20261205-120000-abcdef";
	o.remote = bare;
	o.job_dir = jobs;
	assert_wfm_ok(wfm_executor_open(&ex, &o));
	assert_string_equal(wfm_executor_name(ex), "slurm");
	assert_int_equal(wfm_executor_orphans(ex), 0);
	assert_true(wfm_executor_runs_commands(ex));
	wfm_executor_free(ex);
	assert_int_equal(wfm_executor_orphans(NULL), 0);
	wfm_test_rmtree(jobs);
	free(jobs);
}

/* Runs the generated script with sh, as slurmd would, in a job directory of dir. */
static cJSON *run_script(const char *jobs, const char *commit, const char *command,
			 unsigned long timeout, char **job_dir)
{
	struct wfm_slurm_job j = { 0 };
	struct wfm_buf script = WFM_BUF_INIT;
	char *ref = wfm_remote_ref("r1", commit), *text, *path;
	cJSON *res;

	assert_wfm_ok(wfm_remote_push(repo, bare, commit, ref));
	*job_dir = wfm_test_sh_trim(jobs, "mktemp -d %s/job.XXXXXX", jobs);
	j.dir = *job_dir;
	j.remote = bare;
	j.ref = ref;
	j.commit = commit;
	j.command = command;
	j.timeout_sec = timeout;
	j.node_cache = jobs;
	wfm_slurm_script(&script, &j);
	wfm_test_write(*job_dir, "job.sh", script.ptr);
	/* an API key in the environment of the script is not the engine's business here:
	 * sbatch's environment is scrubbed by the executor */
	free(wfm_test_sh(*job_dir, "sh job.sh >slurm.out 2>&1"));
	path = wfm_fs_join(*job_dir, "result.json");
	text = wfm_test_read(path);
	res = wfm_test_json(text);
	free(text);
	free(path);
	free(ref);
	wfm_buf_release(&script);
	return res;
}

static void test_executor__job_script(void **state)
{
	char *jobs = wfm_test_tmpdir(), *dir = NULL, *out;
	cJSON *r;

	r = run_script(jobs, pass_commit, "sh check.sh; git rev-parse HEAD", 60, &dir);
	assert_int_equal(cJSON_GetObjectItem(r, "exitCode")->valueint, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "signal")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r, "timedOut")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(r, "durationMs")));
	out = wfm_test_sh(dir, "cat output");
	assert_non_null(strstr(out, "tests: 3 passed"));
	/* it ran at the commit, in a worktree of the node's cache that is gone now */
	assert_non_null(strstr(out, pass_commit));
	assert_false(wfm_fs_exists(cJSON_GetObjectItem(r, "dir")->valuestring));
	free(out);
	cJSON_Delete(r);
	free(dir);

	r = run_script(jobs, fail_commit, "sh check.sh", 0, &dir);
	assert_int_equal(cJSON_GetObjectItem(r, "exitCode")->valueint, 3);
	cJSON_Delete(r);
	free(dir);

	r = run_script(jobs, fail_commit, "kill -9 $$", 0, &dir);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "exitCode")));
	assert_int_equal(cJSON_GetObjectItem(r, "signal")->valueint, 9);
	cJSON_Delete(r);
	free(dir);

	r = run_script(jobs, pass_commit, "sleep 30", 1, &dir);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "timedOut")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "exitCode")));
	cJSON_Delete(r);
	free(dir);

	/* a commit the remote does not have: an error, with git's words in slurm.out */
	{
		struct wfm_slurm_job j = { 0 };
		struct wfm_buf script = WFM_BUF_INIT;

		dir = wfm_test_sh_trim(jobs, "mktemp -d %s/job.XXXXXX", jobs);
		j.dir = dir;
		j.remote = bare;
		j.ref = "refs/wfmigrate/r1/commits/nothing";
		j.commit = pass_commit;
		j.command = "true";
		j.node_cache = jobs;
		wfm_slurm_script(&script, &j);
		wfm_test_write(dir, "job.sh", script.ptr);
		free(wfm_test_sh(dir, "sh job.sh >slurm.out 2>&1"));
		assert_sh_contains(dir, "\"error\": \"cannot fetch the commit from the remote\"",
				   "cat result.json");
		assert_sh_contains(dir, "couldn't find remote ref", "cat slurm.out");
		wfm_buf_release(&script);
		free(dir);
	}
	wfm_test_rmtree(jobs);
	free(jobs);
}

/* An agent's job: stdin, the request file, stderr apart, and its work pushed back. */
static void test_executor__agent_script(void **state)
{
	char *jobs = wfm_test_tmpdir(), *dir, *out, *work_ref = wfm_remote_work_ref("r1", "j1");
	char *ref = wfm_remote_ref("r1", pass_commit);
	struct wfm_slurm_job j = { 0 };
	struct wfm_buf script = WFM_BUF_INIT;
	const char *head, *work;
	cJSON *r;
	char *text, *path;

	(void)state;
	assert_wfm_ok(wfm_remote_push(repo, bare, pass_commit, ref));
	dir = wfm_test_sh_trim(jobs, "mktemp -d %s/job.XXXXXX", jobs);
	j.dir = dir;
	j.remote = bare;
	j.ref = ref;
	j.commit = pass_commit;
	j.command = "cat >prompt.txt && cat \"$REQ\" >request.json && echo out && echo err >&2 && "
		    "echo one >one.txt && git add one.txt && "
		    "git -c user.name=a -c user.email=a@b commit -qm one && echo left >left.txt";
	j.timeout_sec = 60;
	j.node_cache = jobs;
	j.file_env = "REQ";
	j.split_stderr = 1;
	j.work_ref = work_ref;
	wfm_slurm_script(&script, &j);
	wfm_test_write(dir, "job.sh", script.ptr);
	wfm_test_write(dir, "input", "the prompt\n");
	wfm_test_write(dir, "file", "{\"role\": \"implementer\"}");
	free(wfm_test_sh(dir, "sh job.sh >slurm.out 2>&1"));
	path = wfm_fs_join(dir, "result.json");
	text = wfm_test_read(path);
	r = wfm_test_json(text);
	assert_int_equal(cJSON_GetObjectItem(r, "exitCode")->valueint, 0);
	assert_sh_contains(dir, "out", "cat output");
	assert_sh_contains(dir, "err", "cat stderr");
	head = cJSON_GetObjectItem(r, "head")->valuestring;
	work = cJSON_GetObjectItem(r, "work")->valuestring;
	assert_int_equal(strlen(head), 40);
	assert_int_equal(strlen(work), 40);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(r, "node")));
	assert_true(cJSON_GetObjectItem(r, "startedMs")->valuedouble > 1e12);
	/* on the remote: work on top of the agent's own commit on top of the base */
	out = wfm_test_sh_trim(bare, "git rev-parse %s %s^ %s^^", work_ref, work_ref, work_ref);
	assert_non_null(strstr(out, work));
	assert_non_null(strstr(out, head));
	assert_non_null(strstr(out, pass_commit));
	free(out);
	assert_sh_contains(bare, "the prompt", "git show %s:prompt.txt", work);
	assert_sh_contains(bare, "implementer", "git show %s:request.json", work);
	assert_sh_contains(bare, "left", "git show %s:left.txt", work);
	free(text);
	cJSON_Delete(r);
	free(path);
	free(dir);

	/* a failed command keeps nothing */
	dir = wfm_test_sh_trim(jobs, "mktemp -d %s/job.XXXXXX", jobs);
	j.dir = dir;
	j.command = "echo x >x.txt; exit 4";
	wfm_buf_clear(&script);
	wfm_slurm_script(&script, &j);
	wfm_test_write(dir, "job.sh", script.ptr);
	free(wfm_test_sh(dir, "sh job.sh >slurm.out 2>&1"));
	path = wfm_fs_join(dir, "result.json");
	text = wfm_test_read(path);
	r = wfm_test_json(text);
	assert_int_equal(cJSON_GetObjectItem(r, "exitCode")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(r, "work")->valuestring, "");
	free(text);
	cJSON_Delete(r);
	free(path);
	free(dir);

	wfm_buf_release(&script);
	free(ref);
	free(work_ref);
	wfm_test_rmtree(jobs);
	free(jobs);
}

/* Where a job ran: described, kept in JSON and read back, counted. */
static void test_executor__where(void **state)
{
	struct wfm_exec_where w = { 0 }, back;
	struct wfm_exec_tally t = { 0 };
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *o = wfm_json_object();

	(void)state;
	wfm_exec_where_describe(&b, &w);
	wfm_exec_where_to_json(o, &w);
	assert_int_equal(b.len, 0);
	assert_null(cJSON_GetObjectItem(o, "ranOn"));
	wfm_exec_tally_add(&t, &w);
	assert_int_equal(t.jobs, 0);

	snprintf(w.executor, sizeof(w.executor), "slurm");
	snprintf(w.job, sizeof(w.job), "42");
	snprintf(w.node, sizeof(w.node), "node1");
	w.queue_ms = 1250;
	wfm_exec_where_describe(&b, &w);
	assert_string_equal(b.ptr, "slurm job 42 on node1, 1.2 s queued");
	w.lost = 1;
	snprintf(w.lost_states, sizeof(w.lost_states), "NODE_FAIL");
	wfm_buf_clear(&b);
	wfm_exec_where_describe(&b, &w);
	assert_string_equal(b.ptr, "slurm job 42 on node1, 1.2 s queued, after 1 lost (NODE_FAIL)");
	wfm_exec_where_to_json(o, &w);
	wfm_exec_where_from_json(&back, o);
	assert_memory_equal(&back, &w, sizeof(w));
	wfm_exec_tally_add(&t, &w);
	w.queue_ms = 3000;
	w.lost = 0;
	wfm_exec_tally_add(&t, &w);
	assert_int_equal(t.jobs, 2);
	assert_int_equal(t.wait_ms, 4250);
	assert_int_equal(t.longest_wait_ms, 3000);
	assert_int_equal(t.lost, 1);
	cJSON_Delete(o);
	wfm_buf_release(&b);
}

static void test_executor__local_jobs(void **state)
{
	struct wfm_executor_opts o = WFM_EXECUTOR_OPTS_INIT;
	struct wfm_oracle_opts oo = WFM_ORACLE_OPTS_INIT;
	struct wfm_executor *ex = NULL;
	struct wfm_exec_job *job = NULL;
	struct wfm_exec_status st;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = NULL;
	struct wfm_exec_spec spec = { .oracle = &oo, .label = "test" };

	assert_wfm_ok(wfm_pool_open(&pool, repo, NULL));
	o.pool = pool;
	assert_wfm_ok(wfm_executor_open(&ex, &o));
	assert_string_equal(wfm_executor_name(ex), "local");

	oo.command = "sh check.sh";
	assert_wfm_ok(wfm_executor_run(ex, &r, fail_commit, &oo));
	assert_false(r.pass);
	assert_int_equal(r.proc.exit_code, 3);
	assert_string_equal(r.commit, fail_commit);
	assert_string_equal(r.excerpt.v[0], "FAIL: test_two");
	wfm_oracle_result_release(&r);

	spec.commit = pass_commit;
	spec.command = oo.command;
	assert_wfm_ok(wfm_exec_submit(ex, &job, &spec));
	do {
		assert_wfm_ok(wfm_exec_poll(ex, job, &st));
		usleep(10 * 1000);
	} while (st.state != WFM_EXEC_DONE);
	assert_wfm_ok(wfm_exec_collect(ex, job, &r));
	assert_true(r.pass);
	assert_non_null(strstr(r.proc.output.ptr, "tests: 3 passed"));
	wfm_oracle_result_release(&r);
	wfm_exec_job_free(ex, job);

	oo.command = spec.command = "sleep 30";
	assert_wfm_ok(wfm_exec_submit(ex, &job, &spec));
	assert_wfm_ok(wfm_exec_cancel(ex, job));
	assert_wfm_ok(wfm_exec_collect(ex, job, &r));
	assert_true(r.proc.cancelled);
	assert_false(r.pass);
	wfm_oracle_result_release(&r);
	wfm_exec_job_free(ex, job);

	/* agents run here without it: the local executor takes only oracle runs */
	assert_false(wfm_executor_runs_commands(ex));
	spec.oracle = NULL;
	assert_int_equal(wfm_exec_submit(ex, &job, &spec), WFM_EINVALID);
	assert_null(job);

	wfm_executor_free(ex);
	wfm_pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_executor__table),
		cmocka_unit_test(test_executor__sbatch_argv),
		cmocka_unit_test(test_executor__agent_script),
		cmocka_unit_test(test_executor__where),
		cmocka_unit_test(test_executor__slurm_answers),
		cmocka_unit_test(test_executor__ledger),
		cmocka_unit_test(test_executor__slurm_orphans),
		cmocka_unit_test(test_executor__slurm_open),
		cmocka_unit_test(test_executor__job_script),
		cmocka_unit_test(test_executor__local_jobs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
