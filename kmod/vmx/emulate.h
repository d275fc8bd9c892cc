/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executes one decoded MMIO instruction (decode.h) on a small register
 * state, reaching memory only through callbacks, so the same code runs in
 * the kernel (mmio.c) and in the userspace unit test
 * (selftests/vmx/decode_unit), which checks it against the CPU.
 */
#ifndef RINGVM_EMULATE_H
#define RINGVM_EMULATE_H

#include <linux/types.h>

#include "decode.h"

#define RV_FLAGS_CF	0x001
#define RV_FLAGS_PF	0x004
#define RV_FLAGS_AF	0x010
#define RV_FLAGS_ZF	0x040
#define RV_FLAGS_SF	0x080
#define RV_FLAGS_DF	0x400
#define RV_FLAGS_OF	0x800
#define RV_FLAGS_ARITH	(RV_FLAGS_CF | RV_FLAGS_PF | RV_FLAGS_AF | RV_FLAGS_ZF | \
			 RV_FLAGS_SF | RV_FLAGS_OF)

/* A memory operand: the ModRM/moffs one that exited, or a string one by segment. */
struct ringvm_emul_mem {
	bool fault;		/* the access the hardware reported (GPA known) */
	u8 seg;			/* string operands: segment, SDM numbering */
	u64 offset;		/* string operands: effective address in the segment */
};

struct ringvm_emul_ops {
	/*
	 * 0 with *val filled in, or non-zero to stop: RINGVM_EMUL_EXIT when
	 * the value must come from the VMM first, < 0 on a fault.
	 */
	int (*read)(void *ctx, const struct ringvm_emul_mem *m, u64 *val, unsigned int size);
	/* Writes come last in every instruction: 0, or < 0 on a fault. */
	int (*write)(void *ctx, const struct ringvm_emul_mem *m, u64 val, unsigned int size);
};

struct ringvm_emul_state {
	u64 regs[16];		/* x86 encoding order: RAX, RCX, RDX, RBX, RSP, ... */
	u64 rflags;
};

/* Results of ringvm_emulate() other than errors (< 0). */
#define RINGVM_EMUL_DONE	0	/* advance RIP by insn->len */
#define RINGVM_EMUL_REPEAT	1	/* a REP string op has more to do: RIP stays */
#define RINGVM_EMUL_EXIT	2	/* a read needs the VMM; state untouched */

/*
 * Runs @insn on @st.  Every read happens before @st changes, so a read
 * answering RINGVM_EMUL_EXIT leaves @st as it was and the caller runs the
 * whole instruction again once the value is known.  A REP string
 * instruction runs one element per call.
 */
int ringvm_emulate(const struct ringvm_insn *insn, struct ringvm_emul_state *st,
		   const struct ringvm_emul_ops *ops, void *ctx);

#endif /* RINGVM_EMULATE_H */
