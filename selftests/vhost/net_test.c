// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost net backend over a tap in a private network namespace:
 * frames the driver transmits come out of the tap (seen by an AF_PACKET
 * socket bound to it), and frames sent into the tap land in the posted
 * receive buffers behind a virtio_net_hdr, contents checked.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "vhost_driver.h"

#define ETHERTYPE_TEST	0x88b5	/* IEEE local experimental */
#define HDR_LEN		12	/* virtio_net_hdr_v1 */
#define FRAME_MAX	1514
#define QNUM		256
#define NFRAMES		40
#define NRX		64
#define TAP_NAME	"rvtap0"

FIXTURE(net) {
	struct rvd_dev d;
	int tap, pkt, ifindex;
	uint8_t *rx[QNUM];	/* receive buffer by head */
};

static int tap_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	strcpy(ifr.ifr_name, TAP_NAME);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

/* Keeps the stack's own IPv6 chatter out of the receive ring where possible. */
static void no_ipv6(void)
{
	int fd = open("/proc/sys/net/ipv6/conf/" TAP_NAME "/disable_ipv6",
		      O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1) {
			/* best effort: stray frames are filtered anyway */
		}
		close(fd);
	}
}

FIXTURE_SETUP(net)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int r;

	self->tap = -1;
	self->pkt = -1;
	self->d.fd = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	r = rv_load_host_module("tun");
	ASSERT_TRUE(r == 0 || r == -EEXIST) {
		TH_LOG("loading tun.ko: %s", strerror(-r));
	}
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->tap);
	strcpy(ifr.ifr_name, TAP_NAME);
	ASSERT_EQ(0, ioctl(self->tap, TUNSETIFF, &ifr));
	no_ipv6();
	ASSERT_EQ(0, tap_up());
	self->ifindex = if_nametoindex(TAP_NAME);
	ASSERT_LT(0, self->ifindex);
	self->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ASSERT_LE(0, self->pkt);
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = self->ifindex;
	ASSERT_EQ(0, bind(self->pkt, (struct sockaddr *)&sll, sizeof(sll)));

	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_NET, RVD_BASE_FEATURES,
			      2, QNUM, 8 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->tap));
}

FIXTURE_TEARDOWN(net)
{
	rvd_close(&self->d);
	if (self->tap >= 0)
		close(self->tap);
	if (self->pkt >= 0)
		close(self->pkt);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

static uint32_t frame_len(uint32_t seq)
{
	return 60 + (seq * 377) % (FRAME_MAX - 60 + 1);
}

/* Broadcast test frame @seq of @len bytes: header, seq, then a pattern. */
static void frame_fill(uint8_t *f, uint32_t seq, uint32_t len)
{
	uint16_t type = htons(ETHERTYPE_TEST);
	uint32_t i;

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(f + 12, &type, 2);
	memcpy(f + 14, &seq, 4);
	for (i = 18; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

/* Seq of a test frame, or -1 for anything else (stack chatter). */
static int64_t frame_seq(const uint8_t *f, uint32_t len)
{
	uint32_t seq;

	if (len < 18 || f[12] != (ETHERTYPE_TEST >> 8) || f[13] != (ETHERTYPE_TEST & 0xff))
		return -1;
	memcpy(&seq, f + 14, 4);
	return seq;
}

TEST_F(net, tx_frames_come_out_of_the_tap)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_TX];
	struct ringvm_vhost_vring_stats st;
	uint8_t expect[FRAME_MAX], got[2048];
	uint64_t bytes = 0;
	uint32_t seq;

	for (seq = 0; seq < NFRAMES; seq++) {
		uint32_t len = frame_len(seq);
		uint8_t *buf = rvd_alloc(&self->d.mem, HDR_LEN + len, 8);
		struct rvd_buf b[2];

		ASSERT_NE(NULL, buf);
		frame_fill(buf + HDR_LEN, seq, len);
		/* header apart or in one buffer with the frame: both are valid */
		if (seq & 1) {
			b[0] = (struct rvd_buf){ buf, HDR_LEN, 0 };
			b[1] = (struct rvd_buf){ buf + HDR_LEN, len, 0 };
			rvd_post(q, rvd_chain(&self->d, q, b, 2));
		} else {
			b[0] = (struct rvd_buf){ buf, HDR_LEN + len, 0 };
			rvd_post(q, rvd_chain(&self->d, q, b, 1));
		}
		bytes += len;
	}
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	ASSERT_EQ(0, rvd_wait_used(q, NFRAMES));

	seq = 0;
	while (seq < NFRAMES) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		struct pollfd p = { .fd = self->pkt, .events = POLLIN };
		ssize_t n;

		ASSERT_EQ(1, poll(&p, 1, RVD_WAIT_MS)) {
			TH_LOG("frame %u never came out of the tap", seq);
		}
		n = recvfrom(self->pkt, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
		ASSERT_LT(0, n);
		if (from.sll_pkttype == PACKET_OUTGOING || frame_seq(got, n) < 0)
			continue;
		ASSERT_EQ(seq, frame_seq(got, n));
		ASSERT_EQ(frame_len(seq), n);
		frame_fill(expect, seq, n);
		ASSERT_EQ(0, memcmp(expect, got, n)) {
			TH_LOG("frame %u differs", seq);
		}
		seq++;
	}
	ASSERT_EQ(0, rvd_stats(&self->d, RINGVM_VHOST_NET_TX, &st));
	EXPECT_EQ(NFRAMES, st.requests);
	EXPECT_EQ(bytes, st.bytes);
}

/* Posts (or reposts) the receive buffer at descriptor @head. */
static void rx_post(FIXTURE_DATA(net) *self, uint16_t head, uint32_t size)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_RX];

	q->desc[head].addr = rvd_gpa(&self->d.mem, self->rx[head]);
	q->desc[head].len = size;
	q->desc[head].flags = RVD_DESC_F_WRITE;
	rvd_post(q, head);
}

