/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bzImage speaking boot protocol 2.02 (Linux 2.4's), for the e2e suite
 * boot_old_bzimage.sh: no 64-bit entry, so `ringvm run` must enter it at
 * code32_start through the 32-bit boot protocol. Its 32-bit code checks
 * what that protocol promises -- CS = 0x10, DS/ES/SS = 0x18, ESI at
 * boot_params holding the setup header, cmd_line_ptr below 0xa0000, paging
 * off -- prints "OLDBZ <check> ok|FAIL" and the command line on COM1, and
 * writes its failure count to the debug-exit port 0xf4.
 *
 * Built flat: objcopy -O binary of the linked sections (setup then the
 * protected-mode part at 1 MiB).
 */
#define COM1		0x3f8
#define DEBUG_EXIT	0xf4

	.code16
	.section .setup, "ax"
setup_base:
	.org	0x1f1
	.byte	1			/* setup_sects: setup is 2 sectors */
	.org	0x1fe
	.word	0xaa55			/* boot_flag */
	.org	0x200
	.byte	0xeb, hdr_end - 0x202	/* jump over the 2.02 header */
	.ascii	"HdrS"			/* 0x202 */
	.word	0x0202			/* 0x206 version */
	.org	0x211
	.byte	0x01			/* loadflags: LOADED_HIGH */
	.org	0x214
	.long	0x100000		/* code32_start */
	.org	0x228
	.long	0			/* cmd_line_ptr, the loader's */
hdr_end:
	/* Setup code past the header: garbage to a loader that reads newer
	 * fields (initrd_addr_max, cmdline_size, xloadflags) anyway. */
	.fill	0x400 - (hdr_end - setup_base), 1, 0xee

	.code32
	.section .text, "ax"
	.globl	startup_32
startup_32:
	cli
	movl	$stack_top, %esp	/* the protocol gives no stack */
	xorl	%edi, %edi		/* failures */
	movl	%esi, %ebp		/* boot_params */

	movw	%cs, %ax
	cmpw	$0x10, %ax
	movl	$msg_cs, %ebx
	call	check
	movw	%ss, %ax
	cmpw	$0x18, %ax
	movl	$msg_ds, %ebx
	call	check
	cmpl	$0x53726448, 0x202(%ebp)	/* "HdrS" copied into boot_params */
	movl	$msg_hdr, %ebx
	call	check
	cmpl	$0x100000, 0x214(%ebp)
	movl	$msg_c32, %ebx
	call	check
	movl	%cr0, %eax
	testl	$0x80000000, %eax
	movl	$msg_paging, %ebx
	call	check
	cmpl	$0xa0000, 0x228(%ebp)
	setb	%al
	cmpb	$1, %al
	movl	$msg_cmdline, %ebx
	call	check

	/* "OLDBZ cmdline <text>" */
	movl	$msg_text, %ebx
	call	puts
	movl	0x228(%ebp), %ebx
	call	puts
	movb	$10, %al
	call	putc

	movl	%edi, %eax
	outb	%al, $DEBUG_EXIT
1:	hlt
	jmp	1b

/* ZF set: "OLDBZ <name> ok", else "... FAIL" and one more failure. */
check:
	pushf
	call	puts
	popf
	movl	$msg_ok, %ebx
	je	1f
	incl	%edi
	movl	$msg_fail, %ebx
1:	jmp	puts

/* Prints the NUL-terminated string at EBX. */
puts:
	movb	(%ebx), %al
	testb	%al, %al
	jz	1f
	call	putc
	incl	%ebx
	jmp	puts
1:	ret

putc:
	movw	$COM1 + 5, %dx
	movb	%al, %ah
1:	inb	%dx, %al
	testb	$0x20, %al		/* THR empty */
	jz	1b
	movw	$COM1, %dx
	movb	%ah, %al
	outb	%al, %dx
	ret

msg_cs:		.asciz	"OLDBZ cs "
msg_ds:		.asciz	"OLDBZ ss "
msg_hdr:	.asciz	"OLDBZ boot_params "
msg_c32:	.asciz	"OLDBZ code32_start "
msg_paging:	.asciz	"OLDBZ paging_off "
msg_cmdline:	.asciz	"OLDBZ cmdline_low "
msg_text:	.asciz	"OLDBZ cmdline "
msg_ok:		.asciz	"ok\n"
msg_fail:	.asciz	"FAIL\n"

	.balign	16
	.fill	1024, 1, 0
stack_top:
