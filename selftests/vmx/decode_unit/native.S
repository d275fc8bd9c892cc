/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Runs one instruction on the CPU with every GPR but RSP and the flags
 * loaded from a context, and stores them back: the oracle emulate_unit.c
 * compares the emulator with.  The instruction sits in native_insn, an
 * executable page ending with a jump to native_return.
 *   void native_run(struct native_ctx *ctx);   regs[16] then rflags
 */
	.text
	.globl native_run
native_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, native_ctx(%rip)
	pushq 128(%rdi)
	popfq
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi
	jmp *native_insn(%rip)

	.globl native_return
native_return:
	push %rdi
	mov native_ctx(%rip), %rdi
	mov %rax, 0(%rdi)
	mov %rcx, 8(%rdi)
	mov %rdx, 16(%rdi)
	mov %rbx, 24(%rdi)
	mov %rbp, 40(%rdi)
	mov %rsi, 48(%rdi)
	mov %r8, 64(%rdi)
	mov %r9, 72(%rdi)
	mov %r10, 80(%rdi)
	mov %r11, 88(%rdi)
	mov %r12, 96(%rdi)
	mov %r13, 104(%rdi)
	mov %r14, 112(%rdi)
	mov %r15, 120(%rdi)
	pop %rax
	mov %rax, 56(%rdi)
	pushfq
	popq 128(%rdi)
	cld
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.bss
	.align 8
native_ctx:
	.quad 0
	.globl native_insn
native_insn:
	.quad 0
	.section .note.GNU-stack, "", @progbits
