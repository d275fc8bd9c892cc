/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm: VMX/EPT virtual machines behind /dev/ringvm.
 *
 * The object model is KVM's: the system fd (/dev/ringvm) creates VM fds,
 * a VM fd creates vCPU fds, and each vCPU fd maps a struct ringvm_run
 * shared with the kernel.  Where an ioctl does what a KVM ioctl does, it
 * carries KVM's name with the RINGVM_ prefix and KVM's semantics; numbers,
 * structures and constants are ringvm's own.  Every structure uses
 * fixed-width types and explicit padding so that 32-bit and 64-bit, C and
 * C++ callers agree on its layout.
 *
 * Documentation/ringvm-api.rst describes every ioctl.
 */
#ifndef _UAPI_LINUX_RINGVM_H
#define _UAPI_LINUX_RINGVM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on any incompatible change; RINGVM_CHECK_EXTENSION covers additions. */
#define RINGVM_API_VERSION	1

/* 0xB8 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define RINGVMIO		0xB8

/* ---- memory ---- */

/* Writes to a read-only slot exit as RINGVM_EXIT_MMIO. */
#define RINGVM_MEM_READONLY	(1u << 0)

#define RINGVM_MAX_MEMSLOTS	32

struct ringvm_userspace_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;	/* bytes; 0 deletes the slot */
	__u64 userspace_addr;	/* start of the VMM's own mapping */
};

/* ---- registers ---- */

struct ringvm_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

struct ringvm_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 present, dpl, db, s, l, g, avl;
	__u8 unusable;
	__u8 padding;
};

struct ringvm_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

#define RINGVM_NR_INTERRUPTS	256

struct ringvm_sregs {
	struct ringvm_segment cs, ds, es, fs, gs, ss;
	struct ringvm_segment tr, ldt;
	struct ringvm_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	/*
	 * The external interrupt the vCPU has acknowledged (RINGVM_INTERRUPT's,
	 * the PIC's, or one whose delivery an exit cut short) and delivers as
	 * soon as the guest can take it: at most one bit.  KVM's layout; an
	 * empty bitmap on SET drops it (Documentation/ringvm-api.rst).
	 */
	__u64 interrupt_bitmap[(RINGVM_NR_INTERRUPTS + 63) / 64];
};

/* Legacy FXSAVE image, as KVM's struct kvm_fpu. */
struct ringvm_fpu {
	__u8 fpr[8][16];
	__u16 fcw;
	__u16 fsw;
	__u8 ftwx;	/* abridged tag word */
	__u8 pad1;
	__u16 last_opcode;
	__u64 last_ip;
	__u64 last_dp;
	__u8 xmm[16][16];
	__u32 mxcsr;
	__u32 pad2;
};

/* ---- MSRs ---- */

struct ringvm_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/* GET/SET_MSRS return how many entries were processed, stopping at the first failure. */
struct ringvm_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct ringvm_msr_entry entries[];
};

struct ringvm_msr_list {
	__u32 nmsrs;
	__u32 indices[];
};

/* ---- CPUID ---- */

#define RINGVM_CPUID_FLAG_SIGNIFICANT_INDEX	(1u << 0)

struct ringvm_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 padding[3];
};

#define RINGVM_MAX_CPUID_ENTRIES	256

struct ringvm_cpuid {
	__u32 nent;
	__u32 padding;
	struct ringvm_cpuid_entry entries[];
};

/* ---- interrupts ---- */

struct ringvm_interrupt {
	__u32 irq;	/* vector 32..255 */
};

/*
 * ---- the in-kernel irqchip (RINGVM_CREATE_IRQCHIP) ----
 *
 * KVM's layouts and meanings, field for field, so that one VMM backend can
 * drive both (Documentation/ringvm-api.rst).
 */

/* RINGVM_IRQ_LINE / RINGVM_IRQ_LINE_STATUS: @irq is a GSI. */
struct ringvm_irq_level {
	union {
		__u32 irq;
		__s32 status;	/* out: >0 delivered, 0 coalesced, -1 masked */
	};
	__u32 level;
};

#define RINGVM_IRQCHIP_PIC_MASTER	0
#define RINGVM_IRQCHIP_PIC_SLAVE	1
#define RINGVM_IRQCHIP_IOAPIC		2
#define RINGVM_IOAPIC_NUM_PINS		24

struct ringvm_pic_state {
	__u8 last_irr;		/* input levels, for edge detection */
	__u8 irr;
	__u8 imr;
	__u8 isr;
	__u8 priority_add;	/* the input with the highest priority */
	__u8 irq_base;
	__u8 read_reg_select;
	__u8 poll;
	__u8 special_mask;
	__u8 init_state;
	__u8 auto_eoi;
	__u8 rotate_on_auto_eoi;
	__u8 special_fully_nested_mode;
	__u8 init4;
	__u8 elcr;
	__u8 elcr_mask;
};

