// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 7: ringvm.ko's speculation hygiene follows the host
 * kernel's own choices.  Bochs cannot show a speculative leak, so this
 * checks the decision: /sys/module/ringvm/parameters/mitigations against
 * what the kernel says it mitigates (/sys/devices/system/cpu/vulnerabilities,
 * /proc/cmdline).  The test hosts boot with mitigations=off, where every
 * entry must read 0 (nothing paid); a host booted with mitigations on
 * (testhost.sh --mitigations on) checks the other side.
 */
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

struct spec {
	int rsb_fill, verw, l1d_flush, mmio_verw, ibpb;
};

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = 0;
	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static void vuln(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", name);
	if (read_text(path, buf, len))
		snprintf(buf, len, "Not affected");
}

static int read_spec(struct spec *s)
{
	char buf[256];

	if (read_text("/sys/module/ringvm/parameters/mitigations", buf, sizeof(buf)))
		return -1;
	return sscanf(buf, "rsb_fill=%d verw=%d l1d_flush=%d mmio_verw=%d ibpb=%d", &s->rsb_fill,
		      &s->verw, &s->l1d_flush, &s->mmio_verw, &s->ibpb) == 5 ? 0 : -1;
}

TEST(mitigations_follow_the_host)
{
	char cmdline[4096], buf[512];
	struct spec s;
	int want;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	ASSERT_EQ(0, read_spec(&s)) TH_LOG("no readable /sys/module/ringvm/parameters/mitigations");
	ASSERT_EQ(0, read_text("/proc/cmdline", cmdline, sizeof(cmdline)));
	TH_LOG("ringvm: rsb_fill=%d verw=%d l1d_flush=%d mmio_verw=%d ibpb=%d", s.rsb_fill,
	       s.verw, s.l1d_flush, s.mmio_verw, s.ibpb);

	if (strstr(cmdline, "mitigations=off")) {
		/* The host pays for nothing, so neither does ringvm. */
		EXPECT_EQ(0, s.rsb_fill);
		EXPECT_EQ(0, s.verw);
		EXPECT_EQ(0, s.l1d_flush);
		EXPECT_EQ(0, s.mmio_verw);
		EXPECT_EQ(0, s.ibpb);
	} else {
		vuln("spectre_v2", buf, sizeof(buf));
		TH_LOG("spectre_v2: %s", buf);
		/* Retpolines or IBRS: fill on every exit; eIBRS: the PBRSB sequence. */
		want = strstr(buf, "Mitigation: Retpolines") || strstr(buf, "Mitigation: IBRS") ||
		       strstr(buf, "PBRSB-eIBRS: SW sequence");
		EXPECT_EQ(want, s.rsb_fill);
		want = strstr(buf, "IBPB: conditional") || strstr(buf, "IBPB: always-on");
		EXPECT_EQ(want, s.ibpb);
		vuln("mds", buf, sizeof(buf));
		TH_LOG("mds: %s", buf);
		if (strstr(buf, "Clear CPU buffers")) {
			EXPECT_EQ(1, s.verw);
		}
		vuln("mmio_stale_data", buf, sizeof(buf));
		TH_LOG("mmio_stale_data: %s", buf);
		if (strstr(buf, "Clear CPU buffers")) {
			EXPECT_TRUE(s.verw || s.mmio_verw || s.l1d_flush);
		}
		vuln("l1tf", buf, sizeof(buf));
		TH_LOG("l1tf: %s", buf);
		want = !strstr(buf, "Not affected") && rv_cpu_has_flag("flush_l1d");
		EXPECT_EQ(want, s.l1d_flush);
	}
	/* One or the other buffer clear, never both on the same entry. */
	EXPECT_FALSE(s.mmio_verw && (s.verw || s.l1d_flush));
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
