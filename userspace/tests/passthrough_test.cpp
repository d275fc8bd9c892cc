// SPDX-License-Identifier: GPL-2.0
// `ringvm passthrough` sysfs logic against a fake sysfs tree in a temp dir,
// with a fake kernel that binds and unbinds the way the PCI core does.
#include "vmm/passthrough.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "vmm/error.h"

namespace fs = std::filesystem;
namespace pt = ringvm::passthrough;

namespace {

// Plays the PCI core: drivers_probe binds to driver_override (unless told
// to refuse), driver/unbind removes the driver link. Records every write.
class FakeKernel : public pt::Sysfs {
public:
	using pt::Sysfs::Sysfs;

	mutable std::vector<std::pair<std::string, std::string>> writes;
	bool refuse = false;

	void write(const fs::path &attr, std::string_view value) const override
	{
		pt::Sysfs::write(attr, value); // the real code path, on plain files
		std::string rel = attr.lexically_relative(root()).string();
		writes.emplace_back(rel, std::string(value));
		std::string bdf(value);
		fs::path dev = device_dir(bdf);
		if (attr.filename() == "unbind") {
			fs::remove(dev / "driver");
		} else if (attr.filename() == "drivers_probe") {
			auto ov = read(dev / "driver_override").value_or("");
			fs::path drv = root() / "bus/pci/drivers" / ov;
			if (!refuse && !ov.empty() && ov != "(null)" && fs::exists(drv) &&
			    !fs::exists(dev / "driver"))
				fs::create_directory_symlink(drv, dev / "driver");
		} else if (attr.filename() == "driver_override" && value == "\n") {
			std::ofstream(attr) << "(null)\n";
		}
	}
};

class Passthrough : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ringvm-sysfs-XXXXXX";
		ASSERT_NE(nullptr, ::mkdtemp(tmpl));
		root_ = tmpl;
		fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read |
					       fs::perms::group_exec | fs::perms::others_read |
					       fs::perms::others_exec);
		fs::create_directories(root_ / "bus/pci/devices");
		fs::create_directories(root_ / "bus/pci/drivers");
		touch(root_ / "bus/pci/drivers_probe", "");
		kernel_ = std::make_unique<FakeKernel>(root_);
	}
	void TearDown() override { fs::remove_all(root_); }

	static void touch(const fs::path &p, const std::string &content)
	{
		std::ofstream(p) << content;
	}
	void add_driver(const std::string &name)
	{
		fs::create_directories(root_ / "bus/pci/drivers" / name);
		touch(root_ / "bus/pci/drivers" / name / "unbind", "");
	}
	void add_device(const std::string &bdf, const std::string &vendor,
			const std::string &device, const std::string &driver = "",
			const std::string &group = "")
	{
		fs::path d = root_ / "bus/pci/devices" / bdf;
		fs::create_directories(d);
		touch(d / "vendor", "0x" + vendor + "\n");
		touch(d / "device", "0x" + device + "\n");
		touch(d / "driver_override", "(null)\n");
		if (!driver.empty()) {
			add_driver(driver);
			fs::create_directory_symlink(root_ / "bus/pci/drivers" / driver,
						     d / "driver");
		}
		if (!group.empty()) {
			fs::create_directories(root_ / "kernel/iommu_groups" / group);
			fs::create_directory_symlink(root_ / "kernel/iommu_groups" / group,
						     d / "iommu_group");
		}
	}
	std::string error_of(auto fn)
	{
		try {
			fn();
		} catch (const ringvm::Error &e) {
			return e.what();
		}
		return "no error";
	}

	fs::path root_;
	std::unique_ptr<FakeKernel> kernel_;
};

using Writes = std::vector<std::pair<std::string, std::string>>;

TEST(PassthroughBdf, NormalizesShortAndUpperCaseForms)
{
	EXPECT_EQ("0000:00:03.0", pt::normalize_bdf("00:03.0"));
	EXPECT_EQ("0000:00:1f.7", pt::normalize_bdf("0000:00:1F.7"));
	EXPECT_EQ("0001:af:00.1", pt::normalize_bdf("0001:af:00.1"));
}

TEST(PassthroughBdf, RejectsWhatIsNotAnAddress)
{
	for (const char *bad : {"", "zz", "00:03", "0000:00:03", "00:20.0", "00:03.8",
				"0000:00:03.0x", "000:00:03.0", "0000:g0:03.0", "../../x"})
		EXPECT_THROW(pt::normalize_bdf(bad), ringvm::Error) << bad;
	EXPECT_EQ("\"00:03\" is not a PCI address (expected DDDD:BB:SS.F or BB:SS.F, e.g. "
		  "0000:00:03.0)",
		  [] {
			  try {
				  pt::normalize_bdf("00:03");
			  } catch (const ringvm::Error &e) {
				  return std::string(e.what());
			  }
			  return std::string();
		  }());
}

TEST_F(Passthrough, UnknownDeviceIsNamed)
{
	add_driver(pt::kDriver);
	EXPECT_EQ("no PCI device 0000:00:09.0 (see " + (root_ / "bus/pci/devices").string() + ")",
		  error_of([&] { pt::bind(*kernel_, "0000:00:09.0"); }));
	EXPECT_TRUE(kernel_->writes.empty());
}

TEST_F(Passthrough, ModuleNotLoadedSaysWhatToLoad)
{
	add_device("0000:00:03.0", "1234", "11e8");
	EXPECT_EQ("ringvm_vfio is not loaded (insmod kmod/vfio/ringvm_vfio.ko)",
		  error_of([&] { pt::bind(*kernel_, "0000:00:03.0"); }));
	EXPECT_TRUE(kernel_->writes.empty());
}

