// SPDX-License-Identifier: GPL-2.0
#include "vmm/control.h"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "vmm/error.h"

namespace ringvm::control {

namespace {

using nlohmann::json;

// A request longer than this is not one of ours; the client is dropped.
constexpr size_t kMaxLine = 64 * 1024;
constexpr const char *kSuffix = ".sock";

json fail(const std::string &why) { return json{{"ok", false}, {"error", why}}; }

sockaddr_un make_addr(const std::string &path)
{
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	if (path.size() >= sizeof(a.sun_path))
		throw Error("control socket path " + path + " is longer than a Unix socket allows (" +
			    std::to_string(sizeof(a.sun_path) - 1) + " bytes)");
	std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
	return a;
}

// write() all of @s, false when the peer went away.
bool write_all(int fd, const std::string &s)
{
	size_t done = 0;
	while (done < s.size()) {
		ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += static_cast<size_t>(n);
	}
	return true;
}

// Waits until @fd is readable; false when @quit is signalled or poll fails.
bool wait_readable(int quit, int fd)
{
	for (;;) {
		pollfd p[2] = {{quit, POLLIN, 0}, {fd, POLLIN, 0}};
		if (::poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		return !p[0].revents;
	}
}

} // namespace

std::string handle_line(const std::string &line, Target &target)
{
	json reply;
	try {
		json req = json::parse(line);
		if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
			return fail("a request is a JSON object with a string \"cmd\"").dump();
		std::string cmd = req["cmd"];
		if (cmd == "info") {
			reply = target.info();
		} else if (cmd == "stats") {
			reply = target.stats();
		} else if (cmd == "pause") {
			target.pause();
			reply = {{"state", "paused"}};
		} else if (cmd == "resume") {
			target.resume();
			reply = {{"state", "running"}};
		} else if (cmd == "stop") {
			target.stop();
			reply = {{"state", "stopping"}};
		} else {
			return fail("unknown command '" + cmd +
				    "' (info, stats, pause, resume, stop)")
				.dump();
		}
	} catch (const json::exception &e) {
		return fail(std::string("request is not valid JSON: ") + e.what()).dump();
	} catch (const std::exception &e) {
		return fail(e.what()).dump();
	}
	if (!reply.is_object())
		reply = json{{"value", reply}};
	reply["ok"] = true;
	return reply.dump();
}

void check_name(const std::string &name)
{
	bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' &&
		  std::all_of(name.begin(), name.end(), [](char c) {
			  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		  });
	if (!ok)
		throw Error("invalid VM name '" + name +
			    "': use 1-64 characters of A-Z a-z 0-9 . _ - not starting with '.'");
}

std::string socket_dir()
{
	const char *xdg = std::getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		return std::string(xdg) + "/ringvm";
	if (::geteuid() == 0)
		return "/run/ringvm";
	throw Error("no directory for control sockets: XDG_RUNTIME_DIR is not set and "
		    "/run/ringvm is for root");
}

std::string socket_path(const std::string &name)
{
	check_name(name);
	return socket_dir() + "/" + name + kSuffix;
}

std::vector<std::string> list_names()
{
	std::vector<std::string> names;
	std::string dir = socket_dir();
	DIR *d = ::opendir(dir.c_str());
	if (!d) {
		if (errno == ENOENT)
			return names;
		throw sys_error("open " + dir, errno);
	}
	while (dirent *e = ::readdir(d)) {
		std::string f = e->d_name;
		size_t n = std::strlen(kSuffix);
		if (f.size() > n && f.compare(f.size() - n, n, kSuffix) == 0 && f[0] != '.')
			names.push_back(f.substr(0, f.size() - n));
	}
	::closedir(d);
	std::sort(names.begin(), names.end());
	return names;
}

Server::Server(std::string path, Target &target) : path_(std::move(path)), target_(target)
{
	std::string dir = path_.substr(0, path_.rfind('/'));
	// Only the owner may drive its VMs: the directory is the access check.
	if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST)
		throw sys_error("create the control socket directory " + dir, errno);
	sockaddr_un a = make_addr(path_);
	listen_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (listen_.get() < 0)
		throw sys_error("create the control socket", errno);
	if (::bind(listen_.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) < 0) {
		if (errno != EADDRINUSE)
			throw sys_error("bind the control socket " + path_, errno);
		// A socket file left by a VMM that died is taken over; a live one is not.
		bool live = true;
		try {
			Client probe(path_);
		} catch (const Error &) {
			live = false;
		}
		if (live)
			throw Error("a VM already runs with the control socket " + path_ +
				    " (pick another --name)");
		::unlink(path_.c_str());
		if (::bind(listen_.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) < 0)
			throw sys_error("bind the control socket " + path_, errno);
	}
	if (::listen(listen_.get(), 4) < 0)
		throw sys_error("listen on the control socket " + path_, errno);
	thread_ = std::thread([this] { serve(); });
}

Server::~Server()
{
	quit_.signal();
	thread_.join();
	::unlink(path_.c_str());
}

void Server::serve()
{
	while (wait_readable(quit_.get(), listen_.get())) {
		Fd c(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
		if (c.get() >= 0)
			serve_client(c.get());
	}
}

void Server::serve_client(int fd)
{
	std::string buf;
	char chunk[4096];
	while (wait_readable(quit_.get(), fd)) {
		ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf.append(chunk, static_cast<size_t>(n));
		size_t nl;
		while ((nl = buf.find('\n')) != std::string::npos) {
			std::string line = buf.substr(0, nl);
			buf.erase(0, nl + 1);
			if (!write_all(fd, handle_line(line, target_) + "\n"))
				return;
		}
		if (buf.size() > kMaxLine) {
			write_all(fd, fail("request line longer than 64 KiB").dump() + "\n");
			return;
		}
	}
}

Client::Client(const std::string &path)
{
	sockaddr_un a = make_addr(path);
	fd_ = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (fd_.get() < 0)
		throw sys_error("create a socket", errno);
	if (::connect(fd_.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) < 0) {
		int err = errno;
		if (err == ECONNREFUSED)
			throw Error("no VM answers on " + path + " (its VMM has exited)");
		if (err == ENOENT)
			throw Error("no VM has the control socket " + path +
				    " (ringvm list shows the running VMs)");
		throw sys_error("connect to the control socket " + path, err);
	}
}

nlohmann::json Client::call(const nlohmann::json &request)
{
	if (!write_all(fd_.get(), request.dump() + "\n"))
		throw sys_error("send to the VM's control socket", errno ? errno : EPIPE);
	size_t nl;
	char chunk[4096];
	while ((nl = buf_.find('\n')) == std::string::npos) {
		ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw sys_error("read the VM's control socket", errno);
		if (n == 0)
			throw Error("the VM closed its control socket without answering");
		buf_.append(chunk, static_cast<size_t>(n));
		if (buf_.size() > kMaxLine)
			throw Error("the VM's answer is longer than 64 KiB");
	}
	std::string line = buf_.substr(0, nl);
	buf_.erase(0, nl + 1);
	try {
		return nlohmann::json::parse(line);
	} catch (const nlohmann::json::exception &e) {
		throw Error(std::string("the VM's answer is not JSON: ") + e.what());
	}
}

int Client::peer_pid() const
{
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (::getsockopt(fd_.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		throw sys_error("read the VMM's pid (SO_PEERCRED)", errno);
	return cred.pid;
}

} // namespace ringvm::control
