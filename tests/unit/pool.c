#include "support/test.h"
#include "base/buf.h"
#include "base/process.h"
#include "git/pidlock.h"
#include "git/pool.h"
#include "git/repo.h"
#include "git/worktree.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/*
 * Every test makes its own repository:
 *   c1: .gitignore (build/, *.o), a.txt, src/b.c, src/c.c, docs/d.md
 *   c2: a.txt changed, docs/d.md deleted, src/e.c added
 * and checks the outcome with the real git.
 */
struct fixture {
	char *repo;
	char c1[WFM_OID_HEXSZ + 1];
	char c2[WFM_OID_HEXSZ + 1];
	char pooldir[1024];
};

static int path_exists(const char *dir, const char *rel)
{
	struct wfm_buf p = WFM_BUF_INIT;
	struct stat st;
	int rc;

	wfm_buf_addf(&p, "%s/%s", dir, rel);
	rc = lstat(p.ptr, &st);
	wfm_buf_release(&p);
	return rc == 0;
}

static char *read_text(const char *dir, const char *rel)
{
	return wfm_test_sh_trim(dir, "cat '%s'", rel);
}

/* git fsck is clean, and git worktree list shows no half-made or prunable entry. */
static void assert_repo_clean(const char *repo)
{
	if (wfm_test_sh_status(repo, "git fsck --strict --no-progress >/dev/null 2>&1"))
		fail_msg("git fsck failed in %s", repo);
	assert_sh_lacks(repo, "prunable", "git worktree list --porcelain");
	assert_sh_lacks(repo, "0000000", "git worktree list");
}

static void fixture_init(struct fixture *f)
{
	char *c;

	f->repo = wfm_test_repo_new();
	wfm_test_write(f->repo, ".gitignore", "build/\n*.o\n");
	wfm_test_write(f->repo, "a.txt", "one\n");
	wfm_test_write(f->repo, "src/b.c", "int b;\n");
	wfm_test_write(f->repo, "src/c.c", "int c;\n");
	wfm_test_write(f->repo, "docs/d.md", "# d\n");
	free(wfm_test_sh(f->repo, "git add -A && git commit -qm c1 && git tag c1"));
	wfm_test_write(f->repo, "a.txt", "two\n");
	wfm_test_write(f->repo, "src/e.c", "int e;\n");
	free(wfm_test_sh(f->repo, "git rm -q docs/d.md && git add -A && git commit -qm c2 && "
				  "git tag c2"));
	c = wfm_test_sh_trim(f->repo, "git rev-parse c1");
	snprintf(f->c1, sizeof(f->c1), "%s", c);
	free(c);
	c = wfm_test_sh_trim(f->repo, "git rev-parse c2");
	snprintf(f->c2, sizeof(f->c2), "%s", c);
	free(c);
	c = wfm_test_sh_trim(f->repo, "cd .git && pwd -P");
	snprintf(f->pooldir, sizeof(f->pooldir), "%s/wfmigrate/pool", c);
	free(c);
}

static void fixture_release(struct fixture *f)
{
	wfm_test_rmtree(f->repo);
	free(f->repo);
}

static struct wfm_pool *open_pool(const struct fixture *f, int cold, const char *run)
{
	struct wfm_pool_opts opts = WFM_POOL_OPTS_INIT;
	struct wfm_pool *pool = NULL;

	opts.cold = cold;
	opts.run = run;
	assert_wfm_ok(wfm_pool_open(&pool, f->repo, &opts));
	return pool;
}

static int setup(void **state)
{
	assert_wfm_ok(wfm_git_init());
	return 0;
}

static int teardown(void **state)
{
	wfm_git_shutdown();
	return 0;
}

static void test_pool__acquire_at_commit(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char want[PATH_MAX + 256], *out;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	snprintf(want, sizeof(want), "%s/wfm-1", f.pooldir);
	assert_string_equal(wfm_slot_path(slot), want);
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_string_equal(wfm_slot_base(slot), f.c1);

	/* checked out at c1, detached, clean, locked with our pid */
	assert_sh_equal(wfm_slot_path(slot), f.c1, "git rev-parse HEAD");
	assert_int_not_equal(wfm_test_sh_status(wfm_slot_path(slot), "git symbolic-ref -q HEAD"),
			     0);
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	out = read_text(wfm_slot_path(slot), "docs/d.md");
	assert_string_equal(out, "# d");
	free(out);
	out = wfm_test_sh_trim(f.repo, "git worktree list --porcelain");
	snprintf(want, sizeof(want),
		 "worktree %s/wfm-1\nHEAD %s\ndetached\nlocked wfmigrate: in use by pid %ld",
		 f.pooldir, f.c1, (long)getpid());
	if (!strstr(out, want))
		fail_msg("git worktree list --porcelain:\n%s\nlacks:\n%s", out, want);
	free(out);
	/* no branch named after the worktree, or any other */
	assert_sh_equal(f.repo, "refs/heads/main", "git branch --format='%%(refname)'");
	snprintf(want, sizeof(want), "%ld ", (long)getpid());
	out = read_text(f.pooldir, "wfm-1.lock");
	assert_true(!strncmp(out, want, strlen(want)));
	free(out);
	assert_repo_clean(f.repo);

	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_sh_lacks(f.repo, "locked", "git worktree list --porcelain");
	assert_false(path_exists(f.pooldir, "wfm-1.lock"));
	assert_true(path_exists(f.pooldir, "wfm-1/a.txt"));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void file_id(const char *path, ino_t *ino, struct timespec *mtime)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	*ino = st.st_ino;
	*mtime = st.st_mtim;
}

