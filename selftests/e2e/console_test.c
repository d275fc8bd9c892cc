// SPDX-License-Identifier: GPL-2.0
/*
 * e2e suite (Bochs host): the interactive console as a person meets it.
 * `ringvm run` gets a pseudo-terminal for its standard streams, as under a
 * terminal emulator; this test types into the master side and reads what
 * comes back. The guest (guest-init.sh, ringvm.e2e=shell) runs a shell with
 * the console as its controlling terminal. Needs the tree from
 * selftests/e2e/make-extra.sh in the test host.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PROMPT "rv-e2e$ "

static int master_fd = -1, slave_fd = -1;
static pid_t vm_pid;
static int vm_status = -1;	/* exit status once reaped */
static char out[1 << 20];
static size_t out_len, logged;
static int test_no;

static void report(bool ok, const char *name)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++test_no, name);
	fflush(stdout);
}

/* Console output as diagnostics, a line at a time, control bytes shown. */
static void log_output(bool all)
{
	while (logged < out_len) {
		char *nl = memchr(out + logged, '\n', out_len - logged);
		size_t end = nl ? (size_t)(nl - out) : out_len;

		if (!nl && !all)
			return;
		printf("# console: ");
		for (size_t i = logged; i < end; i++) {
			unsigned char c = out[i];

			if (c == '\r')
				continue;
			if (c < 0x20 || c == 0x7f)
				printf("^%c", c ^ 0x40);
			else
				putchar(c);
		}
		putchar('\n');
		logged = nl ? end + 1 : end;
	}
	fflush(stdout);
}

