#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/strvec.h"

#include <fcntl.h>
#include <pthread.h>

static void test_base__buf_starts_empty_and_terminated(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.len, 0);
	wfm_buf_release(&b);
	assert_string_equal(b.ptr, "");
}

static void test_base__buf_appends(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	assert_wfm_ok(wfm_buf_adds(&b, "abc"));
	assert_wfm_ok(wfm_buf_addch(&b, '-'));
	assert_wfm_ok(wfm_buf_addf(&b, "%d/%s", 42, "x"));
	assert_wfm_ok(wfm_buf_add(&b, "\0z", 2));
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.ptr, "abc-42/x\0z", 10);
	assert_int_equal(b.ptr[b.len], '\0');
	wfm_buf_release(&b);
}

static void test_base__buf_grows_past_many_reallocs(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	for (int i = 0; i < 10000; i++)
		assert_wfm_ok(wfm_buf_addf(&b, "%04d", i % 10000));
	assert_int_equal(b.len, 40000);
	assert_memory_equal(b.ptr + 39996, "9999", 4);
	wfm_buf_release(&b);
}

static void test_base__buf_cap_refuses_and_keeps_contents(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	b.cap = 8;
	assert_wfm_ok(wfm_buf_adds(&b, "12345"));
	assert_int_equal(wfm_buf_adds(&b, "6789"), WFM_EBUDGET);
	assert_string_equal(b.ptr, "12345");
	assert_int_equal(wfm_buf_addf(&b, "%s", "abcd"), WFM_EBUDGET);
	assert_string_equal(b.ptr, "12345");
	assert_wfm_ok(wfm_buf_adds(&b, "678"));
	assert_string_equal(b.ptr, "12345678");
	assert_non_null(strstr(wfm_error_last(), "limit of 8 bytes"));
	wfm_buf_release(&b);
}

static void test_base__buf_read_file(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT, big = WFM_BUF_INIT;
	char *dir = wfm_test_tmpdir(), *path = NULL, *missing = NULL;
	FILE *f;

	/* larger than one read, with a NUL inside */
	for (size_t i = 0; i < 200000; i++)
		wfm_buf_addch(&big, (int)(i % 251));
	path = wfm_fs_join(dir, "data");
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big.ptr, 1, big.len, f), big.len);
	fclose(f);

	wfm_buf_adds(&b, "head:");
	assert_wfm_ok(wfm_buf_read_file(&b, path));
	assert_int_equal(b.len, 5 + big.len);
	assert_memory_equal(b.ptr + 5, big.ptr, big.len);
	assert_int_equal(b.ptr[b.len], '\0');

	/* a capped buffer stops at its cap, keeping what fit */
	wfm_buf_release(&b);
	b.cap = 100000;
	assert_int_equal(wfm_buf_read_file(&b, path), WFM_EBUDGET);
	assert_true(b.len <= 100000);
	assert_memory_equal(b.ptr, big.ptr, b.len);
	b.cap = 0;

	missing = wfm_fs_join(dir, "missing");
	assert_int_equal(wfm_buf_read_file(&b, missing), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "cannot read '"));
	free(missing);
	/* a file on the way: as missing */
	missing = wfm_fs_join(path, "below");
	assert_int_equal(wfm_buf_read_file(&b, missing), WFM_ENOTFOUND);
	/* a directory opens but cannot be read */
	assert_int_equal(wfm_buf_read_file(&b, dir), WFM_ERROR);

	wfm_buf_release(&b);
	wfm_buf_release(&big);
	free(missing);
	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_base__buf_read_fd_from_offset(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;
	char *dir = wfm_test_tmpdir(), *path = wfm_fs_join(dir, "f");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "one\ntwo\n", 8), 8);
	lseek(fd, 4, SEEK_SET);
	assert_wfm_ok(wfm_buf_read_fd(&b, fd, path));
	assert_string_equal(b.ptr, "two\n");
	/* at the end: nothing more, and still fine */
	assert_wfm_ok(wfm_buf_read_fd(&b, fd, path));
	assert_string_equal(b.ptr, "two\n");
	close(fd);
	wfm_buf_release(&b);
	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_base__buf_detach_rtrim_clear(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;
	size_t len;
	char *s;

	s = wfm_buf_detach(&b, &len);
	assert_string_equal(s, "");
	free(s);
	wfm_buf_adds(&b, "line \t\r\n\n");
	wfm_buf_rtrim(&b);
	assert_string_equal(b.ptr, "line");
	s = wfm_buf_detach(&b, &len);
	assert_int_equal(len, 4);
	assert_string_equal(s, "line");
	assert_string_equal(b.ptr, "");
	free(s);
	wfm_buf_adds(&b, "again");
	wfm_buf_clear(&b);
	assert_string_equal(b.ptr, "");
	wfm_buf_release(&b);
}