static void test_pool__reacquire_moves_slot_incrementally(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char path[PATH_MAX], file[PATH_MAX + 16], *txt;
	ino_t ino1, ino2;
	struct timespec m1, m2;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, f.c1));
	snprintf(path, sizeof(path), "%s", wfm_slot_path(slot));
	snprintf(file, sizeof(file), "%s/src/b.c", path);
	file_id(file, &ino1, &m1);
	assert_wfm_ok(wfm_pool_release(pool, slot));

	usleep(20000); /* a rewrite would show in the mtime */
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_path(slot), path);
	assert_string_equal(wfm_slot_base(slot), f.c2);
	assert_sh_equal(path, f.c2, "git rev-parse HEAD");
	assert_sh_equal(path, "", "git status --porcelain");
	txt = read_text(path, "a.txt");
	assert_string_equal(txt, "two");
	free(txt);
	assert_true(path_exists(path, "src/e.c"));
	assert_false(path_exists(path, "docs/d.md"));
	assert_false(path_exists(path, "docs"));
	/* a file that is the same in c1 and c2 was not written again */
	file_id(file, &ino2, &m2);
	assert_int_equal(ino1, ino2);
	assert_int_equal(m1.tv_sec, m2.tv_sec);
	assert_int_equal(m1.tv_nsec, m2.tv_nsec);
	assert_wfm_ok(wfm_pool_release(pool, slot));

	/* and back */
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_path(slot), path);
	assert_sh_equal(path, "", "git status --porcelain");
	assert_true(path_exists(path, "docs/d.md"));
	assert_false(path_exists(path, "src/e.c"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_sh_equal(f.repo, "2", "git worktree list | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__untracked_and_modified_go_ignored_stay(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char path[PATH_MAX], *txt;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	snprintf(path, sizeof(path), "%s", wfm_slot_path(slot));
	/* what an agent and a build leave behind */
	wfm_test_write(path, "build/out/app.bin", "binary\n");
	wfm_test_write(path, "src/b.o", "object\n");
	wfm_test_write(path, "untracked.txt", "junk\n");
	wfm_test_write(path, "newdir/deep/u.txt", "junk\n");
	wfm_test_write(path, "src/b.c", "int b = 42; /* modified */\n");
	wfm_test_write(path, "staged.txt", "staged\n");
	free(wfm_test_sh(path, "rm src/c.c && git add staged.txt"));
	assert_wfm_ok(wfm_pool_release(pool, slot));

	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_path(slot), path);
	assert_true(path_exists(path, "build/out/app.bin"));
	assert_true(path_exists(path, "src/b.o"));
	assert_false(path_exists(path, "untracked.txt"));
	assert_false(path_exists(path, "newdir"));
	assert_false(path_exists(path, "staged.txt"));
	assert_true(path_exists(path, "src/c.c"));
	txt = read_text(path, "src/b.c");
	assert_string_equal(txt, "int b;");
	free(txt);
	assert_sh_equal(path, "", "git status --porcelain");
	assert_sh_equal(path, "!! build/\n!! src/b.o", "git status --porcelain --ignored");
	assert_sh_equal(path, f.c2, "git rev-parse HEAD");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__prefers_slot_nearest_base(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *s1 = NULL, *s2 = NULL, *s = NULL;
	char n1[64], n2[64];

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&s1, pool, "c1"));
	assert_wfm_ok(wfm_pool_acquire(&s2, pool, "c2"));
	snprintf(n1, sizeof(n1), "%s", wfm_slot_name(s1));
	snprintf(n2, sizeof(n2), "%s", wfm_slot_name(s2));
	assert_string_not_equal(n1, n2);
	assert_string_not_equal(wfm_slot_path(s1), wfm_slot_path(s2));
	assert_wfm_ok(wfm_pool_release(pool, s1));
	assert_wfm_ok(wfm_pool_release(pool, s2));

	assert_wfm_ok(wfm_pool_acquire(&s, pool, "c2"));
	assert_string_equal(wfm_slot_name(s), n2);
	assert_wfm_ok(wfm_pool_release(pool, s));
	assert_wfm_ok(wfm_pool_acquire(&s, pool, "c1"));
	assert_string_equal(wfm_slot_name(s), n1);
	assert_wfm_ok(wfm_pool_release(pool, s));
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__commit_all(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char id1[WFM_OID_HEXSZ + 1], id2[WFM_OID_HEXSZ + 1], id3[WFM_OID_HEXSZ + 1];
	char path[PATH_MAX], cmd[256];
	int changed = -1;

	fixture_init(&f);
	pool = open_pool(&f, 0, "r1");
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	snprintf(path, sizeof(path), "%s", wfm_slot_path(slot));
	wfm_test_write(path, "a.txt", "changed\n");
	wfm_test_write(path, "new/n.txt", "new\n");
	wfm_test_write(path, "build/x.o", "ignored\n");
	free(wfm_test_sh(path, "rm src/c.c"));

	assert_wfm_ok(wfm_slot_commit_all(id1, &changed, slot, "first change", "task one"));
	assert_int_equal(changed, 1);
	assert_sh_equal(f.repo, id1, "git rev-parse refs/heads/wfmigrate/r1/task-one");
	snprintf(cmd, sizeof(cmd), "git rev-parse %s^", id1);
	assert_sh_equal(f.repo, f.c1, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "git log -1 --format=%%s %s", id1);
	assert_sh_equal(f.repo, "first change", "%s", cmd);
	snprintf(cmd, sizeof(cmd), "git ls-tree -r --name-only %s", id1);
	assert_sh_equal(f.repo, ".gitignore\na.txt\ndocs/d.md\nnew/n.txt\nsrc/b.c", "%s", cmd);
	snprintf(cmd, sizeof(cmd), "git show %s:a.txt", id1);
	assert_sh_equal(f.repo, "changed", "%s", cmd);
	/* the slot follows its commit, still detached and clean */
	assert_sh_equal(path, id1, "git rev-parse HEAD");
	assert_int_not_equal(wfm_test_sh_status(path, "git symbolic-ref -q HEAD"), 0);
	assert_sh_equal(path, "", "git status --porcelain");

	/* a second commit moves the branch */
	wfm_test_write(path, "a.txt", "changed again\n");
	assert_wfm_ok(wfm_slot_commit_all(id2, &changed, slot, "second", "task one"));
	assert_int_equal(changed, 1);
	assert_string_not_equal(id1, id2);
	assert_sh_equal(f.repo, id2, "git rev-parse wfmigrate/r1/task-one");
	assert_sh_equal(f.repo, id1, "git rev-parse wfmigrate/r1/task-one^");

	/* nothing to commit: no commit, the branch at HEAD */
	assert_wfm_ok(wfm_slot_commit_all(id3, &changed, slot, "nothing", "task one"));
	assert_int_equal(changed, 0);
	assert_string_equal(id3, id2);
	assert_wfm_ok(wfm_slot_commit_all(id3, &changed, slot, "nothing", "other"));
	assert_int_equal(changed, 0);
	assert_string_equal(id3, id2);
	assert_sh_equal(f.repo, id2, "git rev-parse wfmigrate/r1/other");

	/* a branch checked out elsewhere is never moved */
	free(wfm_test_sh(f.repo, "git worktree add -q ../%s-user wfmigrate/r1/other",
			 strrchr(f.repo, '/') + 1));
	wfm_test_write(path, "a.txt", "third\n");
	assert_int_equal(wfm_slot_commit_all(id3, &changed, slot, "x", "other"), WFM_ELOCKED);
	assert_non_null(strstr(wfm_error_last(), "checked out"));
	assert_sh_equal(f.repo, id2, "git rev-parse wfmigrate/r1/other");
	free(wfm_test_sh(f.repo, "git worktree remove --force ../%s-user",
			 strrchr(f.repo, '/') + 1));

	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);

	/* a pool without a run id cannot name branches */
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_int_equal(wfm_slot_commit_all(id3, &changed, slot, "x", "y"), WFM_EINVALID);
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);
	fixture_release(&f);
}

/* Commits what is in the slot and checks the commit's tree against `git write-tree`. */
static void commit_and_compare(const char *path, struct wfm_slot *slot, const char *what)
{
	char id[WFM_OID_HEXSZ + 1], cmd[128], *want;
	int changed = -1;

	assert_wfm_ok(wfm_slot_commit_all(id, &changed, slot, what, "tree"));
	want = wfm_test_sh_trim(path, "git write-tree");
	snprintf(cmd, sizeof(cmd), "git rev-parse %s^{tree}", id);
	assert_sh_equal(path, want, "%s", cmd);
	assert_sh_equal(path, "", "git status --porcelain");
	free(want);
}

