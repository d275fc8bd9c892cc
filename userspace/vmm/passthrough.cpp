// SPDX-License-Identifier: GPL-2.0
#include "vmm/passthrough.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "vmm/error.h"
#include "vmm/fd.h"

namespace fs = std::filesystem;

namespace ringvm::passthrough {

namespace {

std::string write_reason(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied (run as root)";
	case ENOENT:
		return "no such file (is sysfs mounted?)";
	default:
		return std::strerror(err);
	}
}

// Last component of a symlink's target ("" if it is not a symlink).
std::string link_name(const fs::path &link)
{
	std::error_code ec;
	fs::path target = fs::read_symlink(link, ec);
	return ec ? std::string() : target.filename().string();
}

bool is_hex(std::string_view s)
{
	return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
		return std::isxdigit(c);
	});
}

std::string lower(std::string s)
{
	std::transform(s.begin(), s.end(), s.begin(),
		       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
	return s;
}

std::string strip_0x(const std::optional<std::string> &v)
{
	if (!v)
		return "????";
	return v->rfind("0x", 0) == 0 ? v->substr(2) : *v;
}

void require_module(const Sysfs &sys)
{
	if (!fs::exists(sys.root() / "bus/pci/drivers" / kDriver))
		throw Error("ringvm_vfio is not loaded (insmod kmod/vfio/ringvm_vfio.ko)");
}

} // namespace

fs::path Sysfs::device_dir(const std::string &bdf) const
{
	return root_ / "bus/pci/devices" / bdf;
}

void Sysfs::write(const fs::path &attr, std::string_view value) const
{
	Fd fd(::open(attr.c_str(), O_WRONLY | O_CLOEXEC));
	if (!fd)
		throw Error("cannot write " + attr.string() + ": " + write_reason(errno));
	ssize_t n = ::write(fd.get(), value.data(), value.size());
	if (n < 0)
		throw Error("cannot write \"" + std::string(value) + "\" to " + attr.string() +
			    ": " + write_reason(errno));
}

std::optional<std::string> Sysfs::read(const fs::path &attr) const
{
	std::ifstream in(attr);
	std::string s;
	if (!in || !std::getline(in, s))
		return std::nullopt;
	return s;
}

std::string address_error(const std::string &text)
{
	try {
		normalize_bdf(text);
		return "";
	} catch (const Error &e) {
		return e.what();
	}
}

std::string normalize_bdf(std::string_view text)
{
	// domain:bus:slot.function, the domain optional.
	std::string s = lower(std::string(text));
	if (std::count(s.begin(), s.end(), ':') == 1)
		s = "0000:" + s;
	auto c1 = s.find(':'), c2 = s.find(':', c1 + 1), dot = s.find('.');
	bool ok = c1 == 4 && c2 == 7 && dot == 10 && s.size() == 12 &&
		  is_hex(s.substr(0, 4)) && is_hex(s.substr(5, 2)) && is_hex(s.substr(8, 2)) &&
		  s[11] >= '0' && s[11] <= '7' && std::stoi(s.substr(8, 2), nullptr, 16) < 32;
	if (!ok)
		throw Error("\"" + std::string(text) +
			    "\" is not a PCI address (expected DDDD:BB:SS.F or BB:SS.F, e.g. 0000:00:03.0)");
	return s;
}

PciDevice describe(const Sysfs &sys, const std::string &bdf)
{
	fs::path dir = sys.device_dir(bdf);
	if (!fs::exists(dir))
		throw Error("no PCI device " + bdf + " (see " +
			    (sys.root() / "bus/pci/devices").string() + ")");
	PciDevice d;
	d.bdf = bdf;
	d.vendor_device = strip_0x(sys.read(dir / "vendor")) + ":" + strip_0x(sys.read(dir / "device"));
	d.driver = link_name(dir / "driver");
	auto ov = sys.read(dir / "driver_override");
	d.driver_override = ov && *ov != "(null)" ? *ov : "";
	d.iommu_group = link_name(dir / "iommu_group");
	return d;
}

std::vector<PciDevice> list_devices(const Sysfs &sys)
{
	std::vector<PciDevice> out;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(sys.root() / "bus/pci/devices", ec))
		out.push_back(describe(sys, e.path().filename().string()));
	if (ec)
		throw Error("cannot list " + (sys.root() / "bus/pci/devices").string() + ": " +
			    ec.message());
	std::sort(out.begin(), out.end(),
		  [](const PciDevice &a, const PciDevice &b) { return a.bdf < b.bdf; });
	return out;
}

std::string device_node(const std::string &bdf)
{
	return "/dev/ringvm-vfio-dev/" + bdf;
}

Change bind(const Sysfs &sys, const std::string &bdf)
{
	PciDevice d = describe(sys, bdf);
	require_module(sys);
	if (d.driver == kDriver)
		return Change::already;
	fs::path dir = sys.device_dir(bdf);
	// Override first: once the host driver lets go nothing else may grab it.
	sys.write(dir / "driver_override", kDriver);
	if (!d.driver.empty())
		sys.write(dir / "driver/unbind", bdf);
	sys.write(sys.root() / "bus/pci/drivers_probe", bdf);
	if (link_name(dir / "driver") == kDriver)
		return Change::done;
	// Refused (a bridge, say): give the device back to the driver it had.
	try {
		sys.write(dir / "driver_override", "\n");
		sys.write(sys.root() / "bus/pci/drivers_probe", bdf);
	} catch (const Error &) {
		// Already failing; the first error is the one to report.
	}
	throw Error("the kernel did not bind " + bdf + " to " + kDriver +
		    " (see dmesg; bridges are never handed out)");
}

Change unbind(const Sysfs &sys, const std::string &bdf)
{
	PciDevice d = describe(sys, bdf);
	fs::path dir = sys.device_dir(bdf);
	if (!d.driver.empty() && d.driver != kDriver)
		throw Error(bdf + " is bound to " + d.driver + ", not to " + kDriver +
			    ": nothing to unbind");
	if (d.driver.empty() && d.driver_override != kDriver)
		return Change::already;
	if (!d.driver.empty())
		sys.write(dir / "driver/unbind", bdf);
	if (d.driver_override == kDriver)
		sys.write(dir / "driver_override", "\n");
	// Give the device back to its own driver, if the host has one for it.
	try {
		sys.write(sys.root() / "bus/pci/drivers_probe", bdf);
	} catch (const Error &) {
		// No driver wants it: it stays unbound, which is fine.
	}
	return Change::done;
}

} // namespace ringvm::passthrough
