// SPDX-License-Identifier: GPL-2.0
#include "board/aml.h"

#include "vmm/error.h"

namespace ringvm::aml {

namespace {

constexpr uint8_t kZeroOp = 0x00, kOneOp = 0x01, kNameOp = 0x08, kByteConst = 0x0a,
		  kWordConst = 0x0b, kDWordConst = 0x0c, kQWordConst = 0x0e, kScopeOp = 0x10,
		  kBufferOp = 0x11, kPackageOp = 0x12, kExtOpPrefix = 0x5b, kDeviceOp = 0x82,
		  kRootChar = 0x5c, kDualNamePrefix = 0x2e, kMultiNamePrefix = 0x2f;

void append(Bytes &to, const Bytes &b)
{
	to.insert(to.end(), b.begin(), b.end());
}

void le(Bytes &to, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		to.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Opcode(s), PkgLength, then @body.
Bytes with_length(const Bytes &op, const Bytes &body)
{
	Bytes out = op;
	append(out, pkg_length(body.size()));
	append(out, body);
	return out;
}

} // namespace

Bytes pkg_length(size_t content)
{
	// One byte holds 6 bits; with n following bytes, 4 + 8n bits.
	for (unsigned extra = 0; extra < 4; extra++) {
		size_t total = content + 1 + extra;
		if (extra == 0 && total < 0x40)
			return {static_cast<uint8_t>(total)};
		if (extra > 0 && total < (size_t{1} << (4 + 8 * extra))) {
			Bytes out{static_cast<uint8_t>(extra << 6 | (total & 0xf))};
			le(out, total >> 4, extra);
			return out;
		}
	}
	throw Error("AML object of " + std::to_string(content) + " bytes is too large");
}

Bytes name_string(const std::string &path)
{
	Bytes out;
	size_t i = 0;
	if (!path.empty() && path[0] == '\\') {
		out.push_back(kRootChar);
		i = 1;
	}
	std::vector<std::string> segs;
	while (i < path.size()) {
		size_t dot = path.find('.', i);
		std::string seg = path.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
		if (seg.empty() || seg.size() > 4)
			throw Error("bad AML name segment '" + seg + "' in " + path);
		seg.resize(4, '_');
		segs.push_back(seg);
		i = dot == std::string::npos ? path.size() : dot + 1;
	}
	if (segs.empty())
		out.push_back(kZeroOp); // NullName
	else if (segs.size() == 2)
		out.push_back(kDualNamePrefix);
	else if (segs.size() > 2) {
		out.push_back(kMultiNamePrefix);
		out.push_back(static_cast<uint8_t>(segs.size()));
	}
	for (const auto &s : segs)
		out.insert(out.end(), s.begin(), s.end());
	return out;
}

Bytes name(const std::string &path, const Bytes &value)
{
	Bytes out{kNameOp};
	append(out, name_string(path));
	append(out, value);
	return out;
}

Bytes scope(const std::string &path, const Bytes &body)
{
	Bytes b = name_string(path);
	append(b, body);
	return with_length({kScopeOp}, b);
}

Bytes device(const std::string &seg, const Bytes &body)
{
	Bytes b = name_string(seg);
	append(b, body);
	return with_length({kExtOpPrefix, kDeviceOp}, b);
}

Bytes package(const std::vector<Bytes> &elements)
{
	if (elements.size() > 255)
		throw Error("AML package of " + std::to_string(elements.size()) +
			    " elements needs a VarPackage");
	Bytes b{static_cast<uint8_t>(elements.size())};
	for (const auto &e : elements)
		append(b, e);
	return with_length({kPackageOp}, b);
}

Bytes integer(uint64_t v)
{
	if (v == 0)
		return {kZeroOp};
	if (v == 1)
		return {kOneOp};
	Bytes out;
	if (v <= 0xff) {
		out.push_back(kByteConst);
		le(out, v, 1);
	} else if (v <= 0xffff) {
		out.push_back(kWordConst);
		le(out, v, 2);
	} else if (v <= 0xffffffff) {
		out.push_back(kDWordConst);
		le(out, v, 4);
	} else {
		out.push_back(kQWordConst);
		le(out, v, 8);
	}
	return out;
}

Bytes eisa_id(const char *id)
{
	// Three letters in 5 bits each, then four hex digits, big-endian.
	std::string s(id);
	if (s.size() != 7)
		throw Error("bad EISA id '" + s + "'");
	uint32_t vendor = (uint32_t(s[0] - '@') & 0x1f) << 10 | (uint32_t(s[1] - '@') & 0x1f) << 5 |
			  (uint32_t(s[2] - '@') & 0x1f);
	uint32_t product = static_cast<uint32_t>(std::stoul(s.substr(3), nullptr, 16));
	Bytes out{kDWordConst, static_cast<uint8_t>(vendor >> 8), static_cast<uint8_t>(vendor),
		  static_cast<uint8_t>(product >> 8), static_cast<uint8_t>(product)};
	return out;
}

Bytes buffer(const Bytes &data)
{
	Bytes b = integer(data.size());
	append(b, data);
	return with_length({kBufferOp}, b);
}

} // namespace ringvm::aml
