// SPDX-License-Identifier: GPL-2.0
/*
 * Where a vCPU is loaded: its VMCS current on one host CPU, the preempt
 * notifier that moves it when the task moves, and the host state switched
 * lazily around the guest (syscall MSRs, FS/GS/LDT, DS/ES).
 *
 * The protocol, as KVM's vcpu_load()/vcpu_put():
 *
 *   ringvm_vcpu_load()   preempt off: register the notifier, VMPTRLD here
 *     ... preemptible: VMCS accesses are safe because sched_in VMPTRLDs
 *         the VMCS on whatever CPU the task lands on, and sched_out puts
 *         the host's syscall MSRs back before another task runs ...
 *     ringvm_prepare_switch_to_guest()  IRQs off, before each VM entry
 *   ringvm_vcpu_put()    preempt off: host MSRs back, unregister
 *
 * Registering and unregistering inside the same non-preemptible sections
 * as the load and the put leaves no instant where the task can move with
 * the VMCS or the guest's MSRs on the old CPU and nobody to follow it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/segment.h>

#include "capabilities.h"
#include "compat.h"
#include "hardware.h"
#include "spec.h"
#include "vcpu.h"
#include "vmx_ops.h"

static DEFINE_PER_CPU(void *, current_vmcs);

/* On the CPU where the VMCS is current (IPI, or that CPU leaving VMX). */
static void vcpu_clear(void *arg)
{
	struct ringvm_vcpu *vcpu = arg;

	if (vcpu->cpu != smp_processor_id())
		return;
	vmclear(__pa(vcpu->vmcs));
	if (this_cpu_read(current_vmcs) == vcpu->vmcs)
		this_cpu_write(current_vmcs, NULL);
	ringvm_untrack_loaded_vcpu(vcpu);
	vcpu->cpu = -1;
	vcpu->launched = false;
}

void ringvm_vcpu_clear_on_this_cpu(struct ringvm_vcpu *vcpu)
{
	vcpu_clear(vcpu);
}

/* VMCLEAR wherever the VMCS is current (vCPU destruction). */
void ringvm_vcpu_clear(struct ringvm_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vcpu_clear, vcpu, 1);
}

/* Preemption off: make the VMCS current on this CPU, VMCLEARing it where it was. */
static void load_on_this_cpu(struct ringvm_vcpu *vcpu)
{
	int cpu = smp_processor_id();
	bool migrated = vcpu->cpu != cpu;

	if (migrated && vcpu->cpu >= 0)
		smp_call_function_single(vcpu->cpu, vcpu_clear, vcpu, 1);

	if (this_cpu_read(current_vmcs) != vcpu->vmcs) {
		ringvm_spec_vmcs_switch();
		if (vmptrld(__pa(vcpu->vmcs)))
			pr_err_ratelimited("VMPTRLD failed for vCPU %u\n", vcpu->id);
		this_cpu_write(current_vmcs, vcpu->vmcs);
	}
	if (migrated) {
		unsigned long flags;

		local_irq_save(flags);
		ringvm_track_loaded_vcpu(vcpu);
		local_irq_restore(flags);
		vcpu->cpu = cpu;
		ringvm_vmcs_set_host_percpu(vcpu);
		/* This CPU may hold stale translations tagged with our VPID. */
		if (vmx_caps.vpid)
			invvpid(vmx_caps.invvpid_single ? VMX_VPID_EXTENT_SINGLE_CONTEXT :
				VMX_VPID_EXTENT_ALL_CONTEXT, vcpu->vpid);
	}
}

static bool has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID);
}

static void user_msrs_read(struct ringvm_user_msrs *m)
{
	rdmsrl(MSR_STAR, m->star);
	rdmsrl(MSR_LSTAR, m->lstar);
	rdmsrl(MSR_CSTAR, m->cstar);
	rdmsrl(MSR_SYSCALL_MASK, m->sfmask);
	rdmsrl(MSR_KERNEL_GS_BASE, m->kernel_gs_base);
	if (has_tsc_aux())
		rdmsrl(MSR_TSC_AUX, m->tsc_aux);
}

static void user_msrs_write(const struct ringvm_user_msrs *m)
{
	wrmsrl(MSR_STAR, m->star);
	wrmsrl(MSR_LSTAR, m->lstar);
	wrmsrl(MSR_CSTAR, m->cstar);
	wrmsrl(MSR_SYSCALL_MASK, m->sfmask);
	wrmsrl(MSR_KERNEL_GS_BASE, m->kernel_gs_base);
	if (has_tsc_aux())
		wrmsrl(MSR_TSC_AUX, m->tsc_aux);
}

static u16 read_ldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=g"(sel));
	return sel;
}

static void load_ldt_sel(u16 sel)
{
	asm volatile("lldt %0" : : "rm"(sel));
}

/*
 * VM exit loads FS and GS from the VMCS host fields, which must name this
 * task (whichever thread runs the vCPU, and after any context switch),
 * and a selector with RPL or TI set cannot go there: such selectors are
 * reloaded by hand at put, as is the LDT (VM exit leaves LDTR unusable).
 */
