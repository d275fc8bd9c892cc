// SPDX-License-Identifier: GPL-2.0
/* Instantiates the ringvm_vhost tracepoints declared in trace.h. */
#define CREATE_TRACE_POINTS
#include "trace.h"
