// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits.  Every IN/OUT/INS/OUTS goes to the VMM: the data sits in
 * the second page of the vCPU mapping (RINGVM_PIO_PAGE_OFFSET), and string
 * forms move at most one guest page per exit; a longer REP simply exits
 * again.  Memory operands are checked under the guest's paging rules first,
 * and a violation becomes the guest's #PF, not an access.
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/vmx.h>

#include "exits.h"
#include "irq.h"
#include "trace.h"
#include "vcpu.h"
#include "vmx_ops.h"

/* Exit qualification for I/O instructions (SDM Vol. 3 Table 28-5). */
#define IOQ_SIZE(q)	(((q) & 7) + 1)
#define IOQ_IN		BIT(3)
#define IOQ_STRING	BIT(4)
#define IOQ_REP		BIT(5)
#define IOQ_PORT(q)	((q) >> 16)

/* VM-exit instruction information for INS/OUTS (Table 28-8). */
#define IOI_ADDR_SIZE(i)	(2 << (((i) >> 7) & 7))
#define IOI_SEG(i)		(((i) >> 15) & 7)

#define SEG_ES	0
#define SEG_DS	3

static void *pio_data(struct ringvm_vcpu *vcpu)
{
	return vcpu->pio_data;
}

static u64 addr_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Add @delta to a register of @size bytes, leaving the bits above alone. */
static void reg_add(struct ringvm_vcpu *vcpu, unsigned int reg, unsigned int size, s64 delta)
{
	u64 mask = addr_mask(size);
	u64 v = ringvm_get_gpr(vcpu, reg);

	ringvm_set_gpr(vcpu, reg, (v & ~mask) | ((v + delta) & mask));
}

int ringvm_handle_io(struct ringvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	struct ringvm_run *run = vcpu->run;
	unsigned int size = IOQ_SIZE(q), asize, seg;
	bool in = q & IOQ_IN;
	u64 count = 1, offset, linear;
	bool down;
	int reg, r;

	vcpu->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	/* The in-kernel PIC's ports. */
	if (!(q & IOQ_STRING)) {
		u32 val = vcpu->regs[RV_RAX];

		if (!ringvm_irq_pio(vcpu, IOQ_PORT(q), size, &val, in)) {
			if (in)
				vcpu->regs[RV_RAX] = (vcpu->regs[RV_RAX] & ~0xffUL) | (val & 0xff);
			ringvm_skip_insn(vcpu, vcpu->insn_len);
			return 1;
		}
	}
	run->exit_reason = RINGVM_EXIT_IO;
	run->io.direction = in ? RINGVM_EXIT_IO_IN : RINGVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = IOQ_PORT(q);
	run->io.data_offset = RINGVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	trace_pio(vcpu->id, in, IOQ_PORT(q), size);

	if (!(q & IOQ_STRING)) {
		run->io.count = 1;
		vcpu->pio.string = false;
		vcpu->pio.size = size;
		if (in) {
			vcpu->completion = RV_COMPLETE_PIO_IN;
		} else {
			u32 val = vcpu->regs[RV_RAX];

			memcpy(pio_data(vcpu), &val, size);
			vcpu->completion = RV_COMPLETE_SKIP;
		}
		return 0;
	}

	asize = IOI_ADDR_SIZE(vmcs_read(VMX_INSTRUCTION_INFO));
	if (asize > 8)
		asize = ringvm_code_size(vcpu);
	if (q & IOQ_REP) {
		count = vcpu->regs[RV_RCX] & addr_mask(asize);
		if (!count) {	/* REP with RCX = 0 does nothing */
			ringvm_skip_insn(vcpu, vcpu->insn_len);
			return 1;
		}
	}
	down = vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_DF;
	reg = in ? RV_RDI : RV_RSI;
	/* INS always writes ES:rDI; OUTS reads seg:rSI with DS by default. */
	seg = in ? SEG_ES : IOI_SEG(vmcs_read(VMX_INSTRUCTION_INFO));
	offset = ringvm_get_gpr(vcpu, reg) & addr_mask(asize);
	/*
	 * Stay within the guest page of the first element, so that a REP walks
	 * and checks one page per exit, and faults where the CPU would.
	 */
	linear = ringvm_seg_linear(vcpu, seg, offset) & ~PAGE_MASK;
	count = min_t(u64, count, max_t(u64, 1, (down ? linear + size : PAGE_SIZE - linear) / size));
	if (down)
		offset -= (count - 1) * size;
	linear = ringvm_seg_linear(vcpu, seg, offset);
	r = ringvm_check_guest_virt(vcpu, linear, count * size, in);
	if (r) {
		u64 data[3] = { linear, count * size, r };

		if (r > 0)	/* #PF queued: the instruction restarts after it */
			return 1;
		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EMULATION, 3, data);
	}

	run->io.count = count;
	if (in) {
		vcpu->pio.string = true;
		vcpu->pio.size = size;
		vcpu->pio.count = count;
		vcpu->pio.dst = linear;
		vcpu->pio.down = down;
		vcpu->completion = RV_COMPLETE_PIO_IN;
		return 0;
	}

	r = ringvm_read_guest_virt(vcpu, linear, pio_data(vcpu), count * size);
	if (r) {
		u64 data[3] = { linear, count * size, r };

		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EMULATION, 3, data);
	}
	if (down) {	/* the device sees elements in execution order */
		u8 *p = pio_data(vcpu), tmp[4];
		u64 i;

		for (i = 0; i < count / 2; i++) {
			memcpy(tmp, p + i * size, size);
			memcpy(p + i * size, p + (count - 1 - i) * size, size);
			memcpy(p + (count - 1 - i) * size, tmp, size);
		}
	}
	reg_add(vcpu, RV_RSI, asize, down ? -(s64)(count * size) : count * size);
	if (q & IOQ_REP)
		reg_add(vcpu, RV_RCX, asize, -(s64)count);
	/* A REP not finished within this page runs again from the same RIP. */
	if ((q & IOQ_REP) && (vcpu->regs[RV_RCX] & addr_mask(asize)))
		vcpu->completion = RV_COMPLETE_NONE;
	else
		vcpu->completion = RV_COMPLETE_SKIP;
	return 0;
}

