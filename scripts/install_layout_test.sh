#!/usr/bin/env bash
# Installs a configured build into a scratch DESTDIR with PREFIX=/usr, as a
# package build does, and checks every file lands where Debian expects it.
#   install_layout_test.sh BUILD_DIR
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null
rc=0
want() {
	if [ -f "$dest/$1" ]; then echo "ok   $1"; else echo "MISS $1"; rc=1; fi
}
want usr/bin/ringvm
for v in ringvm ringvm-run ringvm-list ringvm-ps ringvm-stat ringvm-passthrough ringvm-version; do
	want usr/share/man/man1/$v.1
done
want usr/lib/udev/rules.d/60-ringvm.rules
want usr/share/bash-completion/completions/ringvm
want usr/share/doc/ringvm/examples/ringvm.modules-load.conf
want usr/share/doc/ringvm/examples/ringvm.modprobe.conf
[ -x "$dest/usr/bin/ringvm" ] || { echo "usr/bin/ringvm is not executable"; rc=1; }
# The man page is roff that man(1) can format, with the NAME line.
if ! grep -q '^\.TH "RINGVM-RUN" 1 ' "$dest/usr/share/man/man1/ringvm-run.1"; then
	echo "ringvm-run.1 has no .TH header"
	rc=1
fi
# The udev rule gives /dev/ringvm to group kvm, mode 0660, as /dev/kvm.
grep -q '^KERNEL=="ringvm", GROUP="kvm", MODE="0660"' "$dest/usr/lib/udev/rules.d/60-ringvm.rules" ||
	{ echo "60-ringvm.rules does not give /dev/ringvm to kvm 0660"; rc=1; }
bash -n "$dest/usr/share/bash-completion/completions/ringvm" || rc=1
# Nothing outside /usr.
extra=$(cd "$dest" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$extra" ] || { echo "installed outside /usr: $extra"; rc=1; }
exit $rc
