// SPDX-License-Identifier: GPL-2.0
/*
 * netstream: the network traffic of make bench's NIC rows, the same program
 * in the nested guest and in the Bochs host (static, for both busybox
 * initramfs).
 *
 *   netstream send ADDR PORT MIB   connect (one try a second, up to 600) and
 *                                  send MIB MiB, then close
 *   netstream fetch ADDR PORT      connect likewise and read to EOF
 *   netstream serve PORT MIB [SNAPDIR FILE...]
 *                                  accept one connection, send MIB MiB, shut
 *                                  the sending side and wait for the peer to
 *                                  close (so the transfer ends when the
 *                                  receiver has read it all)
 *   netstream recv PORT [SNAPDIR FILE...]
 *                                  accept one connection, read to EOF
 *
 * (the guest connects both ways, so the host's listeners, started before
 * the guest, need no retries)
 *   netstream send-udp ADDR PORT COUNT SIZE   COUNT datagrams of SIZE bytes
 *   netstream recv-udp PORT COUNT IDLE_MS [SNAPDIR FILE...]
 *                                         count datagrams until COUNT came or
 *                                         none for IDLE_MS after the first
 *
 * Each prints one line,
 *
 *   NETSTREAM tcp-sent|tcp-received BYTES SUM
 *   NETSTREAM udp-sent|udp-received PACKETS BYTES [ticks=T]
 *
 * SUM is FNV-1a (64 bits) of the bytes, in hex: the two ends of a stream
 * print the same BYTES and SUM when the data arrived whole. The stream is
 * a fixed pseudo-random sequence, so a dropped or repeated segment changes
 * the sum. recv-udp's T is the host TSC from the first datagram to the last;
 * with SNAPDIR, each FILE (a tracefs hist) is copied to SNAPDIR/<i>.first
 * when the first datagram arrives and SNAPDIR/<i>.last after the last, so
 * the exits of the burst alone can be counted. serve and recv with SNAPDIR
 * do the same from the accepted connection to the transfer's end, and
 * print a second line,
 *
 *   NETSTREAM window ticks=T busy_ticks=B
 *
 * T the host TSC over that window, B the ticks the CPUs spent not idle (as
 * tsc_run counts them: T * cpus - idle time * T / wall time, the idle time
 * from /proc/stat). Exit status 0 when the transfer completed (for
 * recv-udp: at least one datagram), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define CHUNK 65536
#define CONNECT_TRIES 600

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_START 0xcbf29ce484222325ULL

/* The stream's bytes: xorshift64, the same sequence at every run. */
static void fill(unsigned char *buf, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = *state;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*state = x;
		memcpy(buf + i, &x, n - i < 8 ? n - i : 8);
	}
}

static int fail(const char *what)
{
	fprintf(stderr, "netstream: cannot %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse_addr(const char *addr, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "netstream: not an IPv4 address: %s\n", addr);
		return -1;
	}
	return 0;
}

static int bound(int type, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int one = 1, fd = socket(AF_INET, type, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bounded: one try a second until the listener is up. */
static int connect_tcp(const char *addr, const char *port)
{
	struct sockaddr_in sa;
	int fd;

	if (parse_addr(addr, port, &sa))
		return -1;
	for (int i = 0; i < CONNECT_TRIES; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return fail("create a TCP socket"), -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		sleep(1);
	}
	return fail("connect"), -1;
}

static int accept_tcp(const char *port)
{
	int lfd = bound(SOCK_STREAM, port), fd;

	if (lfd < 0 || listen(lfd, 1) < 0)
		return fail("listen"), -1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail("accept");
	close(lfd);
	return fd;
}

/* Idle plus iowait time of all CPUs, in ns, from /proc/stat's "cpu" line. */
static long double idle_ns(void)
{
	unsigned long long v[5] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
		v[3] = v[4] = 0;
	fclose(f);
	return (long double)(v[3] + v[4]) * 1e9L / sysconf(_SC_CLK_TCK);
}

static long double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9L + t.tv_nsec;
}

/* A measured window: the hist files copied and the clocks read at both ends. */
struct window {
	const char *dir;
	char **files;
	int nfiles;
	uint64_t tsc;
	long double ns, idle;
};

static void snapshot(const char *dir, char **files, int nfiles, const char *suffix);

static void window_open(struct window *w)
{
	if (!w->dir)
		return;
	snapshot(w->dir, w->files, w->nfiles, "first");
	w->ns = mono_ns();
	w->idle = idle_ns();
	w->tsc = __rdtsc();
}

static void window_close(struct window *w)
{
	uint64_t t;
	long double wall, idle;

	if (!w->dir)
		return;
	t = __rdtsc() - w->tsc;
	wall = mono_ns() - w->ns;
	idle = idle_ns() - w->idle;
	snapshot(w->dir, w->files, w->nfiles, "last");
	printf("NETSTREAM window ticks=%llu busy_ticks=%.0Lf\n", (unsigned long long)t,
	       wall > 0 ? t * (long double)sysconf(_SC_NPROCESSORS_ONLN) - idle * t / wall : 0);
}

static int send_stream(int fd, long mib, struct window *w)
{
	static unsigned char buf[CHUNK];
	uint64_t state = 0x9e3779b97f4a7c15ULL, sum = FNV_START;
	long long total = (long long)mib << 20, sent = 0;

	if (fd < 0)
		return 1;
	if (w)
		window_open(w);
	while (sent < total) {
		size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;

		fill(buf, n, &state);
		sum = fnv(sum, buf, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return fail("send");
			off += (size_t)w;
		}
		sent += (long long)n;
	}
	/* The listening end waits until the peer has read everything. */
	if (w) {
		ssize_t r;

		if (shutdown(fd, SHUT_WR) < 0)
			return fail("shut the sending side");
		while ((r = read(fd, buf, sizeof(buf))) != 0)
			if (r < 0 && errno != EINTR)
				return fail("wait for the peer to close");
		window_close(w);
	}
	if (close(fd) < 0)
		return fail("close the connection");
	printf("NETSTREAM tcp-sent %lld %016llx\n", sent, (unsigned long long)sum);
	return 0;
}

static int recv_stream(int fd, struct window *w)
{
	static unsigned char buf[CHUNK];
	uint64_t sum = FNV_START;
	long long got = 0;
	ssize_t n;

	if (fd < 0)
		return 1;
	if (w)
		window_open(w);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("receive");
		sum = fnv(sum, buf, (size_t)n);
		got += n;
	}
	if (w)
		window_close(w);
	close(fd);
	printf("NETSTREAM tcp-received %lld %016llx\n", got, (unsigned long long)sum);
	return 0;
}

