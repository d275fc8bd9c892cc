/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers around the VMX instructions.  Each reports failure the way
 * the SDM defines it (CF=1: VMfailInvalid, ZF=1: VMfailValid with the
 * reason in VM_INSTRUCTION_ERROR) so callers can say what went wrong.
 */
#ifndef RINGVM_VMX_OPS_H
#define RINGVM_VMX_OPS_H

#include <linux/types.h>
#include <linux/bug.h>
#include <linux/printk.h>
#include <asm/asm.h>
#include <asm/vmx.h>

/*
 * A VMX instruction faulted (#UD or #GP): the reboot notifier turned VMX
 * off under a vCPU, which then fails with -EIO; anything else is a
 * ringvm bug (hardware.c).  The exception table sends the fault here
 * instead of oopsing, as KVM's kvm_spurious_fault() does.
 */
void ringvm_vmx_fault(const char *insn);

/*
 * VMXON, VMCLEAR, VMPTRLD: 0 on success, -EIO on VMfail (CF or ZF, the
 * reason in VM_INSTRUCTION_ERROR when ZF) or when the instruction faulted.
 */
#define RINGVM_VMX_PHYS_INSN(name)					\
static inline int name(u64 phys)					\
{									\
	asm volatile goto("1: " #name " %0\n\t"					\
		 "jna %l[fail]\n\t"					\
		 _ASM_EXTABLE(1b, (%l[fault]))				\
		 : : "m"(phys) : "cc", "memory" : fail, fault);		\
	return 0;							\
fail:									\
	return -EIO;							\
fault:									\
	ringvm_vmx_fault(__func__);					\
	return -EIO;							\
}

RINGVM_VMX_PHYS_INSN(vmxon)
RINGVM_VMX_PHYS_INSN(vmclear)
RINGVM_VMX_PHYS_INSN(vmptrld)

static inline void vmxoff(void)
{
	asm volatile goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, (%l[fault]))
		 : : : "cc", "memory" : fault);
	return;
fault:
	ringvm_vmx_fault(__func__);
}

/*
 * VMREAD/VMWRITE of a field that exists cannot fail while a VMCS is
 * current; a failure is a ringvm bug, reported with the field.  A fault
 * reads 0.
 */
static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;

	/* The kernel's wrapper: GCC mishandles asm goto with outputs otherwise. */
	asm_goto_output("1: vmread %1, %0\n\t"
			"jna %l[fail]\n\t"
			_ASM_EXTABLE(1b, (%l[fault]))
			: "=rm"(value) : "r"(field) : "cc" : fail, fault);
	return value;
fail:
	pr_err_ratelimited("ringvm: vmread 0x%lx failed\n", field);
	return 0;
fault:
	ringvm_vmx_fault(__func__);
	return 0;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	asm volatile goto("1: vmwrite %1, %0\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fault]))
		 : : "r"(field), "rm"(value) : "cc" : fail, fault);
	return;
fail:
	pr_err_ratelimited("ringvm: vmwrite 0x%lx=0x%lx failed (error %lu)\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
	return;
fault:
	ringvm_vmx_fault(__func__);
}

static __always_inline void vmcs_set_bits(unsigned long field, unsigned long bits)
{
	vmcs_write(field, vmcs_read(field) | bits);
}

static __always_inline void vmcs_clear_bits(unsigned long field, unsigned long bits)
{
	vmcs_write(field, vmcs_read(field) & ~bits);
}

struct ringvm_invept_desc {
	u64 eptp;
	u64 reserved;
};

struct ringvm_invvpid_desc {
	u64 vpid;
	u64 gva;
};

static inline int invept(unsigned long type, u64 eptp)
{
	struct ringvm_invept_desc d = { .eptp = eptp };

	asm volatile goto("1: invept %0, %1\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fault]))
		 : : "m"(d), "r"(type) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	ringvm_vmx_fault(__func__);
	return -EIO;
}

static inline int invvpid(unsigned long type, u16 vpid)
{
	struct ringvm_invvpid_desc d = { .vpid = vpid };

	asm volatile goto("1: invvpid %0, %1\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fault]))
		 : : "m"(d), "r"(type) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	ringvm_vmx_fault(__func__);
	return -EIO;
}

#endif /* RINGVM_VMX_OPS_H */