static bool vm_alive(void)
{
	int st;

	if (vm_status >= 0)
		return false;
	if (waitpid(vm_pid, &st, WNOHANG) != vm_pid)
		return true;
	vm_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Reads the console until @what appears after offset @from, the VM ends or
 * @seconds pass; true when it appeared.
 */
static bool wait_for(const char *what, size_t from, int seconds)
{
	double deadline = now() + seconds;

	for (;;) {
		if (memmem(out + from, out_len - from, what, strlen(what)))
			return true;
		if (now() > deadline || !vm_alive() || out_len == sizeof(out))
			break;
		struct pollfd p = { .fd = master_fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = read(master_fd, out + out_len, sizeof(out) - out_len);

		if (n > 0) {
			out_len += n;
			log_output(false);
		}
	}
	log_output(true);
	printf("# waited %d s for \"%s\": %s\n", seconds, what,
	       vm_alive() ? "not seen" : "ringvm ended");
	return false;
}

static void type(const char *s)
{
	size_t len = strlen(s);

	if (write(master_fd, s, len) != (ssize_t)len)
		printf("# typing \"%s\" failed: %s\n", s, strerror(errno));
}

/* Types @cmd and waits for @expect in the output that follows. */
static bool run_command(const char *cmd, const char *expect, int seconds)
{
	size_t mark = out_len;

	type(cmd);
	return wait_for(expect, mark, seconds);
}

static bool same_modes(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       a->c_cc[VMIN] == b->c_cc[VMIN] && a->c_cc[VTIME] == b->c_cc[VTIME];
}

static void start_vm(void)
{
	char *argv[] = {
		"ringvm", "run", "--accel", "ringvm", "--name", "e2e-console",
		"--kernel", "/e2e/vmlinuz", "--initrd", "/e2e/guest.gz",
		"--mem", "128M", "--cmdline",
		"console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e2e=shell",
		NULL
	};

	vm_pid = fork();
	if (vm_pid == 0) {
		setsid();
		ioctl(slave_fd, TIOCSCTTY, 0);
		dup2(slave_fd, 0);
		dup2(slave_fd, 1);
		dup2(slave_fd, 2);
		close(master_fd);
		close(slave_fd);
		execvp(argv[0], argv);
		fprintf(stderr, "exec ringvm: %s\n", strerror(errno));
		_exit(127);
	}
}

int main(void)
{
	struct termios before, during, after;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char insmod[512];
	size_t mark;
	bool ok;

	printf("1..8\n");
	snprintf(insmod, sizeof(insmod), "insmod %s/ringvm.ko 2>/dev/null",
		 getenv("RINGVM_MODDIR") ? getenv("RINGVM_MODDIR") : "/lib/modules/ringvm");
	if (system(insmod) < 0)
		printf("# %s: %s\n", insmod, strerror(errno));
	/* As the shell suites do: Bochs' XRSTORS and AVX state (boot_debian.sh). */
	setenv("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load", 1);
	setenv("LD_BIND_NOW", "1", 1);

	/* A new pty is in cooked mode with echo: what a shell leaves a terminal in. */
	if (openpty(&master_fd, &slave_fd, NULL, NULL, &ws) < 0 ||
	    tcgetattr(slave_fd, &before) < 0) {
		printf("Bail out! openpty: %s\n", strerror(errno));
		return 1;
	}
	start_vm();
	if (vm_pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		return 1;
	}

	report(wait_for(PROMPT, 0, 1200), "shell_prompt_on_the_console");

	ok = tcgetattr(slave_fd, &during) == 0 &&
	     !(during.c_lflag & (ICANON | ECHO | ISIG)) && !(during.c_iflag & ICRNL);
	printf("# lflag 0x%x while the guest runs (0x%x before)\n",
	       during.c_lflag, before.c_lflag);
	report(ok && vm_alive(), "raw_while_the_guest_owns_it");

	/* The command line echoes "$((6*7))": only the shell's output has 42. */
	report(run_command("echo typed-$((6*7))\r", "typed-42", 300),
	       "typed_command_runs_and_its_output_comes_back");

	/*
	 * Ctrl-C: with ISIG off on the host the byte reaches the guest, whose
	 * tty turns it into SIGINT for cat. Had it not, cat would swallow the
	 * next line and "back-2" would never be printed.
	 */
	ok = run_command("sh -c 'echo cat-$((1+2)); exec cat'\r", "cat-3", 300);
	mark = out_len;
	type("\x03");
	ok = ok && wait_for(PROMPT, mark, 300);
	ok = ok && run_command("echo back-$((1+1))\r", "back-2", 300);
	report(ok && vm_alive(), "ctrl_c_reaches_the_guest");

	/*
	 * Ctrl-A Ctrl-A is one Ctrl-A (0x01) for od to show: its line must be
	 * " 01 0a" whole (two bytes passed through would read " 01 01 0a").
	 */
	ok = run_command("sh -c 'echo od-$((2+3)); exec od -An -tx1'\r", "od-5", 300);
	mark = out_len;
	type("\x01\x01\r\x04");
	ok = ok && wait_for("\n 01 0a\r", mark, 300);
	report(ok, "ctrl_a_ctrl_a_sends_ctrl_a");

	mark = out_len;
	type("\x01h");
	report(wait_for("Ctrl-A x        end the VM", mark, 60) && vm_alive(),
	       "ctrl_a_h_shows_the_keys");

	type("\x01x");
	for (double t = now() + 120; vm_alive() && now() < t;) {
		struct pollfd p = { .fd = master_fd, .events = POLLIN };
		char drain[4096];

		/* Its last words are read, so it never blocks on a full pty. */
		if (poll(&p, 1, 200) > 0 && read(master_fd, drain, sizeof(drain)) < 0)
			break;
	}
	printf("# ringvm exit status %d\n", vm_status);
	report(vm_status == 10, "ctrl_a_x_ends_the_vm_with_status_10");

	ok = tcgetattr(slave_fd, &after) == 0 && same_modes(&before, &after);
	printf("# lflag 0x%x iflag 0x%x after (0x%x 0x%x before)\n", after.c_lflag,
	       after.c_iflag, before.c_lflag, before.c_iflag);
	report(ok && vm_status >= 0, "terminal_restored_after_the_vm");

	if (vm_alive()) {
		kill(vm_pid, SIGKILL);
		waitpid(vm_pid, NULL, 0);
	}
	return 0;
}