struct ringvm_ioapic_state {
	__u64 base_address;
	__u32 ioregsel;
	__u32 id;
	__u32 irr;		/* input levels */
	__u32 pad;
	__u64 redirtbl[RINGVM_IOAPIC_NUM_PINS];
};

struct ringvm_irqchip {
	__u32 chip_id;		/* RINGVM_IRQCHIP_* */
	__u32 pad;
	union {
		char dummy[512];
		struct ringvm_pic_state pic;
		struct ringvm_ioapic_state ioapic;
	} chip;
};

/* RINGVM_GET/SET_LAPIC: the first 1 KiB of the APIC page, xAPIC layout. */
#define RINGVM_APIC_REG_SIZE		0x400
struct ringvm_lapic_state {
	char regs[RINGVM_APIC_REG_SIZE];
};

/* RINGVM_SET_GSI_ROUTING replaces the whole table. */
#define RINGVM_IRQ_ROUTING_IRQCHIP	1
#define RINGVM_IRQ_ROUTING_MSI		2
#define RINGVM_MAX_IRQ_ROUTES		1024	/* and GSIs 0..1023 */

struct ringvm_irq_routing_irqchip {
	__u32 irqchip;		/* RINGVM_IRQCHIP_* */
	__u32 pin;
};

struct ringvm_irq_routing_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 pad;
};

struct ringvm_irq_routing_entry {
	__u32 gsi;
	__u32 type;		/* RINGVM_IRQ_ROUTING_* */
	__u32 flags;		/* must be 0 */
	__u32 pad;
	union {
		struct ringvm_irq_routing_irqchip irqchip;
		struct ringvm_irq_routing_msi msi;
		__u32 pad[8];
	} u;
};

struct ringvm_irq_routing {
	__u32 nr;
	__u32 flags;		/* must be 0 */
	struct ringvm_irq_routing_entry entries[];
};

/*
 * RINGVM_IRQFD: a signal on @fd raises @gsi (an edge: assert, de-assert).
 * With RESAMPLE the line stays asserted until the guest EOIs it; then
 * @resamplefd is signalled and the line lowered, so the source can look
 * again (a level-triggered INTx).
 */
#define RINGVM_IRQFD_FLAG_DEASSIGN	(1 << 0)
#define RINGVM_IRQFD_FLAG_RESAMPLE	(1 << 1)

struct ringvm_irqfd {
	__u32 fd;
	__u32 gsi;
	__u32 flags;
	__u32 resamplefd;
	__u8 pad[16];
};

/* RINGVM_SIGNAL_MSI: inject one MSI without a route. */
struct ringvm_msi {
	__u32 address_lo;
	__u32 address_hi;
	__u32 data;
	__u32 flags;		/* must be 0 */
	__u32 devid;		/* must be 0 */
	__u8 pad[12];
};

#define RINGVM_MP_STATE_RUNNABLE	0
#define RINGVM_MP_STATE_UNINITIALIZED	1
#define RINGVM_MP_STATE_INIT_RECEIVED	2
#define RINGVM_MP_STATE_HALTED		3
#define RINGVM_MP_STATE_SIPI_RECEIVED	4

struct ringvm_mp_state {
	__u32 mp_state;
};

/* ---- the run structure, mmap'd from the vCPU fd at offset 0 ---- */

#define RINGVM_EXIT_UNKNOWN		0
#define RINGVM_EXIT_IO			1
#define RINGVM_EXIT_MMIO		2
#define RINGVM_EXIT_HLT			3
#define RINGVM_EXIT_SHUTDOWN		4
#define RINGVM_EXIT_FAIL_ENTRY		5
#define RINGVM_EXIT_INTERNAL_ERROR	6
#define RINGVM_EXIT_INTR		7
#define RINGVM_EXIT_IRQ_WINDOW_OPEN	8
#define RINGVM_EXIT_SYSTEM_EVENT	9

#define RINGVM_EXIT_IO_IN		0
#define RINGVM_EXIT_IO_OUT		1

/* internal.suberror */
#define RINGVM_INTERNAL_ERROR_EMULATION		1	/* data: rip, len, bytes[0..15] */
#define RINGVM_INTERNAL_ERROR_UNEXPECTED_EXIT	2	/* data: exit reason, qualification, rip */
#define RINGVM_INTERNAL_ERROR_EPT		3	/* data: gpa, qualification, errno */
/* MMIO met while delivering an event; data: vectoring info, exit reason, gpa */
#define RINGVM_INTERNAL_ERROR_DELIVERY_EV	4

