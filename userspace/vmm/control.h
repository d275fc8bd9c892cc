// SPDX-License-Identifier: GPL-2.0
// The control socket of a named VM (`ringvm run --name NAME`): a Unix stream
// socket under $XDG_RUNTIME_DIR/ringvm/ (or /run/ringvm/ for root) that takes
// one JSON object per line and answers each with one JSON object per line:
//
//   {"cmd":"info"}   -> {"ok":true,"name":...,"pid":...,"state":"running",...}
//   {"cmd":"pause"}  -> {"ok":true,"state":"paused"}
//   {"cmd":"resume"} -> {"ok":true,"state":"running"}
//   {"cmd":"stop"}   -> {"ok":true,"state":"stopping"}
//   {"cmd":"stats"}  -> {"ok":true,"exits":...,...}
//   anything else    -> {"ok":false,"error":"why"}
//
// Documentation/cli.rst describes it for users.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <thread>
#include <vector>

#include "vmm/fd.h"
#include "vmm/vhost.h" // EventFd

namespace ringvm::control {

// What the socket drives; the VMM implements it over its machine. Each call
// may throw Error, which the reply carries as {"ok":false,"error":...}.
class Target {
public:
	virtual ~Target() = default;
	virtual nlohmann::json info() = 0;
	virtual nlohmann::json stats() = 0;
	virtual void pause() = 0;
	virtual void resume() = 0;
	virtual void stop() = 0;
};

// One request line in, one reply line out (no trailing newline). Never throws.
std::string handle_line(const std::string &line, Target &target);

// Throws Error unless @name is 1-64 characters of [A-Za-z0-9._-], not
// starting with '.' (it becomes a file name).
void check_name(const std::string &name);
// The directory holding the sockets: $XDG_RUNTIME_DIR/ringvm when set,
// /run/ringvm for root, else an Error saying so.
std::string socket_dir();
std::string socket_path(const std::string &name); // socket_dir()/NAME.sock

// Serves the socket at @path from a thread of its own, one client at a time,
// until destroyed; the socket file is removed then. Throws Error when @path
// is taken by a VM that answers, or cannot be bound.
class Server {
public:
	Server(std::string path, Target &target);
	~Server();
	Server(const Server &) = delete;
	Server &operator=(const Server &) = delete;

private:
	void serve();
	void serve_client(int fd);

	std::string path_;
	Target &target_;
	Fd listen_;
	EventFd quit_;
	std::thread thread_;
};

// A connection to a VM's control socket.
class Client {
public:
	// Throws Error when nothing listens at @path.
	explicit Client(const std::string &path);
	// Sends @request and returns the reply; throws Error on a broken
	// connection or a reply that is not JSON (not on {"ok":false}).
	nlohmann::json call(const nlohmann::json &request);
	// The VMM's pid, from the kernel (SO_PEERCRED), so even a VMM that no
	// longer answers can be named.
	int peer_pid() const;

private:
	Fd fd_;
	std::string buf_;
};

// Names of the VMs with a socket in socket_dir() (sorted; stale ones too).
std::vector<std::string> list_names();

} // namespace ringvm::control
