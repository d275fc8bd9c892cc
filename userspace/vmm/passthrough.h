// SPDX-License-Identifier: GPL-2.0
// Handing PCI devices to ringvm_vfio and back, through sysfs:
// driver_override + drivers_probe to bind, driver/unbind to let go.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringvm::passthrough {

// The name ringvm_vfio's PCI driver registers (RINGVM_VFIO_DRIVER_NAME).
inline constexpr const char *kDriver = "ringvm-vfio";

// sysfs as the verbs see it. Tests point it at a temporary tree and
// override write() to play the kernel's part.
class Sysfs {
public:
	explicit Sysfs(std::filesystem::path root = "/sys") : root_(std::move(root)) {}
	virtual ~Sysfs() = default;
	Sysfs(const Sysfs &) = delete;
	Sysfs &operator=(const Sysfs &) = delete;

	const std::filesystem::path &root() const { return root_; }
	std::filesystem::path device_dir(const std::string &bdf) const;

	// Writes one attribute; throws Error naming the file and the reason.
	virtual void write(const std::filesystem::path &attr, std::string_view value) const;
	// The attribute's content without its trailing newline, or nullopt.
	std::optional<std::string> read(const std::filesystem::path &attr) const;

private:
	std::filesystem::path root_;
};

struct PciDevice {
	std::string bdf;	     // 0000:00:03.0
	std::string vendor_device;   // 1234:11e8
	std::string driver;	     // bound driver, "" if none
	std::string driver_override; // "" if none
	std::string iommu_group;     // "" without an IOMMU
};

// "00:03.0" or "0000:00:03.0" -> "0000:00:03.0"; throws Error on anything else.
std::string normalize_bdf(std::string_view text);
// "" if @text is a PCI address, else why not: a validator for the CLI's
// --passthrough.
std::string address_error(const std::string &text);

// Reads one device; throws Error if sysfs has no such device.
PciDevice describe(const Sysfs &sys, const std::string &bdf);

// Every PCI device, sorted by address.
std::vector<PciDevice> list_devices(const Sysfs &sys);

// The device node ringvm_vfio creates for a bound device.
std::string device_node(const std::string &bdf);

// Outcome of bind/unbind, for the CLI to report.
enum class Change { done, already };

// Takes the device from its current driver (if any) and binds it to
// ringvm-vfio. Throws Error: unknown device, module not loaded, no
// permission, or the kernel refused the bind.
Change bind(const Sysfs &sys, const std::string &bdf);

// Unbinds the device from ringvm-vfio, clears driver_override and lets
// the kernel probe its usual driver again. Throws Error if the device is
// unknown or bound to some other driver.
Change unbind(const Sysfs &sys, const std::string &bdf);

} // namespace ringvm::passthrough