TEST_F(Passthrough, BindTakesTheDeviceFromItsHostDriver)
{
	add_driver(pt::kDriver);
	add_device("0000:00:03.0", "1234", "11e8", "edu-host", "3");
	EXPECT_EQ(pt::Change::done, pt::bind(*kernel_, "0000:00:03.0"));
	EXPECT_EQ((Writes{{"bus/pci/devices/0000:00:03.0/driver_override", "ringvm-vfio"},
			  {"bus/pci/devices/0000:00:03.0/driver/unbind", "0000:00:03.0"},
			  {"bus/pci/drivers_probe", "0000:00:03.0"}}),
		  kernel_->writes);
	EXPECT_EQ(pt::kDriver, pt::describe(*kernel_, "0000:00:03.0").driver);

	kernel_->writes.clear();
	EXPECT_EQ(pt::Change::already, pt::bind(*kernel_, "0000:00:03.0"));
	EXPECT_TRUE(kernel_->writes.empty());
}

TEST_F(Passthrough, BindOfAnUnboundDeviceSkipsUnbind)
{
	add_driver(pt::kDriver);
	add_device("0000:00:03.0", "1234", "11e8");
	EXPECT_EQ(pt::Change::done, pt::bind(*kernel_, "0000:00:03.0"));
	EXPECT_EQ((Writes{{"bus/pci/devices/0000:00:03.0/driver_override", "ringvm-vfio"},
			  {"bus/pci/drivers_probe", "0000:00:03.0"}}),
		  kernel_->writes);
}

TEST_F(Passthrough, RefusedBindIsRolledBack)
{
	add_driver(pt::kDriver);
	add_device("0000:00:1e.0", "8086", "244e");
	kernel_->refuse = true;
	EXPECT_EQ("the kernel did not bind 0000:00:1e.0 to ringvm-vfio (see dmesg; bridges are "
		  "never handed out)",
		  error_of([&] { pt::bind(*kernel_, "0000:00:1e.0"); }));
	EXPECT_EQ("", pt::describe(*kernel_, "0000:00:1e.0").driver_override);
	EXPECT_EQ("\n", kernel_->writes.at(2).second);
}

TEST_F(Passthrough, UnbindHandsTheDeviceBack)
{
	add_driver(pt::kDriver);
	add_device("0000:00:03.0", "1234", "11e8");
	ASSERT_EQ(pt::Change::done, pt::bind(*kernel_, "0000:00:03.0"));
	kernel_->writes.clear();
	EXPECT_EQ(pt::Change::done, pt::unbind(*kernel_, "0000:00:03.0"));
	EXPECT_EQ((Writes{{"bus/pci/devices/0000:00:03.0/driver/unbind", "0000:00:03.0"},
			  {"bus/pci/devices/0000:00:03.0/driver_override", "\n"},
			  {"bus/pci/drivers_probe", "0000:00:03.0"}}),
		  kernel_->writes);
	auto d = pt::describe(*kernel_, "0000:00:03.0");
	EXPECT_EQ("", d.driver);
	EXPECT_EQ("", d.driver_override);
	EXPECT_EQ(pt::Change::already, pt::unbind(*kernel_, "0000:00:03.0"));
}

TEST_F(Passthrough, UnbindLeavesOtherDriversAlone)
{
	add_device("0000:00:19.0", "8086", "10d3", "e1000e");
	EXPECT_EQ("0000:00:19.0 is bound to e1000e, not to ringvm-vfio: nothing to unbind",
		  error_of([&] { pt::unbind(*kernel_, "0000:00:19.0"); }));
	EXPECT_TRUE(kernel_->writes.empty());
}

TEST_F(Passthrough, ListIsSortedAndDescribesEachDevice)
{
	add_driver(pt::kDriver);
	add_device("0000:00:1f.3", "8086", "2930", "", "4");
	add_device("0000:00:03.0", "1234", "11e8", "", "3");
	ASSERT_EQ(pt::Change::done, pt::bind(*kernel_, "0000:00:03.0"));
	auto list = pt::list_devices(*kernel_);
	ASSERT_EQ(2u, list.size());
	EXPECT_EQ("0000:00:03.0", list[0].bdf);
	EXPECT_EQ("1234:11e8", list[0].vendor_device);
	EXPECT_EQ("ringvm-vfio", list[0].driver);
	EXPECT_EQ("ringvm-vfio", list[0].driver_override);
	EXPECT_EQ("3", list[0].iommu_group);
	EXPECT_EQ("0000:00:1f.3", list[1].bdf);
	EXPECT_EQ("", list[1].driver);
	EXPECT_EQ("/dev/ringvm-vfio-dev/0000:00:03.0", pt::device_node("0000:00:03.0"));
}

TEST_F(Passthrough, NotRootSaysSo)
{
	add_driver(pt::kDriver);
	add_device("0000:00:03.0", "1234", "11e8");
	// Root may write anything: act as nobody for the attempt.
	bool was_root = ::geteuid() == 0;
	if (was_root) {
		ASSERT_EQ(0, ::seteuid(65534));
	}
	std::string err = error_of([&] { pt::bind(*kernel_, "0000:00:03.0"); });
	if (was_root) {
		ASSERT_EQ(0, ::seteuid(0));
	}
	EXPECT_EQ("cannot write " + (root_ / "bus/pci/devices/0000:00:03.0/driver_override").string() +
			  ": permission denied (run as root)",
		  err);
}

} // namespace
