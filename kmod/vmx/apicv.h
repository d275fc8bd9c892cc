/* SPDX-License-Identifier: GPL-2.0 */
/*
 * APIC virtualization for the in-kernel local APIC (apicv.c): the
 * virtual-APIC page, TPR shadow and virtual-interrupt delivery.
 */
#ifndef RINGVM_APICV_H
#define RINGVM_APICV_H

#include <linux/types.h>

struct ringvm_irq;
struct ringvm_lapic;
struct ringvm_vcpu;

/* At module load, after the VMX capabilities are read. */
void ringvm_apicv_init(void);
/* The module parameter as in effect: on only when the CPU has the controls. */
bool ringvm_apicv_enabled(void);
/* Virtual-interrupt delivery in use (APIC vectors go in through RVI). */
bool ringvm_apicv_vid(void);

/* The VM's APIC-access page, at RINGVM_CREATE_IRQCHIP; freed with the chip. */
int ringvm_apicv_vm_init(struct ringvm_irq *irq);
void ringvm_apicv_vm_free(struct ringvm_irq *irq);
/* An EPT violation at @gpa outside the slots: true when it mapped the APIC-access page. */
bool ringvm_apicv_map_access_page(struct ringvm_vcpu *vcpu, u64 gpa);

/* Once per vCPU with an in-kernel APIC, on its thread with the VMCS loaded. */
void ringvm_apicv_vcpu_setup(struct ringvm_vcpu *vcpu);
/* On the vCPU thread: IRR bits posted by other contexts into the page. */
void ringvm_apicv_sync_irr(struct ringvm_lapic *l);
/*
 * Interrupts off, right before entry, after the injection is decided (@intr:
 * the guest's interruptibility state): TPR threshold, or RVI/SVI and EOI exits.
 */
void ringvm_apicv_before_entry(struct ringvm_vcpu *vcpu, u32 intr);

/* Right after every exit, interrupts off: IRR as the model keeps it. */
void ringvm_apicv_exited(struct ringvm_lapic *l);
/* Right after an exit: the IDT-vectoring information of a virtual delivery. */
void ringvm_apicv_after_exit(struct ringvm_vcpu *vcpu);

int ringvm_apicv_handle_tpr_below_threshold(struct ringvm_vcpu *vcpu);
int ringvm_apicv_handle_eoi_induced(struct ringvm_vcpu *vcpu);
int ringvm_apicv_handle_apic_access(struct ringvm_vcpu *vcpu);
int ringvm_apicv_handle_apic_write(struct ringvm_vcpu *vcpu);

#endif /* RINGVM_APICV_H */
