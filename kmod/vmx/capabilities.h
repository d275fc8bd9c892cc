/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this CPU's VMX offers, read once at load, and the execution controls
 * ringvm runs every guest with.
 */
#ifndef RINGVM_CAPABILITIES_H
#define RINGVM_CAPABILITIES_H

#include <linux/types.h>

struct ringvm_vmx_caps {
	u32 revision_id;
	u32 vmcs_size;
	u32 pin;
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	bool vpid;
	bool invept_single;	/* else global */
	bool invvpid_single;
	u8 preemption_timer_shift;	/* the timer counts TSC >> shift */
	bool host_debugctl;		/* IA32_DEBUGCTL exists (not on every emulator) */
	/* Virtual NMIs and NMI-window exiting: what an in-kernel irqchip needs. */
	bool virtual_nmis;
};

extern struct ringvm_vmx_caps vmx_caps;

/* 0, or -ENODEV/-EIO after logging the single missing feature. */
int ringvm_read_vmx_caps(void);

#endif /* RINGVM_CAPABILITIES_H */
