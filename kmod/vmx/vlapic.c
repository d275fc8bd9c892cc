// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU when the VM has an in-kernel irqchip: the
 * model's ops (kicks, NMI/INIT/SIPI, the timer on an hrtimer), what the
 * run loop injects, HLT waiting in the kernel, the xAPIC page and the I/O
 * APIC as MMIO the kernel answers, the PIC's ports, the APIC MSRs and
 * GET/SET_LAPIC.
 *
 * Concurrency.  Other contexts (the I/O APIC, IPIs from other vCPUs, the
 * hrtimer, irqfds) only set IRR bits (atomically, in the model) or post
 * RV_EV_* bits, then kick.  Everything else belongs to the vCPU thread.
 * A kick wakes the vCPU thread if it waits in HLT and, if it is in guest
 * mode on another CPU, sends that CPU an IPI, which exits the guest.  The
 * vCPU thread marks itself in guest mode with interrupts off and only then
 * looks at the events and the IRR for the last time before entry (a full
 * barrier between), so an event posted after that look finds it marked
 * and the IPI arrives while interrupts are off: the exit comes right after
 * the entry.  Wherever the thread migrates between kick and entry, the
 * last look happens on the CPU that enters.
 */
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/irq_vectors.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "apicv.h"
#include "capabilities.h"
#include "compat.h"
#include "irq.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

static struct ringvm_lapic *to_vlapic(struct rv_lapic *apic)
{
	return container_of(apic, struct ringvm_lapic, apic);
}

static void kick(void *ctx)
{
	struct ringvm_lapic *l = ctx;
	int cpu, me;

	/* Pairs with the barrier in ringvm_lapic_enter(): the event before in_guest. */
	smp_mb();
	me = get_cpu();
	/*
	 * in_guest first, then the CPU it was set on: read the other way, a
	 * vCPU that left CPU A and entered again on B could be seen as "in
	 * guest on A", and the IPI would miss it.  (Preemption is off: the
	 * CPU read cannot go offline under us; it may have gone before.)
	 */
	if (READ_ONCE(l->in_guest)) {
		/* Pairs with the smp_wmb() in ringvm_lapic_enter(). */
		smp_rmb();
		cpu = READ_ONCE(l->cpu);
		if (cpu != me && cpu >= 0 && cpu_online(cpu))
			ringvm_send_reschedule(cpu);
	}
	put_cpu();
	wake_up_interruptible(&l->wq);
}

static void post(struct ringvm_lapic *l, int event)
{
	set_bit(event, &l->events);
	kick(l);
}

static void op_nmi(void *ctx)
{
	post(ctx, RV_EV_NMI);
}

static void op_init(void *ctx)
{
	post(ctx, RV_EV_INIT);
}

static void op_sipi(void *ctx, u8 vector)
{
	struct ringvm_lapic *l = ctx;

	WRITE_ONCE(l->sipi_vector, vector);
	/* The vector before the event bit; the vCPU reads them in the other order. */
	smp_mb__before_atomic();
	post(l, RV_EV_SIPI);
}

static void op_eoi_broadcast(void *ctx, u8 vector)
{
	struct ringvm_lapic *l = ctx;

	rv_ioapic_eoi(&l->irq->chip.ioapic, vector);
}

static void op_send_ipi(void *ctx, const struct rv_apic_msg *msg)
{
	struct ringvm_lapic *l = ctx;

	rv_irqchip_deliver(&l->irq->chip, msg, &l->apic);
}

static u64 op_now_ns(void *ctx)
{
	return ktime_get_ns();
}

/* Only from the vCPU thread (a TSC_DEADLINE write): its vCPU is there. */
static u64 op_guest_tsc(void *ctx)
{
	struct ringvm_lapic *l = ctx;

	return rdtsc() + l->vcpu->tsc_offset;
}

static void op_timer_arm(void *ctx, u64 expires_ns)
{
	struct ringvm_lapic *l = ctx;

	hrtimer_start(&l->timer, ns_to_ktime(expires_ns), HRTIMER_MODE_ABS);
}

/* Waits for a running callback, so no stale expiry is posted after. */
static void op_timer_cancel(void *ctx)
{
	struct ringvm_lapic *l = ctx;

	hrtimer_cancel(&l->timer);
	clear_bit(RV_EV_TIMER, &l->events);
}