static void test_pool__commit_tree_matches_git(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char path[PATH_MAX], *empty;

	fixture_init(&f);
	pool = open_pool(&f, 0, "r1");
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	snprintf(path, sizeof(path), "%s", wfm_slot_path(slot));

	/* nothing changed */
	commit_and_compare(path, slot, "none");
	/* a change, a file in new nested directories, a whole directory gone */
	wfm_test_write(path, "a.txt", "changed\n");
	wfm_test_write(path, "x/y/z.txt", "new\n");
	free(wfm_test_sh(path, "rm -r docs"));
	commit_and_compare(path, slot, "mixed");
	/* a mode change and a symbolic link */
	free(wfm_test_sh(path, "chmod +x src/b.c && ln -s a.txt link"));
	commit_and_compare(path, slot, "modes");
	/* a file becomes a directory, and a directory a file */
	free(wfm_test_sh(path, "rm a.txt && mkdir a.txt && echo in >a.txt/in && "
			       "rm -r x && echo file >x"));
	commit_and_compare(path, slot, "file and directory swap");
	/* the agent staged and committed some of it itself */
	free(wfm_test_sh(path, "echo more >>x && git add x && "
			       "git -c user.name=a -c user.email=a@a commit -qm own && "
			       "echo staged >s && git add s && echo later >t"));
	commit_and_compare(path, slot, "own commit");
	/* everything but one file deleted */
	free(wfm_test_sh(path, "git ls-files | grep -v '^s$' | xargs rm -f && rm -rf a.txt"));
	commit_and_compare(path, slot, "almost empty");
	assert_sh_equal(path, "s", "git ls-files");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	/* a base whose tree holds an empty tree, which no index can hold */
	empty = wfm_test_sh_trim(f.repo, "git mktree </dev/null");
	free(wfm_test_sh(
		f.repo,
		"t=$( (git ls-tree c1; printf '040000 tree %s\\tempty\\n') | git mktree) && "
		"c=$(git commit-tree -p c1 -m empty $t) && git tag withempty $c",
		empty));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "withempty"));
	wfm_test_write(path, "a.txt", "next\n");
	commit_and_compare(path, slot, "drops the empty tree");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	free(empty);

	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__label_sanitising(void **state)
{
	static const struct {
		const char *label, *want;
	} cases[] = {
		{ "task-1", "task-1" },
		{ "fix strcpy: src/a.c", "fix-strcpy-src-a.c" },
		{ "src/util/str.c::function::copy#2", "src-util-str.c-function-copy-2" },
		{ "../x..y", "x.y" },
		{ ".hidden", "hidden" },
		{ "-rf", "rf" },
		{ "name.lock", "name-lock" },
		{ "trailing.", "trailing" },
		{ "@{u}", "u" },
		{ "@", "unnamed" },
		{ "a~b^c:d?e*f[g\\h", "a-b-c-d-e-f-g-h" },
		{ "tab\tnew\nline\x7f", "tab-new-line" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", "unnamed" },
		{ "", "unnamed" },
	};
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char id[WFM_OID_HEXSZ + 1], long_label[300], *name = NULL;
	int changed;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		char want[256];

		assert_wfm_ok(wfm_pool_branch_name(&name, "run-7", cases[i].label));
		snprintf(want, sizeof(want), "refs/heads/wfmigrate/run-7/%s", cases[i].want);
		assert_string_equal(name, want);
		if (wfm_test_sh_status("/", "git check-ref-format '%s'", name))
			fail_msg("git check-ref-format refuses '%s'", name);
		free(name);
	}
	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	assert_wfm_ok(wfm_pool_branch_name(&name, "r", long_label));
	assert_int_equal(strlen(name), strlen("refs/heads/wfmigrate/r/") + 100);
	free(name);
	assert_int_equal(wfm_pool_branch_name(&name, "a/b", "x"), WFM_EINVALID);
	assert_int_equal(wfm_pool_branch_name(&name, "", "x"), WFM_EINVALID);
	assert_int_equal(wfm_pool_branch_name(&name, "..", "x"), WFM_EINVALID);
	assert_int_equal(wfm_pool_branch_name(&name, "bad:run", "x"), WFM_EINVALID);
	assert_null(name);

	/* and the branch commit_all makes has that name */
	fixture_init(&f);
	pool = open_pool(&f, 0, "run-7");
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_wfm_ok(wfm_slot_commit_all(id, &changed, slot, "m", "fix strcpy: src/a.c"));
	assert_sh_equal(f.repo, f.c1, "git rev-parse wfmigrate/run-7/fix-strcpy-src-a.c");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__cold_leaves_nothing_behind(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *a = NULL, *b = NULL;
	char path[PATH_MAX];

	fixture_init(&f);
	pool = open_pool(&f, 1, NULL);
	assert_wfm_ok(wfm_pool_acquire(&a, pool, "c1"));
	assert_wfm_ok(wfm_pool_acquire(&b, pool, "c2"));
	assert_string_not_equal(wfm_slot_path(a), wfm_slot_path(b));
	assert_sh_equal(wfm_slot_path(b), "", "git status --porcelain");
	assert_sh_equal(wfm_slot_path(b), f.c2, "git rev-parse HEAD");
	assert_sh_equal(f.repo, "3", "git worktree list | wc -l");
	snprintf(path, sizeof(path), "%s", wfm_slot_path(a));
	assert_wfm_ok(wfm_pool_release(pool, a));
	assert_false(path_exists(path, ""));
	assert_wfm_ok(wfm_pool_release(pool, b));

	assert_sh_equal(f.repo, "1", "git worktree list --porcelain | grep -c '^worktree'");
	assert_sh_equal(f.repo, "0", "ls -A .git/worktrees | wc -l");
	assert_sh_equal(f.pooldir, "0", "ls -A | wc -l");
	assert_sh_equal(f.repo, "refs/heads/main", "git branch --format='%%(refname)'");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

struct thread_arg {
	struct wfm_pool *pool;
	pthread_barrier_t *barrier;
	const char *base;
	char name[64];
	char path[PATH_MAX];
	int rc;
	char err[256];
};

static void *thread_acquire(void *p)
{
	struct thread_arg *a = p;
	struct wfm_slot *slot = NULL;

	pthread_barrier_wait(a->barrier);
	a->rc = wfm_pool_acquire(&slot, a->pool, a->base);
	if (a->rc < 0) {
		snprintf(a->err, sizeof(a->err), "%s", wfm_error_last());
		pthread_barrier_wait(a->barrier);
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", wfm_slot_name(slot));
	snprintf(a->path, sizeof(a->path), "%s", wfm_slot_path(slot));
	/* hold the slot until every thread has one */
	pthread_barrier_wait(a->barrier);
	a->rc = wfm_pool_release(a->pool, slot);
	return NULL;
}

static void test_pool__threads_get_distinct_slots(void **state)
{
	enum { N = 4 };
	struct fixture f;
	struct wfm_pool *pool;
	struct thread_arg args[N];
	pthread_t th[N];
	pthread_barrier_t barrier;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	for (int round = 0; round < 2; round++) {
		pthread_barrier_init(&barrier, NULL, N);
		for (int i = 0; i < N; i++) {
			memset(&args[i], 0, sizeof(args[i]));
			args[i].pool = pool;
			args[i].barrier = &barrier;
			args[i].base = i % 2 ? "c1" : "c2";
			pthread_create(&th[i], NULL, thread_acquire, &args[i]);
		}
		for (int i = 0; i < N; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&barrier);
		for (int i = 0; i < N; i++) {
			if (args[i].rc < 0)
				fail_msg("thread %d: %s", i, args[i].err);
			for (int j = 0; j < i; j++)
				assert_string_not_equal(args[i].name, args[j].name);
		}
	}
	/* the second round reused the first round's slots */
	assert_sh_equal(f.repo, "5", "git worktree list | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

/* A child that acquires a slot, says which on fd, and dies holding it. */
static pid_t child_dies_holding(const struct fixture *f, const char *base, char *name, size_t n)
{
	int fds[2];
	pid_t pid;
	ssize_t got;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wfm_pool *pool = NULL;
		struct wfm_slot *slot = NULL;

		close(fds[0]);
		if (wfm_pool_open(&pool, f->repo, NULL) < 0 ||
		    wfm_pool_acquire(&slot, pool, base) < 0)
			_exit(1);
		if (write(fds[1], wfm_slot_name(slot), strlen(wfm_slot_name(slot))) < 0)
			_exit(2);
		_exit(0); /* no release */
	}
	close(fds[1]);
	got = read(fds[0], name, n - 1);
	close(fds[0]);
	assert_true(got > 0);
	name[got] = '\0';
	return pid;
}

/*
 * A slot this process released is tried first, but only after a check of
 * its own: held by someone else now, locked by the user with git, or gone,
 * it is passed over.
 */
static void test_pool__remembered_slots_are_checked(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char *txt;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	/* another process holds wfm-1 now (pid 1 is alive) */
	wfm_test_write(f.pooldir, "wfm-1.lock", "1\n");
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-2");
	txt = read_text(f.pooldir, "wfm-1.lock");
	assert_string_equal(txt, "1");
	free(txt);
	assert_wfm_ok(wfm_pool_release(pool, slot));
	free(wfm_test_sh(f.pooldir, "rm wfm-1.lock"));

	/* the user locked the remembered wfm-2: wfm-1 is found on disk */
	free(wfm_test_sh(f.repo, "git worktree lock --reason mine '%s/wfm-2'", f.pooldir));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_sh_equal(wfm_slot_path(slot), f.c2, "git rev-parse HEAD");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_sh_contains(f.repo, "locked mine", "git worktree list --porcelain");

	/* the remembered wfm-1 removed behind the pool's back */
	free(wfm_test_sh(f.repo, "git worktree remove --force '%s/wfm-1'", f.pooldir));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_sh_equal(wfm_slot_path(slot), f.c2, "git rev-parse HEAD");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	free(wfm_test_sh(f.repo, "git worktree unlock '%s/wfm-2'", f.pooldir));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__dead_holder_is_reclaimed(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	struct wfm_clean_report report = { 0 };
	char name[64], want[128], *txt;
	int status;
	pid_t pid;

	fixture_init(&f);
	pid = child_dies_holding(&f, "c1", name, sizeof(name));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(want, sizeof(want), "locked wfmigrate: in use by pid %ld", (long)pid);
	assert_sh_contains(f.repo, want, "git worktree list --porcelain");

	/* acquire takes the dead child's slot over */
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), name);
	assert_sh_equal(wfm_slot_path(slot), f.c2, "git rev-parse HEAD");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	snprintf(want, sizeof(want), "locked wfmigrate: in use by pid %ld", (long)getpid());
	assert_sh_contains(f.repo, want, "git worktree list --porcelain");
	txt = read_text(f.pooldir, "wfm-1.lock");
	snprintf(want, sizeof(want), "%ld ", (long)getpid());
	assert_true(!strncmp(txt, want, strlen(want)));
	free(txt);
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_sh_equal(f.repo, "2", "git worktree list | wc -l");

	/* and clean removes a dead holder's slot */
	pid = child_dies_holding(&f, "c1", name, sizeof(name));
	waitpid(pid, &status, 0);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1")); /* ours is kept */
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 1);
	assert_string_equal(report.items[0].what, "slot");
	assert_string_equal(report.items[0].name, "wfm-1");
	assert_int_equal(report.items[0].removed, 0);
	assert_non_null(strstr(report.items[0].why, "in use by pid"));
	wfm_clean_report_release(&report);
	assert_wfm_ok(wfm_pool_release(pool, slot));

	pid = child_dies_holding(&f, "c1", name, sizeof(name));
	waitpid(pid, &status, 0);
	assert_string_equal(name, "wfm-1");
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 1);
	assert_int_equal(report.items[0].removed, 1);
	snprintf(want, sizeof(want), "its holder, pid %ld, is gone", (long)pid);
	assert_string_equal(report.items[0].why, want);
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_sh_equal(f.pooldir, "0", "ls -A | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

/* A holder killed in the middle of a checkout leaves git's lock files behind. */
static void test_pool__dead_holder_git_locks_are_cleared(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char name[64];
	int status;
	pid_t pid;

	fixture_init(&f);
	pid = child_dies_holding(&f, "c1", name, sizeof(name));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(wfm_test_sh(f.repo,
			 ": >.git/worktrees/%s/index.lock && : >.git/worktrees/%s/HEAD.lock", name,
			 name));

	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), name);
	assert_sh_equal(wfm_slot_path(slot), f.c2, "git rev-parse HEAD");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_false(path_exists(f.repo, ".git/worktrees/wfm-1/index.lock"));
	assert_false(path_exists(f.repo, ".git/worktrees/wfm-1/HEAD.lock"));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

/* The slot is exactly base: HEAD, index, every file; nothing untracked; no git state left. */
static void assert_slot_is(struct wfm_slot *slot, const char *base)
{
	assert_string_equal(wfm_slot_base(slot), base);
	assert_sh_equal(wfm_slot_path(slot), base, "git rev-parse HEAD");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain --untracked-files=all");
	assert_sh_equal(wfm_slot_path(slot), "", "git diff --name-only HEAD");
	assert_int_not_equal(
		wfm_test_sh_status(wfm_slot_path(slot), "git rev-parse -q --verify MERGE_HEAD"), 0);
}

/* The child acquires a slot at base, runs mess in it (sh), and dies holding it. */
static pid_t child_messes_and_dies(const struct fixture *f, const char *base, const char *mess)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct wfm_pool *pool = NULL;
		struct wfm_slot *slot = NULL;
		struct wfm_buf cmd = WFM_BUF_INIT;

		if (wfm_pool_open(&pool, f->repo, NULL) < 0 ||
		    wfm_pool_acquire(&slot, pool, base) < 0)
			_exit(1);
		wfm_buf_addf(&cmd, "cd '%s' && mkdir -p build && echo warm >build/x.o && { %s; }",
			     wfm_slot_path(slot), mess);
		_exit(system(cmd.ptr) == 0 ? 0 : 2); /* no release */
	}
	return pid;
}

