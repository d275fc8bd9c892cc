// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal guest for `ringvm run --passthrough`: it finds QEMU's edu
 * device on its PCI bus, as a driver would, and uses it through the VMM's
 * passthrough path.  Built as an ELF64 kernel: entered in long mode with
 * the first 4 GiB identity-mapped (userspace/loaders/elf64.cpp).
 *
 * Each step prints "EDU-GUEST <step> ok|FAIL ..." on COM1; the last line
 * is "EDU-GUEST DONE <failures>", and the failure count goes to the debug
 * exit port (status (n << 1) | 1) -- unless the command line is "hold":
 * then the guest idles with interrupts on until the VMM ends it.  Steps:
 *   find    edu (1234:11e8) on bus 0, BAR0 placed by the VMM
 *   id      BAR0 register 0 reads edu's id: the BAR reaches the device
 *   live    the liveness register inverts what the guest wrote
 *   dma     a pattern goes RAM -> edu -> RAM at guest-physical addresses
 *           (IOVA = GPA), and lands where it should and nowhere else
 *   fault   a DMA aimed past the guest's RAM writes nothing the guest has
 *           (the host test checks the IOMMU logged the fault)
 *   intx    edu's interrupt raises the PIC line the VMM routed it to
 *   intx_again  and raises it again once the guest has serviced it (EOI)
 */
#include <stdint.h>

#include "edu_regs.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define XFER		EDU_XFER
#define SRC_GPA		0x400000ull	/* guest RAM, clear of the image and its tables */
#define DST_GPA		0x500000ull
#define FAR_GPA		0x7000000ull	/* 112 MiB: past the guest's 64 MiB, under edu's mask */

static int failures;

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void puthex(uint64_t v)
{
	int i;

	puts_serial("0x");
	for (i = 60; i >= 0; i -= 4)
		if (v >> i || !i)
			putc_serial("0123456789abcdef"[(v >> i) & 0xf]);
}

static void step(const char *name, int ok, const char *what, uint64_t value)
{
	puts_serial("EDU-GUEST ");
	puts_serial(name);
	puts_serial(ok ? " ok " : " FAIL ");
	puts_serial(what);
	puthex(value);
	puts_serial("\n");
	failures += !ok;
}

static uint32_t cfg_addr(unsigned int dev, unsigned int off)
{
	return 0x80000000u | dev << 11 | (off & 0xfc);
}

static uint32_t cfg_read(unsigned int dev, unsigned int off)
{
	outl(0xcf8, cfg_addr(dev, off));
	return inl(0xcfc);
}

static void cfg_write(unsigned int dev, unsigned int off, uint32_t v)
{
	outl(0xcf8, cfg_addr(dev, off));
	outl(0xcfc, v);
}

static volatile uint8_t *bar;

static uint32_t rd32(unsigned int reg)
{
	return *(volatile uint32_t *)(bar + reg);
}

static void wr32(unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(bar + reg) = v;
}

static void wr64(unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)(bar + reg) = v;
}

/* Polls the DMA engine; edu finishes ~100 ms of the host's virtual time later. */
static int dma(uint64_t src, uint64_t dst, uint32_t cmd)
{
	unsigned long n;

	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_COUNT, XFER);
	wr64(EDU_DMA_CMD, cmd | EDU_CMD_RUN);
	for (n = 0; n < 200000000ul; n++)
		if (!(rd32(EDU_DMA_CMD) & EDU_CMD_RUN))
			return 1;
	return 0;
}

static void test_dma(void)
{
	uint8_t *src = (uint8_t *)SRC_GPA, *dst = (uint8_t *)DST_GPA;
	unsigned int i, bad = 0;

	for (i = 0; i < 2 * XFER; i++) {
		src[i] = (uint8_t)(i * 7 + 3);
		dst[i] = 0x5a;
	}
	if (!dma(SRC_GPA, EDU_BUF, 0) || !dma(EDU_BUF, DST_GPA, EDU_CMD_TO_RAM)) {
		step("dma", 0, "engine stuck, cmd ", rd32(EDU_DMA_CMD));
		return;
	}
	for (i = 0; i < XFER; i++)
		bad += dst[i] != src[i];
	for (; i < 2 * XFER; i++)
		bad += dst[i] != 0x5a;	/* nothing past the transfer */
	step("dma", !bad, "bad bytes ", bad);
}

static void test_fault(void)
{
	uint8_t *dst = (uint8_t *)DST_GPA;
	unsigned int i, bad = 0;

	/* The device buffer still holds the pattern: aim it past our RAM. */
	for (i = 0; i < XFER; i++)
		dst[i] = 0xa5;
	if (!dma(EDU_BUF, FAR_GPA, EDU_CMD_TO_RAM)) {
		step("fault", 0, "engine stuck, cmd ", rd32(EDU_DMA_CMD));
		return;
	}
	for (i = 0; i < XFER; i++)
		bad += dst[i] != 0xa5;
	step("fault", !bad, "at ", FAR_GPA);
}

