/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel API differences between the kernels ringvm_vhost builds
 * against (Debian's 6.1 and 6.12).
 */
#ifndef RINGVM_VHOST_COMPAT_H
#define RINGVM_VHOST_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>
#include <linux/fs.h>

/* 6.8 dropped the count argument: every signal adds one. */
static inline void rv_eventfd_signal(struct eventfd_ctx *ctx)
{
#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * Freeze protection around vfs_iter_write(): the caller's job until 6.8,
 * which moved file_start_write() inside it (taking it twice could deadlock
 * against a freeze).
 */
static inline void rv_file_start_write(struct file *file)
{
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	file_start_write(file);
#endif
}

static inline void rv_file_end_write(struct file *file)
{
#if KERNEL_VERSION(6, 8, 0) > LINUX_VERSION_CODE
	file_end_write(file);
#endif
}

/*
 * vhost_task (kernel/vhost_task.c, exported to GPL modules) with the
 * SIGKILL callback it gained in 6.11: the worker becomes a thread of the
 * owner's process, inheriting its cgroups, credentials and limits.
 */
#if IS_ENABLED(CONFIG_VHOST_TASK) && KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
#define RV_HAVE_VHOST_TASK 1
#endif

#endif /* RINGVM_VHOST_COMPAT_H */
