/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RINGVM_NETLINK_H
#define RINGVM_NETLINK_H

int ringvm_netlink_init(void);
void ringvm_netlink_exit(void);

#endif /* RINGVM_NETLINK_H */
