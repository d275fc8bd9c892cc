// SPDX-License-Identifier: GPL-2.0
/*
 * EPT violations: a guest access to memory not (yet) mapped.  Inside a
 * slot the page is pinned and mapped and the guest goes on; outside every
 * slot, or a write to a read-only slot, is MMIO: the instruction is decoded
 * (decode.c) and run by the emulator (emulate.c), whose device accesses
 * become RINGVM_EXIT_MMIO exits.  An instruction that reads a device
 * (MOV load, read-modify-write, XCHG, MOVS from MMIO) exits for the value
 * and runs again from its first byte once the VMM supplies it, as KVM's
 * emulator does; a write it then makes is a second exit.
 */
#include <linux/kernel.h>
#include <asm/vmx.h>

#include "apicv.h"
#include "decode.h"
#include "emulate.h"
#include "ept.h"
#include "exits.h"
#include "irq.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

/* What one run of the emulator asked of devices. */
struct mmio_ctx {
	struct ringvm_vcpu *vcpu;
	bool answered;		/* run->mmio.data holds the read vcpu->mmio names */
	bool need_read;
	bool write;
	u64 gpa;		/* of the read needed or the write made */
	u8 size;
	u64 val;		/* of the write */
};

static int emulation_failure(struct ringvm_vcpu *vcpu, const u8 *bytes, unsigned int len)
{
	u64 data[4] = { vmcs_read(GUEST_RIP), len, 0, 0 };

	/* data[2..3] carry the instruction bytes; data[1] says how many were read. */
	memcpy(&data[2], bytes, min_t(unsigned int, len, 15));
	return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EMULATION, 4, data);
}

/* RAM is any slot (a writable one for a write); everything else is a device. */
static bool is_ram(struct ringvm_vm *vm, u64 gpa, bool write)
{
	const struct ringvm_memslot *s;
	bool ram;

	mutex_lock(&vm->lock);
	s = ringvm_find_slot(vm, gpa);
	ram = s && !(write && (s->flags & RINGVM_MEM_READONLY));
	mutex_unlock(&vm->lock);
	return ram;
}

/*
 * Where a memory operand is: the access the EPT violation reported, or a
 * string operand's seg:offset through the guest's page tables.  *linear is
 * set for a string operand in RAM, to access it through the guest's paging.
 */
