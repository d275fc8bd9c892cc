// SPDX-License-Identifier: GPL-2.0
/*
 * Runner self-check only: a module that WARNs when loaded, so that
 * `make check RINGVM_INJECT=warn` proves a kernel warning fails the run.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "ringvm runner self-check: injected warning\n");
	return 0;
}
module_init(warn_on_load_init);
MODULE_LICENSE("GPL");
