/* SPDX-License-Identifier: GPL-2.0 */
/* The entry points of vmenter.S. */
#ifndef RINGVM_VMENTER_H
#define RINGVM_VMENTER_H

#include <linux/types.h>

/* 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed. Interrupts off. */
int __ringvm_vmenter(unsigned long *regs, bool launched);

/* Where VM exits land (HOST_RIP); not callable. */
void ringvm_vmexit(void);

/* Hand an NMI that exited the guest to the kernel's NMI entry. */
void ringvm_do_nmi_irqoff(void (*entry)(void));

#endif /* RINGVM_VMENTER_H */
