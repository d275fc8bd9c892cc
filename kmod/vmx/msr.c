// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs.  The ones a Linux guest uses are emulated or passed through;
 * any other access injects #GP, as on a CPU without that MSR.  Segment
 * bases and SYSENTER MSRs are not intercepted: VM exit saves them in the
 * VMCS.  KERNEL_GS_BASE is not intercepted either and is read back from
 * the CPU when the syscall MSRs are switched back (loaded.c).
 */
#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/vmx.h>

#include "irq.h"
#include "vcpu.h"
#include "vmx_ops.h"

#define MTRR_CAP_VALUE		(8 | BIT(8) | BIT(10))	/* 8 variable, fixed, WC */
#define MSR_MTRR_FIX_FIRST	0x250
#define MSR_MTRR_VAR_FIRST	0x200

unsigned long *ringvm_msr_bitmap;

const u32 ringvm_msr_index_list[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_FS_BASE, MSR_GS_BASE, MSR_TSC_AUX, MSR_IA32_TSC, MSR_IA32_TSC_ADJUST, MSR_IA32_CR_PAT,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_MISC_ENABLE, MSR_IA32_APICBASE, MSR_MTRRcap, MSR_MTRRdefType,
	MSR_IA32_FEAT_CTL, MSR_IA32_UCODE_REV, MSR_IA32_DEBUGCTLMSR,
};
const unsigned int ringvm_msr_index_count = ARRAY_SIZE(ringvm_msr_index_list);

static void bitmap_allow(unsigned long *bitmap, u32 msr)
{
	/* Read-low, read-high, write-low, write-high quarters (SDM 25.6.9). */
	unsigned int base = (msr >= 0xc0000000) ? 1024 * 8 : 0;
	unsigned int bit = msr & 0x1fff;

	__clear_bit(base + bit, bitmap);
	__clear_bit(2048 * 8 + base + bit, bitmap);
}

void ringvm_msr_bitmap_init(unsigned long *bitmap)
{
	memset(bitmap, 0xff, PAGE_SIZE);
	bitmap_allow(bitmap, MSR_FS_BASE);
	bitmap_allow(bitmap, MSR_GS_BASE);
	bitmap_allow(bitmap, MSR_KERNEL_GS_BASE);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_CS);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_ESP);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_EIP);
}

static u64 *mtrr_slot(struct ringvm_vcpu *vcpu, u32 index)
{
	if (index >= MSR_MTRR_VAR_FIRST && index < MSR_MTRR_VAR_FIRST + 16)
		return &vcpu->mtrr_var[index - MSR_MTRR_VAR_FIRST];
	switch (index) {
	case MSR_MTRRfix64K_00000:
		return &vcpu->mtrr_fixed[0];
	case MSR_MTRRfix16K_80000:
		return &vcpu->mtrr_fixed[1];
	case MSR_MTRRfix16K_A0000:
		return &vcpu->mtrr_fixed[2];
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return &vcpu->mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
	case MSR_MTRRdefType:
		return &vcpu->mtrr_def_type;
	}
	return NULL;
}

/* A syscall MSR: the shadow, and the CPU too while the guest's are loaded. */
static u64 *user_msr(struct ringvm_vcpu *vcpu, u32 index)
{
	switch (index) {
	case MSR_STAR:
		return &vcpu->guest_msrs.star;
	case MSR_LSTAR:
		return &vcpu->guest_msrs.lstar;
	case MSR_CSTAR:
		return &vcpu->guest_msrs.cstar;
	case MSR_SYSCALL_MASK:
		return &vcpu->guest_msrs.sfmask;
	case MSR_KERNEL_GS_BASE:
		return &vcpu->guest_msrs.kernel_gs_base;
	case MSR_TSC_AUX:
		return &vcpu->guest_msrs.tsc_aux;
	}
	return NULL;
}

