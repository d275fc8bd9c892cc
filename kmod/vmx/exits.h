/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit handlers, one per VMX basic exit reason, and the helpers they share.
 * Every handler returns > 0 to re-enter the guest, 0 when it filled in
 * the run structure for userspace, < 0 for an error the ioctl returns.
 */
#ifndef RINGVM_EXITS_H
#define RINGVM_EXITS_H

#include <linux/types.h>

struct ringvm_vcpu;

/* GPR access by encoding number (RSP read from / written to the VMCS). */
unsigned long ringvm_get_gpr(struct ringvm_vcpu *vcpu, unsigned int reg);
void ringvm_set_gpr(struct ringvm_vcpu *vcpu, unsigned int reg, unsigned long val);

/* Exits that end with an INTERNAL_ERROR for userspace. */
int ringvm_internal_error(struct ringvm_vcpu *vcpu, u32 suberror, unsigned int ndata,
			  const u64 *data);

/* io.c */
int ringvm_handle_io(struct ringvm_vcpu *vcpu);
int ringvm_complete_pio_in(struct ringvm_vcpu *vcpu);

/* mmio.c */
int ringvm_handle_ept_violation(struct ringvm_vcpu *vcpu);
/* The instruction at RIP accessed @gpa, a device: emulate it (1) or exit (0). */
int ringvm_emulate_mmio(struct ringvm_vcpu *vcpu, u64 gpa);
/*
 * Called as run.c's completions are: the vCPU loaded (loaded.c), preemptible.
 * 0: done, RIP moved; 1: it made another exit for userspace (run filled in).
 */
int ringvm_complete_mmio_read(struct ringvm_vcpu *vcpu);

/* guest_walk.c: guest-linear addresses through the guest's own paging. */
int ringvm_gva_to_gpa(struct ringvm_vcpu *vcpu, u64 gva, u64 *gpa);
int ringvm_read_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, void *buf, unsigned int len);
int ringvm_write_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, const void *buf,
			    unsigned int len);
/*
 * Check a data access of @len bytes at @gva as the guest's CPU would (U/S at
 * CPL 3, R/W with CR0.WP, SMAP with EFLAGS.AC).  0: allowed; 1: a #PF with
 * its error code and CR2 is queued for the guest; < 0: a page table is not
 * in guest memory.
 */
int ringvm_check_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, unsigned int len, bool write);
/* Linear address of seg:offset for the segment register numbered as in SDM (ES=0..GS=5). */
u64 ringvm_seg_linear(struct ringvm_vcpu *vcpu, unsigned int seg, u64 offset);
/* 2, 4 or 8: the default operand/address size of the code the guest runs. */
unsigned int ringvm_code_size(struct ringvm_vcpu *vcpu);

#endif /* RINGVM_EXITS_H */
