// SPDX-License-Identifier: GPL-2.0
/*
 * EPT violations: a guest access to memory not (yet) mapped.  Inside a
 * slot the page is pinned and mapped and the guest goes on; outside every
 * slot, or a write to a read-only slot, is MMIO: the instruction is decoded
 * and the access handed to the VMM.
 */
#include <linux/kernel.h>
#include <asm/vmx.h>

#include "decode.h"
#include "ept.h"
#include "exits.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

static u64 mask_of(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static int fetch_insn(struct ringvm_vcpu *vcpu, u8 *buf, unsigned int *len)
{
	u64 rip = ringvm_seg_linear(vcpu, 1, vmcs_read(GUEST_RIP));
	unsigned int first = min_t(u64, 15, PAGE_SIZE - (rip & ~PAGE_MASK));

	if (ringvm_read_guest_virt(vcpu, rip, buf, first))
		return -EFAULT;
	*len = first;
	/* The rest may sit on a page that is not mapped: decode what there is. */
	if (first < 15 && !ringvm_read_guest_virt(vcpu, rip + first, buf + first, 15 - first))
		*len = 15;
	return 0;
}

static int emulation_failure(struct ringvm_vcpu *vcpu, const u8 *bytes, unsigned int len)
{
	u64 data[3] = { vmcs_read(GUEST_RIP), len, 0 };
	u8 *raw = (u8 *)&data[2];

	/* data[2..] carries up to 8 instruction bytes; data[1] says how many were read. */
	memcpy(raw, bytes, min(len, 8u));
	return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EMULATION, 3, data);
}

static int handle_mmio(struct ringvm_vcpu *vcpu, u64 gpa)
{
	struct ringvm_run *run = vcpu->run;
	struct ringvm_mmio_insn insn;
	u8 bytes[15];
	unsigned int len = 0;

	if (fetch_insn(vcpu, bytes, &len) ||
	    ringvm_decode_mmio(bytes, len, ringvm_code_size(vcpu), &insn))
		return emulation_failure(vcpu, bytes, len);

	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (insn.write) {
		u64 v = insn.has_imm ? insn.imm : ringvm_get_gpr(vcpu, insn.reg);

		if (insn.high_byte)
			v >>= 8;
		v &= mask_of(insn.size);
		/* A doorbell someone registered: signal it and stay in the guest. */
		if (ringvm_ioeventfd_write(vcpu->vm, gpa, insn.size, v)) {
			trace_mmio(vcpu->id, true, gpa, insn.size);
			ringvm_skip_insn(vcpu, insn.len);
			return 1;
		}
		memcpy(run->mmio.data, &v, insn.size);
		vcpu->completion = RV_COMPLETE_SKIP;
	} else {
		vcpu->mmio.reg = insn.reg;
		vcpu->mmio.size = insn.size;
		vcpu->mmio.dst_size = insn.dst_size;
		vcpu->mmio.sign_extend = insn.sign_extend;
		vcpu->mmio.high_byte = insn.high_byte;
		vcpu->completion = RV_COMPLETE_MMIO_READ;
	}
	run->exit_reason = RINGVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = insn.size;
	run->mmio.is_write = insn.write;
	vcpu->insn_len = insn.len;
	trace_mmio(vcpu->id, insn.write, gpa, insn.size);
	return 0;
}

/* The VMM supplied the value of an MMIO read: write it to the register. */
void ringvm_complete_mmio_read(struct ringvm_vcpu *vcpu)
{
	struct ringvm_mmio_completion *m = &vcpu->mmio;
	u64 v = 0, old = ringvm_get_gpr(vcpu, m->reg);

	memcpy(&v, vcpu->run->mmio.data, m->size);
	if (m->sign_extend)
		v = m->size == 1 ? (u64)(s64)(s8)v : (u64)(s64)(s16)v;

	if (m->high_byte)
		v = (old & ~0xff00ULL) | ((v & 0xff) << 8);
	else if (m->dst_size == 4)	/* 32-bit destinations zero-extend */
		v &= 0xffffffffULL;
	else if (m->dst_size < 8)
		v = (old & ~mask_of(m->dst_size)) | (v & mask_of(m->dst_size));
	ringvm_set_gpr(vcpu, m->reg, v);
}

int ringvm_handle_ept_violation(struct ringvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	bool write = q & EPT_VIOLATION_ACC_WRITE;
	int r;

	trace_ept_fault(vcpu->id, gpa, q);
	r = ringvm_ept_fault(vcpu->vm, gpa, write);
	if (!r || r == -EAGAIN)	/* -EAGAIN: the guest faults again on a fresh look-up */
		return 1;
	if (r == -ENOENT || r == -EACCES)
		return handle_mmio(vcpu, gpa);
	{
		u64 data[3] = { gpa, q, -r };

		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EPT, 3, data);
	}
}