/*
 * The VMM answered an IN or INS: move its data where the instruction puts
 * it.  Returns 0 when the instruction is done, 1 when a REP INS must run
 * again or a #PF is queued for it, < 0 when the destination is not guest
 * memory.
 */
int ringvm_complete_pio_in(struct ringvm_vcpu *vcpu)
{
	unsigned int size = vcpu->pio.size;
	unsigned int asize;
	u8 *p = pio_data(vcpu);
	u64 i;
	int r;

	if (!vcpu->pio.string) {
		u64 v = 0;

		memcpy(&v, p, size);
		if (size == 4)	/* a 32-bit destination zero-extends */
			vcpu->regs[RV_RAX] = v;
		else
			vcpu->regs[RV_RAX] = (vcpu->regs[RV_RAX] & ~addr_mask(size)) | v;
		return 0;
	}

	if (vcpu->pio.down) {
		u8 tmp[4];

		for (i = 0; i < vcpu->pio.count / 2; i++) {
			memcpy(tmp, p + i * size, size);
			memcpy(p + i * size, p + (vcpu->pio.count - 1 - i) * size, size);
			memcpy(p + (vcpu->pio.count - 1 - i) * size, tmp, size);
		}
	}
	/* The exit checked it; check again, as SET_SREGS may have run since. */
	r = ringvm_check_guest_virt(vcpu, vcpu->pio.dst, vcpu->pio.count * size, true);
	if (r)
		return r;
	r = ringvm_write_guest_virt(vcpu, vcpu->pio.dst, p, vcpu->pio.count * size);
	if (r)
		return r;
	asize = IOI_ADDR_SIZE(vmcs_read(VMX_INSTRUCTION_INFO));
	if (asize > 8)
		asize = ringvm_code_size(vcpu);
	reg_add(vcpu, RV_RDI, asize, vcpu->pio.down ? -(s64)(vcpu->pio.count * size) :
						       vcpu->pio.count * size);
	if (vmcs_read(EXIT_QUALIFICATION) & IOQ_REP) {
		reg_add(vcpu, RV_RCX, asize, -(s64)vcpu->pio.count);
		if (vcpu->regs[RV_RCX] & addr_mask(asize))
			return 1;	/* more to do: run the INS again */
	}
	return 0;
}