int ringvm_get_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u64 *p = user_msr(vcpu, index);
	int r;

	if (vcpu->lapic) {
		r = ringvm_lapic_msr(vcpu, index, data, false, host);
		if (r != -ENOENT)
			return r;
	}

	if (p) {
		*data = ringvm_read_user_msr(vcpu, index, p);
		return 0;
	}
	p = mtrr_slot(vcpu, index);
	if (p) {
		*data = *p;
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		*data = vcpu->efer;
		break;
	case MSR_FS_BASE:
		*data = vmcs_read(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*data = vmcs_read(GUEST_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_read(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_read(GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read(GUEST_IA32_PAT);
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vcpu->tsc_offset;
		break;
	case MSR_IA32_TSC_ADJUST:
		*data = vcpu->tsc_adjust;
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		break;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		break;
	case MSR_MTRRcap:
		*data = MTRR_CAP_VALUE;
		break;
	case MSR_IA32_FEAT_CTL:
		*data = FEAT_CTL_LOCKED;	/* locked, VMX off: no nested VMX here */
		break;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static bool valid_pat(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/*
 * What WRMSR itself refuses with #GP: these values go to the host CPU
 * while the guest runs, where a fault would be the host's (a warning, and
 * the host's value left in place), so the guest gets the #GP instead.
 */
static bool user_msr_valid(u32 index, u64 data)
{
	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		return __is_canonical_address(data, 48);
	case MSR_SYSCALL_MASK:		/* bits 63:32 reserved */
	case MSR_TSC_AUX:
		return !(data >> 32);
	default:			/* STAR: every bit is writable */
		return true;
	}
}

int ringvm_set_msr(struct ringvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 *p = user_msr(vcpu, index);
	int r;

	if (vcpu->lapic) {
		r = ringvm_lapic_msr(vcpu, index, &data, true, host);
		if (r != -ENOENT)
			return r;
	}

	if (p) {
		if (!user_msr_valid(index, data))
			return -EINVAL;
		ringvm_write_user_msr(vcpu, index, p, data);
		return 0;
	}
	p = mtrr_slot(vcpu, index);
	if (p) {
		*p = data;
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		if (!host)
			return ringvm_set_efer(vcpu, data);
		if (data & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
			return -EINVAL;
		vcpu->efer = data;
		vmcs_write(GUEST_IA32_EFER, data);
		if (data & EFER_LMA)
			vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
		else
			vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!__is_canonical_address(data, 48))
			return -EINVAL;
		vmcs_write(index == MSR_FS_BASE ? GUEST_FS_BASE : GUEST_GS_BASE, data);
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write(GUEST_SYSENTER_CS, data);
		break;
	/* The guest writes these without an exit; VM entry wants them canonical. */
	case MSR_IA32_SYSENTER_ESP:
		if (!__is_canonical_address(data, 48))
			return -EINVAL;
		vmcs_write(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		if (!__is_canonical_address(data, 48))
			return -EINVAL;
		vmcs_write(GUEST_SYSENTER_EIP, data);
		break;
	case MSR_IA32_CR_PAT:
		if (!valid_pat(data))
			return -EINVAL;
		vmcs_write(GUEST_IA32_PAT, data);
		break;
	/*
	 * TSC and TSC_ADJUST move together as on the CPU (SDM Vol. 3 18.17.3):
	 * a guest write to either changes the other by the same amount.  The
	 * VMM restoring state sets each as it was.
	 */
	case MSR_IA32_TSC: {
		u64 offset = data - rdtsc();

		if (!host)
			vcpu->tsc_adjust += offset - vcpu->tsc_offset;
		vcpu->tsc_offset = offset;
		vmcs_write(TSC_OFFSET, offset);
		break;
	}
	case MSR_IA32_TSC_ADJUST:
		if (!host) {
			vcpu->tsc_offset += data - vcpu->tsc_adjust;
			vmcs_write(TSC_OFFSET, vcpu->tsc_offset);
		}
		vcpu->tsc_adjust = data;
		break;
	case MSR_IA32_MISC_ENABLE:
		vcpu->misc_enable = data;
		break;
	case MSR_IA32_APICBASE:
		if (data & 0x2ff)	/* reserved low bits */
			return -EINVAL;
		vcpu->apic_base = data;
		break;
	case MSR_IA32_UCODE_REV:
		break;
	case MSR_IA32_DEBUGCTLMSR:
		if (data)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}
