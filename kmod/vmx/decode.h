/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder for the instructions guests use on MMIO: MOV (ModRM, immediate
 * and moffs forms), MOVZX/MOVSX, the ALU group (ADD/OR/ADC/SBB/AND/SUB/XOR/
 * CMP), TEST, NOT, NEG, BT/BTS/BTR/BTC, XCHG and MOVS/STOS/LODS, with
 * operand/address-size, segment, LOCK, REP/REPNE prefixes and REX.  Pure
 * code: it also builds for userspace (selftests/vmx/decode_unit).
 */
#ifndef RINGVM_DECODE_H
#define RINGVM_DECODE_H

#include <linux/types.h>

enum ringvm_insn_op {
	RV_OP_LOAD,	/* register <- memory (MOV, MOVZX, MOVSX) */
	RV_OP_STORE,	/* memory <- register or immediate */
	RV_OP_ALU,	/* alu: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP (ModRM.reg order) */
	RV_OP_TEST,
	RV_OP_NOT,
	RV_OP_NEG,
	RV_OP_BT,	/* alu: 0 BT, 1 BTS, 2 BTR, 3 BTC */
	RV_OP_XCHG,
	RV_OP_MOVS,
	RV_OP_STOS,
	RV_OP_LODS,
};

enum { RV_ALU_ADD, RV_ALU_OR, RV_ALU_ADC, RV_ALU_SBB, RV_ALU_AND, RV_ALU_SUB,
	RV_ALU_XOR, RV_ALU_CMP };

/* Segment registers numbered as in the SDM: ES=0, CS, SS, DS, FS, GS=5. */
#define RV_SEG_ES	0
#define RV_SEG_DS	3

struct ringvm_insn {
	u8 len;			/* bytes, prefixes included */
	u8 op;			/* enum ringvm_insn_op */
	u8 alu;			/* sub-operation of RV_OP_ALU / RV_OP_BT */
	u8 size;		/* bytes of the memory operand (element of a string op) */
	u8 addr_size;		/* 2, 4 or 8 */
	u8 reg;			/* register operand, 0-15 */
	bool high_byte;		/* the register operand is AH/CH/DH/BH */
	bool mem_dst;		/* RV_OP_ALU: memory is the destination */
	bool has_imm;
	u64 imm;		/* immediate, sign-extended to 64 bits where the SDM says */
	u8 dst_size;		/* RV_OP_LOAD: register width written */
	bool sign_extend;	/* RV_OP_LOAD: MOVSX */
	u8 seg;			/* segment of a string source (override or DS) */
	u8 rep;			/* 0, 0xf2 or 0xf3 */
	bool lock;
};

/*
 * @code_size: 2, 4 or 8, the default operand size of the running code.
 * Returns 0, or -EINVAL when the bytes are not a supported MMIO instruction.
 */
int ringvm_decode(const u8 *bytes, unsigned int avail, unsigned int code_size,
		  struct ringvm_insn *insn);

#endif /* RINGVM_DECODE_H */
