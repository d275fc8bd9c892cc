// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven test of ringvm.ko's MMIO decoder and emulator (kmod/vmx/
 * decode.c, emulate.c), built for userspace.  Each instruction in cases.h
 * runs on this CPU (native.S) and through the emulator from the same
 * registers, flags and memory, many times with random and boundary
 * values; registers, the flags the SDM defines for the operation, memory,
 * and the number of device reads and writes must agree.  Reads answer
 * "exit to the VMM" first, as mmio.c's do, so the run-again path is the
 * one tested.  A second table checks decoding alone: 16/32-bit code,
 * segment prefixes, and the forms that must stay undecoded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode.h"
#include "emulate.h"

struct tcase {
	const char *text;
	u8 bytes[15];
	u8 len;
	u8 moffs;	/* bytes of a moffs address at the end to patch */
};

static const struct tcase cases[] = {
#include "cases.h"
};

struct native_ctx {
	u64 regs[16];
	u64 rflags;
};

void native_run(struct native_ctx *ctx);
extern char native_return[];
extern u8 *native_insn;

#define BUF_SIZE	4096
#define EA_OFF		0x100	/* the ModRM/moffs operand: (%rbx) and 0x24(%r8) */
#define ITERATIONS	400

static u8 *native_buf, *emul_buf;
static unsigned int failures;

struct fake {
	u64 fault_addr;
	bool answered;
	u64 read_addr;
	unsigned int read_size;
	unsigned int reads, writes;
	const char *error;
};

static u8 *emul_ptr(struct fake *f, const struct ringvm_emul_mem *m, unsigned int size)
{
	u64 addr = m->fault ? f->fault_addr : m->offset;

	/* Segment bases are 0 in 64-bit code but for FS and GS, which no case uses. */
	if (!m->fault && m->seg > 3) {
		f->error = "string operand through FS/GS";
		return NULL;
	}
	if (addr < (u64)native_buf || addr + size > (u64)native_buf + BUF_SIZE) {
		f->error = "access outside the buffer";
		return NULL;
	}
	return emul_buf + (addr - (u64)native_buf);
}

/* Device reads: the first one of a run exits; the run again gets the value. */
static int fake_read(void *ctx, const struct ringvm_emul_mem *m, u64 *val, unsigned int size)
{
	struct fake *f = ctx;
	u8 *p = emul_ptr(f, m, size);
	u64 addr = m->fault ? f->fault_addr : m->offset;

	if (!p)
		return -EFAULT;
	if (!f->answered) {
		f->read_addr = addr;
		f->read_size = size;
		return RINGVM_EMUL_EXIT;
	}
	if (addr != f->read_addr || size != f->read_size) {
		f->error = "second read, or a read elsewhere after the exit";
		return -EFAULT;
	}
	*val = 0;
	memcpy(val, p, size);
	f->reads++;
	return 0;
}

static int fake_write(void *ctx, const struct ringvm_emul_mem *m, u64 val, unsigned int size)
{
	struct fake *f = ctx;
	u8 *p = emul_ptr(f, m, size);

	if (!p)
		return -EFAULT;
	memcpy(p, &val, size);
	f->writes++;
	return 0;
}

static const struct ringvm_emul_ops fake_ops = { .read = fake_read, .write = fake_write };

static u64 rnd64(void)
{
	return ((u64)random() << 62) ^ ((u64)random() << 31) ^ (u64)random();
}

/* Random values, often at the edges where flags change. */
static u64 interesting(void)
{
	static const u64 edges[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, 0x0f, 0x10,
	};

	if (random() % 3)
		return rnd64();
	return edges[random() % (sizeof(edges) / sizeof(edges[0]))] ^
	       ((random() & 1) ? 0 : (u64)(random() % 2));
}

static bool is_string(const struct ringvm_insn *in)
{
	return in->op == RV_OP_MOVS || in->op == RV_OP_STOS || in->op == RV_OP_LODS;
}

static u64 defined_flags(const struct ringvm_insn *in)
{
	if (in->op == RV_OP_TEST ||
	    (in->op == RV_OP_ALU && (in->alu == RV_ALU_OR || in->alu == RV_ALU_AND ||
				     in->alu == RV_ALU_XOR)))
		return RV_FLAGS_ARITH & ~RV_FLAGS_AF;	/* AF undefined */
	if (in->op == RV_OP_BT)
		return RV_FLAGS_CF;			/* OF, SF, AF, PF undefined; ZF differs by vendor */
	return RV_FLAGS_ARITH;
}

static bool reads_memory(const struct ringvm_insn *in)
{
	return in->op != RV_OP_STORE && in->op != RV_OP_STOS;
}

