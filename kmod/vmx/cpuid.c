// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: the supported set (the host's, minus what ringvm does not
 * virtualize) and the per-vCPU table the VMM sets, which the CPUID exit
 * answers from, patching the few fields that depend on live vCPU state.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/vmx.h>

#include "capabilities.h"
#include "irq.h"
#include "vcpu.h"
#include "vm.h"

#define SIGNIFICANT	RINGVM_CPUID_FLAG_SIGNIFICANT_INDEX
#define MAX_BASIC	0x1f
#define MAX_EXTENDED	0x80000008

/* Leaf 1 ECX/EDX bits a guest must not see: features no VM of ours has. */
#define L1_ECX_HIDE	(BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | \
			 BIT(15) | BIT(18) | BIT(21) | BIT(24) | BIT(27))
#define L1_ECX_HYPERVISOR	BIT(31)
#define L1_ECX_OSXSAVE		BIT(27)
#define L1_EDX_HIDE	(BIT(7) | BIT(14) | BIT(18) | BIT(21) | BIT(22) | BIT(29) | BIT(31))
/* Leaf 7.0: SGX, MPX, RDT, PT, AVX-512 (gated below); PKU, LA57, WAITPKG; speculation MSRs, CET. */
#define L7_EBX_HIDE	(BIT(2) | BIT(12) | BIT(14) | BIT(15) | BIT(25))
#define L7_EBX_AVX512	(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | \
			 BIT(30) | BIT(31))
/*
 * Every feature left in the table works in a guest; the hidden ones need
 * MSRs ringvm does not have (TME, CET, PCONFIG, arch LBR, the speculation
 * controls) or XCR0 bits it does not allow (PKU, AMX); hybrid (leaf 7 EDX
 * bit 15) and Key Locker (ECX bit 23) would send the guest to leaves 0x1a
 * and 0x19, which are empty.
 */
#define L7_ECX_HIDE	(BIT(3) | BIT(4) | BIT(5) | BIT(7) | BIT(13) | BIT(16) | BIT(23) | \
			 BIT(30))
#define L7_EDX_HIDE	(BIT(15) | BIT(18) | BIT(19) | BIT(20) | BIT(22) | BIT(24) | \
			 BIT(25) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31))
#define LD1_EAX_XSAVES	BIT(3)
#define L6_EAX_ARAT	BIT(2)
#define L7_EBX_INVPCID	BIT(10)
#define L7_ECX_RDPID	BIT(22)
#define LX1_EDX_RDTSCP	BIT(27)