static const struct rv_lapic_ops lapic_ops = {
	.kick = kick,
	.nmi = op_nmi,
	.init = op_init,
	.sipi = op_sipi,
	.eoi_broadcast = op_eoi_broadcast,
	.send_ipi = op_send_ipi,
	.now_ns = op_now_ns,
	.guest_tsc = op_guest_tsc,
	.timer_arm = op_timer_arm,
	.timer_cancel = op_timer_cancel,
};

/* Hard-interrupt context: only post; the vCPU thread runs the model. */
static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	post(container_of(t, struct ringvm_lapic, timer), RV_EV_TIMER);
	return HRTIMER_NORESTART;
}

/*
 * At vCPU creation, under vm->lock with the VM's irqchip present: the
 * vCPU's APIC, new (joining the APIC bus) or, for an id used before,
 * taken back and reset.
 */
int ringvm_lapic_attach(struct ringvm_vcpu *vcpu)
{
	struct ringvm_irq *irq = ringvm_to_irq(vcpu->vm->irqchip);
	struct ringvm_lapic *l = irq->lapics[vcpu->id];
	int r;

	if (l) {
		hrtimer_cancel(&l->timer);
		l->events = 0;
		rv_lapic_reset(&l->apic, vcpu->id == 0);
		goto out;
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->page = (u32 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!l->page) {
		kfree(l);
		return -ENOMEM;
	}
	l->irq = irq;
	l->cpu = -1;
	init_waitqueue_head(&l->wq);
	ringvm_hrtimer_setup(&l->timer, timer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	rv_lapic_init(&l->apic, l->page, vcpu->id, vcpu->id == 0, &lapic_ops, l);
	/* Until RINGVM_SET_CPUID says x2APIC, as KVM: no CPUID, no x2APIC mode. */
	l->apic.x2apic_allowed = false;
	/* Before the APIC joins the bus: senders read it without a lock. */
	l->apic.posted = ringvm_apicv_vid() ? l->posted : NULL;
	l->apic.maxphyaddr = boot_cpu_data.x86_phys_bits;
	l->apic.tsc_khz = tsc_khz;
	r = rv_irqchip_add_lapic(&irq->chip, &l->apic);
	if (r) {
		free_page((unsigned long)l->page);
		kfree(l);
		return r;
	}
	irq->lapics[vcpu->id] = l;
out:
	/* A new vCPU has a new VMCS, which its thread sets up for APICv. */
	memset(&l->apicv, 0, sizeof(l->apicv));
	bitmap_zero(l->posted, 256);
	l->vcpu = vcpu;
	vcpu->lapic = l;
	vcpu->apic_base = l->apic.base;
	vcpu->nmi_pending = false;
	vcpu->halted = false;
	/* Application processors wait for INIT and SIPI, as after power-up. */
	vcpu->mp_state = vcpu->id ? RINGVM_MP_STATE_UNINITIALIZED : RINGVM_MP_STATE_RUNNABLE;
	return 0;
}

/* At vCPU release, under vm->lock: the APIC stays on the bus, its timer stops. */
void ringvm_lapic_detach(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;

	if (!l)
		return;
	hrtimer_cancel(&l->timer);
	l->apic.timer.armed = false;
	l->vcpu = NULL;
}

/* VM destruction: no vCPU, no file, no irqfd is left to reach an APIC. */
void ringvm_lapics_free(struct ringvm_irq *irq)
{
	unsigned int i;

	for (i = 0; i < RINGVM_MAX_VCPUS; i++) {
		struct ringvm_lapic *l = irq->lapics[i];

		if (!l)
			continue;
		hrtimer_cancel(&l->timer);
		free_page((unsigned long)l->page);
		kfree(l);
		irq->lapics[i] = NULL;
	}
}

void ringvm_lapic_kick_extint(struct ringvm_irq *irq)
{
	/* Pairs with the release in rv_irqchip_add_lapic. */
	unsigned int n = smp_load_acquire(&irq->chip.nr_lapics), i;

	for (i = 0; i < n; i++) {
		struct rv_lapic *apic = irq->chip.lapic[i];

		if (rv_lapic_accept_pic_intr(apic))
			kick(to_vlapic(apic));
	}
}

/* The master PIC's INT reaches this vCPU: LINT0 takes ExtINT and INT is up. */
static bool pic_wants(struct ringvm_lapic *l)
{
	return rv_lapic_accept_pic_intr(&l->apic) && rv_pic_output(&l->irq->chip.pic);
}

/* Whether an interrupt waits: acknowledged already, the APIC's, or the PIC's. */
static bool has_interrupt(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;

	if (vcpu->pending_irq >= 0)
		return true;
	ringvm_apicv_sync_irr(l);
	return rv_lapic_pending_vector(&l->apic) >= 0 || pic_wants(l);
}

/*
 * INIT (SDM 9.4, 10.4.7.3): the CPU state as after INIT, the APIC's
 * registers reset with its base MSR kept; the BSP runs from the reset
 * vector, an AP waits for a SIPI.  Nothing the guest had queued survives.
 */
static void do_init(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;

	ringvm_vcpu_reset_state(vcpu);
	bitmap_zero(l->posted, 256);
	rv_lapic_init_reset(&l->apic);
	vcpu->apic_base = l->apic.base;
	/*
	 * A cut-short event goes, and (ringvm_vcpu_reset_state()) an
	 * acknowledged interrupt too, as on KVM: the PIC keeps an ExtINT in
	 * service until its EOI.
	 */
	vcpu->idt_vectoring = 0;
	vcpu->nmi_pending = false;
	vcpu->halted = false;
	vcpu->flush_tlb = true;
	vcpu->mp_state = (l->apic.base & RV_APICBASE_BSP) ? RINGVM_MP_STATE_RUNNABLE :
			 RINGVM_MP_STATE_INIT_RECEIVED;
}

/* SIPI in wait-for-SIPI: real mode at vector:0000 (SDM 8.4.4.1); ignored elsewhere. */
static void do_sipi(struct ringvm_vcpu *vcpu, u8 vector)
{
	if (vcpu->mp_state != RINGVM_MP_STATE_INIT_RECEIVED)
		return;
	vmcs_write(GUEST_CS_SELECTOR, (u16)vector << 8);
	vmcs_write(GUEST_CS_BASE, (u32)vector << 12);
	vmcs_write(GUEST_RIP, 0);
	vcpu->mp_state = RINGVM_MP_STATE_RUNNABLE;
}

/*
 * Events posted by other contexts, on the vCPU thread, preemptible, the
 * vCPU loaded.  INIT before SIPI: a guest sends them in that order and
 * both may be posted by the time the thread looks.
 */
static void process_events(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	u64 next;

	if (!READ_ONCE(l->events))
		return;
	if (test_and_clear_bit(RV_EV_TIMER, &l->events)) {
		next = rv_lapic_timer_expired(&l->apic);
		if (next)
			hrtimer_start(&l->timer, ns_to_ktime(next), HRTIMER_MODE_ABS);
	}
	if (test_and_clear_bit(RV_EV_NMI, &l->events))
		vcpu->nmi_pending = true;
	if (test_and_clear_bit(RV_EV_INIT, &l->events))
		do_init(vcpu);
	if (test_and_clear_bit(RV_EV_SIPI, &l->events)) {
		/* Pairs with op_sipi(): the bit before the vector. */
		smp_mb__after_atomic();
		do_sipi(vcpu, READ_ONCE(l->sipi_vector));
	}
}

/*
 * What ends HLT: an NMI the guest is not blocking (a HLT inside its NMI
 * handler sleeps until the IRET, as on hardware), or an interrupt it would
 * take with the IF it has now (a VMM's SET_REGS or SET_MP_STATE may have
 * changed it since the HLT).  On the vCPU thread, whose VMCS is loaded
 * while it runs.
 */
static bool wakes_from_hlt(struct ringvm_vcpu *vcpu)
{
	if (vcpu->nmi_pending &&
	    !(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI))
		return true;
	return (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) && has_interrupt(vcpu);
}

/* The guest would take an NMI now (no shadow of STI or MOV SS, no NMI blocking). */
static bool nmi_injectable(u32 intr)
{
	return !(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_NMI));
}

/*
 * The PIC's INTA cycle, while interrupts are still on, as KVM runs it
 * (kvm_cpu_get_interrupt() before vcpu_enter_guest() turns them off): its
 * output change kicks through a wait queue and its auto-EOIs run the acked
 * hooks (a resampled irqfd lowers its line and signals its eventfd), and
 * those take spinlock_t locks, which must not be taken with interrupts off
 * on PREEMPT_RT (ringvm_irqfd_acked() asserts it).  When the next entry
 * will inject the ExtINT (the same tests as ringvm_lapic_inject()), take
 * the vector now as the vCPU's acknowledged interrupt (pending_irq, as
 * RINGVM_INTERRUPT's without an irqchip): it waits there however often
 * the entry bails, through a return to userspace and whatever the VMM
 * changes meanwhile (run.c injects it once the guest can take it), until
 * an entry delivers it, SET_SREGS replaces it (interrupt_bitmap) or INIT
 * drops it.  An INT that rises after this look gets an interrupt window
 * (inject_interrupt()).
 */
static void ack_extint(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	u32 intr;

	if ((vcpu->idt_vectoring & VECTORING_INFO_VALID_MASK) || vcpu->exception_pending ||
	    vcpu->pending_irq >= 0 || !pic_wants(l))
		return;
	intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if ((vcpu->nmi_pending && nmi_injectable(intr)) || !ringvm_guest_interruptible(intr))
		return;
	vcpu->pending_irq = rv_pic_ack(&l->irq->chip.pic) & 0xff;
	vcpu->pending_irq_apic = false;
}

/*
 * Before each entry, with interrupts on: fold in posted events and, while
 * the guest halts, wait in the kernel for what ends HLT.  Returns 0 to
 * enter, -EINTR for a signal (the vCPU stays halted for the next RUN).
 */
int ringvm_lapic_prepare_run(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	int r;

	if (unlikely(!l->apicv.ready))
		ringvm_apicv_vcpu_setup(vcpu);
	for (;;) {
		/*
		 * Another vCPU can post INITs, SIPIs and NMIs faster than this
		 * loop folds them in: stay killable and let others run.
		 */
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		process_events(vcpu);
		/* Waiting for INIT or SIPI: only a posted event can change that. */
		if (vcpu->mp_state != RINGVM_MP_STATE_RUNNABLE) {
			if (wait_event_interruptible(l->wq, READ_ONCE(l->events)))
				return -EINTR;
			continue;
		}
		if (!vcpu->halted || wakes_from_hlt(vcpu)) {
			vcpu->halted = false;
			ack_extint(vcpu);
			return 0;
		}
		r = wait_event_interruptible(l->wq, READ_ONCE(l->events) ||
					     wakes_from_hlt(vcpu));
		if (r)
			return -EINTR;
	}
}

/* RINGVM_SET_CPUID, on the vCPU's thread: whether the guest may turn x2APIC mode on. */
void ringvm_lapic_set_x2apic_allowed(struct ringvm_vcpu *vcpu, bool allowed)
{
	vcpu->lapic->apic.x2apic_allowed = allowed;
}

/* SET_SREGS dropped an acknowledged APIC vector: pending again, out of service. */
void ringvm_lapic_requeue_irq(struct ringvm_vcpu *vcpu, u8 vector)
{
	rv_lapic_requeue(&vcpu->lapic->apic, vector);
}

/* HLT exit: done in the kernel. */
int ringvm_lapic_halt(struct ringvm_vcpu *vcpu)
{
	vcpu->halted = true;
	return 1;
}

/*
 * Interrupts off, right before entry: mark the vCPU in guest mode on this
 * CPU, then take the last look.  Returns false (not marked) when posted
 * events need the vCPU thread first.
 */
bool ringvm_lapic_enter(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;

	WRITE_ONCE(l->cpu, smp_processor_id());
	/* Pairs with the smp_rmb() in kick(): the CPU before in_guest. */
	smp_wmb();
	/* Pairs with kick(): in_guest before the events and the IRR are read. */
	smp_store_mb(l->in_guest, true);
	if (READ_ONCE(l->events)) {
		WRITE_ONCE(l->in_guest, false);
		return false;
	}
	return true;
}

void ringvm_lapic_exited(struct ringvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->lapic->in_guest, false);
	ringvm_apicv_exited(vcpu->lapic);
}

