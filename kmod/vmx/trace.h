/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringvm tracepoints.  Field names follow KVM's (exit_reason is the raw
 * VMX basic exit reason; guest_rip, info1/info2 as in kvm:kvm_exit) so the
 * same perf and trace-cmd habits work: perf stat -e 'ringvm:*'.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ringvm

#if !defined(RINGVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RINGVM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(exit,
	TP_PROTO(unsigned int vcpu_id, u32 exit_reason, u64 guest_rip, u64 info1, u64 info2),
	TP_ARGS(vcpu_id, exit_reason, guest_rip, info1, info2),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, exit_reason)
		__field(u64, guest_rip)
		__field(u64, info1)
		__field(u64, info2)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->exit_reason = exit_reason;
		__entry->guest_rip = guest_rip;
		__entry->info1 = info1;
		__entry->info2 = info2;
	),
	TP_printk("vcpu %u reason %u rip 0x%llx info1 0x%llx info2 0x%llx",
		  __entry->vcpu_id, __entry->exit_reason, __entry->guest_rip,
		  __entry->info1, __entry->info2)
);

TRACE_EVENT(entry,
	TP_PROTO(unsigned int vcpu_id),
	TP_ARGS(vcpu_id),
	TP_STRUCT__entry(__field(unsigned int, vcpu_id)),
	TP_fast_assign(__entry->vcpu_id = vcpu_id;),
	TP_printk("vcpu %u", __entry->vcpu_id)
);

TRACE_EVENT(userspace_exit,
	TP_PROTO(unsigned int vcpu_id, u32 reason),
	TP_ARGS(vcpu_id, reason),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, reason)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->reason = reason;
	),
	TP_printk("vcpu %u reason %u", __entry->vcpu_id, __entry->reason)
);

TRACE_EVENT(pio,
	TP_PROTO(unsigned int vcpu_id, bool rw, u16 port, unsigned int size),
	TP_ARGS(vcpu_id, rw, port, size),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(bool, rw)
		__field(u16, port)
		__field(unsigned int, size)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rw = rw;
		__entry->port = port;
		__entry->size = size;
	),
	TP_printk("vcpu %u pio_%s at 0x%x size %u", __entry->vcpu_id,
		  __entry->rw ? "read" : "write", __entry->port, __entry->size)
);

TRACE_EVENT(mmio,
	TP_PROTO(unsigned int vcpu_id, bool write, u64 gpa, unsigned int len),
	TP_ARGS(vcpu_id, write, gpa, len),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(bool, write)
		__field(u64, gpa)
		__field(unsigned int, len)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->write = write;
		__entry->gpa = gpa;
		__entry->len = len;
	),
	TP_printk("vcpu %u mmio %s len %u gpa 0x%llx", __entry->vcpu_id,
		  __entry->write ? "write" : "read", __entry->len, __entry->gpa)
);

TRACE_EVENT(ept_fault,
	TP_PROTO(unsigned int vcpu_id, u64 gpa, u64 qualification),
	TP_ARGS(vcpu_id, gpa, qualification),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u64, gpa)
		__field(u64, qualification)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->gpa = gpa;
		__entry->qualification = qualification;
	),
	TP_printk("vcpu %u gpa 0x%llx qual 0x%llx", __entry->vcpu_id, __entry->gpa,
		  __entry->qualification)
);

TRACE_EVENT(inject,
	TP_PROTO(unsigned int vcpu_id, unsigned int vector, bool exception),
	TP_ARGS(vcpu_id, vector, exception),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(unsigned int, vector)
		__field(bool, exception)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vector = vector;
		__entry->exception = exception;
	),
	TP_printk("vcpu %u %s vector %u", __entry->vcpu_id,
		  __entry->exception ? "exception" : "irq", __entry->vector)
);

#endif /* RINGVM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
