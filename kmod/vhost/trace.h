/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringvm_vhost:kick, ringvm_vhost:batch and ringvm_vhost:call: the three
 * points where a virtqueue's work enters, is done and is reported.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ringvm_vhost

#if !defined(RINGVM_VHOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RINGVM_VHOST_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kick,
	TP_PROTO(u32 dev, u32 queue),
	TP_ARGS(dev, queue),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
	),
	TP_printk("dev %u queue %u", __entry->dev, __entry->queue)
);

TRACE_EVENT(batch,
	TP_PROTO(u32 dev, u32 queue, u32 count, u16 used_idx),
	TP_ARGS(dev, queue, count, used_idx),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, count)
		__field(u16, used_idx)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->count = count;
		__entry->used_idx = used_idx;
	),
	TP_printk("dev %u queue %u count %u used_idx %u", __entry->dev,
		  __entry->queue, __entry->count, __entry->used_idx)
);

TRACE_EVENT(call,
	TP_PROTO(u32 dev, u32 queue, u16 used_idx),
	TP_ARGS(dev, queue, used_idx),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u16, used_idx)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->used_idx = used_idx;
	),
	TP_printk("dev %u queue %u used_idx %u", __entry->dev, __entry->queue,
		  __entry->used_idx)
);

#endif /* RINGVM_VHOST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
