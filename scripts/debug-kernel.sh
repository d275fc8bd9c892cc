#!/usr/bin/env bash
# Builds the debug test-host kernel (KASAN, KFENCE, lockdep, UBSAN, ...) once
# and caches it; make check-debug boots it with the usual runner.
#
#   debug-kernel.sh            build if needed; write build/debug-kernel.mk
#
# Source: Debian's linux-source-6.1. Config: x86_64_defconfig merged with
# scripts/debug-kernel.config. The build tree lives in
# build/debug-kernel/<key>/, key = hash of the fragment, the source package
# version and the recipe below, so a changed fragment means a new build and an
# unchanged one is never rebuilt. The bootable kernel and its modules are
# installed as Debian's are unpacked, build/kernels/<abi>/boot/vmlinuz-<abi>
# and build/kernels/<abi>/lib/modules/<abi>/kernel/..., so testhost.sh and
# the plans' kmod: lines work unchanged.
#
# Writes build/debug-kernel.mk: KABI_DEBUG (the kernel release) and
# KDIR_DEBUG (the build tree, for Kbuild M=...).
# DEBUG_KERNEL_JOBS (default: nproc) sets make -j, DEBUG_KERNEL_NICE (default
# 15) its nice level: a build machine shared with running test hosts.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
fragment=$top/scripts/debug-kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}
niceness=${DEBUG_KERNEL_NICE:-15}

die() { echo "ringvm debug-kernel: $*" >&2; exit 1; }
say() { echo "ringvm debug-kernel: $*"; }

[ -f "$tarball" ] || die "$tarball is missing (make deps installs linux-source-6.1)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	srcver=$(stat -c '%s %Y' "$tarball")
# Bump recipe when the way the tree is configured or built changes.
recipe="x86_64_defconfig+fragment v1"
key=$( { echo "$srcver"; echo "$recipe"; cat "$fragment"; } | sha256sum | cut -c1-12)
dir=$build/debug-kernel/$key
src=$dir/linux

# The stock modules the plans name with kmod: lines.
plan_kmods() {
	awk '$1 == "kmod:" { print $2 }' "$top"/selftests/runner/plans/{qemu,bochs}.plan | sort -u
}

# Each fragment line must have survived olddefconfig: an unmet dependency
# silently drops an option, and a kernel without KASAN would pass for clean.
check_config() {
	local bad=0 line sym
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$src/.config" || { echo "  wanted $line"; bad=1; } ;;
		'# CONFIG_'*' is not set')
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$src/.config" || { echo "  wanted $line"; bad=1; } ;;
		esac
	done <"$fragment"
	[ $bad = 0 ] || die "Kconfig did not take the lines above (dependencies?): see $src/.config"
}

configure() {
	say "configuring (x86_64_defconfig + ${fragment#"$top"/})"
	make -s -C "$src" x86_64_defconfig >/dev/null
	(cd "$src" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$fragment") \
		>"$dir/merge.log" 2>&1 || { cat "$dir/merge.log" >&2; die "merge_config.sh failed"; }
	make -s -C "$src" olddefconfig >/dev/null
	check_config
	touch "$dir/.configured"
}

build_kernel() {
	if [ ! -f "$src/.extracted" ]; then
		# Only the current key's tree is kept: each is a few GB.
		rm -rf "$build/debug-kernel"
		mkdir -p "$src"
		say "extracting $tarball"
		tar -xJf "$tarball" -C "$src" --strip-components=1
		touch "$src/.extracted"
	fi
	[ -f "$dir/.configured" ] || configure
	local t0=$SECONDS
	say "building bzImage and modules with -j$jobs (log: ${dir#"$top"/}/build.log); 7 minutes on 2 idle cores, an hour on a loaded machine"
	nice -n "$niceness" make -C "$src" -j"$jobs" bzImage modules >"$dir/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$dir/build.log" | head -n 20 >&2; die "kernel build failed (log: $dir/build.log)"; }
	echo "$((SECONDS - t0))" >"$dir/build-seconds"
	touch "$dir/.built"
}

install_kernel() {
	local abi=$1 dst=$build/kernels/$1 m
	say "installing $abi into ${dst#"$top"/}"
	rm -rf "$dst"
	mkdir -p "$dst/boot"
	cp "$src/arch/x86/boot/bzImage" "$dst/boot/vmlinuz-$abi"
	cp "$src/.config" "$dst/boot/config-$abi"
	cp "$src/System.map" "$dst/boot/System.map-$abi"
	make -s -C "$src" modules_install INSTALL_MOD_PATH="$dst" INSTALL_MOD_STRIP=1 >/dev/null
	for m in $(plan_kmods); do
		[ -f "$dst/lib/modules/$abi/$m" ] ||
			die "a plan loads $m, which the debug kernel did not build (add it to ${fragment#"$top"/} as =m)"
	done
	echo "$key" >"$dst/.key"
	touch "$dst/.done"
}

[ -f "$dir/.built" ] || build_kernel
abi=$(make -s -C "$src" kernelrelease)
[ "$(cat "$build/kernels/$abi/.key" 2>/dev/null)" = "$key" ] || install_kernel "$abi"

tmp=$(mktemp "$build/debug-kernel.mk.XXXX")
printf 'KABI_DEBUG := %s\nKDIR_DEBUG := %s\n' "$abi" "$src" >"$tmp"
mv "$tmp" "$build/debug-kernel.mk"
say "$abi ready (key $key, build took $(cat "$dir/build-seconds")s)"