/* system_event.type */
#define RINGVM_SYSTEM_EVENT_SHUTDOWN	1
#define RINGVM_SYSTEM_EVENT_RESET	2

struct ringvm_run {
	/* in */
	__u8 request_interrupt_window;
	__u8 immediate_exit;
	__u8 padding1[6];

	/* out */
	__u32 exit_reason;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u16 flags;
	__u64 cr8;
	__u64 apic_base;

	union {
		/* RINGVM_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_entry_failure_reason;
			__u32 cpu;
			__u32 padding;
		} fail_entry;
		/* RINGVM_EXIT_IO: data lives at (char *)run + data_offset */
		struct {
			__u8 direction;
			__u8 size;	/* 1, 2 or 4 */
			__u16 port;
			__u32 count;	/* > 1 for string I/O */
			__u64 data_offset;
		} io;
		/* RINGVM_EXIT_MMIO: reads are completed by the next RINGVM_RUN */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 padding[3];
		} mmio;
		/* RINGVM_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		/* RINGVM_EXIT_SYSTEM_EVENT */
		struct {
			__u32 type;
			__u32 ndata;
			__u64 data[16];
		} system_event;
		char padding[256];
	};
};

/* String I/O data lands here, after the structure, within the mapped page. */
#define RINGVM_PIO_PAGE_OFFSET	1

/* ---- extensions ---- */

#define RINGVM_CAP_USER_MEMORY		1
#define RINGVM_CAP_READONLY_MEM		2
#define RINGVM_CAP_NR_MEMSLOTS		3	/* returns RINGVM_MAX_MEMSLOTS */
#define RINGVM_CAP_NR_VCPUS		4	/* returns the vCPU limit per VM */
#define RINGVM_CAP_IMMEDIATE_EXIT	5
#define RINGVM_CAP_EXT_CPUID		6
#define RINGVM_CAP_MAX_VCPU_ID		7
#define RINGVM_CAP_IOEVENTFD		8	/* returns the ioeventfd limit per VM */
#define RINGVM_CAP_DEVICE_MEMORY	9	/* slots may map VM_IO/VM_PFNMAP memory */
#define RINGVM_CAP_IRQCHIP		10	/* RINGVM_CREATE_IRQCHIP and its ioctls */
#define RINGVM_CAP_IRQ_ROUTING		11	/* returns RINGVM_MAX_IRQ_ROUTES */
#define RINGVM_CAP_IRQ_INJECT_STATUS	12	/* RINGVM_IRQ_LINE_STATUS */
#define RINGVM_CAP_IRQFD		13
#define RINGVM_CAP_IRQFD_RESAMPLE	14
#define RINGVM_CAP_SIGNAL_MSI		15
#define RINGVM_CAP_MP_STATE		16
#define RINGVM_CAP_APICV		17	/* 1: APIC virtualization in use */

/*
 * RINGVM_IOEVENTFD: a guest MMIO write of @len bytes at @addr (and, with
 * DATAMATCH, of the value @datamatch) signals the eventfd @fd and the guest
 * goes on, without an exit to userspace.  KVM_IOEVENTFD's layout.
 */
#define RINGVM_IOEVENTFD_FLAG_DATAMATCH	(1 << 0)
#define RINGVM_IOEVENTFD_FLAG_PIO	(1 << 1)	/* not supported: EINVAL */
#define RINGVM_IOEVENTFD_FLAG_DEASSIGN	(1 << 2)
#define RINGVM_MAX_IOEVENTFDS		256

struct ringvm_ioeventfd {
	__u64 datamatch;
	__u64 addr;
	__u32 len;		/* 1, 2, 4 or 8 */
	__s32 fd;
	__u32 flags;
	__u8  pad[36];		/* must be 0 */
};

/* ---- system ioctls, on /dev/ringvm ---- */
#define RINGVM_GET_API_VERSION		_IO(RINGVMIO, 0x00)
#define RINGVM_CREATE_VM		_IO(RINGVMIO, 0x01)
#define RINGVM_GET_MSR_INDEX_LIST	_IOWR(RINGVMIO, 0x02, struct ringvm_msr_list)
#define RINGVM_CHECK_EXTENSION		_IO(RINGVMIO, 0x03)
#define RINGVM_GET_VCPU_MMAP_SIZE	_IO(RINGVMIO, 0x04)
#define RINGVM_GET_SUPPORTED_CPUID	_IOWR(RINGVMIO, 0x05, struct ringvm_cpuid)

