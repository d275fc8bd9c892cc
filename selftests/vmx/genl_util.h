/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic-netlink client for the "ringvm" family: resolve the
 * family id, dump the VMs, and pull one VM's counters out of the reply.
 */
#ifndef RINGVM_GENL_UTIL_H
#define RINGVM_GENL_UTIL_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/ringvm.h>

struct rv_vm_stats {
	uint32_t id, pid, nr_vcpus;
	uint64_t mem_bytes, device_bytes, userspace_exits;
	uint64_t exits[128];
	int found;
};

#define RV_NLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define RV_NLA_OK(a, len) ((len) >= (int)sizeof(struct nlattr) && \
			   (a)->nla_len >= sizeof(struct nlattr) && (a)->nla_len <= (len))
#define RV_NLA_NEXT(a, len) ((len) -= NLA_ALIGN((a)->nla_len), \
			     (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

static inline int rv_genl_send(int fd, uint16_t type, uint16_t flags, uint8_t cmd,
			       uint16_t attr, const char *str)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[64];
	} req;
	struct nlattr *a = (struct nlattr *)req.buf;
	int alen = 0;

	memset(&req, 0, sizeof(req));
	if (str) {
		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + strlen(str) + 1;
		strcpy(RV_NLA_DATA(a), str);
		alen = NLA_ALIGN(a->nla_len);
	}
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST | flags;
	req.g.cmd = cmd;
	req.g.version = 1;
	return send(fd, &req, req.n.nlmsg_len, 0) < 0 ? -1 : 0;
}

/* The family id of "ringvm", or -1. */
static inline int rv_genl_family(int fd)
{
	char buf[4096];
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct nlattr *a;
	int len;

	if (rv_genl_send(fd, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			 RINGVM_GENL_NAME))
		return -1;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len <= 0 || n->nlmsg_type == NLMSG_ERROR)
		return -1;
	a = (struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
	len = n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (; RV_NLA_OK(a, len); a = RV_NLA_NEXT(a, len))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)RV_NLA_DATA(a);
	return -1;
}

static inline void rv_parse_vm(struct nlattr *a, int len, struct rv_vm_stats *s)
{
	for (; RV_NLA_OK(a, len); a = RV_NLA_NEXT(a, len)) {
		void *d = RV_NLA_DATA(a);

		switch (a->nla_type & NLA_TYPE_MASK) {
		case RINGVM_ATTR_VM_ID: s->id = *(uint32_t *)d; break;
		case RINGVM_ATTR_PID: s->pid = *(uint32_t *)d; break;
		case RINGVM_ATTR_NR_VCPUS: s->nr_vcpus = *(uint32_t *)d; break;
		case RINGVM_ATTR_MEM_BYTES: memcpy(&s->mem_bytes, d, 8); break;
		case RINGVM_ATTR_DEVICE_BYTES: memcpy(&s->device_bytes, d, 8); break;
		case RINGVM_ATTR_USERSPACE_EXITS: memcpy(&s->userspace_exits, d, 8); break;
		case RINGVM_ATTR_EXITS: {
			struct nlattr *e = d;
			int elen = a->nla_len - NLA_HDRLEN;

			for (; RV_NLA_OK(e, elen); e = RV_NLA_NEXT(e, elen)) {
				struct nlattr *f = RV_NLA_DATA(e);
				int flen = e->nla_len - NLA_HDRLEN;
				uint32_t reason = 0;
				uint64_t count = 0;

				for (; RV_NLA_OK(f, flen); f = RV_NLA_NEXT(f, flen)) {
					if (f->nla_type == RINGVM_ATTR_EXIT_REASON)
						reason = *(uint32_t *)RV_NLA_DATA(f);
					else if (f->nla_type == RINGVM_ATTR_EXIT_COUNT)
						memcpy(&count, RV_NLA_DATA(f), 8);
				}
				if (reason < 128)
					s->exits[reason] = count;
			}
			break;
		}
		}
	}
}

/* Dump all VMs; fill @out for the one owned by @pid. Returns VMs seen, or -1. */
static inline int rv_genl_dump(pid_t pid, struct rv_vm_stats *out)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	static char buf[65536];
	int family, vms = 0, done = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -1;
	family = rv_genl_family(fd);
	if (family < 0 || rv_genl_send(fd, family, NLM_F_DUMP, RINGVM_CMD_GET_VM, 0, NULL)) {
		close(fd);
		return -1;
	}
	while (!done) {
		int len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *n;

		if (len <= 0)
			break;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len); n = NLMSG_NEXT(n, len)) {
			struct rv_vm_stats s = { 0 };

			if (n->nlmsg_type == NLMSG_DONE || n->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			rv_parse_vm((struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN),
				    n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), &s);
			vms++;
			if (s.pid == (uint32_t)pid) {
				*out = s;
				out->found = 1;
			}
		}
	}
	close(fd);
	return vms;
}

#endif /* RINGVM_GENL_UTIL_H */
