// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "ringvm": a dump of every VM with its owner, size
 * and exit counters by raw VMX reason, summed over its vCPUs.  This is what
 * `ringvm ps` and `ringvm stat` read; it needs no tracing to be enabled.
 * A caller without CAP_NET_ADMIN sees only the VMs its own euid created:
 * another user's VM, its owner and its activity are not its business.
 */
#include <linux/cred.h>
#include <linux/kernel.h>
#include <net/genetlink.h>

#include "netlink.h"
#include "vcpu.h"
#include "vm.h"

static struct genl_family ringvm_genl_family;

static int put_vm(struct sk_buff *skb, struct netlink_callback *cb, struct ringvm_vm *vm)
{
	u64 counts[RINGVM_NR_EXIT_REASONS] = { 0 };
	u64 mem = 0, userspace = 0;
	struct nlattr *exits, *e;
	unsigned int i, nr;
	void *hdr;

	mutex_lock(&vm->lock);
	for (i = 0; i < RINGVM_MAX_MEMSLOTS; i++)
		if (vm->slots[i].used)
			mem += vm->slots[i].npages << PAGE_SHIFT;
	for (i = 0; i < RINGVM_MAX_VCPUS; i++) {
		struct ringvm_vcpu *v = vm->vcpus[i];
		unsigned int r;

		if (!v)
			continue;
		for (r = 0; r < RINGVM_NR_EXIT_REASONS; r++)
			counts[r] += READ_ONCE(v->exits[r]);
		userspace += READ_ONCE(v->userspace_exits);
	}
	nr = vm->nr_vcpus;
	mutex_unlock(&vm->lock);

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ringvm_genl_family, NLM_F_MULTI, RINGVM_CMD_GET_VM);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, RINGVM_ATTR_VM_ID, vm->id) ||
	    nla_put_u32(skb, RINGVM_ATTR_PID, vm->pid) ||
	    nla_put_u32(skb, RINGVM_ATTR_NR_VCPUS, nr) ||
	    nla_put_u64_64bit(skb, RINGVM_ATTR_MEM_BYTES, mem, RINGVM_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RINGVM_ATTR_PINNED_BYTES,
			      (u64)READ_ONCE(vm->pinned_pages) << PAGE_SHIFT, RINGVM_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RINGVM_ATTR_DEVICE_BYTES,
			      (u64)READ_ONCE(vm->device_pages) << PAGE_SHIFT, RINGVM_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RINGVM_ATTR_USERSPACE_EXITS, userspace, RINGVM_ATTR_PAD))
		goto cancel;
	exits = nla_nest_start(skb, RINGVM_ATTR_EXITS);
	if (!exits)
		goto cancel;
	for (i = 0; i < RINGVM_NR_EXIT_REASONS; i++) {
		if (!counts[i])
			continue;
		e = nla_nest_start(skb, RINGVM_ATTR_EXIT);
		if (!e || nla_put_u32(skb, RINGVM_ATTR_EXIT_REASON, i) ||
		    nla_put_u64_64bit(skb, RINGVM_ATTR_EXIT_COUNT, counts[i], RINGVM_ATTR_PAD))
			goto cancel;
		nla_nest_end(skb, e);
	}
	nla_nest_end(skb, exits);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* cb->args[0]: how many VMs earlier parts of the dump already carried. */
static int dump_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool all = netlink_capable(cb->skb, CAP_NET_ADMIN);
	kuid_t uid = current_euid();
	struct ringvm_vm *vm;
	long idx = 0;

	mutex_lock(&ringvm_vm_list_lock);
	list_for_each_entry(vm, &ringvm_vm_list, link) {
		if (!all && !uid_eq(vm->uid, uid))
			continue;
		if (idx++ < cb->args[0])
			continue;
		if (put_vm(skb, cb, vm)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&ringvm_vm_list_lock);
	cb->args[0] = idx;
	return skb->len;
}

static const struct genl_small_ops ringvm_genl_ops[] = {
	{
		.cmd = RINGVM_CMD_GET_VM,
		.validate = GENL_DONT_VALIDATE_STRICT | GENL_DONT_VALIDATE_DUMP,
		.dumpit = dump_vms,
	},
};

static struct genl_family ringvm_genl_family = {
	.name = RINGVM_GENL_NAME,
	.version = RINGVM_GENL_VERSION,
	.maxattr = RINGVM_ATTR_MAX,
	.module = THIS_MODULE,
	.small_ops = ringvm_genl_ops,
	.n_small_ops = ARRAY_SIZE(ringvm_genl_ops),
	.resv_start_op = RINGVM_CMD_GET_VM + 1,
};

int ringvm_netlink_init(void)
{
	return genl_register_family(&ringvm_genl_family);
}

void ringvm_netlink_exit(void)
{
	genl_unregister_family(&ringvm_genl_family);
}
