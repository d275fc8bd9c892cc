#!/usr/bin/env bash
# Builds the Debian packages from a copy of the tree (dpkg-buildpackage writes
# next to the source), then lintian: any E: fails, warnings are shown. Checks
# that each package holds what it must.
#   deb_build_test.sh [OUTDIR]     (default: a temporary directory, removed)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
for t in dpkg-buildpackage lintian dh_dkms; do
	command -v "$t" >/dev/null ||
		{ echo "deb-build: $t is missing (apt-get install debhelper dkms lintian)"; exit 1; }
done
out=${1:-}
if [ -z "$out" ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
src=$out/ringvm
rm -rf "$src"
mkdir -p "$src"
# What git tracks (and new files it would track): never build/ or *.ko.
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^build/' |
	xargs -0 cp --parents -t "$src")
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
	{ tail -n 40 "$out/build.log"; echo "deb-build: dpkg-buildpackage failed"; exit 1; }
changes=$(ls "$out"/ringvm_*_amd64.changes)
lintian "$changes" >"$out/lintian.log" 2>&1 || true
cat "$out/lintian.log"
rc=0
if grep -q '^E: ' "$out/lintian.log"; then
	echo "deb-build: lintian reports errors"
	rc=1
fi
has() { # deb path
	local list
	list=$(dpkg-deb -c "$1")
	if grep -q " \./$2\$" <<<"$list"; then echo "ok   $(basename "$1"): /$2"
	else echo "MISS $(basename "$1"): /$2"; rc=1; fi
}
cli=$(ls "$out"/ringvm_*_amd64.deb)
dkms=$(ls "$out"/ringvm-dkms_*_all.deb)
has "$cli" usr/bin/ringvm
has "$cli" usr/share/man/man1/ringvm-run.1.gz
has "$cli" usr/lib/udev/rules.d/60-ringvm.rules
has "$cli" usr/share/bash-completion/completions/ringvm
ver=$(dpkg-deb -f "$dkms" Version)
has "$dkms" "usr/src/ringvm-$ver/dkms.conf"
has "$dkms" "usr/src/ringvm-$ver/vmx/vm.c"
has "$dkms" "usr/src/ringvm-$ver/irqchip/lapic.c"
has "$dkms" "usr/src/ringvm-$ver/include/uapi/linux/ringvm.h"
# dh_dkms wires the package's maintainer scripts to dkms.
postinst=$(dpkg-deb -I "$dkms" postinst 2>/dev/null || true)
grep -q dkms <<<"$postinst" ||
	{ echo "MISS ringvm-dkms postinst does not call dkms"; rc=1; }
[ $rc = 0 ] && echo "deb-build: $(basename "$cli") and $(basename "$dkms") built, lintian: no errors"
exit $rc
