#!/usr/bin/env bash
# Builds the modules the way a user's DKMS does, from kmod/dkms.conf, in a
# throwaway DKMS tree (nothing is installed, nothing in /var/lib/dkms touched).
#   dkms-build.sh KERNEL_VERSION...     (e.g. 6.12.117+deb12-amd64)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: dkms-build.sh KERNEL_VERSION..." >&2; exit 2; }
command -v dkms >/dev/null || { echo "dkms-build: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/kmod/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/tree"
cp -r "$top/kmod" "$tmp/src/ringvm-$ver"
find "$tmp/src/ringvm-$ver" \( -name '*.ko' -o -name '*.o' -o -name '*.mod*' -o -name '.*.cmd' \) -delete
opts=(--dkmstree "$tmp/tree" --sourcetree "$tmp/src")
dkms "${opts[@]}" add -m ringvm -v "$ver" >/dev/null
rc=0
for k in "$@"; do
	if dkms "${opts[@]}" build -m ringvm -v "$ver" -k "$k" >"$tmp/build-$k.log" 2>&1; then
		for m in ringvm ringvm_vhost ringvm_vfio; do
			f=$(find "$tmp/tree/ringvm/$ver/$k" -name "$m.ko*" | head -n 1)
			[ -n "$f" ] || { echo "dkms-build: $k: no $m.ko"; rc=1; }
		done
		[ $rc = 0 ] && echo "dkms-build: ringvm $ver built for $k (ringvm, ringvm_vhost, ringvm_vfio)"
	else
		echo "dkms-build: building for $k failed:"
		cat "$tmp/build-$k.log"
		find "$tmp/tree" -name make.log -exec tail -n 30 {} \;
		rc=1
	fi
done
exit $rc
