/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP lines of the benchmark programs: one "ok N <hv>_<what>" per step, so
 * that the runner fails the run when a guest or a module misbehaves.
 */
#ifndef RINGVM_BENCH_TAP_H
#define RINGVM_BENCH_TAP_H

#include <stdbool.h>
#include <stdio.h>

static int tests_run;

static inline void tap(bool ok, const char *what, const char *hv)
{
	printf("%s %d %s_%s\n", ok ? "ok" : "not ok", ++tests_run, hv, what);
	fflush(stdout);
}

#endif /* RINGVM_BENCH_TAP_H */