/* The PICs, initialised and fully masked: IRR still shows a raised line. */
static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static int pic_irr(unsigned int line)
{
	uint16_t port = line < 8 ? 0x20 : 0xa0;

	outb(port, 0x0a);	/* OCW3: read IRR */
	return inb(port) >> (line & 7) & 1;
}

static int wait_irr(unsigned int line)
{
	unsigned long n;

	for (n = 0; n < 200000000ul; n++)
		if (pic_irr(line))
			return 1;
	return 0;
}

/* OCW3 poll: acknowledges the highest request as an INTA would. */
static uint8_t pic_poll(uint16_t port)
{
	outb(port, 0x0c);
	return inb(port);
}

/*
 * The first interrupt only shows in IRR (every line masked, IF clear).
 * The second comes only if the device was let interrupt again after the
 * guest serviced the first as a handler does (ack the device, take the
 * interrupt, EOI): the VMM (userspace PIC) or the kernel's resampled irqfd
 * has the broker unmask the device's INTx at the EOI.  The poll byte's bit 7
 * is not checked: KVM's PIC before Linux 6.6 leaves it clear.
 */
static void test_intx(unsigned int dev)
{
	unsigned int line = cfg_read(dev, 0x3c) & 0xff;
	uint16_t port = line < 8 ? 0x20 : 0xa0;
	uint8_t got;
	int raised, stale;

	pic_init();
	if (line >= 16) {
		step("intx", 0, "no interrupt line, reads ", line);
		return;
	}
	wr32(EDU_IRQ_RAISE, 0x1);
	raised = wait_irr(line);
	step("intx", raised && (rd32(EDU_IRQ_STATUS) & 1), "line ", line);
	if (!raised)
		return;

	wr32(EDU_IRQ_ACK, 0x1);
	outb(0x21, line < 8 ? 0xff & ~(1u << line) : 0xfb);
	outb(0xa1, line < 8 ? 0xff : 0xff & ~(1u << (line & 7)));
	if (line >= 8)
		pic_poll(0x20);		/* the cascade, IRQ 2 */
	got = pic_poll(port);
	outb(port, 0x60 | (line & 7));	/* specific EOI */
	if (line >= 8)
		outb(0x20, 0x62);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	stale = pic_irr(line);

	wr32(EDU_IRQ_RAISE, 0x1);
	raised = wait_irr(line);
	step("intx_again", (got & 7) == (line & 7) && !stale && raised,
	     "poll, stale IRR, IRR ", (uint64_t)got << 8 | stale << 4 | raised);
	wr32(EDU_IRQ_ACK, 0x1);
}

static int is_hold(const char *cmdline)
{
	return cmdline[0] == 'h' && cmdline[1] == 'o' && cmdline[2] == 'l' &&
	       cmdline[3] == 'd' && !cmdline[4];
}

void guest_main(const char *cmdline)
{
	unsigned int dev;
	uint32_t id, live;

	for (dev = 0; dev < 32; dev++)
		if (cfg_read(dev, 0) == (EDU_DEVICE << 16 | EDU_VENDOR))
			break;
	bar = (volatile uint8_t *)(uintptr_t)(dev < 32 ? cfg_read(dev, 0x10) & ~0xfu : 0);
	step("find", dev < 32 && bar, "bar0 ", (uintptr_t)bar);
	if (dev < 32 && bar) {
		/* Memory decoding and bus mastering, as a driver's probe turns on. */
		cfg_write(dev, 0x04, (cfg_read(dev, 0x04) & 0xffff) | 0x6);
		id = rd32(EDU_ID);
		step("id", (id & 0xffff) == 0xed, "id ", id);
		wr32(EDU_LIVENESS, 0x12345678);
		live = rd32(EDU_LIVENESS);
		step("live", live == ~0x12345678u, "read ", live);
		test_dma();
		test_fault();
		test_intx(dev);
	}
	puts_serial("EDU-GUEST DONE ");
	puthex(failures);
	puts_serial("\n");
	if (!is_hold(cmdline))
		outb(DEBUG_EXIT, failures);
	for (;;)
		asm volatile("sti; hlt");
}

/* The loader's stack is below 0x7000, RDI the command line; the entry only calls into C. */
asm(".pushsection .text.entry, \"ax\"\n"
    ".globl _start\n"
    "_start:\n"
    "	and $-16, %rsp\n"
    "	call guest_main\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    ".popsection\n");