static bool writes_memory(const struct ringvm_insn *in)
{
	switch (in->op) {
	case RV_OP_LOAD: case RV_OP_TEST: case RV_OP_LODS:
		return false;
	case RV_OP_ALU:
		return in->mem_dst && in->alu != RV_ALU_CMP;
	case RV_OP_BT:
		return in->alu != 0;
	}
	return true;
}

static void fail(const struct tcase *tc, const char *what, u64 got, u64 want)
{
	if (failures++ < 40)
		printf("# %s: %s: emulator 0x%llx, CPU 0x%llx\n", tc->text, what,
		       (unsigned long long)got, (unsigned long long)want);
}

static bool run_once(const struct tcase *tc, u8 *page)
{
	struct ringvm_emul_state st, before;
	struct native_ctx nat;
	struct ringvm_insn in;
	struct fake f = { 0 };
	u8 bytes[15 + 14];
	unsigned int i, elements = 0, count = 1, bits;
	u64 mask;
	int r;

	memcpy(bytes, tc->bytes, tc->len);
	if (tc->moffs) {
		u64 a = (u64)native_buf + EA_OFF;

		memcpy(bytes + tc->len - tc->moffs, &a, tc->moffs);
	}
	/* Trailing bytes the decoder must not take: the jump back. */
	memset(bytes + tc->len, 0xcc, sizeof(bytes) - tc->len);
	if (ringvm_decode(bytes, 15, 8, &in)) {
		fail(tc, "not decoded", 0, 0);
		return false;
	}
	if (in.len != tc->len) {
		fail(tc, "length", in.len, tc->len);
		return false;
	}

	for (i = 0; i < 16; i++)
		st.regs[i] = interesting();
	st.regs[4] = 0;
	st.regs[3] = (u64)native_buf + EA_OFF;
	st.regs[8] = (u64)native_buf + EA_OFF - 0x24;
	st.regs[6] = (u64)native_buf + 0x800;
	st.regs[7] = (u64)native_buf + 0xc00;
	f.fault_addr = (u64)native_buf + EA_OFF;
	if (in.rep)
		st.regs[1] = random() % 5;
	if (is_string(&in) && in.addr_size == 4) {
		/* 32-bit addressing ignores, then clears, the upper halves. */
		st.regs[6] |= rnd64() << 32;
		st.regs[7] |= rnd64() << 32;
		st.regs[1] |= rnd64() << 32;
	}
	if (in.op == RV_OP_BT && !in.has_imm) {
		s64 off;

		bits = in.size * 8;
		off = (s64)(random() % (3 * bits)) - bits;
		st.regs[in.reg] = (u64)off;
		/* A bit offset past the operand moves the access the CPU reports. */
		f.fault_addr += (u64)((off >> __builtin_ctz(bits)) * (s64)in.size);
	}
	st.rflags = 0x202 | (rnd64() & RV_FLAGS_ARITH) | ((random() & 1) ? RV_FLAGS_DF : 0);

	for (i = 0; i < BUF_SIZE; i += 8) {
		u64 v = interesting();

		memcpy(native_buf + i, &v, 8);
	}
	memcpy(emul_buf, native_buf, BUF_SIZE);

	memcpy(nat.regs, st.regs, sizeof(nat.regs));
	nat.rflags = st.rflags;

	/* The emulator: an exit per device read, an element per run, as in mmio.c. */
	do {
		before = st;
		f.answered = false;
		r = ringvm_emulate(&in, &st, &fake_ops, &f);
		if (r == RINGVM_EMUL_EXIT) {
			if (memcmp(&before, &st, sizeof(st))) {
				fail(tc, "state changed before the read was answered", 0, 0);
				return false;
			}
			f.answered = true;
			r = ringvm_emulate(&in, &st, &fake_ops, &f);
		}
		if (r < 0) {
			fail(tc, f.error ? f.error : "emulation error", r, 0);
			return false;
		}
		elements++;
	} while (r == RINGVM_EMUL_REPEAT && elements < 10);
	if (r != RINGVM_EMUL_DONE) {
		fail(tc, "REP did not finish", elements, 0);
		return false;
	}

	/* The CPU. */
	memcpy(page, bytes, tc->len);
	page[tc->len] = 0xff;		/* jmp *0(%rip) */
	page[tc->len + 1] = 0x25;
	memset(page + tc->len + 2, 0, 4);
	{
		u64 target = (u64)native_return;

		memcpy(page + tc->len + 6, &target, 8);
	}
	native_insn = page;
	native_run(&nat);

	if (in.rep)
		count = (unsigned int)(before.regs[1] & 0xffffffff) == 0 && elements == 1 ? 0 : elements;
	for (i = 0; i < 16; i++)
		if (i != 4 && st.regs[i] != nat.regs[i]) {
			char what[32];

			snprintf(what, sizeof(what), "register %u", i);
			fail(tc, what, st.regs[i], nat.regs[i]);
			return false;
		}
	mask = defined_flags(&in) | RV_FLAGS_DF;
	if ((st.rflags & mask) != (nat.rflags & mask)) {
		fail(tc, "RFLAGS", st.rflags & mask, nat.rflags & mask);
		return false;
	}
	if (memcmp(native_buf, emul_buf, BUF_SIZE)) {
		for (i = 0; i < BUF_SIZE && native_buf[i] == emul_buf[i]; i++)
			;
		fail(tc, "memory byte", emul_buf[i], native_buf[i]);
		return false;
	}
	if (!in.rep)
		count = 1;
	if (f.reads != (reads_memory(&in) ? count : 0) ||
	    f.writes != (writes_memory(&in) ? count : 0)) {
		fail(tc, "device reads/writes", f.reads * 100 + f.writes, count);
		return false;
	}
	return true;
}

