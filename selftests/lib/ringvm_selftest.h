/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ringvm kselftests: load and unload our modules
 * with the raw syscalls (no modprobe in the test host) and watch the
 * kernel log for a message emitted after a given point.
 */
#ifndef RINGVM_SELFTEST_H
#define RINGVM_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where the runner puts our .ko files inside the test host. */
static inline const char *rv_moddir(void)
{
	const char *d = getenv("RINGVM_MODDIR");

	return d ? d : "/lib/modules/ringvm";
}

/* Loads DIR/NAME.ko with module parameters PARAMS ("a=1 b=2"); returns 0 or -errno. */
static inline int rv_load_module_params(const char *dir, const char *name, const char *params)
{
	char path[PATH_MAX];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s.ko", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0);
	r = r ? -errno : 0;
	close(fd);
	return r;
}

/* Loads DIR/NAME.ko; returns 0 or -errno. */
static inline int rv_load_module_from(const char *dir, const char *name)
{
	return rv_load_module_params(dir, name, "");
}

/*
 * One of ours (ringvm, ringvm_vhost, ringvm_vfio), with the parameters a
 * plan's "modparam: NAME ..." line put in RINGVM_MODPARAMS_NAME (init.sh),
 * so that one suite runs under several module settings.
 */
static inline int rv_load_module(const char *name)
{
	char var[64];
	const char *params;

	snprintf(var, sizeof(var), "RINGVM_MODPARAMS_%s", name);
	params = getenv(var);
	return rv_load_module_params(rv_moddir(), name, params ? params : "");
}

/*
 * A stock module of the host kernel (kvm, kvm-intel, tun, ...), which the
 * plan must list as "kmod: <path>" so that the runner copies it in.
 */
static inline int rv_load_host_module(const char *name)
{
	const char *d = getenv("RINGVM_HOST_MODDIR");

	return rv_load_module_from(d ? d : "/lib/modules/host", name);
}

/* Returns 0 or -errno; never waits for the module's users to go. */
static inline int rv_unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static inline bool rv_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A /dev/kmsg reader positioned at the end of the log: sees only what comes next. */
static inline int rv_kmsg_open_tail(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* True when a record logged since rv_kmsg_open_tail() contains @needle. */
static inline bool rv_kmsg_find(int fd, const char *needle)
{
	char rec[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE) /* overwritten records: keep reading */
				continue;
			return false;	/* EAGAIN: nothing more */
		}
		rec[n] = '\0';
		if (strstr(rec, needle))
			return true;
	}
}

/* True when /proc/cpuinfo lists @flag among the CPU flags. */
static inline bool rv_cpu_has_flag(const char *flag)
{
	char line[4096], pat[64];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	snprintf(pat, sizeof(pat), " %s", flag);
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5))
			continue;
		for (p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
			char end = p[strlen(pat)];

			if (end == ' ' || end == '\n' || end == '\0') {
				found = true;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

#endif /* RINGVM_SELFTEST_H */
