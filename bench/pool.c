/*
 * bench_pool [<repo> [<A> [<B> [<rounds>]]]]
 *
 * Times, side by side in one run on the same repository:
 *   pool      rounds of (acquire A, release, acquire B, release) on one
 *             warm slot: an incremental checkout between A and B
 *   cold      rounds of cold-mode acquire A + release (a new worktree
 *             each time, checked out by libgit2, then removed)
 *   git       rounds of `git worktree add --detach <tmp> A` and
 *             `git worktree remove --force <tmp>` with the real git
 * and prints the means and the ratio acquire / `git worktree add`.
 * Defaults: the current project checkout, HEAD, HEAD~1, 10 rounds.
 * The repository is left as it was found. See bench/README.md.
 */
#define _GNU_SOURCE /* nftw()'s FTW_ACTIONRETVAL */
#include "base/common.h"
#include "base/buf.h"
#include "git/pool.h"
#include "git/repo.h"

#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv quietly; returns its exit status. */
static int run(const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* First line of a command's output (popen), for the header only. */
static void capture(char *out, size_t n, const char *fmt, ...)
{
	struct wfm_buf cmd = WFM_BUF_INIT;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	wfm_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd.ptr, "r");
	if (p) {
		if (!fgets(out, (int)n, p))
			out[0] = '\0';
		pclose(p);
	}
	out[strcspn(out, "\n")] = '\0';
	wfm_buf_release(&cmd);
}

/* The checkout this file was built from (CMake compiles it by absolute path). */
static const char *project_checkout(char *buf, size_t n)
{
	char *slash;

	snprintf(buf, n, "%s", __FILE__);
	for (int i = 0; i < 2; i++) {
		slash = strrchr(buf, '/');
		if (!slash)
			return ".";
		*slash = '\0';
	}
	return *buf ? buf : ".";
}

/* Counts the files of a working tree modified after a moment: what a checkout wrote. */
static struct timespec since;
static long written, total;

static int count_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;

	if (type == FTW_D && !strcmp(base, ".git"))
		return FTW_SKIP_SUBTREE;
	if (type != FTW_F || !strcmp(base, ".git"))
		return FTW_CONTINUE;
	total++;
	if (st->st_mtim.tv_sec > since.tv_sec ||
	    (st->st_mtim.tv_sec == since.tv_sec && st->st_mtim.tv_nsec >= since.tv_nsec))
		written++;
	return FTW_CONTINUE;
}

