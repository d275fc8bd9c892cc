// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue access from the worker: avail and descriptor parsing,
 * used ring updates and notification suppression.  Everything the driver
 * wrote is read once into kernel memory and checked before use; every
 * guest address goes through the memory table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uaccess.h>
#include <linux/overflow.h>

#include "vhost.h"
#include "compat.h"
#include "trace.h"

static const char *const rv_err_names[] = {
	[RINGVM_VHOST_ERR_NONE]		= "none",
	[RINGVM_VHOST_ERR_RING_ADDR]	= "ring outside the memory table",
	[RINGVM_VHOST_ERR_AVAIL_JUMP]	= "avail index jumped",
	[RINGVM_VHOST_ERR_HEAD]		= "descriptor index out of range",
	[RINGVM_VHOST_ERR_LOOP]		= "descriptor loop",
	[RINGVM_VHOST_ERR_CHAIN_LONG]	= "chain longer than the queue",
	[RINGVM_VHOST_ERR_BUF_ADDR]	= "buffer outside the memory table",
	[RINGVM_VHOST_ERR_LEN_OVERFLOW]	= "length overflow",
	[RINGVM_VHOST_ERR_LAYOUT]	= "malformed chain",
	[RINGVM_VHOST_ERR_ACCESS]	= "ring or buffer not accessible",
};

void rv_vq_signal(struct eventfd_ctx *ctx)
{
	if (ctx)
		rv_eventfd_signal(ctx);
}

/*
 * The queue stops until the VMM reconfigures it; the worker and the other
 * queues carry on.
 */
void rv_vq_fail(struct rv_vq *vq, u32 reason)
{
	vq->error = reason;
	vq->errors++;
	pr_info_ratelimited("queue %u stopped: %s\n", vq->index,
			    reason < ARRAY_SIZE(rv_err_names) ?
			    rv_err_names[reason] : "?");
	rv_vq_signal(vq->err_ctx);
}

static size_t rv_avail_size(u32 num)
{
	return 4 + 2 * (size_t)num + 2;
}

static size_t rv_used_size(u32 num)
{
	return 4 + 8 * (size_t)num + 2;
}

/* Resolves the rings for this pass; false when the queue cannot run. */
static bool rv_vq_begin(struct rv_vq *vq)
{
	struct rv_mem *mem = vq->dev->mem;
	__le16 idx;

	if (vq->error || !vq->addr_set || !vq->num || !mem)
		return false;
	vq->desc = rv_translate(mem, vq->desc_gpa, 16 * (u64)vq->num);
	vq->avail = rv_translate(mem, vq->avail_gpa, rv_avail_size(vq->num));
	vq->used = rv_translate(mem, vq->used_gpa, rv_used_size(vq->num));
	if (!vq->desc || !vq->avail || !vq->used) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_RING_ADDR);
		return false;
	}
	if (!vq->used_idx_valid) {
		if (get_user(idx, (__le16 __user *)(vq->used + 2))) {
			rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
			return false;
		}
		vq->used_idx = le16_to_cpu(idx);
		vq->used_idx_valid = true;
	}
	return true;
}

static int rv_read_avail_idx(struct rv_vq *vq, u16 *idx)
{
	__le16 v;

	if (get_user(v, (__le16 __user *)(vq->avail + 2)))
		return -EFAULT;
	*idx = le16_to_cpu(v);
	return 0;
}

/*
 * Appends [gpa, gpa + len) to the chain as iovecs, one per memory region
 * it crosses.
 */
static int rv_chain_add(struct rv_vq *vq, u64 gpa, u32 len, bool write)
{
	struct rv_chain *c = &vq->chain;
	struct rv_mem *mem = vq->dev->mem;
	u64 left = len;

	if (gpa + len < gpa)
		return RINGVM_VHOST_ERR_LEN_OVERFLOW;
	if ((write ? c->in_len : c->out_len) + len > U32_MAX)
		return RINGVM_VHOST_ERR_LEN_OVERFLOW;
	while (left) {
		const struct ringvm_vhost_mem_region *r = NULL;
		unsigned int i;
		u64 off, n;

		for (i = 0; i < mem->nregions; i++) {
			r = &mem->regions[i];
			if (gpa >= r->guest_phys_addr &&
			    gpa - r->guest_phys_addr < r->memory_size)
				break;
		}
		if (i == mem->nregions)
			return RINGVM_VHOST_ERR_BUF_ADDR;
		if (c->nout + c->nin >= RV_MAX_IOV)
			return RINGVM_VHOST_ERR_CHAIN_LONG;
		off = gpa - r->guest_phys_addr;
		n = min(left, r->memory_size - off);
		c->iov[c->nout + c->nin].iov_base =
			(void __user *)(unsigned long)(r->userspace_addr + off);
		c->iov[c->nout + c->nin].iov_len = n;
		if (write)
			c->nin++;
		else
			c->nout++;
		gpa += n;
		left -= n;
	}
	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	return 0;
}

