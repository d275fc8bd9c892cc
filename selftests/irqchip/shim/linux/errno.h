/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/errno.h>, which glibc's <errno.h> includes too. */
#include <asm/errno.h>
