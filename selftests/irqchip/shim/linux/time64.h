/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/time64.h>. */
#ifndef RV_SHIM_TIME64_H
#define RV_SHIM_TIME64_H
#define NSEC_PER_MSEC	1000000L
#endif
