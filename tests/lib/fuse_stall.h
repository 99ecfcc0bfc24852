/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-file FUSE server whose reads stall until the test says so.
 *
 * A direct-I/O read from a FUSE file pins the destination pages before
 * the request reaches the server, and unpins them when the server has
 * answered. Holding the answer back therefore holds an O_DIRECT pin on
 * the user buffer for exactly as long as a test wants, with no timing
 * involved: the test learns that the pin is held when the request
 * arrives, and releases it with fuse_stall_release().
 *
 * The server speaks just enough of the protocol for that: INIT, LOOKUP
 * and GETATTR of one regular file "data", OPEN with FOPEN_DIRECT_IO,
 * READ (filled with a byte pattern), FLUSH and RELEASE.
 */
#ifndef FUSE_STALL_H
#define FUSE_STALL_H

#include <linux/fuse.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/uio.h>

#define FUSE_STALL_FILE_SIZE	(64UL << 20)
#define FUSE_STALL_SEED		77
#define FUSE_STALL_BUF		(FUSE_MIN_READ_BUFFER + (1UL << 20))

struct fuse_stall {
	char mnt[64];
	char file[96];
	int dev;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int reads_waiting;	/* READ requests held back */
	int released;		/* answer them now */
	int stop;
};

static inline int fuse_stall_reply(int dev, uint64_t unique, int error,
				   const void *arg, size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + len, .error = error, .unique = unique,
	};
	struct iovec iov[2] = { { &out, sizeof(out) }, { (void *)arg, len } };

	return writev(dev, iov, len ? 2 : 1) < 0 ? -errno : 0;
}

static inline void fuse_stall_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	a->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = FUSE_STALL_FILE_SIZE;
		a->blocks = FUSE_STALL_FILE_SIZE / 512;
	}
}

static inline void fuse_stall_read(struct fuse_stall *fs, uint64_t unique,
				   const struct fuse_read_in *in)
{
	size_t len = in->size;
	uint8_t *data;

	pthread_mutex_lock(&fs->lock);
	fs->reads_waiting++;
	pthread_cond_broadcast(&fs->cond);
	while (!fs->released && !fs->stop)
		pthread_cond_wait(&fs->cond, &fs->lock);
	fs->reads_waiting--;
	pthread_mutex_unlock(&fs->lock);

	if (in->offset >= FUSE_STALL_FILE_SIZE)
		len = 0;
	else if (in->offset + len > FUSE_STALL_FILE_SIZE)
		len = FUSE_STALL_FILE_SIZE - in->offset;
	data = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		data[i] = pattern_byte(in->offset + i, FUSE_STALL_SEED);
	fuse_stall_reply(fs->dev, unique, 0, data, len);
	free(data);
}

static inline void fuse_stall_handle(struct fuse_stall *fs,
				     const struct fuse_in_header *in,
				     const void *arg)
{
	union {
		struct fuse_init_out init;
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
	} out;

	memset(&out, 0, sizeof(out));
	switch (in->opcode) {
	case FUSE_INIT:
		out.init.major = FUSE_KERNEL_VERSION;
		out.init.minor = FUSE_KERNEL_MINOR_VERSION;
		out.init.max_write = 1 << 20;
		out.init.max_pages = 256;
		out.init.flags = FUSE_MAX_PAGES;
		fuse_stall_reply(fs->dev, in->unique, 0, &out, sizeof(out.init));
		break;
	case FUSE_LOOKUP:
		if (strcmp(arg, "data")) {
			fuse_stall_reply(fs->dev, in->unique, -ENOENT, NULL, 0);
			break;
		}
		out.entry.nodeid = 2;
		out.entry.attr_valid = out.entry.entry_valid = 3600;
		fuse_stall_attr(&out.entry.attr, 2);
		fuse_stall_reply(fs->dev, in->unique, 0, &out, sizeof(out.entry));
		break;
	case FUSE_GETATTR:
		out.attr.attr_valid = 3600;
		fuse_stall_attr(&out.attr.attr, in->nodeid);
		fuse_stall_reply(fs->dev, in->unique, 0, &out, sizeof(out.attr));
		break;
	case FUSE_OPEN:
		out.open.fh = 1;
		out.open.open_flags = FOPEN_DIRECT_IO;
		fuse_stall_reply(fs->dev, in->unique, 0, &out, sizeof(out.open));
		break;
	case FUSE_READ:
		fuse_stall_read(fs, in->unique, arg);
		break;
	case FUSE_FLUSH:
	case FUSE_RELEASE:
		fuse_stall_reply(fs->dev, in->unique, 0, NULL, 0);
		break;
	case FUSE_INTERRUPT:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		break;			/* these take no answer */
	default:
		fuse_stall_reply(fs->dev, in->unique, -ENOSYS, NULL, 0);
		break;
	}
}

static inline void *fuse_stall_main(void *data)
{
	struct fuse_stall *fs = data;
	uint8_t *buf = malloc(FUSE_STALL_BUF);

	while (buf && !fs->stop) {
		ssize_t n = read(fs->dev, buf, FUSE_STALL_BUF);

		if (n < (ssize_t)sizeof(struct fuse_in_header)) {
			if (n < 0 && (errno == EINTR || errno == ENOENT))
				continue;
			break;		/* unmounted */
		}
		fuse_stall_handle(fs, (void *)buf,
				  buf + sizeof(struct fuse_in_header));
	}
	free(buf);
	return NULL;
}

/* Mount the server on a fresh directory; fs->file is the file to read. */
static inline int fuse_stall_start(struct fuse_stall *fs)
{
	char opts[128];

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->cond, NULL);
	snprintf(fs->mnt, sizeof(fs->mnt), "%s/fuse_stall.%d",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	snprintf(fs->file, sizeof(fs->file), "%s/data", fs->mnt);
	if (mkdir(fs->mnt, 0755) && errno != EEXIST)
		return -errno;
	fs->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->dev < 0)
		return -errno;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fs->dev);
	if (mount("fuse_stall", fs->mnt, "fuse", MS_NOSUID | MS_NODEV, opts))
		return -errno;
	return -pthread_create(&fs->thread, NULL, fuse_stall_main, fs);
}

/* Wait until @n reads are held back, i.e. their buffers are pinned. */
static inline void fuse_stall_wait_for_reads(struct fuse_stall *fs, int n)
{
	pthread_mutex_lock(&fs->lock);
	while (fs->reads_waiting < n)
		pthread_cond_wait(&fs->cond, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
}

/* Answer every held read, and every later one at once. */
static inline void fuse_stall_release(struct fuse_stall *fs)
{
	pthread_mutex_lock(&fs->lock);
	fs->released = 1;
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->lock);
}

static inline void fuse_stall_stop(struct fuse_stall *fs)
{
	pthread_mutex_lock(&fs->lock);
	fs->stop = 1;
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->lock);
	umount2(fs->mnt, MNT_DETACH);
	if (fs->thread)
		pthread_join(fs->thread, NULL);
	close(fs->dev);
	rmdir(fs->mnt);
}

#endif /* FUSE_STALL_H */
