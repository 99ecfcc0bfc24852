// SPDX-License-Identifier: GPL-2.0
/*
 * process_vm_readv() and process_vm_writev() reach another process's
 * device-DAX mapping through remote GUP and move the right bytes both
 * ways, at every alignment.
 */
#include <sys/uio.h>
#include "lib/dax_test.h"

FIXTURE(devdax) { struct devdax dax; };
DEVDAX_VARIANTS(devdax);
FIXTURE_SETUP(devdax) { DEVDAX_SETUP(&self->dax, variant); }
FIXTURE_TEARDOWN(devdax) { devdax_close(&self->dax); }

TEST_F(devdax, read_and_write_a_child_mapping)
{
	size_t len = devdax_test_len(&self->dax), io = SZ_2M;
	int go[2], status;
	uint8_t *p, *buf;
	char c;
	pid_t pid;

	if (io > len)
		io = len;
	p = devdax_map(&self->dax, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, MAP_FAILED);
	fill_pattern(p, len, 91);
	ASSERT_EQ(pipe(go), 0);

	/* The child owns the mapping the parent reads and writes remotely. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(check_pattern(p + len - io, io, 92) == -1 ? 0 : 1);
	}
	close(go[0]);
	ASSERT_EQ(munmap(p, len), 0);

	buf = malloc(io);
	ASSERT_NE(buf, NULL);
	{
		struct iovec local = { buf, io };
		struct iovec remote = { p, io };

		ASSERT_EQ(process_vm_readv(pid, &local, 1, &remote, 1, 0), io)
			TH_LOG("process_vm_readv: %s", strerror(errno));
		EXPECT_EQ(check_pattern(buf, io, 91), -1);

		fill_pattern(buf, io, 92);
		remote.iov_base = p + len - io;
		ASSERT_EQ(process_vm_writev(pid, &local, 1, &remote, 1, 0), io)
			TH_LOG("process_vm_writev: %s", strerror(errno));
	}
	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0) TH_LOG("child did not see the remote write");
	free(buf);
}

TEST_HARNESS_MAIN