static void save_host_segments(struct ringvm_vcpu *vcpu)
{
	u16 fs_sel, gs_sel;
	u64 fs_base;

	savesegment(ds, vcpu->host_ds);
	savesegment(es, vcpu->host_es);
	savesegment(fs, fs_sel);
	savesegment(gs, gs_sel);
	vcpu->host_ldt_sel = read_ldt();
	if (fs_sel != vcpu->host_fs_sel) {
		vmcs_write(HOST_FS_SELECTOR, (fs_sel & 7) ? 0 : fs_sel);
		vcpu->host_fs_sel = fs_sel;
	}
	if (gs_sel != vcpu->host_gs_sel) {
		vmcs_write(HOST_GS_SELECTOR, (gs_sel & 7) ? 0 : gs_sel);
		vcpu->host_gs_sel = gs_sel;
	}
	rdmsrl(MSR_FS_BASE, fs_base);
	if (fs_base != vcpu->host_fs_base) {
		vmcs_write(HOST_FS_BASE, fs_base);
		vcpu->host_fs_base = fs_base;
	}
}

/*
 * IRQs off, VMCS current: before a VM entry.  Once per stay on a CPU the
 * host's syscall MSRs are saved and the guest's loaded (the host kernel
 * never uses them in ring 0); sched_out or the put undoes it.
 */
void ringvm_prepare_switch_to_guest(struct ringvm_vcpu *vcpu)
{
	if (vcpu->guest_state_loaded)
		return;
	save_host_segments(vcpu);
	user_msrs_read(&vcpu->host_msrs);
	user_msrs_write(&vcpu->guest_msrs);
	vcpu->guest_state_loaded = true;
}

/*
 * Preemption off.  Puts back what the host's user mode relies on; the
 * guest wrote KERNEL_GS_BASE directly (it is not intercepted), so read it.
 */
static void switch_to_host(struct ringvm_vcpu *vcpu)
{
	struct desc_ptr gdt;

	if (!vcpu->guest_state_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->guest_msrs.kernel_gs_base);
	if (vcpu->host_ldt_sel || (vcpu->host_gs_sel & 7)) {
		if (vcpu->host_ldt_sel)
			load_ldt_sel(vcpu->host_ldt_sel);
		/* Clobbers KERNEL_GS_BASE: written back below. */
		load_gs_index(vcpu->host_gs_sel);
	}
	if (vcpu->host_fs_sel & 7)
		loadsegment(fs, vcpu->host_fs_sel);
	user_msrs_write(&vcpu->host_msrs);
	loadsegment(ds, vcpu->host_ds);
	loadsegment(es, vcpu->host_es);
	/* VM exit left GDTR.limit at 0xffff and TR.limit at 0x67. */
	native_store_gdt(&gdt);
	gdt.size = GDT_SIZE - 1;
	native_load_gdt(&gdt);
	invalidate_tss_limit();
	vcpu->guest_state_loaded = false;
}

static void vcpu_sched_in(struct preempt_notifier *pn, int cpu)
{
	load_on_this_cpu(container_of(pn, struct ringvm_vcpu, pn));
}

static void vcpu_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	switch_to_host(container_of(pn, struct ringvm_vcpu, pn));
}

static struct preempt_ops ringvm_preempt_ops = {
	.sched_in = vcpu_sched_in,
	.sched_out = vcpu_sched_out,
};

void ringvm_vcpu_loaded_init(struct ringvm_vcpu *vcpu)
{
	vcpu->cpu = -1;
	INIT_LIST_HEAD(&vcpu->loaded_link);
	preempt_notifier_init(&vcpu->pn, &ringvm_preempt_ops);
	/* Differ from any real selector or base, so the first prepare writes them. */
	vcpu->host_fs_sel = 0xffff;
	vcpu->host_gs_sel = 0xffff;
	vcpu->host_fs_base = ~0ull;
}

void ringvm_vcpu_load(struct ringvm_vcpu *vcpu)
{
	preempt_disable();
	preempt_notifier_register(&vcpu->pn);
	load_on_this_cpu(vcpu);
	preempt_enable();
}

void ringvm_vcpu_put(struct ringvm_vcpu *vcpu)
{
	preempt_disable();
	switch_to_host(vcpu);
	preempt_notifier_unregister(&vcpu->pn);
	preempt_enable();
}

/*
 * A lazily switched MSR, from a guest RDMSR/WRMSR exit or the MSR ioctls.
 * Preemption off, so that "loaded" and the CPU the access reaches agree:
 * otherwise a write could land on a CPU that already switched back (and
 * become its host value) and a read could return the host's.  Only
 * KERNEL_GS_BASE, which the guest writes without an exit, needs reading.
 */
u64 ringvm_read_user_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *shadow)
{
	u64 v;

	preempt_disable();
	if (index == MSR_KERNEL_GS_BASE && vcpu->guest_state_loaded)
		rdmsrl(index, *shadow);
	v = *shadow;
	preempt_enable();
	return v;
}

void ringvm_write_user_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *shadow, u64 data)
{
	preempt_disable();
	*shadow = data;
	if (vcpu->guest_state_loaded && (index != MSR_TSC_AUX || has_tsc_aux()))
		wrmsrl(index, data);
	preempt_enable();
}
