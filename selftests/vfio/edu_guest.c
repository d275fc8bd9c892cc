// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal guest for `ringvm run --passthrough`: it finds QEMU's edu
 * device on its PCI bus, as a driver would, and uses it through the VMM's
 * passthrough path.  Built as an ELF64 kernel: entered in long mode with
 * the first 4 GiB identity-mapped (userspace/loaders/elf64.cpp).
 *
 * Each step prints "EDU-GUEST <step> ok|FAIL ..." on COM1; the last line
 * is "EDU-GUEST DONE <failures>", and the failure count goes to the debug
 * exit port (status (n << 1) | 1) -- unless the command line has "hold":
 * then the guest idles with interrupts on until the VMM ends it.  "user" on
 * the command line says the VMM runs the userspace irqchip.  Steps:
 *   find    edu (1234:11e8) on bus 0, BAR0 placed by the VMM
 *   id      BAR0 register 0 reads edu's id: the BAR reaches the device
 *   live    the liveness register inverts what the guest wrote
 *   dma     a pattern goes RAM -> edu -> RAM at guest-physical addresses
 *           (IOVA = GPA), and lands where it should and nowhere else
 *   fault   a DMA aimed past the guest's RAM writes nothing the guest has
 *           (the host test checks the IOMMU logged the fault)
 *   intx    edu's interrupt raises the PIC line the VMM routed it to
 *   intx_again  and raises it again once the guest has serviced it (EOI)
 * On the VMM's in-kernel irqchip (local APICs):
 *   msi     edu's MSI capability is on the chain; programmed for APIC 0,
 *           vector 0x41 and enabled, edu's interrupts reach the handler,
 *           twice, and its INTx line stays down meanwhile
 *   intx_after_msi  with MSI off again, edu interrupts through INTx
 * On --irqchip user ("user"):
 *   msi_hidden  the VMM does not offer MSI (no local APIC to deliver it;
 *           KVM's CPUID says there is one all the same, so the command line
 *           says which it is)
 */
#include <stdint.h>

#include "edu_regs.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define XFER		EDU_XFER
#define SRC_GPA		0x400000ull	/* guest RAM, clear of the image and its tables */
#define DST_GPA		0x500000ull
#define FAR_GPA		0x7000000ull	/* 112 MiB: past the guest's 64 MiB, under edu's mask */
#define LAPIC		0xfee00000ul
#define LAPIC_TPR	0x80
#define LAPIC_EOI	0xb0
#define LAPIC_SVR	0xf0
#define MSI_VECTOR	0x41
#define SPURIOUS_VECTOR	0xff

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

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
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

static void cfg_write16(unsigned int dev, unsigned int off, uint16_t v)
{
	outl(0xcf8, cfg_addr(dev, off));
	outw(0xcfc + (off & 2), v);
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

/* Takes the interrupt on @line (OCW3 poll) and EOIs it, with the PICs masked. */
static uint8_t pic_service(unsigned int line)
{
	uint16_t port = line < 8 ? 0x20 : 0xa0;
	uint8_t got;

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
	return got;
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
	got = pic_service(line);
	stale = pic_irr(line);

	wr32(EDU_IRQ_RAISE, 0x1);
	raised = wait_irr(line);
	step("intx_again", (got & 7) == (line & 7) && !stale && raised,
	     "poll, stale IRR, IRR ", (uint64_t)got << 8 | stale << 4 | raised);
	wr32(EDU_IRQ_ACK, 0x1);
	if (raised)
		pic_service(line);
}

/* One 64-bit interrupt gate per vector: handlers for the MSI and the spurious vector. */
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static volatile unsigned int msi_count;

void msi_entry(void);
void spurious_entry(void);

void msi_handler(void)
{
	msi_count++;
	*(volatile uint32_t *)(LAPIC + LAPIC_EOI) = 0;
}

static void set_gate(unsigned int vector, void (*fn)(void))
{
	uint64_t off = (uintptr_t)fn;
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector] = (struct idt_gate){ (uint16_t)off, cs, 0, 0x8e, (uint16_t)(off >> 16),
					 (uint32_t)(off >> 32), 0 };
}

static void apic_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	set_gate(MSI_VECTOR, msi_entry);
	set_gate(SPURIOUS_VECTOR, spurious_entry);
	asm volatile("lidt %0" : : "m"(idtr));
	*(volatile uint32_t *)(LAPIC + LAPIC_TPR) = 0;
	*(volatile uint32_t *)(LAPIC + LAPIC_SVR) = 0x100 | SPURIOUS_VECTOR;
}