/*
 * Whatever a holder that died left in its slot, the next one gets exactly
 * its base: edits staged but not committed (killed in a commit), a commit
 * on the slot's HEAD (killed before its branch moved), a checkout cut
 * short, a merge in progress, untracked files and directories, git's lock
 * files, a nested repository. Ignored build output stays. A slot the
 * checkout cannot make its base (a corrupt index; a tracked file turned
 * into a symlink, which libgit2 leaves as it is) goes: a new one is made.
 */
static void test_pool__dead_holder_leaves_nothing_behind(void **state)
{
	static const struct {
		const char *what, *base, *mess, *next;
		int kept; /* the slot is reused (else a new one is made) */
	} cases[] = {
		{ "staged, not committed", "c1", "echo x >a.txt && echo y >src/new.c && git add -A",
		  "c1", 1 },
		{ "committed, branch not moved", "c1", "echo x >a.txt && git commit -qam x", "c1",
		  1 },
		{ "committed, then the other base", "c1", "echo x >src/b.c && git commit -qam x",
		  "c2", 1 },
		{ "a checkout cut short", "c1",
		  "echo two >a.txt && echo 'int e;' >src/e.c && rm docs/d.md", "c1", 1 },
		{ "a same-size edit, timestamps kept", "c1",
		  "cp -p a.txt /tmp/wfm-t.$$ && echo eno >a.txt && touch -r /tmp/wfm-t.$$ a.txt && "
		  "rm /tmp/wfm-t.$$ && git add a.txt",
		  "c1", 1 },
		{ "a merge in progress", "c1",
		  "git rev-parse c2 >\"$(git rev-parse --git-dir)/MERGE_HEAD\" && echo x >a.txt",
		  "c1", 1 },
		{ "untracked files and directories", "c2",
		  "mkdir -p new/deep && echo u >new/deep/u.txt && echo v >v.txt && chmod -w "
		  "new/deep",
		  "c2", 1 },
		{ "git's lock files", "c1",
		  "echo x >a.txt && : >\"$(git rev-parse --git-dir)/index.lock\" && "
		  ": >\"$(git rev-parse --git-dir)/HEAD.lock\"",
		  "c2", 1 },
		{ "a mode change", "c1", "chmod +x src/b.c", "c1", 1 },
		/* the checkout leaves it a symlink; the check after it finds out */
		{ "a file turned symlink", "c1", "rm a.txt && ln -s /etc/hostname a.txt", "c1", 0 },
		{ "a nested repository", "c1",
		  "git init -q vendor/lib && echo n >vendor/lib/n.txt && echo x >src/c.c", "c1",
		  1 },
		{ "a corrupt index", "c1",
		  "echo x >a.txt && echo garbage >\"$(git rev-parse --git-dir)/index\"", "c1", 0 },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct fixture f;
		struct wfm_pool *pool;
		struct wfm_slot *slot = NULL;
		const char *want;
		int status;
		pid_t pid;

		fixture_init(&f);
		pid = child_messes_and_dies(&f, cases[i].base, cases[i].mess);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("%s: the child could not make its mess", cases[i].what);
		pool = open_pool(&f, 0, NULL);
		assert_wfm_ok(wfm_pool_acquire(&slot, pool, cases[i].next));
		want = !strcmp(cases[i].next, "c1") ? f.c1 : f.c2;
		assert_slot_is(slot, want);
		if (cases[i].kept != path_exists(wfm_slot_path(slot), "build/x.o"))
			fail_msg("%s: the slot was %s", cases[i].what,
				 cases[i].kept ? "made anew" : "reused");
		assert_wfm_ok(wfm_pool_release(pool, slot));
		assert_sh_equal(f.repo, "2", "git worktree list | wc -l");
		assert_repo_clean(f.repo);
		wfm_pool_free(pool);
		fixture_release(&f);
	}
}

