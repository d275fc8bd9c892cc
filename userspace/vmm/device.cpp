// SPDX-License-Identifier: GPL-2.0
#include "vmm/device.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>

#include <linux/ringvm.h>
#include <linux/ringvm_vfio.h>
#include <linux/ringvm_vhost.h>

#include "vmm/error.h"

namespace ringvm {

const DeviceNode kVmxDevice = {"ringvm", "/dev/ringvm", "kmod/vmx/ringvm.ko",
			       RINGVM_GET_API_VERSION, RINGVM_API_VERSION};
const DeviceNode kVhostDevice = {"ringvm_vhost", "/dev/ringvm-vhost",
				 "kmod/vhost/ringvm_vhost.ko", RINGVM_VHOST_GET_API_VERSION,
				 RINGVM_VHOST_API_VERSION};
const DeviceNode kVfioDevice = {"ringvm_vfio", "/dev/ringvm-vfio", "kmod/vfio/ringvm_vfio.ko",
				RINGVM_VFIO_GET_API_VERSION, RINGVM_VFIO_API_VERSION};

Fd open_device(const DeviceNode &node, const std::string &path)
{
	const std::string p = path.empty() ? node.path : path;
	Fd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd)
		throw Error("cannot open " + p + ": " +
			    device_open_reason(p, node.module_path, errno));
	return fd;
}

int api_version(const DeviceNode &node, const Fd &fd)
{
	int v = ::ioctl(fd.get(), node.api_ioctl, 0);
	if (v < 0)
		throw sys_error(std::string("read the API version of ") + node.path, errno);
	if (v != node.api_version)
		throw Error(std::string(node.path) + " speaks API version " + std::to_string(v) +
			    ", this ringvm speaks " + std::to_string(node.api_version) +
			    ": load the module built with it");
	return v;
}

} // namespace ringvm