static void host_leaf(u32 fn, u32 idx, struct ringvm_cpuid_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	cpuid_count(fn, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

static u64 supported_xcr0(void)
{
	return ringvm_host_xcr0 & (XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | XFEATURE_MASK_AVX512);
}

static void filter(struct ringvm_cpuid_entry *e)
{
	switch (e->function) {
	case 0:
		e->eax = min_t(u32, e->eax, MAX_BASIC);
		break;
	case 1:
		e->ecx = (e->ecx & ~L1_ECX_HIDE) | L1_ECX_HYPERVISOR;
		e->edx &= ~L1_EDX_HIDE;
		break;
	case 7:
		if (e->index) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		}
		e->eax = 0;
		e->ebx &= ~L7_EBX_HIDE;
		if (!(supported_xcr0() & XFEATURE_MASK_AVX512))
			e->ebx &= ~L7_EBX_AVX512;
		e->ecx &= ~L7_ECX_HIDE;
		e->edx &= ~L7_EDX_HIDE;
		/* Without their enable controls these instructions would #UD in the guest. */
		if (!(vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_INVPCID))
			e->ebx &= ~L7_EBX_INVPCID;
		if (!(vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
			e->ecx &= ~L7_ECX_RDPID;
		break;
	case 0xd:
		if (e->index == 0) {
			e->eax = (u32)supported_xcr0();
			e->edx = supported_xcr0() >> 32;
		} else if (e->index == 1) {
			e->eax &= ~LD1_EAX_XSAVES;
			e->ebx = e->ecx = e->edx = 0;
		} else if (!(supported_xcr0() & BIT_ULL(e->index))) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
		}
		break;
	/*
	 * Thermal and power: only "APIC timer always running" (ARAT), as KVM
	 * reports; the model's timer never stops in a C-state, and without the
	 * bit Linux keeps the PIT as a broadcast timer it does not need.
	 */
	case 6:
		e->eax = L6_EAX_ARAT;
		e->ebx = e->ecx = e->edx = 0;
		break;
	/*
	 * Not virtualized, so empty as KVM reports them: serial number,
	 * monitor, PMU, RDT, SGX, PT; SoC vendor, TLB, Key Locker,
	 * hybrid, PCONFIG, arch LBR, AMX tiles.  Also the TSC/crystal ratio and
	 * the frequencies (0x15, 0x16): the guest's local APIC timer counts the
	 * model's 1 GHz bus, not the host's crystal, and Linux takes leaf
	 * 0x15's crystal for the APIC timer's clock and skips calibrating it;
	 * with a 24 MHz crystal each timer it armed expired about 40 times too
	 * early.  Without them the guest calibrates both.
	 */
	case 3: case 5: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14:
	case 0x15: case 0x16: case 0x17: case 0x18: case 0x19: case 0x1a: case 0x1b:
	case 0x1c: case 0x1d: case 0x1e:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000000:
		e->eax = min_t(u32, e->eax, MAX_EXTENDED);
		break;
	case 0x80000001:
		if (!(vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
			e->edx &= ~LX1_EDX_RDTSCP;
		break;
	}
}

/* Leaves with sub-leaves that matter, and how many to report. */
static unsigned int subleaves(u32 fn)
{
	switch (fn) {
	case 4: return 8;
	case 7: return 1;
	case 0xb: case 0x1f: return 4;
	case 0xd: return 19;
	}
	return 0;
}

static int build_supported(struct ringvm_cpuid_entry *out, unsigned int max)
{
	unsigned int n = 0, i, sub;
	u32 fn, top;

	host_leaf(0, 0, &out[0]);
	top = min_t(u32, out[0].eax, MAX_BASIC);
	for (fn = 0; fn <= top; fn++) {
		sub = subleaves(fn);
		for (i = 0; i < max_t(unsigned int, sub, 1); i++) {
			if (n >= max)
				return -E2BIG;
			host_leaf(fn, i, &out[n]);
			if (sub)
				out[n].flags = SIGNIFICANT;
			filter(&out[n]);
			n++;
		}
	}
	/* Our own signature: no paravirtual interface is offered under it. */
	if (n >= max)
		return -E2BIG;
	memset(&out[n], 0, sizeof(out[n]));
	out[n].function = 0x40000000;
	out[n].eax = 0x40000000;
	memcpy(&out[n].ebx, "ring", 4);
	memcpy(&out[n].ecx, "vmri", 4);
	memcpy(&out[n].edx, "ngvm", 4);
	n++;

	host_leaf(0x80000000, 0, &out[n]);
	top = min_t(u32, out[n].eax, MAX_EXTENDED);
	for (fn = 0x80000000; fn <= top; fn++) {
		if (n >= max)
			return -E2BIG;
		host_leaf(fn, 0, &out[n]);
		filter(&out[n]);
		n++;
	}
	return n;
}

int ringvm_get_supported_cpuid(struct ringvm_cpuid __user *uc)
{
	struct ringvm_cpuid_entry *e;
	struct ringvm_cpuid hdr;
	int n, r = 0;

	if (copy_from_user(&hdr, uc, sizeof(hdr)))
		return -EFAULT;
	e = kcalloc(RINGVM_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = build_supported(e, RINGVM_MAX_CPUID_ENTRIES);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (hdr.nent < n) {
		r = -E2BIG;
		hdr.nent = n;
		if (put_user(hdr.nent, &uc->nent))
			r = -EFAULT;
		goto out;
	}
	hdr.nent = n;
	if (put_user(hdr.nent, &uc->nent) || copy_to_user(uc->entries, e, n * sizeof(*e)))
		r = -EFAULT;
out:
	kfree(e);
	return r;
}

/*
 * The XCR0 bits a guest may set: what its leaf 0xD.0 enumerates, within
 * what ringvm supports (never PKRU: the host's PKRU is not switched, and
 * a guest that cannot enable it in XCR0 or CR4 cannot change it), plus
 * x87, which XCR0 always has.
 */
static u64 guest_xcr0_allowed(const struct ringvm_cpuid_entry *e, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (e[i].function == 0xd && e[i].index == 0)
			return ((e[i].eax | ((u64)e[i].edx << 32)) & supported_xcr0()) |
			       XFEATURE_MASK_FP;
	return XFEATURE_MASK_FP;
}

/* CPUID.1:ECX.x2APIC[21]: without it IA32_APIC_BASE.EXTD is reserved (as KVM). */
static bool guest_has_x2apic(const struct ringvm_cpuid_entry *e, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (e[i].function == 1)
			return e[i].ecx & BIT(21);
	return false;
}

/* XSETBV's checks (SDM Vol. 1 13.3): any value failing one is #GP. */
bool ringvm_xcr0_valid(struct ringvm_vcpu *vcpu, u64 xcr0)
{
	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~vcpu->xcr0_allowed))
		return false;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return false;
	/* MPX's two components go together. */
	if (!(xcr0 & XFEATURE_MASK_BNDREGS) != !(xcr0 & XFEATURE_MASK_BNDCSR))
		return false;
	/* AVX-512: opmask, ZMM_Hi256 and Hi16_ZMM all or none, and only with AVX. */
	if ((xcr0 & XFEATURE_MASK_AVX512) &&
	    ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 || !(xcr0 & XFEATURE_MASK_YMM)))
		return false;
	/* AMX: tile config and tile data together. */
	if ((xcr0 & XFEATURE_MASK_XTILE) && (xcr0 & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		return false;
	return true;
}

int ringvm_set_cpuid(struct ringvm_vcpu *vcpu, struct ringvm_cpuid __user *uc)
{
	struct ringvm_cpuid_entry *e = NULL;
	struct ringvm_cpuid hdr;

	if (copy_from_user(&hdr, uc, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > RINGVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (hdr.nent) {
		e = memdup_user(uc->entries, hdr.nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = hdr.nent;
	vcpu->xcr0_allowed = guest_xcr0_allowed(e, hdr.nent);
	if (vcpu->lapic)
		ringvm_lapic_set_x2apic_allowed(vcpu, guest_has_x2apic(e, hdr.nent));
	return 0;
}

int ringvm_get_cpuid(struct ringvm_vcpu *vcpu, struct ringvm_cpuid __user *uc)
{
	struct ringvm_cpuid hdr;

	if (copy_from_user(&hdr, uc, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return put_user(vcpu->cpuid_nent, &uc->nent) ? -EFAULT : -E2BIG;
	if (put_user(vcpu->cpuid_nent, &uc->nent) ||
	    copy_to_user(uc->entries, vcpu->cpuid, vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

/* Size of the standard-format XSAVE area for the features in @xcr0. */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 512 + 64, eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

void ringvm_emulate_cpuid(struct ringvm_vcpu *vcpu)
{
	u32 fn = vcpu->regs[RV_RAX], idx = vcpu->regs[RV_RCX];
	struct ringvm_cpuid_entry out = { .function = fn, .index = idx };
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct ringvm_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == fn && (!(e->flags & SIGNIFICANT) || e->index == idx)) {
			out = *e;
			break;
		}
	}
	/* Fields that follow the vCPU, not the table. */
	if (fn == 1) {
		out.ecx &= ~L1_ECX_OSXSAVE;
		if (ringvm_read_cr4(vcpu) & X86_CR4_OSXSAVE)
			out.ecx |= L1_ECX_OSXSAVE;
		out.ebx = (out.ebx & 0x00ffffff) | (vcpu->id << 24);
	} else if ((fn == 0xb || fn == 0x1f) && i < vcpu->cpuid_nent) {
		out.edx = vcpu->id;
	} else if (fn == 0xd && idx == 0 && i < vcpu->cpuid_nent) {
		out.ebx = xsave_size(vcpu->xcr0);
	}
	vcpu->regs[RV_RAX] = out.eax;
	vcpu->regs[RV_RBX] = out.ebx;
	vcpu->regs[RV_RCX] = out.ecx;
	vcpu->regs[RV_RDX] = out.edx;
}