/*
 * The processes a dead holder started run in groups of their own and
 * outlive it; one that goes on writing into the slot would put its edits
 * under the next holder's name. Taking the slot over ends them first.
 */
static void test_pool__dead_holder_processes_are_ended(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char pidfile[PATH_MAX], *txt;
	unsigned long long start;
	long writer = 0;
	int status;
	pid_t pid;

	fixture_init(&f);
	snprintf(pidfile, sizeof(pidfile), "%s/writer.pid", f.repo);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct wfm_pool *p = NULL;
		struct wfm_slot *s = NULL;
		struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
		struct wfm_process_result r;
		struct wfm_buf cmd = WFM_BUF_INIT;

		if (wfm_pool_open(&p, f.repo, NULL) < 0 || wfm_pool_acquire(&s, p, "c1") < 0)
			_exit(1);
		/* an agent that keeps writing a file of the slot */
		wfm_buf_addf(&cmd,
			     "echo $$ >'%s'; while :; do echo foreign >src/c.c; sleep 0.02; done",
			     pidfile);
		o.shell = cmd.ptr;
		o.cwd = wfm_slot_path(s);
		wfm_process_run(&r, &o);
		_exit(0);
	}
	for (int i = 0; i < 1000 && writer <= 0; i++) {
		FILE *fp = fopen(pidfile, "r");

		if (fp) {
			if (fscanf(fp, "%ld", &writer) != 1)
				writer = 0;
			fclose(fp);
		}
		if (writer <= 0)
			usleep(10000);
	}
	assert_true(writer > 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	usleep(100000);
	assert_wfm_ok(wfm_proc_start_time(&start, (pid_t)writer)); /* it outlived its parent */

	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_int_equal(wfm_proc_start_time(&start, (pid_t)writer), WFM_ENOTFOUND);
	usleep(200000);
	txt = read_text(wfm_slot_path(slot), "src/c.c");
	assert_string_equal(txt, "int c;");
	free(txt);
	assert_slot_is(slot, f.c1);
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__processes_never_share_a_slot(void **state)
{
	enum { N = 4 };
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	int go[2], res[2];
	pid_t pids[N];
	char names[N][32];

	fixture_init(&f);
	/* one free slot to fight over, the rest made on the spot */
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(res), 0);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct wfm_pool *p = NULL;
			struct wfm_slot *s = NULL;
			char line[32], c;

			close(go[1]);
			close(res[0]);
			if (wfm_pool_open(&p, f.repo, NULL) < 0)
				_exit(1);
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			if (wfm_pool_acquire(&s, p, i % 2 ? "c1" : "c2") < 0)
				_exit(3);
			snprintf(line, sizeof(line), "%-31s", wfm_slot_name(s));
			if (write(res[1], line, 31) != 31)
				_exit(4);
			usleep(300000); /* hold it while the others acquire */
			_exit(wfm_pool_release(p, s) < 0 ? 5 : 0);
		}
	}
	close(go[0]);
	close(res[1]);
	/* everyone starts at once */
	assert_int_equal(write(go[1], "gggg", N), N);
	close(go[1]);
	for (int i = 0; i < N; i++) {
		assert_int_equal(read(res[0], names[i], 31), 31);
		names[i][31] = '\0';
		wfm_test_trim(names[i]);
	}
	close(res[0]);
	for (int i = 0; i < N; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	assert_sh_equal(f.repo, "5", "git worktree list | wc -l");
	assert_sh_lacks(f.repo, "locked", "git worktree list --porcelain");
	assert_repo_clean(f.repo);
	fixture_release(&f);
}

