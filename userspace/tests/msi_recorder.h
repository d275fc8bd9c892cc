// SPDX-License-Identifier: GPL-2.0
// An MsiSink that records what a device asked of the in-kernel irqchip:
// the messages it sent, its MSI routes and the irqfds bound to them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "vmm/error.h"
#include "vmm/irq.h"

namespace ringvm::test {

struct Messages final : MsiSink {
	void signal_msi(uint64_t address, uint32_t data) override { sent.push_back({address, data}); }
	uint32_t add_msi_route() override { return next_gsi++; }
	void set_msi_route(uint32_t gsi, uint64_t address, uint32_t data) override
	{
		route_writes++;
		// As ringvm.ko: only a message to the local APICs' window routes.
		if ((address >> 20) != 0xfee)
			throw Error("the hypervisor refused the route");
		routes[gsi] = {address, data};
	}
	void bind_irqfd(uint32_t gsi, int fd, bool bind) override
	{
		if (bind)
			EXPECT_TRUE(irqfds.emplace(fd, gsi).second) << "binding what was bound";
		else
			EXPECT_EQ(1u, irqfds.erase(fd)) << "unbinding what was not bound";
		if (!bind && on_unbind)
			on_unbind(fd);
	}
	std::function<void(int fd)> on_unbind;
	std::vector<std::pair<uint64_t, uint32_t>> sent;
	uint32_t next_gsi = 24;
	int route_writes = 0;
	std::map<uint32_t, std::pair<uint64_t, uint32_t>> routes; // gsi -> message
	std::map<int, uint32_t> irqfds;				   // fd -> gsi
};

} // namespace ringvm::test
