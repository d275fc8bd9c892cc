// SPDX-License-Identifier: GPL-2.0
// The control socket's protocol, its paths, and a server and client talking
// over a real socket; and the console's Ctrl-A escape.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "vmm/console.h"
#include "vmm/control.h"
#include "vmm/error.h"

namespace ringvm {
namespace {

using nlohmann::json;

struct FakeTarget : control::Target {
	int pauses = 0, resumes = 0, stops = 0;
	bool fail_stats = false;
	json info() override { return {{"name", "t"}, {"state", pauses > resumes ? "paused" : "running"}}; }
	json stats() override
	{
		if (fail_stats)
			throw Error("no counters here");
		return {{"total_exits", 7}};
	}
	void pause() override { pauses++; }
	void resume() override { resumes++; }
	void stop() override { stops++; }
};

json call(const std::string &line, control::Target &t)
{
	return json::parse(control::handle_line(line, t));
}

TEST(ControlProtocol, EachCommandReachesTheTarget)
{
	FakeTarget t;
	EXPECT_EQ(call(R"({"cmd":"pause"})", t), (json{{"ok", true}, {"state", "paused"}}));
	EXPECT_EQ(t.pauses, 1);
	EXPECT_EQ(call(R"({"cmd":"info"})", t)["state"], "paused");
	EXPECT_EQ(call(R"({"cmd":"resume"})", t)["state"], "running");
	EXPECT_EQ(t.resumes, 1);
	EXPECT_EQ(call(R"({"cmd":"stats"})", t), (json{{"ok", true}, {"total_exits", 7}}));
	EXPECT_EQ(call(R"({"cmd":"stop"})", t)["state"], "stopping");
	EXPECT_EQ(t.stops, 1);
}

TEST(ControlProtocol, BadRequestsGetAnErrorNotAnAction)
{
	FakeTarget t;
	for (const char *bad : {"", "not json", "[1,2]", R"({"cmd":3})", R"({"nocmd":1})",
				R"({"cmd":"reboot"})", R"({"cmd":"stop")"}) {
		json r = call(bad, t);
		EXPECT_EQ(r["ok"], false) << bad;
		EXPECT_FALSE(r.value("error", "").empty()) << bad;
	}
	EXPECT_EQ(t.stops + t.pauses + t.resumes, 0);
	EXPECT_NE(call(R"({"cmd":"reboot"})", t)["error"].get<std::string>().find("reboot"),
		  std::string::npos);
}

TEST(ControlProtocol, TargetErrorsAreCarriedInTheReply)
{
	FakeTarget t;
	t.fail_stats = true;
	EXPECT_EQ(call(R"({"cmd":"stats"})", t), (json{{"ok", false}, {"error", "no counters here"}}));
}

TEST(ControlNames, OnlyPlainFileNames)
{
	for (const char *good : {"a", "web-1", "db_2.test", "A9"})
		EXPECT_NO_THROW(control::check_name(good)) << good;
	for (const char *bad : {"", ".hidden", "a/b", "../x", "sp ace", "x\n"})
		EXPECT_THROW(control::check_name(bad), Error) << bad;
	EXPECT_THROW(control::check_name(std::string(65, 'a')), Error);
}

class ControlSocket : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ringvm-control-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		const char *old = getenv("XDG_RUNTIME_DIR");
		had_ = old != nullptr;
		if (had_)
			old_ = old;
		setenv("XDG_RUNTIME_DIR", dir_.c_str(), 1);
	}
	void TearDown() override
	{
		if (had_)
			setenv("XDG_RUNTIME_DIR", old_.c_str(), 1);
		else
			unsetenv("XDG_RUNTIME_DIR");
		std::filesystem::remove_all(dir_);
	}
	std::string dir_, old_;
	bool had_ = false;
};

TEST_F(ControlSocket, PathFollowsXdgRuntimeDir)
{
	EXPECT_EQ(control::socket_path("vm1"), dir_ + "/ringvm/vm1.sock");
	EXPECT_THROW(control::socket_path("../vm1"), Error);
}

TEST_F(ControlSocket, ServerAndClientTalkLineByLine)
{
	FakeTarget t;
	std::string path = control::socket_path("vm1");
	{
		control::Server s(path, t);
		struct stat st{};
		ASSERT_EQ(::stat((dir_ + "/ringvm").c_str(), &st), 0);
		EXPECT_EQ(st.st_mode & 0777, 0700u); // only the owner drives its VMs
		EXPECT_EQ(control::list_names(), std::vector<std::string>{"vm1"});

		control::Client c(path);
		EXPECT_EQ(c.peer_pid(), ::getpid());
		EXPECT_EQ(c.call({{"cmd", "pause"}})["state"], "paused");
		EXPECT_EQ(c.call({{"cmd", "info"}})["state"], "paused");
		EXPECT_EQ(c.call({{"cmd", "bogus"}})["ok"], false);
		EXPECT_EQ(c.call({{"cmd", "stop"}})["ok"], true);
		EXPECT_EQ(t.pauses, 1);
		EXPECT_EQ(t.stops, 1);

		// A second VM may not take a name that answers.
		FakeTarget other;
		EXPECT_THROW(control::Server(path, other), Error);
	}
	// Gone with the server: nothing is left to list or to connect to.
	EXPECT_TRUE(control::list_names().empty());
	EXPECT_THROW(control::Client{path}, Error);
}

TEST_F(ControlSocket, StaleSocketIsTakenOver)
{
	FakeTarget t;
	std::string path = control::socket_path("vm2");
	std::filesystem::create_directories(dir_ + "/ringvm");
	int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path.c_str());
	ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	::close(fd); // bound, never listened: connect() is refused
	EXPECT_THROW(control::Client{path}, Error);
	control::Server s(path, t);
	EXPECT_EQ(control::Client(path).call({{"cmd", "resume"}})["ok"], true);
}

std::vector<uint8_t> feed_all(ConsoleEscape &e, const std::string &in, ConsoleEscape::Action *act)
{
	std::vector<uint8_t> out;
	*act = ConsoleEscape::Action::None;
	for (char c : in)
		if (auto a = e.feed(static_cast<uint8_t>(c), out); a != ConsoleEscape::Action::None)
			*act = a;
	return out;
}

TEST(ConsoleEscape, CtrlAXQuitsCtrlAHHelpsAndCtrlACtrlASendsOne)
{
	using A = ConsoleEscape::Action;
	ConsoleEscape e;
	A act;
	EXPECT_EQ(feed_all(e, "ls\n", &act), (std::vector<uint8_t>{'l', 's', '\n'}));
	EXPECT_EQ(A::None, act);
	EXPECT_EQ(feed_all(e, "\x01\x01", &act), (std::vector<uint8_t>{1}));
	EXPECT_EQ(A::None, act);
	EXPECT_EQ(feed_all(e, "\x01q", &act), (std::vector<uint8_t>{1, 'q'}));
	EXPECT_EQ(A::None, act);
	// Ctrl-C is the guest's: it passes through untouched.
	EXPECT_EQ(feed_all(e, "\x03", &act), (std::vector<uint8_t>{3}));
	EXPECT_EQ(A::None, act);
	EXPECT_TRUE(feed_all(e, "\x01h", &act).empty());
	EXPECT_EQ(A::Help, act);
	// Split across reads, as a terminal may deliver it.
	EXPECT_TRUE(feed_all(e, "a\x01", &act) == std::vector<uint8_t>{'a'});
	EXPECT_EQ(A::None, act);
	EXPECT_TRUE(feed_all(e, "x", &act).empty());
	EXPECT_EQ(A::Quit, act);
}

} // namespace
} // namespace ringvm