static unsigned int find_cap(unsigned int dev, uint8_t id)
{
	unsigned int p, n;

	if (!(cfg_read(dev, 0x04) >> 16 & 0x10))
		return 0;
	p = cfg_read(dev, 0x34) & 0xfc;
	for (n = 0; p >= 0x40 && n < 48; n++) {
		uint32_t hdr = cfg_read(dev, p);

		if ((hdr & 0xff) == id)
			return p;
		p = hdr >> 8 & 0xfc;
	}
	return 0;
}

/* Interrupts on until @want MSIs came, or a bound. */
static int wait_msi(unsigned int want)
{
	unsigned long n;

	asm volatile("sti");
	for (n = 0; n < 200000000ul && msi_count < want; n++)
		asm volatile("pause");
	asm volatile("cli");
	return msi_count >= want;
}

/*
 * MSI as a driver sets it up: address (APIC 0, physical), data (fixed,
 * edge, vector 0x41), enable.  Two raises, two handler runs: the second
 * shows the vector stays bound after the first.  INTx must stay down
 * while MSI is on (PCI 3.0 6.8.1.3), and come back once it is off.
 */
static void test_msi(unsigned int dev, int user_irqchip)
{
	unsigned int cap = find_cap(dev, 0x05), line = cfg_read(dev, 0x3c) & 0xff;
	unsigned int data_off;
	uint16_t ctrl;
	int irr, raised;

	if (user_irqchip) {
		step("msi_hidden", !cap, "no local APIC, MSI capability at ", cap);
		return;
	}
	if (!cap) {
		step("msi", 0, "no MSI capability on the chain", 0);
		return;
	}
	ctrl = cfg_read(dev, cap) >> 16;
	data_off = cap + (ctrl & 0x80 ? 0xc : 0x8);
	apic_init();
	cfg_write(dev, cap + 4, 0xfee00000);
	if (ctrl & 0x80)
		cfg_write(dev, cap + 8, 0);
	cfg_write16(dev, data_off, MSI_VECTOR);
	cfg_write16(dev, cap + 2, (ctrl & ~0x70) | 1);
	if (cfg_read(dev, cap + 4) != 0xfee00000 ||
	    (cfg_read(dev, data_off & ~3) >> 8 * (data_off & 2) & 0xffff) != MSI_VECTOR) {
		step("msi", 0, "address/data did not stick, address ", cfg_read(dev, cap + 4));
		return;
	}
	wr32(EDU_IRQ_RAISE, 0x1);
	raised = wait_msi(1);
	wr32(EDU_IRQ_ACK, 0x1);
	wr32(EDU_IRQ_RAISE, 0x1);
	raised &= wait_msi(2);
	wr32(EDU_IRQ_ACK, 0x1);
	irr = line < 16 && pic_irr(line);
	step("msi", raised && !irr, "handler runs, INTx IRR ", (uint64_t)msi_count << 8 | irr);

	cfg_write16(dev, cap + 2, ctrl & ~1);
	if (line >= 16) {
		step("intx_after_msi", 0, "no interrupt line, reads ", line);
		return;
	}
	wr32(EDU_IRQ_RAISE, 0x1);
	raised = wait_irr(line);
	wr32(EDU_IRQ_ACK, 0x1);
	if (raised)
		pic_service(line);
	step("intx_after_msi", raised && msi_count == 2, "IRR, MSIs ",
	     (uint64_t)raised << 8 | msi_count);
}

/* Whether @word is one of the space-separated words of @cmdline. */
static int has_word(const char *cmdline, const char *word)
{
	const char *p = cmdline, *w;

	while (*p) {
		for (w = word; *w && *p == *w; w++, p++)
			;
		if (!*w && (*p == ' ' || !*p))
			return 1;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return 0;
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
		test_msi(dev, has_word(cmdline, "user"));
	}
	puts_serial("EDU-GUEST DONE ");
	puthex(failures);
	puts_serial("\n");
	if (!has_word(cmdline, "hold"))
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

/*
 * Interrupt entries: the CPU left RSP 16-aligned minus its 40-byte frame;
 * nine saved registers make the call see the ABI's alignment.
 */
asm(".pushsection .text\n"
    ".globl msi_entry\n"
    "msi_entry:\n"
    "	push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
    "	push %r8\n push %r9\n push %r10\n push %r11\n"
    "	call msi_handler\n"
    "	pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
    "	pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
    "	iretq\n"
    ".globl spurious_entry\n"
    "spurious_entry:\n"
    "	iretq\n"
    ".popsection\n");
