/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (docs/specs/edu.rst): what both the host-side suites
 * (vfio_edu.h) and the bare-metal guest (edu_guest.c) program.  Plain
 * defines only, so that a freestanding build can include it.
 */
#ifndef RINGVM_EDU_REGS_H
#define RINGVM_EDU_REGS_H

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_BAR_SIZE	(1u << 20)

/* edu's registers in BAR0 (QEMU docs/specs/edu.rst). */
#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_CMD_IRQ	0x4
/* The device-side buffer: QEMU 7.2 aborts on any other device address. */
#define EDU_BUF		0x40000
#define EDU_BUF_SIZE	4096
/*
 * QEMU 7.2's range check wants the end strictly inside the buffer, so a
 * full 4 KiB transfer from 0x40000 aborts QEMU: move half of it.
 */
#define EDU_XFER	2048

#endif /* RINGVM_EDU_REGS_H */
