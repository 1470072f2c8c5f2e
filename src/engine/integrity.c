#include "base/common.h"
#include "base/glob.h"
#include "engine/integrity.h"

/*
 * Directories are matched at any depth, so tests/ of a package in a
 * monorepo counts as much as the top-level one. Fixture data (testdata/)
 * is in: changing the expected output is as good as changing the test.
 * conftest.py can skip or rewrite every pytest test around it.
 */
const char *const wfm_integrity_default_globs[] = {
	"**/test/**", "**/tests/**", "**/spec/**", "**/__tests__/**", "**/testdata/**",
	"test_*",     "*_test.*",    "*.test.*",   "*_spec.*",	      "*.spec.*",
	"*Test.java", "*Tests.java", "*Test.kt",   "*Tests.kt",	      "*Test.cs",
	"*Tests.cs",  "conftest.py", NULL,
};

const char *wfm_integrity_test_glob(const char *const *globs, const char *path)
{
	return wfm_glob_first(globs ? globs : wfm_integrity_default_globs, path);
}