static int send_frame(FIXTURE_DATA(net) *self, uint32_t seq, uint32_t len)
{
	uint8_t f[FRAME_MAX];

	frame_fill(f, seq, len);
	return send(self->pkt, f, len, 0) == (ssize_t)len ? 0 : -errno;
}

/*
 * Takes the next used receive buffer (waiting on the call eventfd),
 * checks its virtio_net_hdr and returns the frame's seq (-1: not ours),
 * reposting the buffer.
 */
static int64_t rx_take(struct __test_metadata *_metadata,
		       FIXTURE_DATA(net) *self, uint32_t size, uint32_t *len)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_RX];
	static const uint8_t hdr[HDR_LEN] = { [10] = 1 };	/* num_buffers 1 */
	uint32_t *e;
	uint8_t *buf;
	int64_t seq;

	if (rvd_used_idx(q) == q->used_seen) {
		EXPECT_EQ(0, rvd_wait_used(q, q->used_seen + 1));
		if (rvd_used_idx(q) == q->used_seen)
			return -2;
	}
	e = rvd_used_elem(q, q->used_seen++);
	EXPECT_GT(QNUM, e[0]);
	if (e[0] >= QNUM)
		return -2;
	buf = self->rx[e[0]];
	EXPECT_LE(HDR_LEN + 14, e[1]);
	EXPECT_GE(size, e[1]);
	EXPECT_EQ(0, memcmp(buf, hdr, HDR_LEN));
	*len = e[1] - HDR_LEN;
	seq = frame_seq(buf + HDR_LEN, *len);
	if (seq >= 0) {
		uint8_t expect[FRAME_MAX];

		frame_fill(expect, seq, *len);
		EXPECT_EQ(0, memcmp(expect, buf + HDR_LEN, *len)) {
			TH_LOG("received frame %lld differs", (long long)seq);
		}
	}
	memset(buf, 0, size);
	rx_post(self, e[0], size);
	rvd_publish(q);
	rvd_kick(q);
	return seq;
}

TEST_F(net, frames_into_the_tap_land_in_rx_buffers)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_RX];
	struct ringvm_vhost_vring_stats st;
	uint32_t size = HDR_LEN + FRAME_MAX, seq, len;
	int i;

	for (i = 0; i < NRX; i++) {
		self->rx[i] = rvd_alloc(&self->d.mem, size, 8);
		ASSERT_NE(NULL, self->rx[i]);
		rx_post(self, i, size);
	}
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	for (seq = 0; seq < NFRAMES; seq++)
		ASSERT_EQ(0, send_frame(self, seq, frame_len(seq)));
	for (seq = 0; seq < NFRAMES;) {
		int64_t got = rx_take(_metadata, self, size, &len);

		ASSERT_NE(-2, got);
		if (got < 0)
			continue;
		ASSERT_EQ(seq, got);
		ASSERT_EQ(frame_len(seq), len);
		seq++;
	}
	ASSERT_EQ(0, rvd_stats(&self->d, RINGVM_VHOST_NET_RX, &st));
	EXPECT_LE(NFRAMES, st.requests);
	EXPECT_EQ(RINGVM_VHOST_ERR_NONE, st.error);
}

