#!/usr/bin/env bash
# Builds the tree the e2e suite needs inside the test host (pass it to
# testhost.sh with --extra DIR): the ringvm CLI, Debian's own vmlinuz (the
# test host's kernel, unmodified) and a tiny busybox initramfs for the guest,
# with bench/netstream (static) in both: make bench's NIC rows stream
# between the guest and the host.
#
# With OLD_BZIMAGE, the protocol-2.02 bzImage of e2e/boot_old_bzimage.sh too.
#
#   make-extra.sh OUT RINGVM_BINARY VMLINUZ [OLD_BZIMAGE]
set -euo pipefail
out=$1 cli=$2 vmlinuz=$3 old_bzimage=${4:-}
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$out"
mkdir -p "$out/usr/bin" "$out/e2e"
cp "$cli" "$out/usr/bin/ringvm"
cp "$vmlinuz" "$out/e2e/vmlinuz"
cp "$here/clock_checks.sh" "$here/net_checks.sh" "$here/ticks.sh" "$out/e2e/"
[ -z "$old_bzimage" ] || cp "$old_bzimage" "$out/e2e/old_bzimage.bin"

guest=$(mktemp -d)
trap 'rm -rf "$guest"' EXIT
mkdir -p "$guest"/{bin,proc,sys,dev}
cp /bin/busybox "$guest/bin/busybox"
cp "$here/guest-init.sh" "$guest/init"
gcc -O2 -static -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out/usr/bin/netstream" \
	"$here/../../bench/netstream.c"
cp "$out/usr/bin/netstream" "$guest/bin/netstream"
# The guest's virtio, e1000, NVMe (and its CRCs), evdev and ACPI button drivers are modules in
# Debian's kernel: take them from the same package the vmlinuz came from.
abi=$(basename "$vmlinuz" | sed 's/^vmlinuz-//')
kmods=$(dirname "$vmlinuz")/../lib/modules/$abi/kernel
mkdir -p "$guest/lib/modules"
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
	net/core/failover drivers/net/net_failover drivers/net/virtio_net \
	drivers/net/ethernet/intel/e1000/e1000 drivers/input/evdev drivers/acpi/button \
	lib/crc64 crypto/crc64_rocksoft_generic crypto/crct10dif_common crypto/crct10dif_generic \
	lib/crc-t10dif lib/crc64-rocksoft block/t10-pi drivers/nvme/host/nvme-core \
	drivers/nvme/host/nvme; do
	cp "$kmods/$m.ko" "$guest/lib/modules/"
done
chmod 755 "$guest/init"
(cd "$guest" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/e2e/guest.gz"
