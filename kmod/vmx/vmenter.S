/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only code that crosses into and out of the guest.
 *
 * int __ringvm_vmenter(unsigned long *regs, bool launched)
 *   Loads the guest GPRs from @regs (x86 encoding order, RSP excluded: it
 *   lives in the VMCS), enters the guest with VMLAUNCH or VMRESUME, and on
 *   VM exit stores the guest GPRs back.  Returns 0 after a VM exit, 1 when
 *   the VMLAUNCH/VMRESUME itself failed (VMfail: see VM_INSTRUCTION_ERROR).
 *   Called with interrupts disabled.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define WORD_SIZE 8
#define R_RAX	(0 * WORD_SIZE)
#define R_RCX	(1 * WORD_SIZE)
#define R_RDX	(2 * WORD_SIZE)
#define R_RBX	(3 * WORD_SIZE)
#define R_RBP	(5 * WORD_SIZE)
#define R_RSI	(6 * WORD_SIZE)
#define R_RDI	(7 * WORD_SIZE)
#define R_R8	(8 * WORD_SIZE)
#define R_R9	(9 * WORD_SIZE)
#define R_R10	(10 * WORD_SIZE)
#define R_R11	(11 * WORD_SIZE)
#define R_R12	(12 * WORD_SIZE)
#define R_R13	(13 * WORD_SIZE)
#define R_R14	(14 * WORD_SIZE)
#define R_R15	(15 * WORD_SIZE)

/*
 * VERW with the microcode that makes it clear the CPU buffers, when the
 * host clears them on its own way out (6.1 says so with CLEAR_CPU_BUF)
 * or on VM entry only (CLEAR_CPU_BUF_VM, as newer kernels split it).
 * Clobbers ZF.
 */
.macro CLEAR_CPU_BUFFERS_FOR_GUEST
	ALTERNATIVE_2 "jmp .Lskip_verw_\@", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lskip_verw_\@:
.endm

/* VMCS field encoding of HOST_RSP (SDM Vol. 3 Appendix B). */
#define RINGVM_HOST_RSP	0x00006c14

.section .noinstr.text, "ax"

SYM_FUNC_START(__ringvm_vmenter)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* The regs pointer is found on the stack again after the exit. */
	push %rdi
	/* Remember VMLAUNCH vs VMRESUME before RSI becomes guest state. */
	push %rsi

	/* VM exit lands with RSP as it is here. */
	mov  $RINGVM_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe  .Lvmfail_early

	mov  %rdi, %rax
	/* CF = launched: VERW below clobbers ZF, and MOVs touch no flags. */
	btl  $0, (%rsp)

	mov  R_RCX(%rax), %rcx
	mov  R_RDX(%rax), %rdx
	mov  R_RBX(%rax), %rbx
	mov  R_RBP(%rax), %rbp
	mov  R_RSI(%rax), %rsi
	mov  R_RDI(%rax), %rdi
	mov  R_R8(%rax),  %r8
	mov  R_R9(%rax),  %r9
	mov  R_R10(%rax), %r10
	mov  R_R11(%rax), %r11
	mov  R_R12(%rax), %r12
	mov  R_R13(%rax), %r13
	mov  R_R14(%rax), %r14
	mov  R_R15(%rax), %r15
	mov  R_RAX(%rax), %rax

	/*
	 * A successful entry comes back at ringvm_vmexit (HOST_RIP) with this
	 * very stack: tell objtool to carry the unwind state over.
	 */
	UNWIND_HINT_SAVE
	/*
	 * Clear the CPU buffers (MDS, TAA, MMIO stale data, RFDS) as late as
	 * possible, where the host mitigates them; patched to a jump otherwise.
	 */
	CLEAR_CPU_BUFFERS_FOR_GUEST
	jc   .Lvmresume
	vmlaunch
	jmp  .Lvmfail
.Lvmresume:
	vmresume
.Lvmfail:
	/* Still on the host stack; guest values are in the GPRs: drop them. */
	add  $8, %rsp
	pop  %rdi
	mov  $1, %eax
	jmp  .Lout

.Lvmfail_early:
	add  $16, %rsp
	mov  $1, %eax
	jmp  .Lout

SYM_INNER_LABEL(ringvm_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ANNOTATE_NOENDBR
	/* Guest RAX to the stack, the regs pointer into RAX. */
	push %rax
	mov  2 * WORD_SIZE(%rsp), %rax

	mov  %rcx, R_RCX(%rax)
	mov  %rdx, R_RDX(%rax)
	mov  %rbx, R_RBX(%rax)
	mov  %rbp, R_RBP(%rax)
	mov  %rsi, R_RSI(%rax)
	mov  %rdi, R_RDI(%rax)
	mov  %r8,  R_R8(%rax)
	mov  %r9,  R_R9(%rax)
	mov  %r10, R_R10(%rax)
	mov  %r11, R_R11(%rax)
	mov  %r12, R_R12(%rax)
	mov  %r13, R_R13(%rax)
	mov  %r14, R_R14(%rax)
	mov  %r15, R_R15(%rax)
	pop  R_RAX(%rax)

	/* Leave no guest value in a register the host could speculate on. */
	xor  %ecx, %ecx
	xor  %edx, %edx
	xor  %esi, %esi
	xor  %edi, %edi
	xor  %r8d, %r8d
	xor  %r9d, %r9d
	xor  %r10d, %r10d
	xor  %r11d, %r11d

	/*
	 * Before the first RET: the guest may have filled the return stack
	 * buffer with targets of its choosing.  Patched to a jump unless the
	 * host fills it on VM exit itself (spectre_v2's RSB_VMEXIT, or the
	 * one-entry PBRSB sequence with eIBRS).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	add  $16, %rsp
	xor  %eax, %eax
.Lout:
	pop  %rbx
	pop  %r12
	pop  %r13
	pop  %r14
	pop  %r15
	pop  %rbp
	RET
SYM_FUNC_END(__ringvm_vmenter)

/*
 * void ringvm_do_nmi_irqoff(void (*entry)(void))
 *   An NMI that arrived in the guest exited to us and is still owed to the
 *   host: call the kernel's NMI entry with an interrupt frame, so its IRET
 *   returns here.
 */
.section .text, "ax"
SYM_FUNC_START(ringvm_do_nmi_irqoff)
	push %rbp
	mov  %rsp, %rbp
	and  $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(ringvm_do_nmi_irqoff)
