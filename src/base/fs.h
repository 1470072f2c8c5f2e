#ifndef WFM_BASE_FS_H
#define WFM_BASE_FS_H

/*
 * Paths and directories. Paths are plain C strings, relative ones taken
 * from the current directory.
 */

struct wfm_strvec;

/*
 * dir and name joined by exactly one '/': trailing slashes of dir and
 * leading ones of name are dropped ("a/" and "/b" give "a/b", "/" and
 * "b" give "/b"). An empty dir gives name, an empty name gives dir,
 * unchanged. Returns a new string; free with free().
 */
char *wfm_fs_join(const char *dir, const char *name);

/*
 * The directory part of path: what comes before its last '/', "/" when
 * that slash is the first character, "." when there is none ("a/b" gives
 * "a", "/a" gives "/", "a" gives "."). Only the string is looked at.
 * Returns a new string; free with free().
 */
char *wfm_fs_dirname(const char *path);

/* 1 when path is a directory or a symbolic link to one, else 0. */
int wfm_fs_is_dir(const char *path);

/*
 * Appends to out the names in dir that end in suffix and do not start
 * with '.', sorted by strcmp; nothing when dir cannot be read (it does
 * not exist).
 */
void wfm_fs_list(struct wfm_strvec *out, const char *dir, const char *suffix);

/* 1 when anything is at path, a dangling symbolic link too, else 0. */
int wfm_fs_exists(const char *path);

/*
 * mkdir -p path: creates the missing directories of path (mode 0777
 * before the umask). 0 also when it exists already as a directory (or a
 * link to one); anything else in the way is an error.
 */
int wfm_fs_mkdir_p(const char *path);

/*
 * rm -rf path, never following symbolic links: a link is removed, not
 * what it points to, and path itself may be one. Directories without
 * write or search permission for their owner inside the tree are made
 * writable first. 0 when path does not exist.
 */
int wfm_fs_rmtree(const char *path);

/*
 * Writes all len bytes of data to fd, going on after short writes and
 * EINTR. 0, or -1 with errno set (the caller words the message: it knows
 * the file's name).
 */
int wfm_fs_write_all(int fd, const void *data, size_t len);

/*
 * Writes len bytes of data to a new file $TMPDIR/<prefix>XXXXXX<suffix>
 * (/tmp without TMPDIR), mode 0600, and sets *path to its name (free with
 * free(); the caller removes the file). On failure no file is left and
 * *path is NULL.
 */
int wfm_fs_write_temp(char **path, const char *prefix, const char *suffix, const void *data,
		      size_t len);

#endif