struct dcase {
	const char *text;
	u8 bytes[15];
	u8 avail;
	u8 code_size;
	int len;	/* expected length, or -1: must not decode */
	u8 op, size, addr_size, seg;
};

/* Decoding alone: other code sizes, prefixes, and what must stay unknown. */
static const struct dcase dcases[] = {
	{ "32: mov %ecx,(%eax)", { 0x89, 0x08 }, 2, 4, 2, RV_OP_STORE, 4, 4, 3 },
	{ "32: mov %cx,(%eax)", { 0x66, 0x89, 0x08 }, 3, 4, 3, RV_OP_STORE, 2, 4, 3 },
	{ "32: mov 0x11223344,%eax", { 0xa1, 0x44, 0x33, 0x22, 0x11 }, 5, 4, 5, RV_OP_LOAD, 4, 4, 3 },
	{ "32: addr16 mov 0x1122,%eax", { 0x67, 0xa1, 0x22, 0x11 }, 4, 4, 4, RV_OP_LOAD, 4, 2, 3 },
	{ "32: btsl $5,(%eax)", { 0x0f, 0xba, 0x28, 0x05 }, 4, 4, 4, RV_OP_BT, 4, 4, 3 },
	{ "32: orl $1,0x24(%eax)", { 0x83, 0x48, 0x24, 0x01 }, 4, 4, 4, RV_OP_ALU, 4, 4, 3 },
	{ "32: orb $1,(%eax) (82)", { 0x82, 0x08, 0x01 }, 3, 4, 3, RV_OP_ALU, 1, 4, 3 },
	{ "32: orl %ecx,0x10(%eax,%ebx,4)", { 0x09, 0x4c, 0x98, 0x10 }, 4, 4, 4, RV_OP_ALU, 4, 4, 3 },
	{ "32: 48 is DEC, not REX", { 0x48, 0x89, 0x08 }, 3, 4, -1 },
	{ "32: fs movsl", { 0x64, 0xa5 }, 2, 4, 2, RV_OP_MOVS, 4, 4, 4 },
	{ "16: mov %ax,(%bx)", { 0x89, 0x07 }, 2, 2, 2, RV_OP_STORE, 2, 2, 3 },
	{ "16: mov %eax,(%bx)", { 0x66, 0x89, 0x07 }, 3, 2, 3, RV_OP_STORE, 4, 2, 3 },
	{ "16: mov 0x1234,%ax", { 0xa1, 0x34, 0x12 }, 3, 2, 3, RV_OP_LOAD, 2, 2, 3 },
	{ "16: mov 0x1234(%bp),%ax", { 0x8b, 0x86, 0x34, 0x12 }, 4, 2, 4, RV_OP_LOAD, 2, 2, 3 },
	{ "16: mov 0x1234,%ax (ModRM)", { 0x8b, 0x06, 0x34, 0x12 }, 4, 2, 4, RV_OP_LOAD, 2, 2, 3 },
	{ "16: rep movsw", { 0xf3, 0xa5 }, 2, 2, 2, RV_OP_MOVS, 2, 2, 3 },
	{ "16: addr32 xorw $5,(%eax)", { 0x67, 0x83, 0x30, 0x05 }, 4, 2, 4, RV_OP_ALU, 2, 4, 3 },
	{ "64: mov 0x11223344(%rip),%eax", { 0x8b, 0x05, 0x44, 0x33, 0x22, 0x11 }, 6, 8, 6,
	  RV_OP_LOAD, 4, 8, 3 },
	{ "64: mov %fs:0x10,%eax", { 0x64, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0 }, 8, 8, 8,
	  RV_OP_LOAD, 4, 8, 4 },
	{ "64: gs movsb", { 0x65, 0xa4 }, 2, 8, 2, RV_OP_MOVS, 1, 8, 5 },
	{ "64: repne movsl", { 0xf2, 0xa5 }, 2, 8, 2, RV_OP_MOVS, 4, 8, 3 },
	{ "64: orl $1,0x10(%rip) imm after disp", { 0x83, 0x0d, 0x10, 0, 0, 0, 0x01 }, 7, 8, 7,
	  RV_OP_ALU, 4, 8, 3 },
	{ "64: mul (%rbx)", { 0xf7, 0x23 }, 2, 8, -1 },
	{ "64: mov %ecx,%eax (no memory)", { 0x89, 0xc8 }, 2, 8, -1 },
	{ "64: lock mov", { 0xf0, 0x89, 0x03 }, 3, 8, -1 },
	{ "64: lock cmp", { 0xf0, 0x39, 0x0b }, 3, 8, -1 },
	{ "64: lock bt", { 0xf0, 0x0f, 0xa3, 0x0b }, 4, 8, -1 },
	{ "64: 82 is invalid", { 0x82, 0x0b, 0x01 }, 3, 8, -1 },
	{ "64: rep or (REP ignored)", { 0xf3, 0x09, 0x0b }, 3, 8, 3, RV_OP_ALU, 4, 8, 3 },
	{ "64: xacquire lock xchg", { 0xf2, 0xf0, 0x87, 0x0b }, 4, 8, 4, RV_OP_XCHG, 4, 8, 3 },
	{ "64: popcnt (F3 0F B8)", { 0xf3, 0x0f, 0xb8, 0x0b }, 4, 8, -1 },
	{ "64: tzcnt (F3 0F BC)", { 0xf3, 0x0f, 0xbc, 0x0b }, 4, 8, -1 },
	{ "64: cmpsb", { 0xa6 }, 1, 8, -1 },
	{ "64: scasl", { 0xaf }, 1, 8, -1 },
	{ "64: bt group /3", { 0x0f, 0xba, 0x1b, 0x05 }, 4, 8, -1 },
	{ "64: movl $imm with /1", { 0xc7, 0x0b, 1, 2, 3, 4 }, 6, 8, -1 },
	{ "64: truncated", { 0x41, 0x09 }, 2, 8, -1 },
	{ "64: truncated imm", { 0x81, 0x0b, 1, 2, 3 }, 5, 8, -1 },
	{ "64: REX before a prefix", { 0x48, 0x66, 0x89, 0x03 }, 4, 8, -1 },
	{ "64: 16 bytes", { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			    0x66, 0x66, 0x89, 0x83 }, 15, 8, -1 },
	{ "64: add $1,%al (no memory)", { 0x04, 0x01 }, 2, 8, -1 },
};