static int locate(struct mmio_ctx *ctx, const struct ringvm_emul_mem *m, bool write,
		  u64 *gpa, u64 *linear, bool *ram)
{
	*ram = false;
	if (m->fault) {
		*gpa = ctx->vcpu->mmio.gpa;
		return 0;
	}
	*linear = ringvm_seg_linear(ctx->vcpu, m->seg, m->offset);
	if (ringvm_gva_to_gpa(ctx->vcpu, *linear, gpa))
		return -EFAULT;
	*ram = is_ram(ctx->vcpu->vm, *gpa, write);
	/*
	 * The walk checks no U/S or R/W bits: from CPL 3 a MOVS between MMIO
	 * and a supervisor or read-only page would bypass the guest's own
	 * protection, so user code gets no RAM operand emulated.
	 */
	if (*ram && ((vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3) == 3)
		return -EPERM;
	return 0;
}

static int emul_read(void *opaque, const struct ringvm_emul_mem *m, u64 *val,
		     unsigned int size)
{
	struct mmio_ctx *ctx = opaque;
	struct ringvm_vcpu *vcpu = ctx->vcpu;
	u64 gpa, linear;
	bool ram;

	if (locate(ctx, m, false, &gpa, &linear, &ram))
		return -EFAULT;
	*val = 0;
	if (ram)
		return ringvm_read_guest_virt(vcpu, linear, val, size) ? -EFAULT : 0;
	if (ctx->answered && vcpu->mmio.read_gpa == gpa && vcpu->mmio.read_size == size) {
		memcpy(val, vcpu->run->mmio.data, size);
		return 0;
	}
	/* The local APIC and the I/O APIC answer in the kernel. */
	if (!ringvm_irq_mmio(vcpu, gpa, size, val, false))
		return 0;
	ctx->need_read = true;
	ctx->gpa = gpa;
	ctx->size = size;
	return RINGVM_EMUL_EXIT;
}

static int emul_write(void *opaque, const struct ringvm_emul_mem *m, u64 val,
		      unsigned int size)
{
	struct mmio_ctx *ctx = opaque;
	u64 gpa, linear;
	bool ram;

	if (locate(ctx, m, true, &gpa, &linear, &ram))
		return -EFAULT;
	if (ram)
		return ringvm_write_guest_virt(ctx->vcpu, linear, &val, size) ? -EFAULT : 0;
	if (!ringvm_irq_mmio(ctx->vcpu, gpa, size, &val, true))
		return 0;
	/* The last access of every instruction: the caller hands it to the VMM. */
	ctx->write = true;
	ctx->gpa = gpa;
	ctx->size = size;
	ctx->val = val;
	return 0;
}

static const struct ringvm_emul_ops emul_ops = {
	.read = emul_read,
	.write = emul_write,
};

/*
 * Runs the instruction saved in vcpu->mmio.  Returns 0 with run filled in
 * for userspace, or 1 when the guest goes on; *advance is then how far RIP
 * moves (0 while a REP string instruction has elements left).
 */
static int run_insn(struct ringvm_vcpu *vcpu, bool answered, unsigned int *advance)
{
	struct ringvm_mmio_completion *m = &vcpu->mmio;
	struct mmio_ctx ctx = { .vcpu = vcpu, .answered = answered };
	struct ringvm_run *run = vcpu->run;
	struct ringvm_emul_state st;
	struct ringvm_insn insn;
	unsigned int i;
	int r;

	*advance = 0;
	if (ringvm_decode(m->bytes, m->nbytes, ringvm_code_size(vcpu), &insn))
		return emulation_failure(vcpu, m->bytes, m->nbytes);
	for (i = 0; i < RV_NR_REGS; i++)
		st.regs[i] = ringvm_get_gpr(vcpu, i);
	st.rflags = vmcs_read(GUEST_RFLAGS);

	r = ringvm_emulate(&insn, &st, &emul_ops, &ctx);
	if (r < 0)	/* a string operand not mapped, or in RAM from CPL 3 */
		return emulation_failure(vcpu, m->bytes, m->nbytes);

	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (r == RINGVM_EMUL_EXIT) {
		m->read_gpa = ctx.gpa;
		m->read_size = ctx.size;
		vcpu->completion = RV_COMPLETE_MMIO_READ;
		run->exit_reason = RINGVM_EXIT_MMIO;
		run->mmio.phys_addr = ctx.gpa;
		run->mmio.len = ctx.size;
		run->mmio.is_write = 0;
		trace_mmio(vcpu->id, false, ctx.gpa, ctx.size);
		return 0;
	}

	/* Every read is answered: the instruction is done, commit it. */
	for (i = 0; i < RV_NR_REGS; i++)
		if (i != RV_RSP)	/* no emulated form writes RSP */
			vcpu->regs[i] = st.regs[i];
	vmcs_write(GUEST_RFLAGS, st.rflags);
	if (r == RINGVM_EMUL_DONE)
		*advance = insn.len;
	if (!ctx.write)
		return 1;

	trace_mmio(vcpu->id, true, ctx.gpa, ctx.size);
	/* A doorbell someone registered: signal it and stay in the guest. */
	if (ringvm_ioeventfd_write(vcpu->vm, ctx.gpa, ctx.size, ctx.val))
		return 1;
	memcpy(run->mmio.data, &ctx.val, ctx.size);
	run->exit_reason = RINGVM_EXIT_MMIO;
	run->mmio.phys_addr = ctx.gpa;
	run->mmio.len = ctx.size;
	run->mmio.is_write = 1;
	/* RIP moves when the VMM comes back (RV_COMPLETE_NONE: a REP goes on). */
	vcpu->completion = *advance ? RV_COMPLETE_SKIP : RV_COMPLETE_NONE;
	vcpu->insn_len = *advance;
	*advance = 0;
	return 0;
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

static int handle_mmio(struct ringvm_vcpu *vcpu, u64 gpa)
{
	struct ringvm_mmio_completion *m = &vcpu->mmio;
	unsigned int len = 0, advance;
	int r;

	/*
	 * The access is the CPU's own, delivering an event through an IDT,
	 * GDT or stack the guest put in MMIO, not the instruction at RIP's:
	 * emulating that instruction would be wrong, and entering again
	 * meets the same access (KVM's KVM_INTERNAL_ERROR_DELIVERY_EV).
	 */
	if (vcpu->idt_vectoring & VECTORING_INFO_VALID_MASK) {
		u64 data[3] = { vcpu->idt_vectoring, vmcs_read(VM_EXIT_REASON), gpa };

		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_DELIVERY_EV, 3, data);
	}
	if (fetch_insn(vcpu, m->bytes, &len))
		return emulation_failure(vcpu, m->bytes, len);
	m->nbytes = len;
	m->gpa = gpa;
	r = run_insn(vcpu, false, &advance);
	if (r > 0)
		ringvm_skip_insn(vcpu, advance);
	return r;
}

/* An access the CPU reported otherwise (an APIC-access exit): emulated alike. */
int ringvm_emulate_mmio(struct ringvm_vcpu *vcpu, u64 gpa)
{
	return handle_mmio(vcpu, gpa);
}

/*
 * The VMM supplied the value of an MMIO read: run the instruction again
 * with it.  Returns 0 when the instruction is done (RIP already moved), or
 * 1 when it made another exit for userspace (a read-modify-write's write).
 */
int ringvm_complete_mmio_read(struct ringvm_vcpu *vcpu)
{
	unsigned int advance;
	int r;

	/*
	 * Called preemptible with the vCPU loaded (loaded.c): running the
	 * instruction may sleep (a string operand's page tables and memory,
	 * the ioeventfd list) while the preempt notifier carries the VMCS.
	 */
	vcpu->insn_len = 0;
	r = run_insn(vcpu, true, &advance);
	if (r > 0)
		ringvm_skip_insn(vcpu, advance);
	return !r;
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
	if (r == -ENOENT && ringvm_apicv_map_access_page(vcpu, gpa))
		return 1;
	if (r == -ENOENT || r == -EACCES)
		return handle_mmio(vcpu, gpa);
	{
		u64 data[3] = { gpa, q, -r };

		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EPT, 3, data);
	}
}
