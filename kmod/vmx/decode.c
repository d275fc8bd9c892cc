// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction decoder for MMIO exits.  The EPT violation already gives the
 * guest-physical address, so only the length, the direction, the size and
 * the register or immediate operand are needed: the ModRM memory operand
 * is skipped, not evaluated.
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

static u64 read_le(const u8 *p, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
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

int ringvm_decode_mmio(const u8 *bytes, unsigned int avail, unsigned int code_size,
		       struct ringvm_mmio_insn *insn)
{
	struct cursor c = { .p = bytes, .avail = min(avail, 15u) };
	bool opsize = false, addrsize = false, rex_seen = false;
	unsigned int op_size, addr_size, imm_size = 0;
	u8 b, rex = 0, modrm;
	bool twobyte = false;

	memset(insn, 0, sizeof(*insn));
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
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0xf0: case 0xf2: case 0xf3:
			continue;
		}
		/* REX counts only directly before the opcode, in 64-bit code. */
		if (code_size == 8 && (b & 0xf0) == 0x40) {
			rex = b;
			rex_seen = true;
			if (next(&c, &b))
				return -EINVAL;
			if ((b & 0xf0) == 0x40 || b == 0x66 || b == 0x67)
				return -EINVAL;
		}
		break;
	}
	if (b == 0x0f) {
		twobyte = true;
		if (next(&c, &b))
			return -EINVAL;
	}

	if (code_size == 8) {
		op_size = (rex & 8) ? 8 : (opsize ? 2 : 4);
		addr_size = addrsize ? 4 : 8;
	} else {
		op_size = (code_size == 4) ^ opsize ? 4 : 2;
		addr_size = (code_size == 4) ^ addrsize ? 4 : 2;
	}

	if (!twobyte) {
		switch (b) {
		case 0x88:	/* MOV r/m8, r8 */
		case 0x89:	/* MOV r/m, r */
		case 0xc6:	/* MOV r/m8, imm8 */
		case 0xc7:	/* MOV r/m, imm */
			insn->write = true;
			break;
		case 0x8a:	/* MOV r8, r/m8 */
		case 0x8b:	/* MOV r, r/m */
			break;
		default:
			return -EINVAL;
		}
		/* Even opcodes of each pair are the byte forms. */
		insn->size = (b & 1) ? op_size : 1;
		if (b == 0xc6)
			imm_size = 1;
		else if (b == 0xc7)
			imm_size = op_size == 8 ? 4 : op_size;
		insn->dst_size = insn->size;
	} else {
		switch (b) {
		case 0xb6:	/* MOVZX r, r/m8 */
		case 0xbe:	/* MOVSX r, r/m8 */
			insn->size = 1;
			break;
		case 0xb7:	/* MOVZX r, r/m16 */
		case 0xbf:	/* MOVSX r, r/m16 */
			insn->size = 2;
			break;
		default:
			return -EINVAL;
		}
		insn->sign_extend = b >= 0xbe;
		insn->dst_size = op_size;
	}

	if (next(&c, &modrm))
		return -EINVAL;
	if (skip_modrm_memory(&c, modrm, addr_size))
		return -EINVAL;
	insn->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	if (imm_size) {
		/* C6/C7 encode /0 in ModRM.reg; anything else is not a MOV. */
		if ((modrm >> 3) & 7)
			return -EINVAL;
		if (c.pos + imm_size > c.avail)
			return -EINVAL;
		insn->has_imm = true;
		insn->imm = read_le(c.p + c.pos, imm_size);
		if (imm_size == 4 && op_size == 8)
			insn->imm = (u64)(s64)(s32)insn->imm;
		c.pos += imm_size;
	}
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (insn->size == 1 && !twobyte && !rex_seen && insn->reg >= 4 && insn->reg < 8) {
		insn->high_byte = true;
		insn->reg -= 4;
	}
	insn->len = c.pos;
	return 0;
}