static int fail(const char *what)
{
	fprintf(stderr, "bench_pool: %s: %s\n", what, wfm_error_last());
	return 1;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	const char *repo_path = argc > 1 ? argv[1] : project_checkout(self, sizeof(self));
	const char *a = argc > 2 ? argv[2] : "HEAD";
	const char *b = argc > 3 ? argv[3] : "HEAD~1";
	int rounds = argc > 4 ? atoi(argv[4]) : 10;
	struct wfm_pool_opts warm_opts = WFM_POOL_OPTS_INIT, cold_opts = WFM_POOL_OPTS_INIT;
	struct wfm_pool *warm = NULL, *cold = NULL;
	struct wfm_slot *slot = NULL;
	struct wfm_repo *repo = NULL;
	char ha[WFM_OID_HEXSZ + 1], hb[WFM_OID_HEXSZ + 1], files[64], changed[64];
	char tmpl[] = "/tmp/bench-pool-XXXXXX", wt[PATH_MAX];
	double t, first, acq = 0, rel = 0, cold_acq = 0, cold_rel = 0, add = 0, rm = 0;

	if (rounds < 1)
		rounds = 1;
	if (wfm_git_init() < 0 || wfm_repo_open(&repo, repo_path) < 0)
		return fail(repo_path);
	if (wfm_repo_resolve_commit(ha, repo, a) < 0 || wfm_repo_resolve_commit(hb, repo, b) < 0)
		return fail("resolving A and B");
	capture(files, sizeof(files), "git -C '%s' ls-tree -r --name-only %s | wc -l", repo_path,
		ha);
	capture(changed, sizeof(changed), "git -C '%s' diff --name-only %s %s | wc -l", repo_path,
		ha, hb);
	printf("repository  %s\nA           %s (%s files)\nB           %s (%s files differ)\n"
	       "rounds      %d\n\n",
	       repo_path, ha, files, hb, changed, rounds);

	cold_opts.cold = 1;
	if (wfm_pool_open(&warm, repo_path, &warm_opts) < 0 ||
	    wfm_pool_open(&cold, repo_path, &cold_opts) < 0)
		return fail("wfm_pool_open");

	/* the slot's first acquire makes it: a full checkout, reported on its own */
	t = now();
	if (wfm_pool_acquire(&slot, warm, ha) < 0)
		return fail("first acquire");
	first = now() - t;
	if (wfm_pool_release(warm, slot) < 0)
		return fail("release");

	/* what an acquire from A to B writes */
	clock_gettime(CLOCK_REALTIME, &since);
	usleep(10000);
	if (wfm_pool_acquire(&slot, warm, hb) < 0)
		return fail("acquire");
	nftw(wfm_slot_path(slot), count_file, 64, FTW_PHYS | FTW_ACTIONRETVAL);
	if (wfm_pool_release(warm, slot) < 0 || wfm_pool_acquire(&slot, warm, ha) < 0 ||
	    wfm_pool_release(warm, slot) < 0)
		return fail("release");
	printf("an acquire from A to B wrote %ld of the slot's %ld files\n\n", written, total);

	for (int i = 0; i < rounds; i++) {
		const char *bases[2] = { hb, ha };

		for (int j = 0; j < 2; j++) {
			t = now();
			if (wfm_pool_acquire(&slot, warm, bases[j]) < 0)
				return fail("acquire");
			acq += now() - t;
			t = now();
			if (wfm_pool_release(warm, slot) < 0)
				return fail("release");
			rel += now() - t;
		}
	}
	/* leave the repository as it was: the slot goes */
	if (wfm_pool_acquire(&slot, warm, ha) < 0 || wfm_pool_discard(warm, slot) < 0)
		return fail("discard");

	for (int i = 0; i < rounds; i++) {
		t = now();
		if (wfm_pool_acquire(&slot, cold, ha) < 0)
			return fail("cold acquire");
		cold_acq += now() - t;
		t = now();
		if (wfm_pool_release(cold, slot) < 0)
			return fail("cold release");
		cold_rel += now() - t;
	}

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(wt, sizeof(wt), "%s/wt", tmpl);
	for (int i = 0; i < rounds; i++) {
		const char *add_argv[] = { "git",      "-C", repo_path, "worktree", "add",
					   "--detach", wt,   ha,	NULL };
		const char *rm_argv[] = { "git",    "-C",      repo_path, "worktree",
					  "remove", "--force", wt,	  NULL };

		t = now();
		if (run(add_argv) != 0) {
			fprintf(stderr, "bench_pool: git worktree add failed\n");
			return 1;
		}
		add += now() - t;
		t = now();
		if (run(rm_argv) != 0) {
			fprintf(stderr, "bench_pool: git worktree remove failed\n");
			return 1;
		}
		rm += now() - t;
	}
	rmdir(tmpl);

	acq /= 2 * rounds;
	rel /= 2 * rounds;
	cold_acq /= rounds;
	cold_rel /= rounds;
	add /= rounds;
	rm /= rounds;
	printf("%-44s %10s\n", "operation", "mean ms");
	printf("%-44s %10.2f\n", "pool acquire, warm slot (A<->B)", acq * 1e3);
	printf("%-44s %10.2f\n", "pool release, warm slot", rel * 1e3);
	printf("%-44s %10.2f\n", "pool acquire, new slot (first, once)", first * 1e3);
	printf("%-44s %10.2f\n", "pool acquire, cold mode", cold_acq * 1e3);
	printf("%-44s %10.2f\n", "pool release, cold mode (removes it)", cold_rel * 1e3);
	printf("%-44s %10.2f\n", "git worktree add --detach", add * 1e3);
	printf("%-44s %10.2f\n", "git worktree remove --force", rm * 1e3);
	printf("\nratio warm acquire / git worktree add       %.3f\n", acq / add);
	printf("ratio warm acquire+release / git add+remove  %.3f\n", (acq + rel) / (add + rm));
	printf("ratio cold acquire / git worktree add        %.3f\n", cold_acq / add);

	wfm_pool_free(warm);
	wfm_pool_free(cold);
	wfm_repo_free(repo);
	wfm_git_shutdown();
	return 0;
}
