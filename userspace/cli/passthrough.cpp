// SPDX-License-Identifier: GPL-2.0
// `ringvm passthrough bind|unbind|list`: hand PCI devices to ringvm_vfio.
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "vmm/error.h"
#include "vmm/passthrough.h"

namespace ringvm::cli {

namespace {

namespace pt = ringvm::passthrough;

struct Options {
	std::string bdf;
	std::string sysfs = "/sys";
	bool all = false;
};

int run_bind(const Options &o)
{
	pt::Sysfs sys(o.sysfs);
	std::string bdf = pt::normalize_bdf(o.bdf);
	if (pt::bind(sys, bdf) == pt::Change::already)
		std::cout << bdf << " is already bound to " << pt::kDriver << "\n";
	else
		std::cout << bdf << " bound to " << pt::kDriver << "\n";
	std::cout << "device node: " << pt::device_node(bdf) << "\n";
	return 0;
}

int run_unbind(const Options &o)
{
	pt::Sysfs sys(o.sysfs);
	std::string bdf = pt::normalize_bdf(o.bdf);
	// The kernel holds the unbind until the VMM using the device closes it.
	if (pt::unbind(sys, bdf) == pt::Change::already)
		std::cout << bdf << " is not bound to " << pt::kDriver << "\n";
	else
		std::cout << bdf << " unbound from " << pt::kDriver << "\n";
	return 0;
}

int run_list(const Options &o)
{
	pt::Sysfs sys(o.sysfs);
	auto devices = pt::list_devices(sys);
	std::cout << std::left << std::setw(14) << "DEVICE" << std::setw(11) << "ID"
		  << std::setw(7) << "GROUP" << std::setw(14) << "DRIVER" << "NODE\n";
	for (const auto &d : devices) {
		bool ours = d.driver == pt::kDriver;
		if (!o.all && !ours && d.driver_override != pt::kDriver)
			continue;
		std::cout << std::setw(14) << d.bdf << std::setw(11) << d.vendor_device
			  << std::setw(7) << (d.iommu_group.empty() ? "-" : d.iommu_group)
			  << std::setw(14) << (d.driver.empty() ? "-" : d.driver)
			  << (ours ? pt::device_node(d.bdf) : "-") << "\n";
	}
	return 0;
}

// Errors become one "ringvm: ..." line and exit status 1.
template <typename F> void guarded(F fn, const Options &o)
{
	try {
		g_status = fn(o);
	} catch (const Error &e) {
		std::cerr << "ringvm: " << e.what() << "\n";
		g_status = kStatusFailed;
	}
}

} // namespace

void register_passthrough(CLI::App &app)
{
	auto opts = std::make_shared<Options>();
	auto *pt = app.add_subcommand("passthrough",
				      "Hand PCI devices to ringvm_vfio (IOMMU passthrough)");
	pt->require_subcommand(1);
	pt->add_option("--sysfs", opts->sysfs, "Where sysfs is mounted")->capture_default_str();

	auto *bind = pt->add_subcommand("bind", "Bind a PCI device to ringvm-vfio");
	bind->add_option("bdf", opts->bdf, "PCI address, e.g. 0000:00:03.0")->required();
	bind->callback([opts] { guarded(run_bind, *opts); });

	auto *unbind = pt->add_subcommand("unbind", "Give a PCI device back to the host");
	unbind->add_option("bdf", opts->bdf, "PCI address, e.g. 0000:00:03.0")->required();
	unbind->callback([opts] { guarded(run_unbind, *opts); });

	auto *list = pt->add_subcommand("list", "List devices bound to ringvm-vfio");
	list->add_flag("--all", opts->all, "List every PCI device");
	list->callback([opts] { guarded(run_list, *opts); });
}

} // namespace ringvm::cli
