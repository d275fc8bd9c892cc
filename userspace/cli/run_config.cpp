// SPDX-License-Identifier: GPL-2.0
// `ringvm run --config FILE`: the run's settings as one JSON object, in the
// manner of Firecracker's --config-file, with the command line winning over
// the file. Keys are the long options' names; repeatable options take a
// list, whose items are either the flag's own text ("a.img,ro") or an
// object of its parts ({"path": "a.img", "ro": true}).
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/run_options.h"
#include "vmm/error.h"

namespace ringvm::cli {

namespace {

using nlohmann::json;

class Reader {
public:
	explicit Reader(std::string path) : path_(std::move(path)) {}

	[[noreturn]] void fail(const std::string &key, const std::string &why) const
	{
		throw Error("config " + path_ + ": \"" + key + "\" " + why);
	}
	std::string str(const json &v, const std::string &key) const
	{
		if (!v.is_string())
			fail(key, "must be a string");
		return v.get<std::string>();
	}
	// Sizes and ports may be written as numbers too: 512 is 512 MiB, as
	// with --mem 512.
	std::string str_or_number(const json &v, const std::string &key) const
	{
		if (v.is_number_unsigned())
			return std::to_string(v.get<uint64_t>());
		if (!v.is_string())
			fail(key, "must be a string or a non-negative integer");
		return v.get<std::string>();
	}
	bool boolean(const json &v, const std::string &key) const
	{
		if (!v.is_boolean())
			fail(key, "must be true or false");
		return v.get<bool>();
	}
	// An item of a repeatable option: its flag text, or an object whose keys
	// are the parts the flag's text has (@flags: parts that are bare words).
	std::string item(const json &v, const std::string &key, const char *first,
			 const std::vector<std::string> &parts,
			 const std::vector<std::string> &flags) const
	{
		if (v.is_string())
			return v.get<std::string>();
		if (!v.is_object())
			fail(key, "must be a string or an object");
		std::string out;
		if (first) {
			if (!v.contains(first))
				fail(key, std::string("needs \"") + first + "\"");
			out = str(v[first], key + "." + first);
		}
		for (const auto &[k, val] : v.items()) {
			std::string sub = key + "." + k;
			if (first && k == first)
				continue;
			if (std::find(flags.begin(), flags.end(), k) != flags.end()) {
				if (boolean(val, sub))
					out += (out.empty() ? "" : ",") + k;
			} else if (std::find(parts.begin(), parts.end(), k) != parts.end()) {
				out += (out.empty() ? "" : ",") + k + "=" + str(val, sub);
			} else {
				fail(sub, "is not a setting this item has");
			}
		}
		return out;
	}
	std::vector<std::string> list(const json &v, const std::string &key,
				      const std::function<std::string(const json &,
								      const std::string &)> &one) const
	{
		if (!v.is_array())
			fail(key, "must be a list");
		std::vector<std::string> out;
		for (size_t i = 0; i < v.size(); i++)
			out.push_back(one(v[i], key + "[" + std::to_string(i) + "]"));
		return out;
	}

private:
	std::string path_;
};

} // namespace

void apply_config(const std::string &path, RunOptions &o,
		  const std::function<bool(const std::string &option)> &given)
{
	std::ifstream in(path);
	if (!in)
		throw sys_error("open the config file " + path, errno);
	json doc;
	try {
		doc = json::parse(in);
	} catch (const json::parse_error &e) {
		throw Error("config " + path + " is not JSON: " + e.what());
	}
	if (!doc.is_object())
		throw Error("config " + path + " must hold one JSON object");
	Reader r(path);
	auto as_str = [&r](const json &v, const std::string &k) { return r.str(v, k); };
	using Setter = std::function<void(const json &, const std::string &)>;
	const std::map<std::string, Setter> setters = {
		{"kernel", [&](const json &v, auto &k) { o.kernel = r.str(v, k); }},
		{"initrd", [&](const json &v, auto &k) { o.initrd = r.str(v, k); }},
		{"cmdline", [&](const json &v, auto &k) { o.cmdline = r.str(v, k); }},
		{"mem", [&](const json &v, auto &k) { o.mem = r.str_or_number(v, k); }},
		{"cpus",
		 [&](const json &v, auto &k) {
			 if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 64)
				 r.fail(k, "must be a whole number from 1 to 64");
			 o.cpus = v.get<int>();
		 }},
		{"irqchip", [&](const json &v, auto &k) { o.irqchip = r.str(v, k); }},
		{"accel", [&](const json &v, auto &k) { o.accel = r.str(v, k); }},
		{"console", [&](const json &v, auto &k) { o.console = r.str(v, k); }},
		{"name", [&](const json &v, auto &k) { o.name = r.str(v, k); }},
		{"debug-exit", [&](const json &v, auto &k) { o.debug_exit = r.str_or_number(v, k); }},
		{"vhost", [&](const json &v, auto &k) { o.vhost = r.str(v, k); }},
		{"rng", [&](const json &v, auto &k) { o.rng = r.boolean(v, k); }},
		{"detach", [&](const json &v, auto &k) { o.detach = r.boolean(v, k); }},
		{"module", [&](const json &v, auto &k) { o.modules = r.list(v, k, as_str); }},
		{"passthrough", [&](const json &v, auto &k) { o.passthrough = r.list(v, k, as_str); }},
		{"disk",
		 [&](const json &v, auto &k) {
			 o.disks = r.list(v, k, [&r](const json &d, const std::string &dk) {
				 return r.item(d, dk, "path", {"serial"}, {"ro"});
			 });
		 }},
		{"net",
		 [&](const json &v, auto &k) {
			 o.nets = r.list(v, k, [&r](const json &n, const std::string &nk) {
				 return r.item(n, nk, nullptr,
					       {"tap", "bridge", "host_ip", "mac", "model"}, {});
			 });
		 }},
	};
	for (const auto &[key, value] : doc.items()) {
		auto it = setters.find(key);
		if (it == setters.end()) {
			std::string known;
			for (const auto &[k, s] : setters)
				known += (known.empty() ? "" : ", ") + k;
			r.fail(key, "is not a setting of ringvm run (the settings are " + known +
					    ")");
		}
		// The command line wins: the file fills only what it left unset.
		if (!given(key))
			it->second(value, key);
	}
}

} // namespace ringvm::cli