/* Walks the chain at @head into vq->chain; 0 or RINGVM_VHOST_ERR_*. */
static int rv_chain_parse(struct rv_vq *vq, u16 head)
{
	struct rv_chain *c = &vq->chain;
	struct rv_desc __user *table = vq->desc;
	unsigned int max = vq->num, count = 0, i = head;
	bool indirect = false;
	struct rv_desc d;
	int err;

	c->head = head;
	c->nout = 0;
	c->nin = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (;;) {
		u16 flags;
		u32 len;

		/* Without a loop a chain visits each descriptor at most once. */
		if (++count > max)
			return RINGVM_VHOST_ERR_LOOP;
		if (copy_from_user(&d, table + i, sizeof(d)))
			return RINGVM_VHOST_ERR_ACCESS;
		flags = le16_to_cpu(d.flags);
		len = le32_to_cpu(d.len);
		if (flags & RV_DESC_F_INDIRECT) {
			u64 gpa = le64_to_cpu(d.addr);

			if (indirect || (flags & RV_DESC_F_NEXT) ||
			    !rv_has_feature(vq->dev, RINGVM_VHOST_F_INDIRECT_DESC) ||
			    !len || len % sizeof(d))
				return RINGVM_VHOST_ERR_LAYOUT;
			if (len / sizeof(d) > vq->num)
				return RINGVM_VHOST_ERR_CHAIN_LONG;
			if (gpa + len < gpa)
				return RINGVM_VHOST_ERR_LEN_OVERFLOW;
			table = rv_translate(vq->dev->mem, gpa, len);
			if (!table)
				return RINGVM_VHOST_ERR_BUF_ADDR;
			indirect = true;
			max = len / sizeof(d);
			count = 0;
			i = 0;
			continue;
		}
		/* Device-readable buffers come before device-writable ones. */
		if (!(flags & RV_DESC_F_WRITE) && c->nin)
			return RINGVM_VHOST_ERR_LAYOUT;
		err = rv_chain_add(vq, le64_to_cpu(d.addr), len,
				   flags & RV_DESC_F_WRITE);
		if (err)
			return err;
		if (!(flags & RV_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(d.next);
		if (i >= max)
			return RINGVM_VHOST_ERR_HEAD;
	}
}

/* 1: a chain is in vq->chain; 0: the ring is empty; <0: the queue failed. */
static int rv_vq_next(struct rv_vq *vq)
{
	u16 avail_idx, head;
	__le16 v;
	int err;

	if (rv_read_avail_idx(vq, &avail_idx)) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	if ((u16)(avail_idx - vq->last_avail_idx) > vq->num) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_AVAIL_JUMP);
		return -EINVAL;
	}
	if (avail_idx == vq->last_avail_idx)
		return 0;
	/* Read the entry only after seeing the index that publishes it. */
	smp_rmb();
	if (get_user(v, (__le16 __user *)(vq->avail + 4) +
		     (vq->last_avail_idx & (vq->num - 1)))) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	head = le16_to_cpu(v);
	if (head >= vq->num) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_HEAD);
		return -EINVAL;
	}
	err = rv_chain_parse(vq, head);
	if (err) {
		rv_vq_fail(vq, err);
		return -EINVAL;
	}
	vq->last_avail_idx++;
	return 1;
}

static int rv_vq_push(struct rv_vq *vq, u16 head, u32 len)
{
	u8 __user *elem = vq->used + 4 + 8 * (vq->used_idx & (vq->num - 1));

	if (put_user(cpu_to_le32(head), (__le32 __user *)elem) ||
	    put_user(cpu_to_le32(len), (__le32 __user *)(elem + 4))) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	vq->used_idx++;
	return 0;
}

