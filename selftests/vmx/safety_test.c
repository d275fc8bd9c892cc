// SPDX-License-Identifier: GPL-2.0
/*
 * What a VMM's own threads, or another user, can do to ringvm.ko: race the
 * creation of a VM against close() and netlink dumps (issue 6, item 1);
 * read other users' VMs through netlink (item 13).  Each test performs the
 * trigger of a defect ringvm.ko once had and checks the host is intact.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define RACE_ROUNDS	100

struct race {
	int sys;
	int victim;		/* the fd number each new VM gets */
	atomic_int stop;
	atomic_int creating;	/* a RINGVM_CREATE_VM is under way */
	atomic_int round;
	atomic_long closed;	/* VMs the closer closed before their creator could */
	long dumps;
	int dump_errors;
};

/* Dumps every VM over a socket opened once: counts those of @pid. */
static int dump_count(int sock, int family, pid_t pid)
{
	static char buf[65536];
	int mine = 0, done = 0;

	if (rv_genl_send(sock, family, NLM_F_DUMP, RINGVM_CMD_GET_VM, 0, NULL))
		return -1;
	while (!done) {
		int len = recv(sock, buf, sizeof(buf), 0);
		struct nlmsghdr *n;

		if (len <= 0)
			return -1;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len)) {
			struct rv_vm_stats s = { 0 };

			if (n->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (n->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			rv_parse_vm((struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN),
				    n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), &s);
			if (s.pid == (uint32_t)pid)
				mine++;
		}
	}
	return mine;
}

static int genl_open(int *family)
{
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (sock < 0)
		return -1;
	*family = rv_genl_family(sock);
	if (*family < 0) {
		close(sock);
		return -1;
	}
	return sock;
}

/*
 * While a creation is under way, closes whatever holds the fd number the
 * new VM gets, as fast as it can: the window is between the fd appearing
 * in the table and the ioctl returning.
 */
static void *closer(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (!atomic_load(&r->creating)) {
			sched_yield();
			continue;
		}
		if (!close(r->victim))
			atomic_fetch_add(&r->closed, 1);
	}
	return NULL;
}

struct dumper {
	struct race *r;
	int sock, family;
};

/* A dump per round, racing the creation and the close. */
static void *dumper(void *arg)
{
	struct dumper *d = arg;
	int seen = -1;

	while (!atomic_load(&d->r->stop)) {
		int round = atomic_load(&d->r->round);

		if (round == seen) {
			sched_yield();
			continue;
		}
		seen = round;
		if (dump_count(d->sock, d->family, getpid()) < 0)
			d->r->dump_errors++;
		d->r->dumps++;
	}
	return NULL;
}

/*
 * Item 1: the VM fd was published before the VM joined the list every
 * netlink dump walks; a close() in between freed a VM that was then put
 * on the list.  Afterwards exactly the one VM this test keeps open may be
 * listed for this process, and every dump must have succeeded.
 */
TEST(vm_create_close_race)
{
	struct dumper d = { 0 };
	struct race r = { 0 };
	pthread_t tc, td;
	int keep, sock, i, created = 0;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r.sys = rv_open_sys();
	ASSERT_LE(0, r.sys);
	/* One VM held throughout keeps VMX on, so each round is only the VM. */
	keep = ioctl(r.sys, RINGVM_CREATE_VM, 0);
	ASSERT_LE(0, keep);
	sock = genl_open(&d.family);
	ASSERT_LE(0, sock);
	d.sock = sock;
	d.r = &r;
	/* Nothing else opens fds from here on: each VM gets the lowest free one. */
	r.victim = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, r.victim);
	close(r.victim);

	ASSERT_EQ(0, pthread_create(&tc, NULL, closer, &r));
	ASSERT_EQ(0, pthread_create(&td, NULL, dumper, &d));
	for (i = 0; i < RACE_ROUNDS; i++) {
		int fd;

		atomic_store(&r.creating, 1);
		fd = ioctl(r.sys, RINGVM_CREATE_VM, 0);
		atomic_store(&r.creating, 0);
		if (fd < 0) {
			TH_LOG("RINGVM_CREATE_VM failed in round %d: %s", i, strerror(errno));
			break;
		}
		created++;
		close(fd);	/* EBADF when the closer was first */
		atomic_fetch_add(&r.round, 1);
	}
	atomic_store(&r.stop, 1);
	pthread_join(tc, NULL);
	pthread_join(td, NULL);
	TH_LOG("%d VMs created, %ld closed by the other thread first, %ld dumps",
	       created, atomic_load(&r.closed), r.dumps);
	EXPECT_EQ(RACE_ROUNDS, created);
	EXPECT_EQ(0, r.dump_errors);
	EXPECT_LT(0, r.dumps);
	/* Only the VM held open is left: no freed VM stayed on the list. */
	EXPECT_EQ(1, dump_count(sock, d.family, getpid()));
	close(keep);
	EXPECT_EQ(0, dump_count(sock, d.family, getpid()));
	close(sock);
	close(r.sys);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/* Counts every VM in a dump, and those of @pid; -1 on error. */
static int dump_all(int sock, int family, pid_t pid, int *mine)
{
	static char buf[65536];
	int all = 0, done = 0;

	*mine = 0;
	if (rv_genl_send(sock, family, NLM_F_DUMP, RINGVM_CMD_GET_VM, 0, NULL))
		return -1;
	while (!done) {
		int len = recv(sock, buf, sizeof(buf), 0);
		struct nlmsghdr *n;

		if (len <= 0)
			return -1;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len)) {
			struct rv_vm_stats s = { 0 };

			if (n->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (n->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			rv_parse_vm((struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN),
				    n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), &s);
			all++;
			if (s.pid == (uint32_t)pid)
				(*mine)++;
		}
	}
	return all;
}

/*
 * Item 13: root holds a VM; a child that became an unprivileged user
 * (nobody) creates its own through the /dev/ringvm fd it inherited.  Its
 * dump lists exactly its VM; root's lists both.
 */
TEST(netlink_unprivileged_sees_only_its_vms)
{
	int sys, keep, sock, family, mine, all, status, ready[2], go[2];
	pid_t child;
	char c;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	sys = rv_open_sys();
	ASSERT_LE(0, sys);
	keep = ioctl(sys, RINGVM_CREATE_VM, 0);
	ASSERT_LE(0, keep);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int vm, s, fam, m, a;

		close(keep);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		vm = ioctl(sys, RINGVM_CREATE_VM, 0);
		if (vm < 0)
			_exit(11);
		s = genl_open(&fam);
		if (s < 0)
			_exit(12);
		a = dump_all(s, fam, getpid(), &m);
		/* Tell root our VM exists, and wait until it has looked. */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(13);
		_exit(a == 1 && m == 1 ? 0 : 20 + (a < 0 ? 9 : a > 8 ? 8 : a));
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	sock = genl_open(&family);
	ASSERT_LE(0, sock);
	all = dump_all(sock, family, child, &mine);
	EXPECT_EQ(1, mine);		/* root sees the child's VM ... */
	EXPECT_LE(2, all);		/* ... and its own */
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) >= 20)
		TH_LOG("the unprivileged dump listed %d VMs", WEXITSTATUS(status) - 20);
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sock);
	close(keep);
	close(sys);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