static unsigned int decode_only(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *d = &dcases[i];
		struct ringvm_insn in;
		int r = ringvm_decode(d->bytes, d->avail, d->code_size, &in);
		bool ok;

		if (d->len < 0)
			ok = r != 0;
		else
			ok = !r && in.len == d->len && in.op == d->op && in.size == d->size &&
			     in.addr_size == d->addr_size && in.seg == d->seg;
		printf("%s %u decode %s\n", ok ? "ok" : "not ok", i + 1, d->text);
		bad += !ok;
	}
	return bad;
}

int main(void)
{
	unsigned int ncases = sizeof(cases) / sizeof(cases[0]);
	unsigned int ndec = sizeof(dcases) / sizeof(dcases[0]);
	unsigned int i, n, bad;
	u8 *page;

	srandom(0x52564d);
	/* Below 4 GiB, so the 32-bit addressing cases reach it too. */
	native_buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	emul_buf = malloc(BUF_SIZE);
	if (native_buf == MAP_FAILED || page == MAP_FAILED || !emul_buf) {
		printf("Bail out! cannot map the test buffers\n");
		return 1;
	}

	printf("TAP version 13\n1..%u\n", ndec + ncases);
	bad = decode_only();
	for (i = 0; i < ncases; i++) {
		bool ok = true;

		for (n = 0; n < ITERATIONS && ok; n++)
			ok = run_once(&cases[i], page);
		printf("%s %u %s\n", ok ? "ok" : "not ok", ndec + i + 1, cases[i].text);
		bad += !ok;
	}
	printf("# %u passed, %u failed\n", ndec + ncases - bad, bad);
	return bad ? 1 : 0;
}
