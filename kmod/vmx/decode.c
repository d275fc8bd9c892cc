// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction decoder for MMIO exits.  The EPT violation already gives the
 * guest-physical address of a ModRM or moffs operand, so that operand is
 * skipped, not evaluated; string instructions name their operands through
 * rSI/rDI, which the emulator (emulate.c) resolves.  Opcode tables: SDM
 * vol. 2 appendix A.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "decode.h"

struct cursor {
	const u8 *p;
	unsigned int pos, avail;
};

static int next(struct cursor *c, u8 *b)
{
	if (c->pos >= c->avail)
		return -EINVAL;
	*b = c->p[c->pos++];
	return 0;
}

static int skip(struct cursor *c, unsigned int n)
{
	if (c->pos + n > c->avail)
		return -EINVAL;
	c->pos += n;
	return 0;
}

static int read_imm(struct cursor *c, unsigned int n, u64 *v)
{
	if (c->pos + n > c->avail)
		return -EINVAL;
	*v = 0;
	while (n--)
		*v = (*v << 8) | c->p[c->pos + n];
	return 0;
}

static u64 sext(u64 v, unsigned int bytes)
{
	unsigned int shift = 64 - bytes * 8;

	return bytes >= 8 ? v : (u64)((s64)(v << shift) >> shift);
}

/* Skip SIB and displacement of a memory ModRM; fails on a register operand. */
static int skip_modrm_memory(struct cursor *c, u8 modrm, unsigned int addr_size)
{
	u8 mod = modrm >> 6, rm = modrm & 7, sib;

	if (mod == 3)
		return -EINVAL;
	if (addr_size == 2) {
		if (mod == 1)
			return skip(c, 1);
		if (mod == 2 || (mod == 0 && rm == 6))
			return skip(c, 2);
		return 0;
	}
	if (rm == 4) {
		if (next(c, &sib))
			return -EINVAL;
		if (mod == 0 && (sib & 7) == 5)
			return skip(c, 4);
	}
	if (mod == 1)
		return skip(c, 1);
	if (mod == 2 || (mod == 0 && rm == 5))
		return skip(c, 4);
	return 0;
}

/* Classify a one-byte opcode with a ModRM operand; 0 or -EINVAL. */
static int one_byte(struct ringvm_insn *insn, u8 b, u8 modrm, unsigned int op_size,
		    unsigned int code_size, unsigned int *imm_size, bool *byte_reg)
{
	unsigned int ext = (modrm >> 3) & 7;

	insn->size = (b & 1) ? op_size : 1;
	*byte_reg = !(b & 1);
	if (b < 0x40 && (b & 7) < 4) {
		/* 00-3B: ALU, direction bit 1 set means the register is the destination. */
		insn->op = RV_OP_ALU;
		insn->alu = b >> 3;
		insn->mem_dst = !(b & 2);
		return 0;
	}
	switch (b) {
	case 0x82:
		if (code_size == 8)
			return -EINVAL;
		fallthrough;
	case 0x80: case 0x81: case 0x83:
		insn->op = RV_OP_ALU;
		insn->alu = ext;
		insn->mem_dst = true;
		insn->size = b == 0x81 || b == 0x83 ? op_size : 1;
		*imm_size = b == 0x81 ? min(op_size, 4u) : 1;
		*byte_reg = false;
		return 0;
	case 0x84: case 0x85:
		insn->op = RV_OP_TEST;
		return 0;
	case 0x86: case 0x87:
		insn->op = RV_OP_XCHG;
		return 0;
	case 0x88: case 0x89:
		insn->op = RV_OP_STORE;
		return 0;
	case 0x8a: case 0x8b:
		insn->op = RV_OP_LOAD;
		insn->dst_size = insn->size;
		return 0;
	case 0xc6: case 0xc7:
		if (ext)
			return -EINVAL;
		insn->op = RV_OP_STORE;
		*imm_size = b == 0xc6 ? 1 : min(op_size, 4u);
		*byte_reg = false;
		return 0;
	case 0xf6: case 0xf7:
		*byte_reg = false;
		if (ext < 2) {		/* /1 is an undocumented alias of /0 */
			insn->op = RV_OP_TEST;
			*imm_size = b == 0xf6 ? 1 : min(op_size, 4u);
			return 0;
		}
		if (ext == 2 || ext == 3) {
			insn->op = ext == 2 ? RV_OP_NOT : RV_OP_NEG;
			return 0;
		}
		return -EINVAL;		/* MUL, IMUL, DIV, IDIV */
	}
	return -EINVAL;
}

static int two_byte(struct ringvm_insn *insn, u8 b, u8 modrm, unsigned int op_size,
		    unsigned int *imm_size)
{
	unsigned int ext = (modrm >> 3) & 7;

	switch (b) {
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:	/* MOVZX, MOVSX */
		insn->op = RV_OP_LOAD;
		insn->size = (b & 1) ? 2 : 1;
		insn->sign_extend = b >= 0xbe;
		insn->dst_size = op_size;
		return 0;
	case 0xa3: case 0xab: case 0xb3: case 0xbb:	/* BT, BTS, BTR, BTC r/m, r */
		insn->op = RV_OP_BT;
		insn->alu = (b >> 3) & 3;
		insn->size = op_size;
		return 0;
	case 0xba:					/* BT group 8, imm8 */
		if (ext < 4)
			return -EINVAL;
		insn->op = RV_OP_BT;
		insn->alu = ext - 4;
		insn->size = op_size;
		*imm_size = 1;
		return 0;
	}
	return -EINVAL;
}

