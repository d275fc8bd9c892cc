// SPDX-License-Identifier: GPL-2.0
/*
 * VMXON/VMXOFF on every online CPU, CPU hotplug, suspend and reboot.
 *
 * The reference count is the number of live VMs.  CR4.VMXE already set on
 * a CPU means another hypervisor (kvm-intel) is in VMX operation there:
 * ringvm then refuses with -EBUSY rather than sharing the CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>

#include "capabilities.h"
#include "compat.h"
#include "hardware.h"
#include "vcpu.h"
#include "vmx_ops.h"

struct ringvm_cpu {
	void *vmxon_region;
	bool on;
	struct list_head loaded;	/* ringvm_vcpu.loaded_link */
};

static DEFINE_PER_CPU(struct ringvm_cpu, ringvm_cpus);
static DEFINE_MUTEX(hw_lock);
static unsigned int hw_users;
/*
 * Set once by the reboot notifier, never cleared: VMX is off on every
 * CPU from then on, and a VMX instruction a vCPU thread was about to run
 * faults into ringvm_vmx_fault() instead of oopsing.
 */
static bool hw_rebooting;
static enum cpuhp_state hp_state;

static int enable_this_cpu(void)
{
	struct ringvm_cpu *c = this_cpu_ptr(&ringvm_cpus);
	u64 feat;

	if (c->on)
		return 0;
	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;
	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) || !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX))
		return -ENODEV;

	*(u32 *)c->vmxon_region = vmx_caps.revision_id;
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	if (vmxon(__pa(c->vmxon_region))) {
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
		return -EIO;
	}
	c->on = true;
	return 0;
}

static void disable_this_cpu(void)
{
	struct ringvm_cpu *c = this_cpu_ptr(&ringvm_cpus);
	struct ringvm_vcpu *vcpu, *tmp;

	if (!c->on)
		return;
	list_for_each_entry_safe(vcpu, tmp, &c->loaded, loaded_link)
		ringvm_vcpu_clear_on_this_cpu(vcpu);
	vmxoff();
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	c->on = false;
}

static void enable_ipi(void *failed)
{
	int r = enable_this_cpu();

	if (r)
		atomic_cmpxchg((atomic_t *)failed, 0, r);
}

static void disable_ipi(void *unused)
{
	disable_this_cpu();
}

int ringvm_hardware_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	mutex_lock(&hw_lock);
	if (hw_rebooting) {
		r = -EBUSY;
		goto out;
	}
	if (hw_users++)
		goto out;
	cpus_read_lock();
	on_each_cpu(enable_ipi, &failed, 1);
	r = atomic_read(&failed);
	if (r) {
		on_each_cpu(disable_ipi, NULL, 1);
		hw_users = 0;
	}
	cpus_read_unlock();
	if (r == -EBUSY)
		pr_warn("another hypervisor (kvm-intel?) holds VMX on this host: unload it or stop its VMs\n");
	else if (r == -ENODEV)
		pr_warn("firmware left VMX disabled in IA32_FEATURE_CONTROL\n");
	else if (r)
		pr_err("VMXON failed\n");
out:
	mutex_unlock(&hw_lock);
	return r;
}

void ringvm_hardware_put(void)
{
	mutex_lock(&hw_lock);
	if (hw_users && !--hw_users) {
		cpus_read_lock();
		on_each_cpu(disable_ipi, NULL, 1);
		cpus_read_unlock();
	}
	mutex_unlock(&hw_lock);
}

void ringvm_vmx_fault(const char *insn)
{
	WARN_ONCE(!READ_ONCE(hw_rebooting), "ringvm: %s faulted with VMX on\n", insn);
}

/* Interrupts off: VM entry may go ahead on this CPU (not after reboot began). */
bool ringvm_vmx_on_this_cpu(void)
{
	return this_cpu_ptr(&ringvm_cpus)->on;
}

/* Called with interrupts off on the CPU the VMCS was just made current on. */
void ringvm_track_loaded_vcpu(struct ringvm_vcpu *vcpu)
{
	list_add(&vcpu->loaded_link, &this_cpu_ptr(&ringvm_cpus)->loaded);
}

void ringvm_untrack_loaded_vcpu(struct ringvm_vcpu *vcpu)
{
	list_del_init(&vcpu->loaded_link);
}

/* Hotplug callbacks run on the CPU coming or going; hw_users is stable under them. */
static int ringvm_cpu_online(unsigned int cpu)
{
	int r = 0;

	if (hw_users && !READ_ONCE(hw_rebooting)) {
		local_irq_disable();
		r = enable_this_cpu();
		local_irq_enable();
		if (r)
			pr_err("cannot enable VMX on CPU %u coming online: %d\n", cpu, r);
	}
	return r;
}

static int ringvm_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	disable_this_cpu();
	local_irq_enable();
	return 0;
}

/*
 * A reboot must not leave CPUs in VMX operation (INIT is blocked there).
 * vCPUs may still be running: each one's next VM entry sees VMX off on
 * its CPU (checked with interrupts off, so this IPI cannot come between)
 * and RINGVM_RUN fails with -EIO; VMX instructions caught by the IPI
 * halfway fault and are fixed up (vmx_ops.h).
 */
static int ringvm_reboot(struct notifier_block *nb, unsigned long code, void *unused)
{
	mutex_lock(&hw_lock);
	WRITE_ONCE(hw_rebooting, true);
	if (hw_users)
		on_each_cpu(disable_ipi, NULL, 1);
	mutex_unlock(&hw_lock);
	return NOTIFY_OK;
}

/*
 * Suspend: the other CPUs went offline already (ringvm_cpu_offline), user
 * tasks are frozen outside RINGVM_RUN, interrupts are off.  The CPU loses
 * VMX operation and the VMCS cache in S3, so VMCLEAR and VMXOFF now and
 * VMXON again at resume; vCPUs VMLAUNCH afresh on their next run.
 * hw_users cannot change: every task that could change it is frozen.
 */
static int ringvm_suspend(void)
{
	if (hw_users)
		disable_this_cpu();
	return 0;
}

static void ringvm_resume(void)
{
	int r;

	if (!hw_users || READ_ONCE(hw_rebooting))
		return;
	r = enable_this_cpu();
	if (r)
		pr_err("cannot enable VMX again after resume: %d\n", r);
}

RINGVM_DEFINE_SYSCORE(ringvm_syscore, ringvm_suspend, ringvm_resume);

static struct notifier_block ringvm_reboot_nb = {
	.notifier_call = ringvm_reboot,
};

static void free_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ringvm_cpu *c = per_cpu_ptr(&ringvm_cpus, cpu);

		free_page((unsigned long)c->vmxon_region);
		c->vmxon_region = NULL;
	}
}

int ringvm_hardware_init(void)
{
	int cpu, r;

	for_each_possible_cpu(cpu) {
		struct ringvm_cpu *c = per_cpu_ptr(&ringvm_cpus, cpu);

		INIT_LIST_HEAD(&c->loaded);
		c->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!c->vmxon_region) {
			free_regions();
			return -ENOMEM;
		}
	}
	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "ringvm:online",
				      ringvm_cpu_online, ringvm_cpu_offline);
	if (r < 0) {
		free_regions();
		return r;
	}
	hp_state = r;
	register_reboot_notifier(&ringvm_reboot_nb);
	ringvm_register_syscore(&ringvm_syscore);
	return 0;
}

void ringvm_hardware_exit(void)
{
	ringvm_unregister_syscore(&ringvm_syscore);
	unregister_reboot_notifier(&ringvm_reboot_nb);
	cpuhp_remove_state_nocalls(hp_state);
	free_regions();
}