/*
 * Frames wait in the tap while no buffer is posted, and arrive once the
 * driver posts and kicks.
 */
TEST_F(net, rx_waits_for_buffers)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_RX];
	uint32_t size = HDR_LEN + FRAME_MAX, seq, len;
	struct ringvm_vhost_vring_stats st;
	int i;

	for (seq = 0; seq < 8; seq++)
		ASSERT_EQ(0, send_frame(self, seq, 100 + seq));
	ASSERT_EQ(0, rvd_stats(&self->d, RINGVM_VHOST_NET_RX, &st));
	EXPECT_EQ(0, st.requests);
	for (i = 0; i < 16; i++) {
		self->rx[i] = rvd_alloc(&self->d.mem, size, 8);
		ASSERT_NE(NULL, self->rx[i]);
		rx_post(self, i, size);
	}
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	for (seq = 0; seq < 8;) {
		int64_t got = rx_take(_metadata, self, size, &len);

		ASSERT_NE(-2, got);
		if (got < 0)
			continue;
		ASSERT_EQ(seq, got);
		ASSERT_EQ(100 + seq, len);
		seq++;
	}
}

/* A frame larger than the posted buffer is dropped; the buffer takes the next. */
TEST_F(net, rx_frame_too_big_is_dropped)
{
	struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_RX];
	uint32_t size = HDR_LEN + 200, len;
	int64_t got;

	self->rx[0] = rvd_alloc(&self->d.mem, size, 8);
	ASSERT_NE(NULL, self->rx[0]);
	rx_post(self, 0, size);
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	ASSERT_EQ(0, send_frame(self, 1, 1000));
	ASSERT_EQ(0, send_frame(self, 2, 150));
	do {
		got = rx_take(_metadata, self, size, &len);
		ASSERT_NE(-2, got);
		ASSERT_NE(1, got);
	} while (got != 2);
	EXPECT_EQ(150, len);
}

/* A fresh tap (or tun) named @name with @flags; its fd. */
static int tun_open(const char *name, short flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (name) {
		strcpy(ifr.ifr_name, name);
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			int e = -errno;

			close(fd);
			return e;
		}
	}
	return fd;
}

/*
 * The documented rule, checked at SET_BACKEND: a tap (not a tun) without
 * a virtio_net_hdr; anything else is refused, and the tap already attached
 * keeps working.  (IFF_NO_PI cannot be told from TUNGETIFF: see
 * Documentation/vhost-api.rst.)
 */
TEST_F(net, tap_flags_are_checked)
{
	static const struct { short flags; int err; } cases[] = {
		{ IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,	EINVAL },
		{ IFF_TUN | IFF_NO_PI,			EINVAL },
		{ IFF_TAP | IFF_NO_PI,			0 },
	};
	struct rvd_dev other;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, rvd_open(&other, RINGVM_VHOST_DEV_NET, RVD_BASE_FEATURES, 2,
			      16, 1 << 20)) {
		TH_LOG("device setup failed at %s", other.failed);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "rvflags%u", i);
		fd = tun_open(name, cases[i].flags);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-cases[i].err, rvd_set_backend(&other, fd)) {
			TH_LOG("flags 0x%x", cases[i].flags);
		}
		close(fd);
	}
	/* A tun fd that was never attached to an interface has no flags yet. */
	fd = tun_open(NULL, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, rvd_set_backend(&other, fd));
	close(fd);
	rvd_close(&other);
	/* The fixture's own tap still carries a frame after all that. */
	{
		struct rvd_vq *q = &self->d.vq[RINGVM_VHOST_NET_TX];
		uint8_t *buf = rvd_alloc(&self->d.mem, HDR_LEN + 100, 8);
		struct rvd_buf b = { buf, HDR_LEN + 100, 0 };
		uint8_t got[2048];
		ssize_t n;

		ASSERT_NE(NULL, buf);
		frame_fill(buf + HDR_LEN, 7, 100);
		rvd_post(q, rvd_chain(&self->d, q, &b, 1));
		rvd_publish(q);
		ASSERT_EQ(0, rvd_kick(q));
		ASSERT_EQ(0, rvd_wait_used(q, 1));
		do {
			struct pollfd p = { .fd = self->pkt, .events = POLLIN };

			ASSERT_EQ(1, poll(&p, 1, RVD_WAIT_MS));
			n = recv(self->pkt, got, sizeof(got), 0);
			ASSERT_LT(0, n);
		} while (frame_seq(got, n) != 7);
		EXPECT_EQ(100, n);
	}
}

TEST_HARNESS_MAIN