bool ringvm_guest_interruptible(u32 intr)
{
	return (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/*
 * The highest APIC vector, when the guest can take it and no ExtINT waits
 * (ExtINT goes first, as KVM: the PIC's INTA cycle does not wait behind
 * the APIC's priorities; ack_extint() took it if it could).  With more
 * pending, exit as soon as the guest can take the next one instead of at
 * whatever exit comes next.
 */
static void inject_interrupt(struct ringvm_vcpu *vcpu, bool event_injected, u32 intr)
{
	struct ringvm_lapic *l = vcpu->lapic;
	int v;

	if (!has_interrupt(vcpu))
		return;
	if (event_injected || !ringvm_guest_interruptible(intr) || pic_wants(l)) {
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
		return;
	}
	v = rv_lapic_pending_vector(&l->apic);
	if (v < 0)	/* only an acknowledged one waits, and run.c has it */
		return;
	rv_lapic_acknowledge(&l->apic, v);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, (v & 0xff) | INTR_TYPE_EXT_INTR |
		   INTR_INFO_VALID_MASK);
	if (has_interrupt(vcpu))
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
}

/*
 * With virtual-interrupt delivery the CPU takes APIC vectors through RVI
 * (apicv.c); only the PIC's ExtINT is injected, ahead of them as KVM
 * does, and ack_extint() did that when the guest could take it.  An INT
 * still up here waits for the guest, or rose since: ask for the window
 * (while it is asked for, the CPU delivers no virtual interrupt).
 */
static void inject_extint(struct ringvm_vcpu *vcpu)
{
	if (pic_wants(vcpu->lapic))
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
}

/*
 * Interrupts off, after ringvm_lapic_enter(): an NMI, else the highest
 * APIC vector, when nothing else is being injected (an ExtINT that
 * ack_extint() took included) and the guest can take it; otherwise exit
 * as soon as it can.
 */
void ringvm_lapic_inject(struct ringvm_vcpu *vcpu, bool event_injected)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

	if (vcpu->nmi_pending) {
		if (!event_injected && nmi_injectable(intr)) {
			vmcs_write(VM_ENTRY_INTR_INFO_FIELD, NMI_VECTOR | INTR_TYPE_NMI_INTR |
				   INTR_INFO_VALID_MASK);
			vcpu->nmi_pending = false;
			event_injected = true;
		} else if (vmx_caps.pin & PIN_BASED_VIRTUAL_NMIS) {
			vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_NMI_WINDOW_EXITING);
		} else {
			vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
		}
	}
	if (ringvm_apicv_vid())
		inject_extint(vcpu);
	else
		inject_interrupt(vcpu, event_injected, intr);
	ringvm_apicv_before_entry(vcpu, intr);
}

int ringvm_irq_mmio(struct ringvm_vcpu *vcpu, u64 gpa, unsigned int len, u64 *val, bool write)
{
	struct ringvm_lapic *l = vcpu->lapic;
	struct rv_irqchip *chip;
	u64 base;
	u32 v;
	int r;

	if (!l)
		return -ENODEV;
	chip = &l->irq->chip;
	base = l->apic.base & ~0xfffULL;
	if (gpa >= base && gpa < base + RV_LAPIC_SIZE && len <= 8) {
		ringvm_apicv_sync_irr(l);
		if (write) {
			r = rv_lapic_mmio_write(&l->apic, gpa - base, len, *val);
		} else {
			r = rv_lapic_mmio_read(&l->apic, gpa - base, min(len, 4u), &v);
			*val = v;
		}
		if (r != -ENODEV)
			return 0;
	}
	if (rv_ioapic_in_range(&chip->ioapic, gpa)) {
		if (write)
			return rv_ioapic_mmio_write(&chip->ioapic, gpa, len, *val) == -ENODEV ?
			       -ENODEV : 0;
		*val = 0;
		return rv_ioapic_mmio_read(&chip->ioapic, gpa, len, val) == -ENODEV ?
		       -ENODEV : 0;
	}
	return -ENODEV;
}

int ringvm_irq_pio(struct ringvm_vcpu *vcpu, u16 port, unsigned int len, u32 *val, bool in)
{
	struct rv_pic *pic;
	u8 b = *val;

	if (!vcpu->lapic || !rv_pic_port(port) || len != 1)
		return -ENODEV;
	pic = &vcpu->lapic->irq->chip.pic;
	if (!in)
		return rv_pic_pio_write(pic, port, b) ? -ENODEV : 0;
	if (rv_pic_pio_read(pic, port, &b))
		return -ENODEV;
	*val = b;
	return 0;
}

int ringvm_lapic_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	struct rv_lapic *apic = &vcpu->lapic->apic;
	int r;

	if (!write) {
		ringvm_apicv_sync_irr(vcpu->lapic);
		return rv_lapic_rdmsr(apic, index, data);
	}
	if (index == RV_MSR_APICBASE && host)
		r = rv_lapic_set_base(apic, *data, true);
	else
		r = rv_lapic_wrmsr(apic, index, *data);
	vcpu->apic_base = apic->base;
	return r;
}

void ringvm_lapic_set_cr8(struct ringvm_vcpu *vcpu, u64 val)
{
	vcpu->lapic->page[APIC_TASKPRI / 4] = (val & 15) << 4;
}

u64 ringvm_lapic_get_cr8(struct ringvm_vcpu *vcpu)
{
	return (vcpu->lapic->page[APIC_TASKPRI / 4] >> 4) & 15;
}

/* RINGVM_SET_SREGS: a new base (mode) as the VMM may set it, then the TPR. */
int ringvm_lapic_set_sregs(struct ringvm_vcpu *vcpu, u64 apic_base, u64 cr8)
{
	struct ringvm_lapic *l = vcpu->lapic;

	if (apic_base != l->apic.base && rv_lapic_set_base(&l->apic, apic_base, true))
		return -EINVAL;
	vcpu->apic_base = l->apic.base;
	ringvm_lapic_set_cr8(vcpu, cr8);
	return 0;
}

long ringvm_mp_state_ioctl(struct ringvm_vcpu *vcpu, unsigned int ioctl, void __user *argp)
{
	struct ringvm_mp_state mp;

	if (ioctl == RINGVM_GET_MP_STATE) {
		mp.mp_state = !vcpu->lapic ? RINGVM_MP_STATE_RUNNABLE :
			      vcpu->halted ? RINGVM_MP_STATE_HALTED : vcpu->mp_state;
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	}
	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	if (mp.mp_state > RINGVM_MP_STATE_SIPI_RECEIVED)
		return -EINVAL;
	/* Without an irqchip nothing would ever leave another state. */
	if (!vcpu->lapic)
		return mp.mp_state == RINGVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	vcpu->halted = mp.mp_state == RINGVM_MP_STATE_HALTED;
	switch (mp.mp_state) {
	case RINGVM_MP_STATE_HALTED:
		vcpu->mp_state = RINGVM_MP_STATE_RUNNABLE;
		break;
	case RINGVM_MP_STATE_SIPI_RECEIVED:
		/* As KVM: waiting for SIPI with one posted (its vector as last sent). */
		vcpu->mp_state = RINGVM_MP_STATE_INIT_RECEIVED;
		set_bit(RV_EV_SIPI, &vcpu->lapic->events);
		break;
	default:
		vcpu->mp_state = mp.mp_state;
	}
	return 0;
}

long ringvm_lapic_ioctl(struct ringvm_vcpu *vcpu, unsigned int ioctl, void __user *argp)
{
	struct ringvm_lapic_state *s;
	long r = 0;

	if (!vcpu->lapic)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	/* Under vcpu->mutex: this thread is the vCPU's, as the model wants. */
	if (ioctl == RINGVM_GET_LAPIC) {
		ringvm_apicv_sync_irr(vcpu->lapic);
		rv_lapic_get_regs(&vcpu->lapic->apic, s->regs, sizeof(s->regs));
		if (copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	} else if (copy_from_user(s, argp, sizeof(*s))) {
		r = -EFAULT;
	} else {
		rv_lapic_set_regs(&vcpu->lapic->apic, s->regs, sizeof(s->regs));
		kick(vcpu->lapic);
	}
	kfree(s);
	return r;
}
