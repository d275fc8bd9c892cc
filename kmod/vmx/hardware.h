/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX operation on the host CPUs: VMXON while at least one VM exists,
 * VMXOFF when the last one goes, so ringvm and kvm-intel can take turns.
 */
#ifndef RINGVM_HARDWARE_H
#define RINGVM_HARDWARE_H

#include <linux/list.h>

struct ringvm_vcpu;

int ringvm_hardware_init(void);
void ringvm_hardware_exit(void);

/* Take or drop a reference on VMX operation; the first enables every online CPU. */
int ringvm_hardware_get(void);
void ringvm_hardware_put(void);

/* Interrupts off: this CPU is in VMX operation (false once reboot began). */
bool ringvm_vmx_on_this_cpu(void);

/* VMCSs current on this CPU; VMCLEARed before the CPU leaves VMX operation. */
void ringvm_track_loaded_vcpu(struct ringvm_vcpu *vcpu);
void ringvm_untrack_loaded_vcpu(struct ringvm_vcpu *vcpu);

#endif /* RINGVM_HARDWARE_H */