/* ---- VM ioctls ---- */
#define RINGVM_CREATE_VCPU		_IO(RINGVMIO, 0x41)
#define RINGVM_SET_USER_MEMORY_REGION	_IOW(RINGVMIO, 0x46, struct ringvm_userspace_memory_region)
#define RINGVM_CREATE_IRQCHIP		_IO(RINGVMIO, 0x60)
#define RINGVM_IRQ_LINE			_IOW(RINGVMIO, 0x61, struct ringvm_irq_level)
#define RINGVM_GET_IRQCHIP		_IOWR(RINGVMIO, 0x62, struct ringvm_irqchip)
#define RINGVM_SET_IRQCHIP		_IOR(RINGVMIO, 0x63, struct ringvm_irqchip)
#define RINGVM_IRQ_LINE_STATUS		_IOWR(RINGVMIO, 0x67, struct ringvm_irq_level)
#define RINGVM_SET_GSI_ROUTING		_IOW(RINGVMIO, 0x6a, struct ringvm_irq_routing)
#define RINGVM_IRQFD			_IOW(RINGVMIO, 0x76, struct ringvm_irqfd)
#define RINGVM_IOEVENTFD		_IOW(RINGVMIO, 0x79, struct ringvm_ioeventfd)
#define RINGVM_SIGNAL_MSI		_IOW(RINGVMIO, 0xa5, struct ringvm_msi)

/* ---- vCPU ioctls ---- */
#define RINGVM_RUN			_IO(RINGVMIO, 0x80)
#define RINGVM_GET_REGS			_IOR(RINGVMIO, 0x81, struct ringvm_regs)
#define RINGVM_SET_REGS			_IOW(RINGVMIO, 0x82, struct ringvm_regs)
#define RINGVM_GET_SREGS		_IOR(RINGVMIO, 0x83, struct ringvm_sregs)
#define RINGVM_SET_SREGS		_IOW(RINGVMIO, 0x84, struct ringvm_sregs)
#define RINGVM_INTERRUPT		_IOW(RINGVMIO, 0x86, struct ringvm_interrupt)
#define RINGVM_GET_MSRS			_IOWR(RINGVMIO, 0x88, struct ringvm_msrs)
#define RINGVM_SET_MSRS			_IOW(RINGVMIO, 0x89, struct ringvm_msrs)
#define RINGVM_GET_FPU			_IOR(RINGVMIO, 0x8c, struct ringvm_fpu)
#define RINGVM_SET_FPU			_IOW(RINGVMIO, 0x8d, struct ringvm_fpu)
#define RINGVM_SET_CPUID		_IOW(RINGVMIO, 0x90, struct ringvm_cpuid)
#define RINGVM_GET_CPUID		_IOWR(RINGVMIO, 0x91, struct ringvm_cpuid)
#define RINGVM_GET_LAPIC		_IOR(RINGVMIO, 0x8e, struct ringvm_lapic_state)
#define RINGVM_SET_LAPIC		_IOW(RINGVMIO, 0x8f, struct ringvm_lapic_state)
#define RINGVM_GET_MP_STATE		_IOR(RINGVMIO, 0x98, struct ringvm_mp_state)
#define RINGVM_SET_MP_STATE		_IOW(RINGVMIO, 0x99, struct ringvm_mp_state)

/* ---- generic netlink family "ringvm": VMs and their exit counters ---- */

#define RINGVM_GENL_NAME	"ringvm"
#define RINGVM_GENL_VERSION	1

enum {
	RINGVM_CMD_UNSPEC,
	RINGVM_CMD_GET_VM,	/* dump: one message per VM */
	__RINGVM_CMD_MAX,
};
#define RINGVM_CMD_MAX (__RINGVM_CMD_MAX - 1)

enum {
	RINGVM_ATTR_UNSPEC,
	RINGVM_ATTR_VM_ID,		/* u32 */
	RINGVM_ATTR_PID,		/* u32: the VMM's tgid */
	RINGVM_ATTR_NR_VCPUS,		/* u32 */
	RINGVM_ATTR_MEM_BYTES,		/* u64: sum of slot sizes */
	RINGVM_ATTR_PINNED_BYTES,	/* u64: guest memory pinned so far */
	RINGVM_ATTR_USERSPACE_EXITS,	/* u64 */
	RINGVM_ATTR_EXITS,		/* nested: RINGVM_ATTR_EXIT entries */
	RINGVM_ATTR_EXIT,		/* nested: REASON and COUNT */
	RINGVM_ATTR_EXIT_REASON,	/* u32: raw VMX basic exit reason */
	RINGVM_ATTR_EXIT_COUNT,		/* u64: over all vCPUs */
	RINGVM_ATTR_PAD,
	RINGVM_ATTR_DEVICE_BYTES,	/* u64: device memory (VM_PFNMAP) mapped now */
	__RINGVM_ATTR_MAX,
};
#define RINGVM_ATTR_MAX (__RINGVM_ATTR_MAX - 1)

#endif /* _UAPI_LINUX_RINGVM_H */
