// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding a device-DAX instance from its driver while a process has
 * it mapped neither hangs nor crashes: the mapping is torn down (access
 * raises SIGBUS), the pgmap goes away, which it cannot while a page
 * reference is leaked, and after binding again the data written before
 * the unbind is still there.
 */
#include <signal.h>
#include "lib/dax_test.h"
#include "lib/page_refs.h"

#define DRIVER	"/sys/bus/dax/drivers/device_dax"

FIXTURE(devdax) { struct devdax dax; const char *name; };
FIXTURE_SETUP(devdax)
{
	int rc = devdax_open(&self->dax, ENV_DEVDAX_2M, SZ_2M);

	if (rc > 0)
		SKIP(return, "%s not set", ENV_DEVDAX_2M);
	ASSERT_EQ(rc, 0);
	self->name = strrchr(self->dax.path, '/') + 1;
}
FIXTURE_TEARDOWN(devdax)
{
	devdax_close(&self->dax);
}

TEST_F(devdax, unbind_tears_down_mapping_and_rebind_keeps_data)
{
	size_t len = devdax_test_len(&self->dax);
	uint8_t *p;

	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 141);

	ASSERT_EQ(write_str(DRIVER "/unbind", self->name), 0)
		TH_LOG("unbind %s: %s", self->name, strerror(errno));
	EXPECT_EQ(probe_access(p, 0), SIGBUS);
	EXPECT_EQ(probe_access(p + len - 1, 1), SIGBUS);
	ASSERT_EQ(munmap(p, len), 0);
	devdax_close(&self->dax);

	ASSERT_EQ(write_str(DRIVER "/bind", self->name), 0)
		TH_LOG("bind %s: %s", self->name, strerror(errno));
	self->dax.fd = open(self->dax.path, O_RDWR);
	ASSERT_GE(self->dax.fd, 0);
	p = devdax_map(&self->dax, len, PROT_READ);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, len, 141), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN
