// SPDX-License-Identifier: GPL-2.0
/*
 * APIC virtualization (SDM volume 3, chapter 29) for vCPUs with an
 * in-kernel local APIC.  The model's register page (kmod/irqchip/lapic.c)
 * has the hardware's layout, so it is the virtual-APIC page itself: no
 * copies to keep in sync, GET/SET_LAPIC read and write what the CPU uses.
 *
 * - TPR shadow: MOV to/from CR8 run without exits.  Without virtual-
 *   interrupt delivery the TPR threshold makes the CPU exit when the guest
 *   lowers its TPR below a pending interrupt's class, so that the run
 *   loop injects it.
 * - Virtual-interrupt delivery: before each entry RVI and SVI are set from
 *   the page's IRR and ISR and the CPU delivers APIC vectors itself,
 *   without interrupt-window exits; the PIC's ExtINT is still injected.
 *   EOIs of level-triggered vectors (the I/O APIC's level pins, and TMR)
 *   exit (EOI-induced) so that the I/O APIC sees them.
 *
 * Not done: posted interrupts (Bochs, the test CPU, has none): another
 * CPU sets an IRR bit in the page and kicks, and the next entry raises
 * RVI, as KVM did before posted interrupts.  The CPU may notice such a bit
 * earlier (it scans the IRR after each virtual delivery and EOI); that is
 * harmless, apart from a level vector the EOI-exit bitmap did not list at
 * entry (a redirection entry changed meanwhile), whose EOI then reaches
 * the I/O APIC only through the next one.  Not done either: the
 * APIC-access page and APIC-register virtualization (xAPIC MMIO still
 * goes through the EPT-violation emulator) and virtualized x2APIC MSRs
 * (they need a per-vCPU MSR bitmap; the one bitmap is shared by all VMs).
 *
 * The page is guest-writable through these features (TPR) and host-
 * writable through SET_LAPIC: nothing here trusts it beyond a vector
 * number, and the TPR threshold is derived so that VM entry's check
 * (threshold <= VTPR[7:4]) holds whatever the page says.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dmi.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/vmx.h>

#include "apicv.h"
#include "capabilities.h"
#include "ept.h"
#include "exits.h"
#include "irq.h"
#include "vcpu.h"
#include "vmx_ops.h"

#define BASIC_TRUE_CTLS		BIT_ULL(55)
#define IOAPIC_REDIR_LEVEL	BIT_ULL(15)

static bool enable_apicv = true;
module_param(enable_apicv, bool, 0444);
MODULE_PARM_DESC(enable_apicv,
		 "Use the CPU's APIC virtualization (TPR shadow, virtual-interrupt delivery) when it has it");

static bool apicv_vid, apicv_access;
/*
 * Bochs 2.7's virtual-interrupt delivery, which its BIOS names ("Bochs
 * 2.7"), has two faults a CPU has not:
 * - when an exit cuts a virtual-interrupt delivery short, it reports the
 *   last event it recorded as the one being delivered, of any type
 *   (ringvm_apicv_after_exit());
 * - it delivers a pending virtual interrupt whenever a physical one is
 *   pending, whatever the guest's RFLAGS.IF (InterruptAcknowledge() tests
 *   the virtual interrupt as pending, not as unmasked): a host timer tick
 *   or kick while the guest runs with IF clear and RVI above its PPR puts
 *   the guest's handler in the middle of its code with interrupts off
 *   (gate_rvi()).
 */
static bool bochs_vid;

/* No vector to add to the EOI-exit bitmap (update_eoi_exit_bitmap()). */
#define APICV_NO_VECTOR	(-1)

void ringvm_apicv_init(void)
{
	const char *bios;
	u32 must, may, may2, unused;
	u64 basic;

	if (!enable_apicv)
		return;
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	rdmsr((basic & BASIC_TRUE_CTLS) ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
	      MSR_IA32_VMX_PROCBASED_CTLS, must, may);
	rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2, unused, may2);
	/* The parameter reads back what is in effect, as KVM's does. */
	if (!(may & CPU_BASED_TPR_SHADOW) ||
	    (must & (CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING))) {
		pr_info("CPU has no TPR shadow: APIC virtualization off\n");
		enable_apicv = false;
		return;
	}
	/* It needs external-interrupt exiting, which ringvm always sets. */
	apicv_vid = (may2 & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) &&
		    (vmx_caps.pin & PIN_BASED_EXT_INTR_MASK);
	apicv_access = may2 & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;
	pr_info("APIC virtualization: TPR shadow%s%s\n",
		apicv_access ? ", APIC-access page" : "",
		apicv_vid ? ", virtual-interrupt delivery" : "");
	bios = dmi_get_system_info(DMI_BIOS_VERSION);
	bochs_vid = apicv_vid && bios && !strncmp(bios, "Bochs ", 6);
	if (bochs_vid)
		pr_info("Bochs: IDT-vectoring information of cut-short virtual deliveries is inferred; RVI set only when the guest can take it\n");
}

/*
 * One APIC-access page per VM.  Its contents never matter: while a vCPU
 * virtualizes APIC accesses the CPU turns accesses to it into accesses to
 * that vCPU's virtual-APIC page, or into exits.
 */
int ringvm_apicv_vm_init(struct ringvm_irq *irq)
{
	if (!enable_apicv || !apicv_access)
		return 0;
	irq->apic_access = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	return irq->apic_access ? 0 : -ENOMEM;
}

/* With the irqchip, after every vCPU: no VMCS points at the page any more. */
void ringvm_apicv_vm_free(struct ringvm_irq *irq)
{
	if (irq->apic_access)
		__free_page(irq->apic_access);
	irq->apic_access = NULL;
}

bool ringvm_apicv_enabled(void)
{
	return enable_apicv;
}

bool ringvm_apicv_vid(void)
{
	return enable_apicv && apicv_vid;
}

/* The highest vector set in the 256-bit register at @base of the page, or -1. */
static int page_highest(const u32 *page, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = READ_ONCE(page[(base + i * 0x10) / 4]);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

void ringvm_apicv_vcpu_setup(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	unsigned int i;

	l->apicv.ready = true;
	if (!enable_apicv)
		return;
	/* The page stays until the VM goes, after every vCPU (and VMCS) is gone. */
	vmcs_write(VIRTUAL_APIC_PAGE_ADDR, __pa(l->page));
	vmcs_write(TPR_THRESHOLD, 0);
	l->apicv.tpr_threshold = 0;
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL,
			CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING);
	vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_TPR_SHADOW);
	/* Switched on in ringvm_apicv_before_entry() while the APIC is an xAPIC. */
	l->apicv.access = false;
	if (l->irq->apic_access)
		vmcs_write(APIC_ACCESS_ADDR, page_to_phys(l->irq->apic_access));
	if (!apicv_vid)
		return;
	vmcs_write(GUEST_INTR_STATUS, 0);
	for (i = 0; i < 4; i++) {
		vmcs_write(EOI_EXIT_BITMAP0 + 2 * i, 0);
		l->apicv.eoi_exit[i] = 0;
	}
	vmcs_set_bits(SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY);
}

/*
 * With virtual-interrupt delivery the CPU rewrites IRR words of the page
 * while the guest runs (delivery, self-IPIs), so other contexts must not
 * write them then: the model puts their bits in l->posted and the vCPU
 * thread moves them here, while the guest is out: before each entry (after
 * marking itself in guest mode, so a later bit comes with an IPI) and
 * before it reads the IRR itself.  A disabled APIC takes none.
 */
void ringvm_apicv_sync_irr(struct ringvm_lapic *l)
{
	unsigned int i;
	unsigned long x;
	u32 *irr = &l->page[APIC_IRR / 4];

	if (!l->apic.posted)
		return;
	for (i = 0; i < ARRAY_SIZE(l->posted); i++) {
		if (!READ_ONCE(l->posted[i]))
			continue;
		x = xchg(&l->posted[i], 0);
		if (!rv_lapic_hw_enabled(&l->apic))
			continue;
		/* IRR words sit 16 bytes apart: two of them per long. */
		irr[2 * i * 4] |= (u32)x;
		irr[(2 * i + 1) * 4] |= x >> 32;
	}
}

/*
 * Without virtual-interrupt delivery: exit when the guest's TPR drops
 * below the class of the highest pending vector (KVM's
 * update_cr8_intercept), else never.
 */
static void update_tpr_threshold(struct ringvm_lapic *l)
{
	int irr = page_highest(l->page, APIC_IRR);
	u32 tpr_class = (READ_ONCE(l->page[APIC_TASKPRI / 4]) >> 4) & 15;
	u8 threshold = 0;

	if (irr >= 0 && (irr >> 4) <= tpr_class)
		threshold = irr >> 4;
	if (threshold != l->apicv.tpr_threshold) {
		vmcs_write(TPR_THRESHOLD, threshold);
		l->apicv.tpr_threshold = threshold;
	}
}

/*
 * The vectors whose EOI must reach the I/O APIC: those of its level-
 * triggered pins (masked ones too: a vector in service may have been
 * masked since) and whatever the TMR holds now.
 */
static void update_eoi_exit_bitmap(struct ringvm_lapic *l, int also)
{
	struct rv_ioapic *io = &l->irq->chip.ioapic;
	u64 bm[4] = { 0 };
	unsigned int i;

	if (also != APICV_NO_VECTOR)
		bm[also / 64] |= BIT_ULL(also & 63);

	for (i = 0; i < 8; i++)
		bm[i / 2] |= (u64)READ_ONCE(l->page[(APIC_TMR + i * 0x10) / 4]) << (32 * (i & 1));
	for (i = 0; i < RV_IOAPIC_PINS; i++) {
		u64 e = READ_ONCE(io->redir[i]);

		if (e & IOAPIC_REDIR_LEVEL)
			bm[(e & 0xff) / 64] |= BIT_ULL(e & 63);
	}
	for (i = 0; i < 4; i++) {
		if (bm[i] == l->apicv.eoi_exit[i])
			continue;
		vmcs_write(EOI_EXIT_BITMAP0 + 2 * i, bm[i]);
		l->apicv.eoi_exit[i] = bm[i];
	}
}

/*
 * Accesses to the APIC page are virtualized only while the guest's APIC is
 * an xAPIC at the default base, where the one APIC-access page is mapped
 * (KVM likewise gives up APICv for a moved base).  Otherwise they are not
 * the APIC's: x2APIC mode, a disabled APIC, a moved base.
 */
static void update_access(struct ringvm_lapic *l)
{
	const struct rv_lapic *apic = &l->apic;
	bool want = l->irq->apic_access && rv_lapic_hw_enabled(apic) && !rv_lapic_x2apic(apic) &&
		    (apic->base & PAGE_MASK) == RV_LAPIC_BASE;

	if (want == l->apicv.access)
		return;
	if (want)
		vmcs_set_bits(SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);
	else
		vmcs_clear_bits(SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);
	l->apicv.access = want;
}

/*
 * EPT violation outside every slot: the first access to the APIC page by
 * a vCPU that virtualizes it maps the APIC-access page there.
 */
bool ringvm_apicv_map_access_page(struct ringvm_vcpu *vcpu, u64 gpa)
{
	struct ringvm_lapic *l = vcpu->lapic;

	if (!l || !l->apicv.access || (gpa & PAGE_MASK) != RV_LAPIC_BASE)
		return false;
	return !ringvm_ept_map_kernel_page(vcpu->vm, RV_LAPIC_BASE,
					   page_to_phys(l->irq->apic_access));
}

/*
 * Under bochs_vid, RVI is what the guest could take at once, and nothing
 * else.  Returns RVI, and in *@eoi_exit a vector whose EOI must exit (or
 * APICV_NO_VECTOR):
 * - @rvi held back by a vector in service of its class or above: RVI 0,
 *   and that vector's EOI exits, since the EOI would let @rvi in at once,
 *   whatever IF is then;
 * - the guest not taking interrupts now (IF clear, an STI or MOV-SS
 *   shadow, an event injected by this entry): RVI 0 and an interrupt-
 *   window exit to come back when it does;
 * - else @rvi alone: the other IRR bits are held out of the page until the
 *   exit (the CPU makes the next one RVI after each delivery, while the
 *   handler runs with IF clear), and @rvi's EOI exits, to let the next in.
 *   It exits even when nothing is held: a handler that sends itself an IPI
 *   (Linux's irq_work) and EOIs before its IRET would otherwise have the
 *   CPU deliver that IPI at the EOI, through IF clear.
 * What stays open: a self-IPI of a class above the one in service, sent
 * with IF clear, is made RVI by the CPU itself, and lowering the TPR (CR8)
 * with IF clear lets in a vector it held back (Documentation/irqchip.rst).
 */
static int gate_rvi(struct ringvm_lapic *l, int rvi, u32 intr, int *eoi_exit)
{
	u32 *irr = &l->page[APIC_IRR / 4];
	int i;

	if (l->apicv.entry_svi && (l->apicv.entry_svi >> 4) >= (rvi >> 4)) {
		*eoi_exit = l->apicv.entry_svi;
		return 0;
	}
	if ((l->apicv.entry_inject & INTR_INFO_VALID_MASK) || !ringvm_guest_interruptible(intr)) {
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
		return 0;
	}
	for (i = 0; i < 8; i++) {
		u32 keep = i == rvi / 32 ? BIT(rvi & 31) : 0;

		l->apicv.held[i] = irr[i * 4] & ~keep;
		irr[i * 4] &= keep;
		if (l->apicv.held[i])
			l->apicv.holding = true;
	}
	*eoi_exit = rvi;
	return rvi;
}

void ringvm_apicv_before_entry(struct ringvm_vcpu *vcpu, u32 intr)
{
	struct ringvm_lapic *l = vcpu->lapic;
	int irr, i, eoi_exit = APICV_NO_VECTOR;

	if (!enable_apicv)
		return;
	update_access(l);
	if (!apicv_vid) {
		update_tpr_threshold(l);
		return;
	}
	/* Every exit gave back what the last entry held (ringvm_apicv_exited()). */
	if (WARN_ON_ONCE(l->apicv.holding))
		ringvm_apicv_exited(l);
	/*
	 * RVI and SVI as the page says now (the CPU changes both while the
	 * guest runs, so the VMCS holds no value worth caching).  Vectors
	 * 0-15 never reach the page's IRR or ISR (the model refuses them).
	 * Under bochs_vid the ISR is kept too, for ringvm_apicv_after_exit().
	 */
	ringvm_apicv_sync_irr(l);
	irr = max(page_highest(l->page, APIC_IRR), 0);
	if (bochs_vid) {
		for (i = 0; i < 8; i++)
			l->apicv.entry_isr[i] = READ_ONCE(l->page[(APIC_ISR + i * 0x10) / 4]);
	}
	l->apicv.entry_svi = max(page_highest(l->page, APIC_ISR), 0);
	l->apicv.entry_inject = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);
	if (irr && bochs_vid)
		irr = gate_rvi(l, irr, intr, &eoi_exit);
	vmcs_write(GUEST_INTR_STATUS, irr | (l->apicv.entry_svi << 8));
	update_eoi_exit_bitmap(l, eoi_exit);
}

/*
 * Right after every exit, interrupts still off: the vectors gate_rvi()
 * held back go back into IRR, where the model and the next entry see them.
 */
void ringvm_apicv_exited(struct ringvm_lapic *l)
{
	u32 *irr = &l->page[APIC_IRR / 4];
	int i;

	if (!l->apicv.holding)
		return;
	for (i = 0; i < 8; i++) {
		irr[i * 4] |= l->apicv.held[i];
		l->apicv.held[i] = 0;
	}
	l->apicv.holding = false;
}

/*
 * Whether the CPU began a virtual-interrupt delivery of @svi since the last
 * entry: only such a delivery sets an ISR bit while the guest runs (an EOI
 * moves SVI too, but down to a vector already in service).  A delivery cut
 * short leaves the guest as it was before it, so interrupts were open.
 */
static bool delivered_in_run(struct ringvm_lapic *l, u8 svi)
{
	if (!svi || (l->apicv.entry_isr[svi >> 5] & BIT(svi & 31)))
		return false;
	return ringvm_guest_interruptible(vmcs_read(GUEST_INTERRUPTIBILITY_INFO));
}

/*
 * Right after an exit, before the IDT-vectoring information is used.  A
 * CPU reports a virtual-interrupt delivery cut short by the exit (an EPT
 * violation on the IDT or the stack) as an external interrupt with the
 * vector, which is then in SVI; that report is kept as it is.
 *
 * Bochs 2.7 records nothing for a virtual delivery and reports the last
 * event it injected or recorded, of any type: after the guest's own #UD
 * or #PF, or after an exception this entry injected, a cut-short timer
 * delivery comes back as that exception, which replayed would run its
 * handler again and lose the timer.  There, any report is taken for the
 * virtual delivery of SVI when that vector went into service during the
 * run and the guest could take an interrupt at the exit: a delivery that
 * completed went through the guest's interrupt gate, which cleared IF,
 * and nothing else delivered an event since with IF set and the vector
 * still in service (a guest that sets IF in its handler before the EOI,
 * and takes an exception there whose delivery exits, is where this
 * guesses wrong; Linux does neither).  It is tested before the match with
 * the injected event, as an injected event cut short leaves no time for a
 * virtual delivery.
 */
