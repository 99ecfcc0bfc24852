/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run the kernel's own gup_test (built into build/selftests by the tests
 * Makefile) on a file or device, shared (-S), over @mb MiB.
 */
#ifndef GUP_TEST_RUN_H
#define GUP_TEST_RUN_H

#include "dax_test.h"

/* Run gup_test with @args on @path; collect its output in @out. */
static inline int run_gup_test(const char *args, int mb, const char *path,
			       char *out, size_t outlen)
{
	char cmd[512];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/build/selftests/gup_test -S -m %d %s -f %s 2>&1",
		 getenv("TOP") ? getenv("TOP") : ".", mb, args, path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n < outlen - 1 && fgets(out + n, outlen - n, f))
		n += strlen(out + n);
	return pclose(f);
}

#endif /* GUP_TEST_RUN_H */
