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

	snprintf(cmd, sizeof(cmd), "%s/build/selftests/gup_test -S -m %d %s -f %s 2>&1",
		 getenv("TOP") ? getenv("TOP") : ".", mb, args, path);
	return run_cmd(cmd, out, outlen);
}

#endif /* GUP_TEST_RUN_H */
