// SPDX-License-Identifier: GPL-2.0
/*
 * Device-private and device-coherent ZONE_DEVICE memory, whose free
 * path and pgmap lookup the series changes: the kernel's own hmm-tests
 * (tools/testing/selftests/mm, built into build/selftests) against
 * lib/test_hmm. Pages migrate to the "device" and back, fault back on
 * CPU access, are held exclusively, and survive fork. Device-coherent
 * devices need two ranges of soft-reserved memory, which the guest
 * setup hands back from dax_hmem (DAX_HMM_SPM0/1).
 *
 * hmm-tests runs with THP in "madvise" mode: its exclusive-access cases
 * fail on 6.12 when their 4 MiB anonymous buffer gets a huge page
 * (make_device_exclusive_range() refuses tail pages), on the base
 * kernel as on the series; the THP cases ask for huge pages with
 * madvise() and still get them.
 *
 * migrate_release is left out (-T): it frees the device's memory, and
 * the next migration then adds memory under mmap_lock, an order that
 * lockdep reports against ptdump's (mem_hotplug_lock, then mmap_lock),
 * which the other tests read. That is test_hmm's lock order, on both
 * kernels; the module unload below frees the same memory instead.
 *
 * Each case loads test_hmm, runs the hmm-tests variants of one memory
 * type and unloads the module again: the unload frees the device's
 * pgmaps, which waits until every one of their pages is free, so a
 * reference that leaked shows as an unload that never returns.
 */
#include "lib/dax_test.h"

#define ENV_SPM0	"DAX_HMM_SPM0"
#define ENV_SPM1	"DAX_HMM_SPM1"

static int load_test_hmm(const char *spm0, const char *spm1, char *out, size_t len)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "modprobe test_hmm%s%s%s%s 2>&1",
		 spm0 ? " spm_addr_dev0=" : "", spm0 ?: "",
		 spm1 ? " spm_addr_dev1=" : "", spm1 ?: "");
	return run_cmd(cmd, out, len);
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* The bracketed word of THP_ENABLED ("always [madvise] never"). */
static int thp_mode(char *mode, size_t len)
{
	char buf[128], *lb, *rb;
	int fd = open(THP_ENABLED, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	lb = strchr(buf, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb)
		return -1;
	snprintf(mode, len, "%.*s", (int)(rb - lb - 1), lb + 1);
	return 0;
}

static long totals_field(const char *totals, const char *key)
{
	const char *p = strstr(totals, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/*
 * Run the hmm-tests variants @variants (each "-v NAME"), with test_hmm
 * loaded as @spm0/@spm1 say; every hmm-tests case passes or skips, and
 * the module unloads within a minute.
 */
static void run_hmm_tests(struct __test_metadata *_metadata, const char *variants,
			  const char *spm0, const char *spm1)
{
	static char out[1 << 16];
	const char *scratch = getenv("TMPDIR") ?: "/run";
	char cmd[1024], thp[32];
	const char *totals;
	int rc;

	rc = load_test_hmm(spm0, spm1, out, sizeof(out));
	if (rc && strstr(out, "not found"))
		SKIP(return, "this kernel has no test_hmm module (CONFIG_TEST_HMM)");
	ASSERT_EQ(rc, 0) TH_LOG("modprobe test_hmm: %s", out);

	ASSERT_EQ(thp_mode(thp, sizeof(thp)), 0) TH_LOG("%s", THP_ENABLED);
	ASSERT_EQ(write_str(THP_ENABLED, "madvise"), 0);
	/*
	 * hmm-tests makes its files in /tmp, which is the read-only host
	 * root in the guest when the repository lives under /tmp: give it
	 * a tmpfs of its own, in a mount namespace of its own.
	 */
	snprintf(cmd, sizeof(cmd),
		 "unshare -m sh -c 'cp %s/build/selftests/hmm-tests %s/ &&"
		 " mount -t tmpfs tmpfs /tmp && exec %s/hmm-tests %s -T migrate_release' 2>&1",
		 getenv("TOP") ? getenv("TOP") : ".", scratch, scratch, variants);
	rc = run_cmd(cmd, out, sizeof(out));
	EXPECT_EQ(write_str(THP_ENABLED, thp), 0) TH_LOG("restoring THP mode %s", thp);
	totals = strstr(out, "# Totals:");
	EXPECT_NE(totals, NULL) TH_LOG("hmm-tests printed no totals: %s", out);
	if (totals) {
		TH_LOG("hmm-tests %s: %.*s", variants, (int)strcspn(totals, "\n"), totals);
		EXPECT_EQ(totals_field(totals, "fail:"), 0);
		EXPECT_EQ(totals_field(totals, "error:"), 0);
		EXPECT_GT(totals_field(totals, "pass:"), 0);
	}
	EXPECT_EQ(rc, 0) TH_LOG("hmm-tests exit status %d", rc);
	if (rc || !totals || totals_field(totals, "fail:"))
		for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
			if (!strncmp(l, "not ok", 6) || strstr(l, "# SKIP") ||
			    strstr(l, "hmm-tests.c:"))
				TH_LOG("  %s", l);

	rc = run_cmd("timeout 60 rmmod test_hmm 2>&1", out, sizeof(out));
	EXPECT_EQ(rc, 0) TH_LOG("rmmod test_hmm (a device page still referenced?): %s", out);
}

TEST(device_private)
{
	run_hmm_tests(_metadata, "-v hmm_device_private -v hmm2_device_private",
		      NULL, NULL);
}

TEST(device_coherent)
{
	const char *spm0 = dax_env(ENV_SPM0), *spm1 = dax_env(ENV_SPM1);

	if (!spm0 || !spm1)
		SKIP(return, "%s and %s not set: no memory for coherent devices",
		     ENV_SPM0, ENV_SPM1);
	run_hmm_tests(_metadata, "-v hmm_device_coherent -v hmm2_device_coherent",
		      spm0, spm1);
}

TEST_HARNESS_MAIN