static int send_udp(const char *addr, const char *port, long count, long size)
{
	static unsigned char buf[1472];
	struct sockaddr_in sa;
	long sent = 0;
	long long bytes = 0;
	int fd;

	if (size < 1 || size > (long)sizeof(buf) || count < 1) {
		fprintf(stderr, "netstream: give 1 or more datagrams of 1 to %zu bytes\n",
			sizeof(buf));
		return 1;
	}
	if (parse_addr(addr, port, &sa))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail("create a UDP socket");
	for (long i = 0; i < count; i++) {
		memcpy(buf, &i, sizeof(i) < (size_t)size ? sizeof(i) : (size_t)size);
		/* A full socket buffer drops, as the receiver's count will show. */
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&sa, sizeof(sa)) == size) {
			sent++;
			bytes += size;
		}
	}
	close(fd);
	printf("NETSTREAM udp-sent %ld %lld\n", sent, bytes);
	return sent == count ? 0 : 1;
}

/* Copies each of files[] to dir/<i>.<suffix>. */
static void snapshot(const char *dir, char **files, int nfiles, const char *suffix)
{
	static char buf[CHUNK];

	for (int i = 0; i < nfiles; i++) {
		char path[4096];
		int in = open(files[i], O_RDONLY), out;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%d.%s", dir, i, suffix);
		out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
	}
}

static int recv_udp(const char *port, long count, int idle_ms, const char *dir, char **files,
		    int nfiles)
{
	static unsigned char buf[65536];
	unsigned long long t0 = 0, t1 = 0;
	long got = 0;
	long long bytes = 0;
	int fd = bound(SOCK_DGRAM, port);
	int rcvbuf = 4 << 20;

	if (fd < 0)
		return fail("bind the UDP port");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	while (got < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		/* Before the first datagram, wait as long as the sender needs to boot. */
		int r = poll(&p, 1, got ? idle_ms : -1);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		t1 = __rdtsc();
		if (!got) {
			t0 = t1;
			if (dir)
				snapshot(dir, files, nfiles, "first");
		}
		got++;
		bytes += n;
	}
	if (dir)
		snapshot(dir, files, nfiles, "last");
	close(fd);
	printf("NETSTREAM udp-received %ld %lld ticks=%llu\n", got, bytes, t1 - t0);
	return got ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "send") && argc == 5)
		return send_stream(connect_tcp(argv[2], argv[3]), atol(argv[4]), NULL);
	if (!strcmp(mode, "fetch") && argc == 4)
		return recv_stream(connect_tcp(argv[2], argv[3]), NULL);
	if (!strcmp(mode, "serve") && argc >= 4 && argc != 5) {
		struct window w = { .dir = argc > 4 ? argv[4] : NULL, .files = argv + 5,
				   .nfiles = argc - 5 };

		return send_stream(accept_tcp(argv[2]), atol(argv[3]), &w);
	}
	if (!strcmp(mode, "recv") && argc >= 3 && argc != 4) {
		struct window w = { .dir = argc > 3 ? argv[3] : NULL, .files = argv + 4,
				   .nfiles = argc - 4 };

		return recv_stream(accept_tcp(argv[2]), &w);
	}
	if (!strcmp(mode, "send-udp") && argc == 6)
		return send_udp(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (!strcmp(mode, "recv-udp") && argc >= 5 && argc != 6)
		return recv_udp(argv[2], atol(argv[3]), atoi(argv[4]), argc > 6 ? argv[5] : NULL,
				argv + 6, argc - 6);
	fprintf(stderr, "usage: netstream send ADDR PORT MIB | fetch ADDR PORT |\n"
			"       serve PORT MIB [SNAPDIR FILE...] | recv PORT [SNAPDIR FILE...] |\n"
			"       send-udp ADDR PORT COUNT SIZE |\n"
			"       recv-udp PORT COUNT IDLE_MS [SNAPDIR FILE...]\n");
	return 2;
}
