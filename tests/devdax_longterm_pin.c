// SPDX-License-Identifier: GPL-2.0
/*
 * A long-term pin (io_uring fixed buffer registration) of a device-DAX
 * mapping is allowed: device memory never needs to move for the
 * kernel, and no file system waits on it. The data stays intact.
 */
#include "lib/dax_test.h"
#include "lib/io_uring_pin.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, io_uring_register_buffers_succeeds)
{
	size_t len = devdax_test_len(&self->dax), pin = SZ_2M;
	uint8_t *p;

	if (pin > len)
		pin = len;
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 101);
	EXPECT_EQ(io_uring_pin_buffer(p, pin), 0);
	EXPECT_EQ(check_pattern(p, len, 101), -1);
	ASSERT_EQ(munmap(p, len), 0);
}

TEST_HARNESS_MAIN