static void write_lock(const char *pooldir, const char *name, pid_t pid, unsigned long long start)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.lock", pooldir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%ld %llu\n", (long)pid, start);
	fclose(fp);
}

static void test_pool__live_foreign_holder_is_respected(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	struct wfm_clean_report report = { 0 };
	unsigned long long start;
	char want[128];
	pid_t child;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_wfm_ok(wfm_pool_release(pool, slot));

	/* another process holds wfm-1 */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_wfm_ok(wfm_proc_start_time(&start, child));
	write_lock(f.pooldir, "wfm-1", child, start);

	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-2");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 2);
	assert_string_equal(report.items[0].name, "wfm-1");
	assert_int_equal(report.items[0].removed, 0);
	snprintf(want, sizeof(want), "in use by pid %ld", (long)child);
	assert_string_equal(report.items[0].why, want);
	assert_string_equal(report.items[1].name, "wfm-2");
	assert_int_equal(report.items[1].removed, 1);
	assert_string_equal(report.items[1].why, "free");
	wfm_clean_report_release(&report);
	assert_true(path_exists(f.pooldir, "wfm-1/a.txt"));
	assert_false(path_exists(f.pooldir, "wfm-2"));

	/* the same pid with another start time is a different process: stale */
	write_lock(f.pooldir, "wfm-1", child, start + 12345);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	/* a holder that exits is a holder no more */
	write_lock(f.pooldir, "wfm-1", child, start);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 1);
	assert_int_equal(report.items[0].removed, 1);
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__user_locked_slot_is_left_alone(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	struct wfm_clean_report report = { 0 };

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	/* someone locks a free slot with git itself, to look at it in peace */
	free(wfm_test_sh(f.repo, "git worktree lock --reason 'debugging' '%s/wfm-1'", f.pooldir));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-2");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 2);
	assert_string_equal(report.items[0].name, "wfm-1");
	assert_int_equal(report.items[0].removed, 0);
	assert_string_equal(report.items[0].why, "locked: debugging");
	assert_int_equal(report.items[1].removed, 1);
	wfm_clean_report_release(&report);
	assert_sh_contains(f.repo, "locked debugging", "git worktree list --porcelain");
	free(wfm_test_sh(f.repo, "git worktree unlock '%s/wfm-1'", f.pooldir));
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__failed_add_is_rolled_back(void **state)
{
	struct fixture f;
	struct wfm_repo *repo = NULL;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char path[PATH_MAX], commondir[PATH_MAX], *txt;

	fixture_init(&f);
	assert_wfm_ok(wfm_repo_open(&repo, f.repo));
	snprintf(commondir, sizeof(commondir), "%s", wfm_repo_commondir(repo));

	/* the working tree's parent does not exist */
	snprintf(path, sizeof(path), "%s/no/such/dir/wt", f.repo);
	assert_true(wfm_worktree_add_detached(commondir, "wfm-5", path, f.c1, "x") < 0);
	assert_false(path_exists(commondir, "worktrees/wfm-5"));
	assert_false(path_exists(f.repo, "no"));

	/* the working tree exists: it is not ours and is left alone */
	snprintf(path, sizeof(path), "%s-taken", f.repo);
	free(wfm_test_sh(f.repo, "mkdir '%s'", path));
	wfm_test_write(path, "keep.txt", "mine\n");
	assert_int_equal(wfm_worktree_add_detached(commondir, "wfm-5", path, f.c1, "x"),
			 WFM_EEXISTS);
	assert_false(path_exists(commondir, "worktrees/wfm-5"));
	txt = read_text(path, "keep.txt");
	assert_string_equal(txt, "mine");
	free(txt);
	wfm_test_rmtree(path);

	/* the entry name is taken by the user's worktree: left alone too */
	free(wfm_test_sh(f.repo, "git worktree add -q --detach '%s-w/wfm-1' c1", f.repo));
	snprintf(path, sizeof(path), "%s/elsewhere", f.repo);
	assert_int_equal(wfm_worktree_add_detached(commondir, "wfm-1", path, f.c1, "x"),
			 WFM_EEXISTS);
	assert_false(path_exists(f.repo, "elsewhere"));
	assert_true(path_exists(commondir, "worktrees/wfm-1/gitdir"));
	assert_sh_equal(f.repo, "2", "git worktree list | wc -l");

	/* the pool picks another name, and clean leaves the user's worktree be */
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), "wfm-2");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	{
		struct wfm_clean_report report = { 0 };

		assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
		assert_int_equal(report.nr, 1);
		assert_string_equal(report.items[0].name, "wfm-2");
		wfm_clean_report_release(&report);
	}
	assert_sh_equal(f.repo, "2", "git worktree list | wc -l");
	snprintf(path, sizeof(path), "%s-w", f.repo);
	assert_true(path_exists(path, "wfm-1/a.txt"));
	free(wfm_test_sh(f.repo, "git worktree remove '%s-w/wfm-1'", f.repo));
	wfm_test_rmtree(path);

	/*
	 * A checkout that fails (libgit2 refuses to write a path '.git') takes
	 * a new slot away entirely, and gives an old one back unlocked.
	 */
	free(wfm_test_sh(f.repo, "b=$(echo hi | git hash-object -w --stdin) && "
				 "t=$(printf '100644 blob %%s\\t.git\\n' $b | git mktree) && "
				 "git tag bad $(git commit-tree -m bad $t)"));
	assert_true(wfm_pool_acquire(&slot, pool, "bad") < 0);
	assert_non_null(strstr(wfm_error_last(), ".git"));
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_sh_equal(f.repo, "0", "ls -A .git/worktrees | wc -l");
	assert_sh_equal(f.pooldir, "0", "ls -A | wc -l");

	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_true(wfm_pool_acquire(&slot, pool, "bad") < 0);
	assert_sh_lacks(f.repo, "locked", "git worktree list --porcelain");
	assert_false(path_exists(f.pooldir, "wfm-1.lock"));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	assert_wfm_ok(wfm_pool_release(pool, slot));

	wfm_pool_free(pool);
	wfm_repo_free(repo);
	fixture_release(&f);
}

static void test_pool__half_made_entries_are_cleaned(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	struct wfm_clean_report report = { 0 };
	char *gitdir, id[WFM_OID_HEXSZ + 1];
	int changed;

	fixture_init(&f);
	gitdir = wfm_test_sh_trim(f.repo, "cd .git && pwd -P");
	/* a slot whose directory was deleted by hand */
	pool = open_pool(&f, 0, "r1");
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	assert_string_equal(wfm_slot_name(slot), "wfm-1");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	free(wfm_test_sh(f.repo, "rm -rf '%s/wfm-1'", f.pooldir));
	free(wfm_test_sh(f.repo, "git branch wfmigrate/old/x c1"));
	/*
	 * What failed libgit2 adds leave (pitfall 1): an empty entry, and one
	 * with gitdir and commondir but no HEAD. Two of them make libgit2 think
	 * every branch is checked out (pitfall 4).
	 */
	free(wfm_test_sh(f.repo,
			 "mkdir -p .git/worktrees/wfm-7 .git/worktrees/wfm-8 && "
			 "echo '%s/wfm-8/.git' > .git/worktrees/wfm-8/gitdir && "
			 "echo ../.. > .git/worktrees/wfm-8/commondir",
			 f.pooldir));

	assert_sh_contains(f.repo, "0000000", "git worktree list");
	assert_sh_contains(f.repo, "prunable", "git worktree list --porcelain");
	assert_int_not_equal(wfm_test_sh_status(f.repo, "git fsck >/dev/null 2>&1"), 0);

	assert_wfm_ok(wfm_pool_clean(&report, f.repo, NULL));
	assert_int_equal(report.nr, 4);
	assert_string_equal(report.items[0].name, "wfm-1");
	assert_string_equal(report.items[0].what, "worktree");
	assert_string_equal(report.items[0].why, "its directory is gone");
	assert_string_equal(report.items[1].name, "wfm-7");
	assert_string_equal(report.items[1].why, "half-made worktree entry");
	assert_string_equal(report.items[2].name, "wfm-8");
	assert_string_equal(report.items[2].why, "half-made worktree entry");
	assert_string_equal(report.items[3].what, "branch");
	assert_string_equal(report.items[3].name, "refs/heads/wfmigrate/old/x");
	for (size_t i = 0; i < report.nr; i++)
		assert_int_equal(report.items[i].removed, 1);
	wfm_clean_report_release(&report);

	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_sh_equal(f.repo, "0", "ls -A .git/worktrees | wc -l");
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_repo_clean(f.repo);

	/* acquire sweeps such entries away too, and commits still land */
	free(wfm_test_sh(f.repo, "mkdir -p .git/worktrees/wfm-7 .git/worktrees/wfm-8"));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c2"));
	assert_false(path_exists(gitdir, "worktrees/wfm-7"));
	assert_false(path_exists(gitdir, "worktrees/wfm-8"));
	wfm_test_write(wfm_slot_path(slot), "z.txt", "z\n");
	assert_wfm_ok(wfm_slot_commit_all(id, &changed, slot, "z", "z"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	free(wfm_test_sh(f.repo, "git branch -D wfmigrate/r1/z >/dev/null"));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	free(gitdir);
	fixture_release(&f);
}

static void test_pool__clean_keeps_what_is_needed(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *held = NULL, *free_slot = NULL;
	struct wfm_clean_report report = { 0 };
	struct wfm_clean_opts opts = WFM_CLEAN_OPTS_INIT;
	char want[256], *before;
	pid_t runner;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&held, pool, "c1"));
	assert_wfm_ok(wfm_pool_acquire(&free_slot, pool, "c1"));
	assert_wfm_ok(wfm_pool_release(pool, free_slot));

	/* the user's own things */
	free(wfm_test_sh(f.repo,
			 "git worktree add -q ../%s-user -b feature c1 && "
			 "git branch wfmigratex/y c1 && git branch wfm-3 c1",
			 strrchr(f.repo, '/') + 1));
	/* runs: r2 exists and is not running, r3 is running, gone has no directory */
	runner = fork();
	if (runner == 0) {
		pause();
		_exit(0);
	}
	free(wfm_test_sh(f.repo,
			 "mkdir -p .git/wfmigrate/runs/r2 .git/wfmigrate/runs/r3 && "
			 "echo 999999999 > .git/wfmigrate/runs/r2/lock && "
			 "echo %ld > .git/wfmigrate/runs/r3/lock && "
			 "git branch wfmigrate/r2/a c1 && git branch wfmigrate/r3/a c1 && "
			 "git branch wfmigrate/r3/integration c2 && "
			 "git branch wfmigrate/gone/a c1 && "
			 "git branch wfmigrate/gone/b/c c2 && "
			 "git branch wfmigrate/gone/co c1 && "
			 "git -C ../%s-user checkout -q wfmigrate/gone/co && "
			 "git config branch.wfmigrate/gone/a.note hello",
			 (long)runner, strrchr(f.repo, '/') + 1));

	/* a dry run says everything and changes nothing */
	before = wfm_test_sh_trim(
		f.repo, "git worktree list --porcelain; git for-each-ref; ls -A '%s'", f.pooldir);
	opts.dry_run = 1;
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, &opts));
	assert_int_equal(report.nr, 8);
	assert_int_equal(report.items[1].removed, 1); /* would be */
	wfm_clean_report_release(&report);
	assert_sh_equal(
		f.repo, before,
		"git worktree list --porcelain; git for-each-ref; ls -A .git/wfmigrate/pool");
	free(before);

	opts.dry_run = 0;
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, &opts));
	{
		static const struct {
			const char *name;
			int removed;
			const char *why;
		} want_items[] = {
			{ "wfm-1", 0, NULL },
			{ "wfm-2", 1, "free" },
			{ "refs/heads/wfmigrate/gone/a", 1, "no run 'gone'" },
			{ "refs/heads/wfmigrate/gone/b/c", 1, "no run 'gone'" },
			{ "refs/heads/wfmigrate/gone/co", 0, "checked out in" },
			{ "refs/heads/wfmigrate/r2/a", 0, "run 'r2' exists (use --all)" },
			{ "refs/heads/wfmigrate/r3/a", 0, "run 'r3' is running" },
			{ "refs/heads/wfmigrate/r3/integration", 0, "run 'r3' is running" },
		};
		assert_int_equal(report.nr, WFM_ARRAY_SIZE(want_items));
		for (size_t i = 0; i < report.nr; i++) {
			assert_string_equal(report.items[i].name, want_items[i].name);
			assert_int_equal(report.items[i].removed, want_items[i].removed);
			if (want_items[i].why && !strstr(report.items[i].why, want_items[i].why))
				fail_msg("%s: '%s'", report.items[i].name, report.items[i].why);
		}
		snprintf(want, sizeof(want), "in use by pid %ld", (long)getpid());
		assert_string_equal(report.items[0].why, want);
	}
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "0", "git config --get-regexp '^branch\\.wfmigrate' | wc -l");

	/* --all: the branches of a run that exists but is not running go too */
	opts.all = 1;
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, &opts));
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "wfmigrate/gone/co\nwfmigrate/r3/a\nwfmigrate/r3/integration",
			"git branch --list 'wfmigrate/*' --format='%%(refname:short)'");
	assert_sh_equal(
		f.repo, "wfm-3\nwfmigratex/y",
		"git branch --list 'w*' --format='%%(refname:short)' | grep -v '^wfmigrate/'");
	assert_sh_contains(f.repo, "feature", "git branch --list feature");
	assert_sh_equal(f.repo, "3", "git worktree list | wc -l");
	assert_true(path_exists(f.pooldir, "wfm-1/a.txt"));
	assert_false(path_exists(f.pooldir, "wfm-2"));

	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	assert_wfm_ok(wfm_pool_release(pool, held));
	free(wfm_test_sh(f.repo,
			 "git -C ../%s-user checkout -q --detach && "
			 "git worktree remove ../%s-user",
			 strrchr(f.repo, '/') + 1, strrchr(f.repo, '/') + 1));
	assert_wfm_ok(wfm_pool_clean(&report, f.repo, &opts));
	/* its result stays, even with --all, until the run is named */
	assert_int_equal(report.nr, 4); /* wfm-1, gone/co, r3/a, r3/integration */
	assert_string_equal(report.items[3].name, "refs/heads/wfmigrate/r3/integration");
	assert_int_equal(report.items[3].removed, 0);
	assert_int_equal(report.items[3].kept, WFM_CLEAN_KEPT_RESULT);
	wfm_clean_report_release(&report);
	assert_sh_equal(f.repo, "wfmigrate/r3/integration",
			"git branch --list 'wfmigrate/*' --format='%%(refname:short)'");
	{
		const char *const nope[] = { "nope", NULL }, *const r3[] = { "r3", NULL };

		opts.results = nope;
		assert_int_equal(wfm_pool_clean(&report, f.repo, &opts), WFM_ENOTFOUND);
		assert_int_equal(report.nr, 0);
		wfm_clean_report_release(&report);
		opts.results = r3;
		assert_wfm_ok(wfm_pool_clean(&report, f.repo, &opts));
		assert_int_equal(report.nr, 1);
		assert_int_equal(report.items[0].removed, 1);
		wfm_clean_report_release(&report);
	}
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_sh_equal(f.pooldir, "0", "ls -A | wc -l");
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__unknown_base(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char *tree;

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_int_equal(wfm_pool_acquire(&slot, pool, "no-such-rev"), WFM_ENOTFOUND);
	assert_null(slot);
	assert_non_null(strstr(wfm_error_last(), "no-such-rev"));
	assert_int_equal(wfm_pool_acquire(&slot, pool, "0123456789012345678901234567890123456789"),
			 WFM_ENOTFOUND);
	tree = wfm_test_sh_trim(f.repo, "git rev-parse c1:src");
	assert_int_equal(wfm_pool_acquire(&slot, pool, tree), WFM_ENOTFOUND);
	free(tree);
	assert_sh_equal(f.repo, "1", "git worktree list | wc -l");
	assert_sh_equal(f.pooldir, "0", "ls -A | wc -l");
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__subdirectory_and_linked_worktree(void **state)
{
	struct fixture f;
	struct wfm_pool *pool = NULL;
	struct wfm_slot *slot = NULL;
	struct wfm_pool_opts opts = WFM_POOL_OPTS_INIT;
	char path[PATH_MAX], want[PATH_MAX];

	fixture_init(&f);
	snprintf(path, sizeof(path), "%s/src", f.repo);
	assert_wfm_ok(wfm_pool_open(&pool, path, &opts));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "HEAD"));
	snprintf(want, sizeof(want), "%s/wfm-1", f.pooldir);
	assert_string_equal(wfm_slot_path(slot), want);
	assert_string_equal(wfm_slot_base(slot), f.c2);
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);

	/* from a linked worktree: the pool is the common directory's, HEAD is the worktree's */
	free(wfm_test_sh(f.repo, "git worktree add -q --detach ../%s-linked c1",
			 strrchr(f.repo, '/') + 1));
	snprintf(path, sizeof(path), "%s-linked", f.repo);
	assert_wfm_ok(wfm_pool_open(&pool, path, &opts));
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "HEAD"));
	assert_string_equal(wfm_slot_path(slot), want);
	assert_string_equal(wfm_slot_base(slot), f.c1);
	assert_sh_equal(wfm_slot_path(slot), f.c1, "git rev-parse HEAD");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);
	free(wfm_test_sh(f.repo, "git worktree remove ../%s-linked", strrchr(f.repo, '/') + 1));
	assert_repo_clean(f.repo);
	fixture_release(&f);
}

static void test_pool__release_detaches_a_branch(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char path[PATH_MAX];

	fixture_init(&f);
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "c1"));
	snprintf(path, sizeof(path), "%s", wfm_slot_path(slot));
	/* an agent checks a branch out in its slot */
	free(wfm_test_sh(path, "git checkout -q -b agent-branch"));
	assert_wfm_ok(wfm_pool_release(pool, slot));
	assert_int_not_equal(wfm_test_sh_status(path, "git symbolic-ref -q HEAD"), 0);
	assert_sh_equal(path, f.c1, "git rev-parse HEAD");
	free(wfm_test_sh(f.repo, "git branch -D agent-branch >/dev/null"));
	assert_repo_clean(f.repo);
	wfm_pool_free(pool);
	fixture_release(&f);
}

static void test_pool__filters_follow_gitattributes(void **state)
{
	struct fixture f;
	struct wfm_pool *pool;
	struct wfm_slot *slot = NULL;
	char *txt;

	fixture_init(&f);
	/* an ident attribute must still be applied on checkout */
	wfm_test_write(f.repo, ".gitattributes", "*.id ident\n");
	wfm_test_write(f.repo, "v.id", "$Id$\n");
	free(wfm_test_sh(f.repo, "git add -A && git commit -qm attrs"));
	pool = open_pool(&f, 0, NULL);
	assert_wfm_ok(wfm_pool_acquire(&slot, pool, "HEAD"));
	txt = read_text(wfm_slot_path(slot), "v.id");
	assert_int_equal(strncmp(txt, "$Id: ", 5), 0);
	free(txt);
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	assert_wfm_ok(wfm_pool_release(pool, slot));
	wfm_pool_free(pool);
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool__acquire_at_commit),
		cmocka_unit_test(test_pool__reacquire_moves_slot_incrementally),
		cmocka_unit_test(test_pool__untracked_and_modified_go_ignored_stay),
		cmocka_unit_test(test_pool__prefers_slot_nearest_base),
		cmocka_unit_test(test_pool__commit_all),
		cmocka_unit_test(test_pool__commit_tree_matches_git),
		cmocka_unit_test(test_pool__label_sanitising),
		cmocka_unit_test(test_pool__cold_leaves_nothing_behind),
		cmocka_unit_test(test_pool__threads_get_distinct_slots),
		cmocka_unit_test(test_pool__remembered_slots_are_checked),
		cmocka_unit_test(test_pool__dead_holder_is_reclaimed),
		cmocka_unit_test(test_pool__dead_holder_git_locks_are_cleared),
		cmocka_unit_test(test_pool__dead_holder_leaves_nothing_behind),
		cmocka_unit_test(test_pool__dead_holder_processes_are_ended),
		cmocka_unit_test(test_pool__processes_never_share_a_slot),
		cmocka_unit_test(test_pool__live_foreign_holder_is_respected),
		cmocka_unit_test(test_pool__user_locked_slot_is_left_alone),
		cmocka_unit_test(test_pool__failed_add_is_rolled_back),
		cmocka_unit_test(test_pool__half_made_entries_are_cleaned),
		cmocka_unit_test(test_pool__clean_keeps_what_is_needed),
		cmocka_unit_test(test_pool__unknown_base),
		cmocka_unit_test(test_pool__subdirectory_and_linked_worktree),
		cmocka_unit_test(test_pool__release_detaches_a_branch),
		cmocka_unit_test(test_pool__filters_follow_gitattributes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
