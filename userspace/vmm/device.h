// SPDX-License-Identifier: GPL-2.0
// The three ringvm character devices and how to reach them.
#pragma once

#include <string>

#include "vmm/fd.h"

namespace ringvm {

struct DeviceNode {
	const char *name;	 // "ringvm"
	const char *path;	 // "/dev/ringvm"
	const char *module_path; // where `make` leaves the module, for the hint
	unsigned long api_ioctl; // *_GET_API_VERSION
	int api_version;	 // what this build of the CLI speaks
};

extern const DeviceNode kVmxDevice;
extern const DeviceNode kVhostDevice;
extern const DeviceNode kVfioDevice;

// Opens node.path (O_RDWR | O_CLOEXEC); throws Error with the reason and fix.
// `path` overrides node.path (tests).
Fd open_device(const DeviceNode &node, const std::string &path = {});

// The module's API version, or throws Error.
int api_version(const DeviceNode &node, const Fd &fd);

} // namespace ringvm
