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
#include <asm/vmx.h>

/* 0 on success, -EIO on VMfail.  "cc" catches both CF and ZF. */
#define RINGVM_VMX_INSN(insn, operand)					\
({									\
	bool __fail;							\
	asm volatile(insn " %1; setna %0"				\
		     : "=qm"(__fail) : operand : "cc", "memory");	\
	__fail ? -EIO : 0;						\
})

static inline int vmxon(u64 phys)
{
	return RINGVM_VMX_INSN("vmxon", "m"(phys));
}

static inline void vmxoff(void)
{
	asm volatile("vmxoff" ::: "cc", "memory");
}

static inline int vmclear(u64 phys)
{
	return RINGVM_VMX_INSN("vmclear", "m"(phys));
}

static inline int vmptrld(u64 phys)
{
	return RINGVM_VMX_INSN("vmptrld", "m"(phys));
}

/*
 * VMREAD/VMWRITE of a field that exists cannot fail while a VMCS is
 * current; a failure is a ringvm bug, reported once with the field.
 */
static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long value;
	bool fail;

	asm volatile("vmread %2, %1; setna %0"
		     : "=qm"(fail), "=rm"(value) : "r"(field) : "cc");
	if (unlikely(fail))
		pr_err_ratelimited("ringvm: vmread 0x%lx failed\n", field);
	return value;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %2, %1; setna %0"
		     : "=qm"(fail) : "r"(field), "rm"(value) : "cc");
	if (unlikely(fail))
		pr_err_ratelimited("ringvm: vmwrite 0x%lx=0x%lx failed (error %lu)\n",
				   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
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
	bool fail;

	asm volatile("invept %1, %2; setna %0"
		     : "=qm"(fail) : "m"(d), "r"(type) : "cc", "memory");
	return fail ? -EIO : 0;
}

static inline int invvpid(unsigned long type, u16 vpid)
{
	struct ringvm_invvpid_desc d = { .vpid = vpid };
	bool fail;

	asm volatile("invvpid %1, %2; setna %0"
		     : "=qm"(fail) : "m"(d), "r"(type) : "cc", "memory");
	return fail ? -EIO : 0;
}

#endif /* RINGVM_VMX_OPS_H */
