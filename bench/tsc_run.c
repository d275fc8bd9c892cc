// SPDX-License-Identifier: GPL-2.0
/*
 * tsc_run: runs a command and reports the host TSC ticks it took.
 *
 *   tsc_run [-t SECONDS] -o FILE -- COMMAND [ARG...]
 *
 * Reads the TSC, forks, execs COMMAND, waits for it, reads the TSC again,
 * and writes one line to FILE:
 *
 *   ticks=T busy_ticks=B status=S wall_ns=W idle_ns=I
 *
 * T is the TSC delta; S the exit status; W the CLOCK_MONOTONIC delta; I the
 * idle (plus iowait) time of all online CPUs over the run, from /proc/stat
 * (10 ms resolution); B = T * cpus - I * T / W, the ticks the CPUs spent not
 * idle.  In the Bochs test host ("clock: sync=none") the TSC advances with
 * emulated instructions and, while a CPU halts, with the idle time Bochs
 * skips: B is the part that counts executed instructions.
 *
 * With -t, COMMAND gets SIGTERM after SECONDS and SIGKILL ten seconds later
 * (like timeout(1), without a process in between).  The exit status of
 * tsc_run is COMMAND's (128 + signal when a signal ended it, 127 when it
 * could not be run); FILE is written in every case once COMMAND started.
 * Static, so it runs in the busybox initramfs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static volatile sig_atomic_t child;
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, alarms++ ? SIGKILL : SIGTERM);
	alarm(10);
}

/* Idle plus iowait time of all CPUs from /proc/stat, in ns; 0 if unreadable. */
static unsigned long long idle_ns(void)
{
	unsigned long long v[5] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n = 0;

	if (f) {
		n = fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]);
		fclose(f);
	}
	if (n != 5 || hz <= 0)
		return 0;
	return (v[3] + v[4]) * (1000000000ULL / hz);
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: tsc_run [-t SECONDS] -o FILE -- COMMAND [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long t0, t1, w0, w1, i0, i1, idle, busy;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *file = NULL;
	unsigned int seconds = 0;
	struct sigaction sa;
	int opt, wstatus, status;
	pid_t pid;
	FILE *f;

	while ((opt = getopt(argc, argv, "+t:o:")) != -1) {
		switch (opt) {
		case 't':
			seconds = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			file = optarg;
			break;
		default:
			return usage();
		}
	}
	if (!file || optind >= argc)
		return usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	i0 = idle_ns();
	w0 = mono_ns();
	t0 = __rdtsc();
	pid = fork();
	if (pid < 0) {
		perror("tsc_run: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "tsc_run: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child = pid;
	if (seconds)
		alarm(seconds);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			perror("tsc_run: waitpid");
			return 127;
		}
	}
	t1 = __rdtsc();
	w1 = mono_ns();
	i1 = idle_ns();
	alarm(0);

	if (WIFEXITED(wstatus))
		status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		status = 128 + WTERMSIG(wstatus);
	else
		status = 127;

	f = fopen(file, "w");
	if (!f) {
		fprintf(stderr, "tsc_run: %s: %s\n", file, strerror(errno));
		return status ? status : 127;
	}
	idle = i1 >= i0 ? i1 - i0 : 0;
	busy = (t1 - t0) * (cpus > 0 ? cpus : 1);
	if (w1 > w0) {
		unsigned __int128 idle_ticks = (unsigned __int128)idle * (t1 - t0) / (w1 - w0);

		busy = idle_ticks < busy ? busy - (unsigned long long)idle_ticks : 0;
	}
	fprintf(f, "ticks=%llu busy_ticks=%llu status=%d wall_ns=%llu idle_ns=%llu\n",
		t1 - t0, busy, status, w1 - w0, idle);
	if (fclose(f)) {
		fprintf(stderr, "tsc_run: %s: %s\n", file, strerror(errno));
		return status ? status : 127;
	}
	return status;
}
