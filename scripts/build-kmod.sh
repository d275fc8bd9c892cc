#!/usr/bin/env bash
# Builds the modules against one kernel's headers, out of the source tree.
#   build-kmod.sh KDIR OUTDIR [vmx|vhost|vfio ...]    (default: all three)
# Kbuild writes its objects next to the sources, so each kernel gets its own
# copy of kmod/ under OUTDIR (timestamps kept, so rebuilds stay incremental).
set -euo pipefail
kdir=$1 out=$2
shift 2
mods=("$@")
top=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$kdir" ] || { echo "ringvm: no kernel build tree at $kdir (install linux-headers for it)" >&2; exit 1; }
mkdir -p "$out"
(cd "$top/kmod" && find . \( -name '*.[chS]' -o -name Kbuild \) -print0 |
	xargs -0 cp -p --parents -t "$out")
set +e
if [ ${#mods[@]} -eq 0 ]; then
	make -C "$kdir" M="$out" RINGVM_WERROR=y modules 2>&1 | grep -v -e '^Skipping BTF' -e 'BTF \[M\]'
	rc=${PIPESTATUS[0]}
else
	rc=0
	for m in "${mods[@]}"; do
		make -C "$kdir" M="$out/$m" RINGVM_WERROR=y modules 2>&1 | grep -v -e '^Skipping BTF' -e 'BTF \[M\]'
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
fi
[ "$rc" = 0 ] || echo "ringvm: building the modules against $kdir failed" >&2
exit "$rc"
