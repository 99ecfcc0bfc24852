// SPDX-License-Identifier: GPL-2.0
/*
 * daxctl reconfigure-device turns a device-DAX instance into system RAM
 * (kmem: MemTotal grows) and back into a device (MemTotal shrinks
 * again), after which the device maps, stores and reads back data.
 */
#include "lib/dax_test.h"

static int daxctl(const char *args, const char *dev)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "daxctl reconfigure-device %s %s >/dev/null 2>&1",
		 args, strrchr(dev, '/') + 1);
	return system(cmd);
}

FIXTURE(devdax) { struct devdax dax; };
FIXTURE_SETUP(devdax)
{
	int rc = devdax_open(&self->dax, ENV_DEVDAX_4K, SZ_4K);

	if (rc > 0)
		SKIP(return, "%s not set", ENV_DEVDAX_4K);
	ASSERT_EQ(rc, 0);
	devdax_close(&self->dax);	/* daxctl needs it unused */
}
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F_TIMEOUT(devdax, to_system_ram_and_back, 180)
{
	long before = meminfo_field_kb("MemTotal"), as_ram, after;
	size_t len = SZ_2M;
	uint8_t *p;

	ASSERT_EQ(daxctl("-m system-ram", self->dax.path), 0);
	as_ram = meminfo_field_kb("MemTotal");
	EXPECT_GE(as_ram - before, 128 * 1024)
		TH_LOG("MemTotal %ld -> %ld kB", before, as_ram);

	ASSERT_EQ(daxctl("-m devdax -f", self->dax.path), 0);
	after = meminfo_field_kb("MemTotal");
	EXPECT_EQ(after, before) TH_LOG("MemTotal %ld -> %ld kB", as_ram, after);

	self->dax.fd = open(self->dax.path, O_RDWR);
	ASSERT_GE(self->dax.fd, 0);
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 151);
	ASSERT_EQ(munmap(p, len), 0);
	p = devdax_map(&self->dax, len, PROT_READ);
	ASSERT_NE(p, MAP_FAILED);
	EXPECT_EQ(check_pattern(p, len, 151), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN
