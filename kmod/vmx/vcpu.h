/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtual CPU: its VMCS, the guest state VMX does not keep in the VMCS,
 * and what an exit left for userspace to finish.
 */
#ifndef RINGVM_VCPU_H
#define RINGVM_VCPU_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/processor-flags.h>
#include <linux/ringvm.h>

struct ringvm_vm;
struct ringvm_lapic;

/* GPR slots in x86 encoding order, so ModRM register numbers index them. */
enum ringvm_reg {
	RV_RAX, RV_RCX, RV_RDX, RV_RBX, RV_RSP, RV_RBP, RV_RSI, RV_RDI,
	RV_R8, RV_R9, RV_R10, RV_R11, RV_R12, RV_R13, RV_R14, RV_R15,
	RV_NR_REGS
};

#define RINGVM_NR_EXIT_REASONS	80

/* CR0 bits the guest changes without an exit; every other write traps. */
#define RV_GUEST_OWNED_CR0	(X86_CR0_TS | X86_CR0_MP)
/* CR4 bits the guest owns: none affects host safety or what we shadow. */
#define RV_GUEST_OWNED_CR4	(X86_CR4_PVI | X86_CR4_DE | X86_CR4_PCE | X86_CR4_OSFXSR | \
				 X86_CR4_OSXMMEXCPT | X86_CR4_PGE | X86_CR4_TSD | \
				 X86_CR4_FSGSBASE)

/* What the next RINGVM_RUN must finish before entering the guest. */
enum ringvm_pending_completion {
	RV_COMPLETE_NONE,
	RV_COMPLETE_PIO_IN,	/* copy run->io data to AL/AX/EAX or memory */
	RV_COMPLETE_MMIO_READ,	/* run the MMIO instruction again with run->mmio.data */
	RV_COMPLETE_SKIP,	/* only advance RIP (OUT, MMIO write, HLT) */
};

/* The MMIO instruction being emulated (mmio.c), kept to run again on completion. */
struct ringvm_mmio_completion {
	u64 gpa;		/* the access the EPT violation reported */
	u64 read_gpa;		/* the device read userspace is answering */
	u8 read_size;
	u8 nbytes;		/* instruction bytes fetched */
	u8 bytes[15];
};

struct ringvm_user_msrs {
	u64 star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
};

struct ringvm_vcpu {
	struct ringvm_vm *vm;
	unsigned int id;
	struct mutex mutex;		/* one ioctl at a time */
	struct ringvm_run *run;		/* page 0 of the vCPU mapping */
	void *pio_data;			/* page 1: string I/O data */

	void *vmcs;
	int cpu;			/* where the VMCS is current, -1 if nowhere */
	bool launched;
	struct list_head loaded_link;	/* per-CPU list, hardware.c */
	u16 vpid;
	bool flush_tlb;			/* INVVPID before the next entry (regs.c) */
	struct preempt_notifier pn;
	struct ringvm_entry_work *entry_work;	/* entry_work.c */

	/* Guest state the VMCS does not hold. */
	unsigned long regs[RV_NR_REGS];	/* RSP lives in the VMCS */
	u64 cr0, cr4, cr8, efer;	/* as the guest sees them */
	u64 cr2;
	/*
	 * MOV DR always exits; DR7 is also in the VMCS, DR0-3 are loaded
	 * while DR7 arms one, DR6 is updated by hand at each #DB (exits.c).
	 */
	u64 dr[4], dr6, dr7;
	u64 xcr0;
	u64 xcr0_allowed;		/* by the guest's CPUID leaf 0xD (cpuid.c) */
	struct ringvm_user_msrs guest_msrs;
	struct ringvm_user_msrs host_msrs;
	bool guest_state_loaded;	/* guest's syscall MSRs on this CPU (loaded.c) */
	u64 misc_enable, apic_base, tsc_offset, tsc_adjust;
	u64 mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
	struct fpu_guest fpu;

	struct ringvm_cpuid_entry *cpuid;
	u32 cpuid_nent;

	/* Events to deliver at the next entry. */
	u32 idt_vectoring;		/* an event the last exit interrupted */
	u32 idt_vectoring_error;
	u32 idt_vectoring_len;
	/*
	 * An acknowledged external interrupt (RINGVM_INTERRUPT's, the PIC's
	 * INTA cycle's, or one whose delivery an exit cut short), for the
	 * first entry the guest can take it; or -1.  SREGS.interrupt_bitmap
	 * shows it.
	 */
	int pending_irq;
	bool pending_irq_apic;		/* the APIC's, in its ISR (kept while injected) */
	int injected_irq;		/* pending_irq as the last entry injected it, or -1 */
	bool exception_pending;
	u8 exception_vector;
	bool exception_has_error;
	u32 exception_error;

	/* With an in-kernel irqchip (vlapic.c); vCPU thread only. */
	struct ringvm_lapic *lapic;	/* NULL without one */
	bool nmi_pending;
	bool halted;			/* in HLT, waiting in the kernel */
	u32 mp_state;			/* RINGVM_MP_STATE_*; HALTED is @halted */

	enum ringvm_pending_completion completion;
	struct {		/* the IN or INS userspace is answering */
		bool string;
		u8 size;
		u32 count;
		u64 dst;	/* guest-linear destination of INS */
		bool down;	/* EFLAGS.DF */
	} pio;
	struct ringvm_mmio_completion mmio;
	u8 insn_len;			/* of the instruction userspace is finishing */

	/* Host state saved at entry, restored lazily at put (loaded.c). */
	u16 host_ds, host_es, host_fs_sel, host_gs_sel, host_ldt_sel;
	u64 host_fs_base;		/* as in the VMCS host field */
	unsigned long host_cr3, host_cr4;
	u64 host_debugctl;

	u64 exits[RINGVM_NR_EXIT_REASONS];
	u64 userspace_exits;
};

int ringvm_vcpu_create(struct ringvm_vm *vm, unsigned long id);
void ringvm_vcpu_destroy(struct ringvm_vcpu *vcpu);

/* DR7: local and global enables of DR0-3; general detect. */
#define RV_DR7_BP_EN	0xffULL
#define RV_DR7_GD	BIT_ULL(13)
/* DR6: debug-register access detected. */
#define RV_DR6_BD	BIT_ULL(13)

/* loaded.c: where the vCPU is loaded, and the host state switched around it. */
void ringvm_vcpu_loaded_init(struct ringvm_vcpu *vcpu);
/* VMCLEAR on this CPU because it leaves VMX operation (hardware.c). */
void ringvm_vcpu_clear_on_this_cpu(struct ringvm_vcpu *vcpu);
/* VMCLEAR wherever the VMCS is current. */
void ringvm_vcpu_clear(struct ringvm_vcpu *vcpu);
/*
 * Between load and put (both from preemptible context) the VMCS is current
 * on whatever CPU the task runs on: the preempt notifier follows it.
 */
void ringvm_vcpu_load(struct ringvm_vcpu *vcpu);
void ringvm_vcpu_put(struct ringvm_vcpu *vcpu);
/* IRQs off, before VM entry: the guest's syscall MSRs, this task's FS/GS. */
void ringvm_prepare_switch_to_guest(struct ringvm_vcpu *vcpu);
/* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC_AUX, with preemption off. */
u64 ringvm_read_user_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *shadow);
void ringvm_write_user_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *shadow, u64 data);

/* vmcs_setup.c */
int ringvm_vmcs_init(struct ringvm_vcpu *vcpu);
void ringvm_vmcs_set_host_percpu(struct ringvm_vcpu *vcpu);
void ringvm_vcpu_reset_state(struct ringvm_vcpu *vcpu);

/* regs.c: the register ioctls and the CR0/CR4/EFER rules behind them. */
void ringvm_get_regs(struct ringvm_vcpu *vcpu, struct ringvm_regs *regs);
void ringvm_set_regs(struct ringvm_vcpu *vcpu, const struct ringvm_regs *regs);
void ringvm_get_sregs(struct ringvm_vcpu *vcpu, struct ringvm_sregs *sregs);
int ringvm_set_sregs(struct ringvm_vcpu *vcpu, const struct ringvm_sregs *sregs);
int ringvm_set_cr0(struct ringvm_vcpu *vcpu, u64 val);
int ringvm_set_cr4(struct ringvm_vcpu *vcpu, u64 val);
int ringvm_set_efer(struct ringvm_vcpu *vcpu, u64 val);
u64 ringvm_read_cr0(struct ringvm_vcpu *vcpu);
u64 ringvm_read_cr4(struct ringvm_vcpu *vcpu);
void ringvm_skip_insn(struct ringvm_vcpu *vcpu, unsigned int len);

/* run.c */
int ringvm_vcpu_run(struct ringvm_vcpu *vcpu);
void ringvm_queue_exception(struct ringvm_vcpu *vcpu, u8 vector, bool has_error, u32 error);

/* exits.c: > 0 re-enter, 0 exit to userspace (run filled in), < 0 error */
int ringvm_handle_exit(struct ringvm_vcpu *vcpu, u32 exit_reason);

/* msr.c */
int ringvm_get_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int ringvm_set_msr(struct ringvm_vcpu *vcpu, u32 index, u64 data, bool host);
extern const u32 ringvm_msr_index_list[];
extern const unsigned int ringvm_msr_index_count;
void ringvm_msr_bitmap_init(unsigned long *bitmap);

/* cpuid.c */
int ringvm_get_supported_cpuid(struct ringvm_cpuid __user *uc);
int ringvm_set_cpuid(struct ringvm_vcpu *vcpu, struct ringvm_cpuid __user *uc);
int ringvm_get_cpuid(struct ringvm_vcpu *vcpu, struct ringvm_cpuid __user *uc);
void ringvm_emulate_cpuid(struct ringvm_vcpu *vcpu);
bool ringvm_xcr0_valid(struct ringvm_vcpu *vcpu, u64 xcr0);

/* Shared, read-only after load. */
extern u64 ringvm_host_xcr0;
extern u32 ringvm_preemption_ticks;	/* VMX preemption timer per entry */
extern unsigned long *ringvm_msr_bitmap;

#endif /* RINGVM_VCPU_H */
