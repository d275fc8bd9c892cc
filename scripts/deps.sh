#!/usr/bin/env bash
# Make sure everything the build and the test hosts need is on this machine.
#
# Resolves the two Debian 12 kernel ABIs (6.1 default, 6.12 backports), installs the
# Debian packages that are missing (as root; otherwise prints the exact apt-get line),
# extracts kselftest headers and checkpatch from linux-source-6.1, and unpacks the
# bootable test-host kernels into build/kernels/<abi>/ without installing them.
#
# Writes build/kernels.mk (KABI_61, KABI_612) for the Makefile.
#
# `deps.sh build` only sees to what building the userspace needs (for a real
# host, a package build, DKMS): no test hosts, no kernel images; off Debian it
# says what is missing instead of installing it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
mkdir -p "$build"

die() { echo "ringvm deps: $*" >&2; exit 1; }

abi_of() { # meta-package -> ABI string, e.g. linux-image-amd64 -> 6.1.0-56-amd64
	apt-cache depends "$1" 2>/dev/null |
		awk '/Depends: linux-image-/ { sub("linux-image-", "", $2); sub("-unsigned$", "", $2); print $2; exit }'
}

installed_abi() { # newest installed headers for a series, e.g. 6.1 -> 6.1.0-56-amd64
	local series=$1
	ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null |
		sed 's|/usr/src/linux-headers-||' | sort -V | tail -n 1
}

is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=no
apt_update() {
	[ $apt_updated = yes ] && return
	is_root || return 0
	echo "ringvm deps: apt-get update"
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt_updated=yes
}

resolve_abis() {
	KABI_61=$(abi_of linux-image-amd64 || true)
	KABI_612=$(abi_of linux-image-6.12-amd64 || true)
	if [ -z "$KABI_61" ] || [ -z "$KABI_612" ]; then
		apt_update
		KABI_61=$(abi_of linux-image-amd64 || true)
		KABI_612=$(abi_of linux-image-6.12-amd64 || true)
	fi
	# No package lists and not root: fall back to what is installed.
	[ -n "$KABI_61" ] || KABI_61=$(installed_abi 6.1)
	[ -n "$KABI_612" ] || KABI_612=$(installed_abi 6.12)
	[ -n "$KABI_61" ] || die "cannot tell the Debian 6.1 kernel ABI: run 'apt-get update' as root"
	[ -n "$KABI_612" ] || die "cannot tell the Debian 6.12 kernel ABI: run 'apt-get update' as root"
}

packages() {
	build_packages
	cat <<-EOF
	build-essential
	cpio
	gzip
	xz-utils
	zstd
	kmod
	bc
	flex
	bison
	libelf-dev
	libssl-dev
	bochs
	bochsbios
	bochs-term
	vgabios
	qemu-system-x86
	nvme-cli
	busybox-static
	isolinux
	syslinux-common
	xorriso
	linux-headers-$KABI_61
	linux-headers-$KABI_612
	linux-source-6.1
	linux-perf
	gcovr
	dkms
	dh-dkms
	debhelper
	lintian
	dpkg-dev
	EOF
}

# What `make userspace` needs, and nothing of the test hosts'.
build_packages() {
	cat <<-EOF
	g++
	make
	cmake
	pkg-config
	libcli11-dev
	nlohmann-json3-dev
	libnl-3-dev
	libnl-genl-3-dev
	libnl-route-3-dev
	libgtest-dev
	libgmock-dev
	python3-docutils
	EOF
}

# Without dpkg: look for each thing itself and name what is missing.
check_build_tools() {
	local missing=() t
	for t in g++ make cmake pkg-config rst2man; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	for t in libnl-3.0 libnl-genl-3.0 libnl-route-3.0; do
		pkg-config --exists "$t" 2>/dev/null || missing+=("$t (pkg-config)")
	done
	[ -f /usr/include/CLI/CLI.hpp ] || missing+=("CLI11 headers (CLI/CLI.hpp)")
	[ -d /usr/include/gtest ] || missing+=("GoogleTest headers (gtest/, gmock/)")
	[ ${#missing[@]} -eq 0 ] ||
		die "cannot build the userspace; missing: ${missing[*]}"
}

install_packages() {
	local missing=() p list=${1:-packages}
	for p in $($list); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	if ! is_root; then
		die "missing Debian packages; run as root:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	fi
	apt_update
	echo "ringvm deps: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$build/apt-install.log" 2>&1 ||
		{ tail -n 20 "$build/apt-install.log" >&2; die "apt-get install failed (log: $build/apt-install.log)"; }
}

# kselftest headers and checkpatch.pl are not in the headers package.
extract_kernel_tools() {
	local dst=$build/linux-tools
	[ -f "$dst/.done" ] && return
	local tarball
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) || die "linux-source-6.1 is not installed"
	echo "ringvm deps: extracting kselftest headers and checkpatch from $tarball"
	rm -rf "$dst"
	mkdir -p "$dst"
	tar -xJf "$tarball" -C "$dst" --strip-components=1 --wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	touch "$dst/.done"
}

# The test hosts boot Debian's own kernel; unpack it rather than install it.
fetch_kernel() {
	local abi=$1 dst=$build/kernels/$1
	[ -f "$dst/.done" ] && return
	local pkg=linux-image-$abi
	apt-cache show "$pkg" >/dev/null 2>&1 || pkg=linux-image-$abi-unsigned
	echo "ringvm deps: unpacking $pkg for the test hosts"
	rm -rf "$dst" "$build/kernels/.dl-$abi"
	mkdir -p "$dst" "$build/kernels/.dl-$abi"
	(cd "$build/kernels/.dl-$abi" && apt-get download -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
		die "apt-get download $pkg failed"
	dpkg-deb -x "$build"/kernels/.dl-"$abi"/*.deb "$dst"
	rm -rf "$build/kernels/.dl-$abi"
	[ -f "$dst/boot/vmlinuz-$abi" ] || die "$pkg has no /boot/vmlinuz-$abi"
	touch "$dst/.done"
}

if [ "${1:-}" = build ]; then
	if command -v dpkg-query >/dev/null; then
		install_packages build_packages
	else
		check_build_tools
	fi
	exit 0
fi

resolve_abis
install_packages
[ -d "/lib/modules/$KABI_61/build" ] || die "headers for $KABI_61 are not where Kbuild expects them"
extract_kernel_tools
fetch_kernel "$KABI_61"
fetch_kernel "$KABI_612"

tmp=$(mktemp "$build/kernels.mk.XXXX")
printf 'KABI_61 := %s\nKABI_612 := %s\n' "$KABI_61" "$KABI_612" >"$tmp"
mv "$tmp" "$build/kernels.mk"
