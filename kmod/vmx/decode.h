/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder for the instructions Linux and firmware use on MMIO: MOV between
 * a register or immediate and memory (1/2/4/8 bytes), MOVZX and MOVSX,
 * with operand/address-size, segment, LOCK/REP prefixes and REX.  Anything
 * else is not decoded and becomes an INTERNAL_ERROR for userspace.
 */
#ifndef RINGVM_DECODE_H
#define RINGVM_DECODE_H

#include <linux/types.h>

struct ringvm_mmio_insn {
	u8 len;			/* bytes, prefixes included */
	bool write;
	u8 size;		/* bytes accessed in memory */
	u8 reg;			/* register operand (source or destination) */
	bool high_byte;		/* AH/CH/DH/BH */
	bool has_imm;
	u64 imm;		/* source of a write with an immediate */
	u8 dst_size;		/* register width a read writes */
	bool sign_extend;
};

/*
 * @code_size: 2, 4 or 8, the default operand size of the running code.
 * Returns 0, or -EINVAL when the bytes are not a supported MMIO instruction.
 */
int ringvm_decode_mmio(const u8 *bytes, unsigned int avail, unsigned int code_size,
		       struct ringvm_mmio_insn *insn);

#endif /* RINGVM_DECODE_H */
