#!/usr/bin/env bash
# Builds the vendor-neutral interrupt controllers (kmod/irqchip/) for
# userspace with the stand-in headers in shim/ and runs their unit tests
# (ctest: unit.irqchip). Needs the kselftest headers (scripts/deps.sh) and
# <asm/apicdef.h> from the installed kernel headers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ksft=$top/build/linux-tools/tools/testing/selftests
apic=$(ls -d /usr/src/linux-headers-*-common/arch/x86/include 2>/dev/null | sort -V | tail -n 1)
[ -f "$ksft/kselftest_harness.h" ] || { echo "no kselftest headers (run scripts/deps.sh)"; exit 1; }
[ -n "$apic" ] || { echo "no kernel headers with asm/apicdef.h (run scripts/deps.sh)"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# asm/apicdef.h only: the rest of the kernel's asm/ must not leak in.
mkdir -p "$out/inc/asm"
cp "$apic/asm/apicdef.h" "$out/inc/asm/"
cc() { # OUT SOURCES...
	local o=$1
	shift
	gcc -std=gnu11 -O1 -g -Wall -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$here/shim" -I"$out/inc" -I"$ksft" -o "$out/$o" "$@"
}
cc ioapic_unit "$here/ioapic_unit.c" "$top/kmod/irqchip/ioapic.c"
cc pic_unit "$here/pic_unit.c" "$top/kmod/irqchip/pic.c"
cc lapic_unit "$here/lapic_unit.c" "$top/kmod/irqchip/lapic.c"
cc irqchip_unit "$here/irqchip_unit.c" "$top"/kmod/irqchip/{irqchip,ioapic,pic,lapic}.c
rc=0
"$out/ioapic_unit" || rc=1
"$out/pic_unit" || rc=1
"$out/lapic_unit" || rc=1
"$out/irqchip_unit" || rc=1
exit $rc