/* String and moffs forms: no ModRM. */
static int no_modrm(struct cursor *c, struct ringvm_insn *insn, u8 b, unsigned int op_size)
{
	insn->size = (b & 1) ? op_size : 1;
	insn->reg = 0;		/* AL/AX/EAX/RAX */
	switch (b) {
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		insn->op = b < 0xa2 ? RV_OP_LOAD : RV_OP_STORE;
		insn->dst_size = insn->size;
		return skip(c, insn->addr_size);
	case 0xa4: case 0xa5:
		insn->op = RV_OP_MOVS;
		return 0;
	case 0xaa: case 0xab:
		insn->op = RV_OP_STOS;
		return 0;
	case 0xac: case 0xad:
		insn->op = RV_OP_LODS;
		return 0;
	}
	return -EINVAL;
}

static bool lock_allowed(const struct ringvm_insn *insn)
{
	switch (insn->op) {
	case RV_OP_ALU:
		return insn->mem_dst && insn->alu != RV_ALU_CMP;
	case RV_OP_NOT: case RV_OP_NEG: case RV_OP_XCHG:
		return true;
	case RV_OP_BT:
		return insn->alu != 0;
	}
	return false;
}

int ringvm_decode(const u8 *bytes, unsigned int avail, unsigned int code_size,
		  struct ringvm_insn *insn)
{
	struct cursor c = { .p = bytes, .avail = min(avail, 15u) };
	bool opsize = false, addrsize = false, byte_reg = false;
	unsigned int op_size, imm_size = 0;
	u8 b, rex = 0, modrm;
	int r;

	memset(insn, 0, sizeof(*insn));
	insn->seg = RV_SEG_DS;
	for (;;) {
		if (next(&c, &b))
			return -EINVAL;
		switch (b) {
		case 0x66:
			opsize = true;
			continue;
		case 0x67:
			addrsize = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			insn->seg = (b >> 3) & 3;	/* ES, CS, SS, DS */
			continue;
		case 0x64: case 0x65:
			insn->seg = b - 0x60;		/* FS, GS */
			continue;
		case 0xf0:
			insn->lock = true;
			continue;
		case 0xf2: case 0xf3:
			insn->rep = b;
			continue;
		}
		/* REX counts only directly before the opcode, in 64-bit code. */
		if (code_size == 8 && (b & 0xf0) == 0x40) {
			rex = b;
			if (next(&c, &b))
				return -EINVAL;
			if ((b & 0xf0) == 0x40 || b == 0x66 || b == 0x67)
				return -EINVAL;
		}
		break;
	}

	if (code_size == 8) {
		op_size = (rex & 8) ? 8 : (opsize ? 2 : 4);
		insn->addr_size = addrsize ? 4 : 8;
	} else {
		op_size = (code_size == 4) ^ opsize ? 4 : 2;
		insn->addr_size = (code_size == 4) ^ addrsize ? 4 : 2;
	}

	if (b >= 0xa0 && b <= 0xaf) {
		r = no_modrm(&c, insn, b, op_size);
		if (r)
			return r;
		if (insn->op != RV_OP_MOVS && insn->op != RV_OP_STOS && insn->op != RV_OP_LODS)
			insn->rep = 0;
		if (insn->lock)
			return -EINVAL;
		insn->len = c.pos;
		return 0;
	}

	if (b == 0x0f) {
		if (next(&c, &b) || next(&c, &modrm))
			return -EINVAL;
		r = two_byte(insn, b, modrm, op_size, &imm_size);
	} else {
		if (next(&c, &modrm))
			return -EINVAL;
		r = one_byte(insn, b, modrm, op_size, code_size, &imm_size, &byte_reg);
	}
	/* LOCK where the SDM says #UD; REP/REPNE mean nothing here (or are HLE hints). */
	if (r || (insn->lock && !lock_allowed(insn)))
		return -EINVAL;
	insn->rep = 0;
	if (skip_modrm_memory(&c, modrm, insn->addr_size))
		return -EINVAL;
	insn->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	if (imm_size) {
		if (read_imm(&c, imm_size, &insn->imm))
			return -EINVAL;
		c.pos += imm_size;
		insn->has_imm = true;
		/* Immediates of the ALU, TEST and MOV forms sign-extend; BT's bit offset does not. */
		if (insn->op != RV_OP_BT)
			insn->imm = sext(insn->imm, imm_size);
	}
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (byte_reg && !rex && insn->reg >= 4 && insn->reg < 8) {
		insn->high_byte = true;
		insn->reg -= 4;
	}
	insn->len = c.pos;
	return 0;
}