static void test_base__buf_add_sq(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_add_sq(&b, "old_copy");
	wfm_buf_addch(&b, ' ');
	wfm_buf_add_sq(&b, ":/src/a-b.c");
	wfm_buf_addch(&b, ' ');
	wfm_buf_add_sq(&b, "old_api\\(");
	wfm_buf_addch(&b, ' ');
	wfm_buf_add_sq(&b, "it's $x");
	wfm_buf_addch(&b, ' ');
	wfm_buf_add_sq(&b, "");
	assert_string_equal(b.ptr, "old_copy :/src/a-b.c 'old_api\\(' 'it'\\''s $x' ''");
	wfm_buf_release(&b);
}

static void test_base__strvec(void **state)
{
	struct wfm_strvec sv = WFM_STRVEC_INIT;

	for (int i = 0; i < 20; i++) {
		char s[8];
		snprintf(s, sizeof(s), "s%d", i);
		wfm_strvec_push(&sv, s);
	}
	assert_int_equal(sv.nr, 20);
	assert_string_equal(sv.v[19], "s19");
	assert_null(sv.v[20]);
	wfm_strvec_clear(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.nr, 0);
}

static void test_base__error_codes_and_message(void **state)
{
	assert_int_equal(wfm_error_set("cannot open '%s'", "x"), WFM_ERROR);
	assert_string_equal(wfm_error_last(), "cannot open 'x'");
	assert_int_equal(wfm_error_setc(WFM_ENOTFOUND, "no %d", 3), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "no 3");
	wfm_error_clear();
	assert_string_equal(wfm_error_last(), "");
	/* the last message wrapped in a new one */
	wfm_error_set("bad price 'x'");
	assert_int_equal(wfm_error_setc(WFM_ECONFIG, "git config %s: %s", "wfmigrate.price",
					wfm_error_last()),
			 WFM_ECONFIG);
	assert_string_equal(wfm_error_last(), "git config wfmigrate.price: bad price 'x'");
}

static void *other_thread(void *arg)
{
	wfm_error_set("from the other thread");
	return NULL;
}

static void test_base__error_is_per_thread(void **state)
{
	pthread_t t;

	wfm_error_set("mine");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_string_equal(wfm_error_last(), "mine");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base__buf_starts_empty_and_terminated),
		cmocka_unit_test(test_base__buf_appends),
		cmocka_unit_test(test_base__buf_grows_past_many_reallocs),
		cmocka_unit_test(test_base__buf_cap_refuses_and_keeps_contents),
		cmocka_unit_test(test_base__buf_read_file),
		cmocka_unit_test(test_base__buf_read_fd_from_offset),
		cmocka_unit_test(test_base__buf_detach_rtrim_clear),
		cmocka_unit_test(test_base__buf_add_sq),
		cmocka_unit_test(test_base__strvec),
		cmocka_unit_test(test_base__error_codes_and_message),
		cmocka_unit_test(test_base__error_is_per_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