static bool rv_need_event(u16 event, u16 new, u16 old)
{
	return (u16)(new - event - 1) < (u16)(new - old);
}

static bool rv_vq_should_signal(struct rv_vq *vq, u16 old)
{
	__le16 v;

	if (rv_has_feature(vq->dev, RINGVM_VHOST_F_EVENT_IDX)) {
		if (get_user(v, (__le16 __user *)(vq->avail + 4) + vq->num))
			return true;
		return rv_need_event(le16_to_cpu(v), vq->used_idx, old);
	}
	if (get_user(v, (__le16 __user *)vq->avail))
		return true;
	return !(le16_to_cpu(v) & RV_AVAIL_F_NO_INTERRUPT);
}

/* Makes the entries since @old visible, then interrupts if the driver asked. */
static void rv_vq_publish(struct rv_vq *vq, unsigned int count, u16 old)
{
	/* Entries before the index that publishes them. */
	smp_wmb();
	if (put_user(cpu_to_le16(vq->used_idx), (__le16 __user *)(vq->used + 2))) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return;
	}
	vq->requests += count;
	vq->batches++;
	trace_batch(vq->dev->id, vq->index, count, vq->used_idx);
	/* The index store before the read of the driver's suppression state. */
	smp_mb();
	if (vq->call_ctx && rv_vq_should_signal(vq, old)) {
		vq->calls++;
		trace_call(vq->dev->id, vq->index, vq->used_idx);
		rv_vq_signal(vq->call_ctx);
	}
}

static int rv_put_flags_or_event(struct rv_vq *vq, bool enable)
{
	if (rv_has_feature(vq->dev, RINGVM_VHOST_F_EVENT_IDX)) {
		/* A stale avail_event already suppresses kicks while we run. */
		if (!enable)
			return 0;
		return put_user(cpu_to_le16(vq->last_avail_idx),
				(__le16 __user *)(vq->used + 4) + 4 * vq->num);
	}
	return put_user(cpu_to_le16(enable ? 0 : RV_USED_F_NO_NOTIFY),
			(__le16 __user *)vq->used);
}

/* True when the driver added buffers while kicks were off. */
static bool rv_vq_enable_notify(struct rv_vq *vq)
{
	u16 avail_idx;

	if (rv_put_flags_or_event(vq, true)) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return false;
	}
	/* Publish our wish for kicks before checking for new buffers. */
	smp_mb();
	if (rv_read_avail_idx(vq, &avail_idx)) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return false;
	}
	return avail_idx != vq->last_avail_idx;
}

static void rv_vq_disable_notify(struct rv_vq *vq)
{
	if (rv_put_flags_or_event(vq, false))
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
}

bool rv_vq_serve(struct rv_vq *vq, int (*one)(struct rv_vq *vq, u32 *written))
{
	unsigned int count = 0, tries = 0;
	u64 weight = 0;
	bool more = false;
	u16 old;
	u32 written;
	int r;

	if (!rv_vq_begin(vq))
		return false;
	old = vq->used_idx;
	rv_vq_disable_notify(vq);
	while (!vq->error) {
		/*
		 * Both bounds, as vhost's weight: 64 tiny chains or a few huge
		 * ones (a chain may name up to 4 GiB) end the pass alike, so the
		 * vq mutex is given up and the other queues run in between.
		 */
		if (tries++ >= RV_BATCH || weight >= RV_WEIGHT_BYTES) {
			more = true;
			break;
		}
		r = rv_vq_next(vq);
		if (r < 0)
			break;
		if (r == 0) {
			if (rv_vq_enable_notify(vq)) {
				rv_vq_disable_notify(vq);
				continue;
			}
			break;
		}
		written = 0;
		r = one(vq, &written);
		if (r < 0)
			break;
		if (r != RV_DONE) {
			vq->last_avail_idx--;
			if (r == RV_RETRY)
				continue;
			rv_vq_enable_notify(vq);
			break;
		}
		if (rv_vq_push(vq, vq->chain.head, written))
			break;
		count++;
		/* What the chain offered, whatever the request did with it. */
		weight += (u64)vq->chain.out_len + vq->chain.in_len;
	}
	/* Chains finished before a failure still reach the driver. */
	if (count)
		rv_vq_publish(vq, count, old);
	return more && !vq->error;
}
