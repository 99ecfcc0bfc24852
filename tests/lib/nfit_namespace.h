/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private namespaces on the NFIT region, for tests that take a namespace
 * away or read every attribute of one: scripts/guest-pmem.sh leaves
 * about 1.25 GiB of the emulated NVDIMM free after carving its device-DAX
 * instances, and the suite's shared namespaces must stay as they are.
 * The tests that use them watch the kernel log (lib/kmsg.h) for an oops
 * in some other process.
 */
#ifndef NFIT_NAMESPACE_H
#define NFIT_NAMESPACE_H

#include <libgen.h>
#include "dax_test.h"
#include "kmsg.h"

struct nfit_ns {
	char dev[32];		/* namespaceX.Y */
	char blockdev[32];	/* pmemN, pmemNs; empty for devdax */
	char chardev[32];	/* daxX.Y for devdax */
	char out[2048];		/* what ndctl printed */
};

/* The first "KEY":"value" in @json, copied to @val. */
static inline void json_field(const char *json, const char *key, char *val,
			      size_t len)
{
	char pat[48];
	const char *s, *e;

	val[0] = 0;
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	s = strstr(json, pat);
	if (!s)
		return;
	s += strlen(pat);
	e = strchr(s, '"');
	if (e && (size_t)(e - s) < len) {
		memcpy(val, s, e - s);
		val[e - s] = 0;
	}
}

/*
 * ndctl create-namespace on the NFIT bus with @args ("-m fsdax -s 64M"
 * and so on). Returns 0, or ndctl's exit status with its output in
 * ns->out.
 */
static inline int nfit_ns_create(struct nfit_ns *ns, const char *args)
{
	char cmd[256];
	int rc;

	memset(ns, 0, sizeof(*ns));
	snprintf(cmd, sizeof(cmd),
		 "ndctl create-namespace -b ACPI.NFIT %s 2>&1", args);
	rc = run_cmd(cmd, ns->out, sizeof(ns->out));
	json_field(ns->out, "dev", ns->dev, sizeof(ns->dev));
	json_field(ns->out, "blockdev", ns->blockdev, sizeof(ns->blockdev));
	json_field(ns->out, "chardev", ns->chardev, sizeof(ns->chardev));
	return rc ? rc : (ns->dev[0] ? 0 : -1);
}

static inline int nfit_ns_destroy(struct nfit_ns *ns)
{
	char cmd[128];

	if (!ns->dev[0])
		return 0;
	snprintf(cmd, sizeof(cmd),
		 "ndctl destroy-namespace -f -b ACPI.NFIT %s 2>&1", ns->dev);
	if (run_cmd(cmd, ns->out, sizeof(ns->out)))
		return -1;
	ns->dev[0] = 0;
	return 0;
}

/*
 * The nd device a block device hangs off (namespaceX.Y for raw, pfnX.Y
 * for fsdax, bttX.Y for sector): the one the pmem driver is bound to.
 */
static inline int blockdev_parent(const char *blockdev, char *name, size_t len)
{
	char path[128], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/block/%s/device", blockdev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = 0;
	snprintf(name, len, "%s", basename(target));
	return 0;
}

/* Wait up to @ms for @pid; its wait status, or -1 if it did not end. */
static inline int waitpid_within(pid_t pid, long ms)
{
	int status;

	for (; ms > 0; ms -= 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(20 * 1000);
	}
	return -1;
}

#endif /* NFIT_NAMESPACE_H */