void ringvm_apicv_after_exit(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	u32 idt = vcpu->idt_vectoring, type = idt & VECTORING_INFO_TYPE_MASK;
	u32 injected;
	bool ext = type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI_INTR;
	u8 svi;

	if (!l || !l->apic.posted || !(idt & VECTORING_INFO_VALID_MASK))
		return;
	/* Elsewhere the CPU reports the cut-short event right: keep it. */
	if (!bochs_vid)
		return;
	svi = vmcs_read(GUEST_INTR_STATUS) >> 8;
	if (delivered_in_run(l, svi)) {
		vcpu->idt_vectoring = svi | INTR_TYPE_EXT_INTR | VECTORING_INFO_VALID_MASK;
		return;
	}
	if (!ext)
		return;
	/* The event this entry injected, cut short again: reported right. */
	injected = l->apicv.entry_inject;
	if ((injected & INTR_INFO_VALID_MASK) &&
	    (injected & (INTR_INFO_INTR_TYPE_MASK | INTR_INFO_VECTOR_MASK)) ==
	    (idt & (VECTORING_INFO_TYPE_MASK | VECTORING_INFO_VECTOR_MASK)))
		return;
	vcpu->idt_vectoring = 0;	/* nothing was being delivered */
}

/* The guest lowered its TPR under a pending vector: the next entry injects it. */
int ringvm_apicv_handle_tpr_below_threshold(struct ringvm_vcpu *vcpu)
{
	return 1;
}

/*
 * A virtualized EOI of a vector in the EOI-exit bitmap (trap-like: the CPU
 * has already taken it out of ISR): tell the I/O APIC, as the model's EOI
 * does, when the vector was level-triggered and directed EOI is off.
 */
int ringvm_apicv_handle_eoi_induced(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	u8 v = vmcs_read(EXIT_QUALIFICATION) & 0xff;

	if (!l)
		return 1;
	if ((READ_ONCE(l->page[(APIC_TMR + (v >> 5) * 0x10) / 4]) & BIT(v & 31)) &&
	    !(READ_ONCE(l->page[APIC_SPIV / 4]) & APIC_SPIV_DIRECTED_EOI))
		rv_ioapic_eoi(&l->irq->chip.ioapic, v);
	return 1;
}

/*
 * An access to the APIC page the CPU does not virtualize (a read other
 * than TPR, a write other than TPR, EOI and ICR): fault-like, emulated as
 * the EPT-violation path does.  Any other kind (an instruction fetch from
 * the page, an IDT or stack there) is a guest gone wrong.
 */
int ringvm_apicv_handle_apic_access(struct ringvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	u32 type = (q >> 12) & 0xf;

	if (vcpu->lapic && (type == 0 || type == 1))	/* linear read, linear write */
		return ringvm_emulate_mmio(vcpu, RV_LAPIC_BASE + (q & 0xfff));
	{
		u64 data[3] = { EXIT_REASON_APIC_ACCESS, q, vmcs_read(GUEST_RIP) };

		return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_UNEXPECTED_EXIT, 3, data);
	}
}

/*
 * Trap-like: the guest wrote a register the CPU does not emulate (the ICR,
 * but for a self-IPI) into the virtual-APIC page.  The model takes the
 * write as from the xAPIC page.
 */
int ringvm_apicv_handle_apic_write(struct ringvm_vcpu *vcpu)
{
	struct ringvm_lapic *l = vcpu->lapic;
	u32 off = vmcs_read(EXIT_QUALIFICATION) & 0xff0;
	u64 val;

	if (!l)
		return 1;
	val = READ_ONCE(l->page[off / 4]);
	ringvm_irq_mmio(vcpu, (l->apic.base & PAGE_MASK) + off, 4, &val, true);
	return 1;
}
