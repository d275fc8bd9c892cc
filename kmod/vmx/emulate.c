// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO instruction emulator: one decoded instruction on a register
 * state, with RFLAGS computed per operation as the SDM (vol. 1 appendix A,
 * vol. 2 per instruction) defines them.  Flags the SDM leaves undefined
 * are set as current Intel CPUs set them where that is stable (AF cleared
 * by the logical operations) and left unchanged otherwise (BT*).
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "emulate.h"

static u64 mask_of(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 sext(u64 v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return size >= 8 ? v : (u64)((s64)(v << shift) >> shift);
}

static u64 get_reg(const struct ringvm_emul_state *st, unsigned int reg, unsigned int size,
		   bool high)
{
	if (high)
		return (st->regs[reg] >> 8) & 0xff;
	return st->regs[reg] & mask_of(size);
}

/* Register writes as the CPU does them: 32-bit ones zero-extend, narrower ones merge. */
static void set_reg(struct ringvm_emul_state *st, unsigned int reg, unsigned int size,
		    bool high, u64 v)
{
	u64 old = st->regs[reg];

	if (high)
		st->regs[reg] = (old & ~0xff00ULL) | ((v & 0xff) << 8);
	else if (size == 4)
		st->regs[reg] = v & 0xffffffffULL;
	else
		st->regs[reg] = (old & ~mask_of(size)) | (v & mask_of(size));
}

static bool even_parity(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/* ZF, SF, PF of a result; the caller supplies CF, AF and OF. */
static u64 szp(u64 res, unsigned int size)
{
	u64 f = 0;

	if (!(res & mask_of(size)))
		f |= RV_FLAGS_ZF;
	if (res & (1ULL << (size * 8 - 1)))
		f |= RV_FLAGS_SF;
	if (even_parity(res & 0xff))
		f |= RV_FLAGS_PF;
	return f;
}

/* ADD, OR, ADC, SBB, AND, SUB, XOR, CMP of two values already masked to @size. */
static u64 alu(unsigned int op, u64 dst, u64 src, unsigned int size, u64 *rflags)
{
	u64 mask = mask_of(size), sign = 1ULL << (size * 8 - 1);
	u64 carry = *rflags & RV_FLAGS_CF, res, f = 0;

	switch (op) {
	case RV_ALU_ADD:
	case RV_ALU_ADC:
		if (op == RV_ALU_ADD)
			carry = 0;
		res = (dst + src + carry) & mask;
		if (carry ? res <= dst : res < dst)
			f |= RV_FLAGS_CF;
		if ((dst ^ res) & (src ^ res) & sign)
			f |= RV_FLAGS_OF;
		f |= (dst ^ src ^ res) & RV_FLAGS_AF;
		break;
	case RV_ALU_SUB:
	case RV_ALU_SBB:
	case RV_ALU_CMP:
		if (op != RV_ALU_SBB)
			carry = 0;
		res = (dst - src - carry) & mask;
		if (carry ? dst <= src : dst < src)
			f |= RV_FLAGS_CF;
		if ((dst ^ src) & (dst ^ res) & sign)
			f |= RV_FLAGS_OF;
		f |= (dst ^ src ^ res) & RV_FLAGS_AF;
		break;
	case RV_ALU_OR:
		res = dst | src;
		break;
	case RV_ALU_AND:
		res = dst & src;
		break;
	default:	/* RV_ALU_XOR */
		res = dst ^ src;
		break;
	}
	*rflags = (*rflags & ~(u64)RV_FLAGS_ARITH) | f | szp(res, size);
	return res;
}

static u64 src_value(const struct ringvm_insn *insn, const struct ringvm_emul_state *st)
{
	if (insn->has_imm)
		return insn->imm & mask_of(insn->size);
	return get_reg(st, insn->reg, insn->size, insn->high_byte);
}

static const struct ringvm_emul_mem fault_mem = { .fault = true };

/* rSI/rDI/rCX as the address size sees them, and their update. */
static u64 areg(const struct ringvm_emul_state *st, unsigned int reg, unsigned int asize)
{
	return st->regs[reg] & mask_of(asize);
}

static void areg_add(struct ringvm_emul_state *st, unsigned int reg, unsigned int asize,
		     s64 delta)
{
	u64 m = mask_of(asize);

	/* 16-bit addressing keeps the upper bits; 32-bit zero-extends, as the CPU does. */
	if (asize == 4)
		st->regs[reg] = (st->regs[reg] + delta) & m;
	else
		st->regs[reg] = (st->regs[reg] & ~m) | ((st->regs[reg] + delta) & m);
}

static int string_op(const struct ringvm_insn *insn, struct ringvm_emul_state *st,
		     const struct ringvm_emul_ops *ops, void *ctx)
{
	unsigned int size = insn->size, asize = insn->addr_size;
	struct ringvm_emul_mem src = { .seg = insn->seg, .offset = areg(st, 6, asize) };
	struct ringvm_emul_mem dst = { .seg = RV_SEG_ES, .offset = areg(st, 7, asize) };
	s64 step = (st->rflags & RV_FLAGS_DF) ? -(s64)size : (s64)size;
	u64 v = 0;
	int r;

	/* REP with rCX = 0 does nothing; the CPU would not have reached memory. */
	if (insn->rep && !areg(st, 1, asize))
		return RINGVM_EMUL_DONE;

	if (insn->op == RV_OP_STOS) {
		v = get_reg(st, 0, size, false);
	} else {
		r = ops->read(ctx, &src, &v, size);
		if (r)
			return r;
	}
	if (insn->op != RV_OP_LODS) {
		r = ops->write(ctx, &dst, v, size);
		if (r)
			return r;
	}

	if (insn->op == RV_OP_LODS)
		set_reg(st, 0, size, false, v);
	if (insn->op != RV_OP_STOS)
		areg_add(st, 6, asize, step);
	if (insn->op != RV_OP_LODS)
		areg_add(st, 7, asize, step);
	if (!insn->rep)
		return RINGVM_EMUL_DONE;
	areg_add(st, 1, asize, -1);
	return areg(st, 1, asize) ? RINGVM_EMUL_REPEAT : RINGVM_EMUL_DONE;
}

int ringvm_emulate(const struct ringvm_insn *insn, struct ringvm_emul_state *st,
		   const struct ringvm_emul_ops *ops, void *ctx)
{
	unsigned int size = insn->size;
	u64 mem = 0, src, res, bit;
	int r;

	if (insn->op == RV_OP_MOVS || insn->op == RV_OP_STOS || insn->op == RV_OP_LODS)
		return string_op(insn, st, ops, ctx);

	if (insn->op != RV_OP_STORE) {
		r = ops->read(ctx, &fault_mem, &mem, size);
		if (r)
			return r;
		mem &= mask_of(size);
	}

	switch (insn->op) {
	case RV_OP_LOAD:
		if (insn->sign_extend)
			mem = sext(mem, size);
		set_reg(st, insn->reg, insn->dst_size, insn->high_byte, mem);
		return RINGVM_EMUL_DONE;
	case RV_OP_STORE:
		return ops->write(ctx, &fault_mem, src_value(insn, st), size);
	case RV_OP_ALU:
		src = src_value(insn, st);
		if (!insn->mem_dst) {
			res = alu(insn->alu, src, mem, size, &st->rflags);
			if (insn->alu != RV_ALU_CMP)
				set_reg(st, insn->reg, size, insn->high_byte, res);
			return RINGVM_EMUL_DONE;
		}
		res = alu(insn->alu, mem, src, size, &st->rflags);
		if (insn->alu == RV_ALU_CMP)
			return RINGVM_EMUL_DONE;
		return ops->write(ctx, &fault_mem, res, size);
	case RV_OP_TEST:
		alu(RV_ALU_AND, mem, src_value(insn, st), size, &st->rflags);
		return RINGVM_EMUL_DONE;
	case RV_OP_NOT:
		return ops->write(ctx, &fault_mem, ~mem & mask_of(size), size);
	case RV_OP_NEG:
		st->rflags &= ~(u64)RV_FLAGS_CF;	/* SUB from 0 with no borrow in */
		res = alu(RV_ALU_SUB, 0, mem, size, &st->rflags);
		return ops->write(ctx, &fault_mem, res, size);
	case RV_OP_BT:
		/*
		 * A register bit offset beyond the operand already moved the
		 * access the hardware reported; only the bit within it is left.
		 */
		bit = (insn->has_imm ? insn->imm : get_reg(st, insn->reg, size, false)) &
		      (size * 8 - 1);
		st->rflags &= ~(u64)RV_FLAGS_CF;
		if (mem & (1ULL << bit))
			st->rflags |= RV_FLAGS_CF;
		switch (insn->alu) {
		case 0:
			return RINGVM_EMUL_DONE;
		case 1:
			res = mem | (1ULL << bit);
			break;
		case 2:
			res = mem & ~(1ULL << bit);
			break;
		default:
			res = mem ^ (1ULL << bit);
			break;
		}
		return ops->write(ctx, &fault_mem, res, size);
	case RV_OP_XCHG:
		r = ops->write(ctx, &fault_mem, get_reg(st, insn->reg, size, insn->high_byte), size);
		if (r)
			return r;
		set_reg(st, insn->reg, size, insn->high_byte, mem);
		return RINGVM_EMUL_DONE;
	}
	return -EINVAL;
}
