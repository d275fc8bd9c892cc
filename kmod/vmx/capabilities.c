// SPDX-License-Identifier: GPL-2.0
/*
 * VMX capability discovery.  ringvm requires EPT with a 4-level walk and
 * write-back paging structures, unrestricted guest (guests start in real
 * mode without emulation), and the EFER/PAT load and save controls; VPID
 * is used when present.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/page.h>
#include <asm/vmx.h>

#include "capabilities.h"

/* IA32_VMX_BASIC (SDM Vol. 3 A.1). */
#define RV_BASIC_SIZE(b)	(((b) >> 32) & 0x1fff)
#define RV_BASIC_MEMTYPE(b)	(((b) >> 50) & 0xf)
#define RV_BASIC_TRUE_CTLS	BIT_ULL(55)
#define RV_MEMTYPE_WB		6

struct ringvm_vmx_caps vmx_caps;

/*
 * Each control MSR gives allowed-0 settings in its low half (bits that
 * must be 1) and allowed-1 settings in its high half (bits that may be 1).
 */
static int adjust_controls(const char *what, u32 required, u32 optional,
			   u32 msr, u32 *result)
{
	u32 must, may, missing;

	rdmsr(msr, must, may);
	missing = required & ~may;
	if (missing) {
		pr_err("CPU lacks VMX %s controls 0x%x: not loading\n", what, missing);
		return -ENODEV;
	}
	*result = ((required | optional) & may) | must;
	return 0;
}

int ringvm_read_vmx_caps(void)
{
	u64 basic;
	bool true_ctls;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_caps.revision_id = (u32)basic & 0x7fffffff;
	vmx_caps.vmcs_size = RV_BASIC_SIZE(basic);
	if (vmx_caps.vmcs_size > PAGE_SIZE ||
	    RV_BASIC_MEMTYPE(basic) != RV_MEMTYPE_WB) {
		pr_err("unsupported VMCS (size %u, memory type %llu): not loading\n",
		       vmx_caps.vmcs_size, RV_BASIC_MEMTYPE(basic));
		return -ENODEV;
	}
	true_ctls = basic & RV_BASIC_TRUE_CTLS;

	/*
	 * Host interrupts and NMIs always exit so the host keeps control;
	 * virtual NMIs keep NMI blocking exact when one is injected.
	 */
	r = adjust_controls("pin-based",
			    PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
			    PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER,
			    true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
					MSR_IA32_VMX_PINBASED_CTLS,
			    &vmx_caps.pin);
	if (r)
		return r;

	/*
	 * All port I/O exits (the VMM emulates every device); MSR bitmaps let
	 * FS/GS base and friends run without exits; debug registers are
	 * shadowed so the guest never touches the host's.
	 */
	r = adjust_controls("processor-based",
			    CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
			    CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MOV_DR_EXITING |
			    CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
			    CPU_BASED_RDPMC_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
			    CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
			    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			    0,
			    true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					MSR_IA32_VMX_PROCBASED_CTLS,
			    &vmx_caps.proc);
	if (r)
		return r;
	if (vmx_caps.proc & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
			     CPU_BASED_INVLPG_EXITING))
		pr_info("CPU forces CR3/INVLPG exiting; they will be handled\n");

	r = adjust_controls("secondary",
			    SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST,
			    SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
			    SECONDARY_EXEC_ENABLE_INVPCID,
			    MSR_IA32_VMX_PROCBASED_CTLS2, &vmx_caps.proc2);
	if (r)
		return r;

	/*
	 * The guest's DR7 and DEBUGCTL come from the VMCS at entry and go
	 * back to it at exit; without that it runs under the host's, and its
	 * own breakpoints never fire.
	 */
	r = adjust_controls("VM-exit",
			    VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
			    VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
			    VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_DEBUG_CONTROLS,
			    0,
			    true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			    &vmx_caps.exit);
	if (r)
		return r;

	r = adjust_controls("VM-entry",
			    VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
			    VM_ENTRY_LOAD_DEBUG_CONTROLS, 0,
			    true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			    &vmx_caps.entry);
	if (r)
		return r;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_caps.ept_vpid);
	if (!(vmx_caps.ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(vmx_caps.ept_vpid & VMX_EPTP_WB_BIT) ||
	    !(vmx_caps.ept_vpid & VMX_EPT_INVEPT_BIT)) {
		pr_err("CPU lacks 4-level write-back EPT with INVEPT: not loading\n");
		return -ENODEV;
	}
	vmx_caps.invept_single = vmx_caps.ept_vpid & VMX_EPT_EXTENT_CONTEXT_BIT;
	{
		u64 procbased;

		/* NMI-window exiting is not in the controls ringvm always sets. */
		rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
		       MSR_IA32_VMX_PROCBASED_CTLS, procbased);
		vmx_caps.virtual_nmis = (vmx_caps.pin & PIN_BASED_VIRTUAL_NMIS) &&
			((procbased >> 32) & CPU_BASED_NMI_WINDOW_EXITING);
	}
	vmx_caps.vpid = (vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
			(vmx_caps.ept_vpid & (VMX_VPID_INVVPID_BIT << 32));
	vmx_caps.invvpid_single = vmx_caps.ept_vpid &
				  (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT << 32);
	if (!vmx_caps.vpid)
		vmx_caps.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	if (vmx_caps.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc;

		rdmsrl(MSR_IA32_VMX_MISC, misc);
		vmx_caps.preemption_timer_shift = misc & 0x1f;
	}

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_caps.cr4_fixed1);
	return 0;
}
