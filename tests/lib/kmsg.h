/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the kernel log from /dev/kmsg: a watch opened at the log's
 * end, the records logged after it one at a time, and a count of the
 * ones that report a kernel bug, to tell a clean run from one that
 * oopsed in some other process.
 */
#ifndef KMSG_H
#define KMSG_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "dax_test.h"

/* Lines of the kernel log that report a kernel bug. */
static inline int kmsg_line_is_splat(const char *msg)
{
	static const char *const marks[] = {
		"BUG:", "Oops", "WARNING:", "kernel BUG", "Bad page",
		"general protection fault", "Call Trace:",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(marks); i++)
		if (strstr(msg, marks[i]))
			return 1;
	return 0;
}

/* Start watching /dev/kmsg from its current end; -1 if unavailable. */
static inline int kmsg_watch_start(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The text of the next record logged since kmsg_watch_start() (its
 * first line, without the "level,seq,time,flags;" prefix), read into
 * @rec; NULL when there is none yet. Records the log overwrote before
 * they were read are passed over: /dev/kmsg says so with EPIPE once.
 */
static inline char *kmsg_watch_next(int fd, char *rec, size_t len)
{
	ssize_t n;
	char *msg;

	do
		n = read(fd, rec, len - 1);
	while (n < 0 && errno == EPIPE);
	if (n <= 0)
		return NULL;
	rec[n] = 0;
	msg = strchr(rec, ';');
	msg = msg ? msg + 1 : rec;
	msg[strcspn(msg, "\n")] = 0;
	return msg;
}

/*
 * Read what the kernel logged since kmsg_watch_start() (or the last
 * call); copy the first splat line into @line and return how many lines
 * report one.
 */
static inline int kmsg_watch_splats(int fd, char *line, size_t len)
{
	char rec[2048];
	int splats = 0;
	char *msg;

	if (fd < 0)
		return 0;
	while ((msg = kmsg_watch_next(fd, rec, sizeof(rec)))) {
		if (kmsg_line_is_splat(msg) && !splats++ && len) {
			size_t l = strlen(msg) < len ? strlen(msg) : len - 1;

			memcpy(line, msg, l);
			line[l] = 0;
		}
	}
	return splats;
}

#endif
