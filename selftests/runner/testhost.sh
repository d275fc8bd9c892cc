#!/usr/bin/env bash
# Boots one emulated test host, runs the suites of its plan, and judges them.
#
#   testhost.sh --host qemu|bochs --abi ABI --plan FILE --name NAME
#               [--timeout SECONDS] [--inject fail|warn|hang] [--cpus N]
#               [--extra DIR]... [--follow] [--mitigations on]
#               [--devices sriov-nvme]
#
# Builds an initramfs (busybox, our modules built for ABI, the selftests of
# the plan, the CLI with its libraries), boots Debian's kernel ABI in QEMU/TCG
# (q35, intel-iommu, edu) or Bochs (corei7_skylake_x: VMX with EPT), reads
# the serial logs back and prints one PASS/FAIL line per test and a summary.
# --devices sriov-nvme (QEMU only) adds an NVMe controller with SR-IOV behind
# a PCIe root port: two VFs at most, shared namespace 1 for the PF and
# detached private namespaces 2 and 3 for the VFs, backed by files in the
# results directory (selftests/vfio/sriov_e2e.sh; testhost-notes.md).
# Exit status 0 only when every test passed and the kernel log is clean.
# Results: build/testhost/NAME/{tests.log,console.log,results.txt,summary};
# summary holds "passed failed guards" (see parse.awk).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runner=$top/selftests/runner
build=$top/build

host='' abi='' plan='' name='' timeout='' inject='' cpus=1 follow=no devices=''
extras=()
while [ $# -gt 0 ]; do
	case "$1" in
	--host) host=$2; shift 2 ;;
	--abi) abi=$2; shift 2 ;;
	--plan) plan=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--inject) inject=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--follow) follow=yes; shift ;;
	--devices) devices=$2; shift 2 ;;
	# The hosts boot with mitigations=off (fast, and what the bench
	# compares); "on" keeps the kernel's defaults (spec_test's other side).
	--mitigations) mitigations=$2; shift 2 ;;
	*) echo "testhost: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$host" ] && [ -n "$abi" ] && [ -n "$plan" ] && [ -n "$name" ] ||
	{ echo "testhost: --host, --abi, --plan and --name are required" >&2; exit 2; }
[ -z "$devices" ] || [ "$host" = qemu ] ||
	{ echo "testhost: --devices is for --host qemu" >&2; exit 2; }

out=$build/testhost/$name
# Whatever an earlier run left is gone before anything can fail: a host that
# did not run must never be judged by an old summary. From here on every
# exit leaves a summary, "0 1 0" unless the host ran and was judged.
rm -rf "$out"
mkdir -p "$out"
echo "0 1 0" >"$out/summary"

die() { echo "testhost[$name]: $*" >&2; exit 2; }

kernel=$build/kernels/$abi/boot/vmlinuz-$abi
# RINGVM_KMOD_ROOT / RINGVM_SELFTEST_DIR let a developer test a private build.
kmods=${RINGVM_KMOD_ROOT:-$build/kmod}/$abi
tests=${RINGVM_SELFTEST_DIR:-$build/selftests}
[ -f "$kernel" ] || die "no kernel $kernel (run scripts/deps.sh)"
ls "$kmods"/*/*.ko >/dev/null 2>&1 || die "modules for $abi are not built ($kmods)"
root=$out/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,tests,lib/modules/ringvm,lib/modules/inject}

# ---- initramfs ----
cp /bin/busybox "$root/bin/busybox"
cp "$runner/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$kmods"/*/*.ko "$root/lib/modules/ringvm/"

# Each plan line: <suite>/<binary> [timeout seconds]
# or "bin: <host path> <path in the host>" (a program such as perf, with its libraries),
# or "kmod: <path in the Debian kernel package>" (e.g. kernel/drivers/net/tun.ko):
# a stock module copied, uncompressed, to /lib/modules/host/ for tests to load,
# or "kmod-opt: <path>": the same where that kernel's package has it (a module
# another kernel builds in or does without; the suite loads what is there),
# or "modparam: <module> [name=value ...]": parameters for the suites after it.
hostmods=$build/kernels/$abi/lib/modules/$abi
bins=()
: >"$root/tests/plan"
while read -r t rest; do
	case "$t" in ''|'#'*) continue ;; esac
	if [ "$t" = bin: ]; then
		# "bin: <host path> <path in the test host>": a host program, with its libraries.
		read -r src dst <<<"$rest"
		[ -x "$src" ] || die "plan names bin $src, which this machine does not have"
		mkdir -p "$root$(dirname "$dst")"
		cp -L "$src" "$root$dst"
		bins+=("$root$dst")
		continue
	fi
	if [ "$t" = kmod: ] || [ "$t" = kmod-opt: ]; then
		mkdir -p "$root/lib/modules/host"
		dst=$root/lib/modules/host/$(basename "$rest")
		if [ -f "$hostmods/$rest" ]; then cp "$hostmods/$rest" "$dst"
		elif [ -f "$hostmods/$rest.xz" ]; then xz -dc "$hostmods/$rest.xz" >"$dst"
		elif [ -f "$hostmods/$rest.zst" ]; then zstd -qdc "$hostmods/$rest.zst" >"$dst"
		elif [ "$t" = kmod-opt: ]; then :
		else die "plan names kmod $rest, which $abi's package does not have"
		fi
		continue
	fi
	if [ "$t" = modparam: ]; then
		# "modparam: <module> [name=value ...]": init.sh applies it to the suites after it.
		echo "$t $rest" >>"$root/tests/plan"
		continue
	fi
	# A built selftest, or a script kept in the source tree.
	src=$tests/$t
	[ -x "$src" ] || src=$top/selftests/$t
	[ -x "$src" ] || die "plan names $t but neither $tests/$t nor selftests/$t exists"
	mkdir -p "$root/tests/$(dirname "$t")"
	cp "$src" "$root/tests/$t"
	echo "$t $rest" >>"$root/tests/plan"
done <"$plan"

case "$inject" in
'' | hang) ;;
fail)
	mkdir -p "$root/tests/runner"
	cp "$tests/runner/inject_fail_test" "$root/tests/runner/"
	echo "runner/inject_fail_test" >>"$root/tests/plan"
	;;
warn)
	mkdir -p "$build/inject-$abi"
	cp "$runner"/inject/* "$build/inject-$abi/"
	make -s -C "/lib/modules/$abi/build" M="$build/inject-$abi" modules >/dev/null 2>&1 ||
		die "cannot build the warn_on_load module for $abi"
	cp "$build/inject-$abi/warn_on_load.ko" "$root/lib/modules/inject/"
	;;
*) die "unknown --inject $inject" ;;
esac

# Extra trees (the CLI, guest payloads) are copied with the shared libraries
# their ELF executables need, so dynamically linked programs run as is.
copy_with_libs() {
	local f=$1 lib
	for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for b in "${bins[@]}"; do
	copy_with_libs "$b"
done
for e in "${extras[@]}"; do
	cp -a "$e"/. "$root"/
	while IFS= read -r f; do
		ldd "$f" >/dev/null 2>&1 && copy_with_libs "$f"
	done < <(find "$e" -type f -perm -u+x)
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"

cmdline="console=ttyS0 quiet panic=-1 oops=panic nokaslr ringvm.host=$host"
# With mitigations on, retbleed=off: on Bochs's Skylake its default prints a
# boot-time "RETBleed: WARNING", which the verdict would count as trouble.
if [ "${mitigations:-off}" = on ]; then
	cmdline="$cmdline retbleed=off"
else
	cmdline="$cmdline mitigations=off"
fi
[ -n "$inject" ] && cmdline="$cmdline ringvm.inject=$inject"
# For diagnosing a host that does not boot: e.g. RINGVM_HOST_APPEND=loglevel=8
# shows every boot message on the console log.
[ -n "${RINGVM_HOST_APPEND:-}" ] && cmdline="$cmdline $RINGVM_HOST_APPEND"

# ---- boot ----
start=$(date +%s)
if [ $follow = yes ]; then
	# Show the test output live (make demo); the verdict still comes from the logs.
	touch "$out/tests.log"
	tail -n +1 -F "$out/tests.log" 2>/dev/null &
	tail_pid=$!
	trap 'kill $tail_pid 2>/dev/null' EXIT
fi
status=0
case "$host" in
qemu)
	: "${timeout:=300}"
	iommu=intel-iommu,intremap=on
	extra_devs=()
	case "$devices" in
	'') ;;
	sriov-nvme)
		# caching-mode as in the verified setup (testhost-notes.md): the
		# IOMMU driver then flushes on every map, not only on unmaps.
		# One run without it here (a loaded machine) had the nested guest
		# reset before its first console line; not looked into further.
		iommu=$iommu,caching-mode=on
		extra_devs=(-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
			-device nvme-subsys,id=subsys0
			-device "nvme,serial=ringvm-sriov,subsys=subsys0,bus=rp1,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,sriov_max_vq_per_vf=2,sriov_max_vi_per_vf=1")
		for ns in 1 2 3; do
			truncate -s 16M "$out/nvme-ns$ns.img"
			extra_devs+=(-drive "file=$out/nvme-ns$ns.img,if=none,id=ns$ns,format=raw")
			if [ $ns = 1 ]; then
				extra_devs+=(-device nvme-ns,drive=ns1,nsid=1)
			else
				extra_devs+=(-device "nvme-ns,drive=ns$ns,nsid=$ns,shared=off,detached=on")
			fi
		done
		;;
	*) die "unknown --devices $devices" ;;
	esac
	# no_timer_check: a loaded build machine can starve TCG enough that the
	# kernel's IO-APIC timer check fails through interrupt remapping and panics.
	timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
		-accel tcg -machine q35 -cpu max -smp "$cpus" -m 1024 \
		-display none -monitor none -no-reboot \
		-device "$iommu" -device edu "${extra_devs[@]}" \
		-serial "file:$out/console.log" -serial "file:$out/tests.log" \
		-kernel "$kernel" -initrd "$out/initrd.gz" \
		-append "$cmdline intel_iommu=on no_timer_check" \
		>"$out/qemu.out" 2>&1 || status=$?
	;;
bochs)
	: "${timeout:=1200}"
	# Bochs 2.7 reports an XSAVE area size for AVX-512 that disagrees with its
	# own per-component offsets, and 6.1 WARNs about it at boot
	# (fpu__init_system_xstate). Without AVX-512 the layout is consistent.
	# RINGVM_HOST_CLEARCPUID adds features to that list. Bochs 2.7 faults
	# on XRSTOR of the compacted format with AVX live: the debug kernel
	# WARNs "Bad FPU state" on a forked process's return to user mode,
	# with no module of ours loaded (Documentation/testing.rst); without
	# XSAVES and XSAVEC the kernel keeps the standard format (6.1 has no
	# noxsaves parameter: clearcpuid is the way).
	cmdline="$cmdline clearcpuid=avx512f${RINGVM_HOST_CLEARCPUID:+,$RINGVM_HOST_CLEARCPUID}"
	iso=$out/iso
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kernel" "$iso/vmlinuz"
	cp "$out/initrd.gz" "$iso/initrd.gz"
	printf 'DEFAULT host\nPROMPT 0\nTIMEOUT 0\nLABEL host\n  KERNEL /vmlinuz\n  APPEND initrd=/initrd.gz %s\n' \
		"$cmdline" >"$iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$out/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
		>"$out/xorriso.log" 2>&1 || die "xorriso failed (see $out/xorriso.log)"
	rm -rf "$iso"
	sed -e "s|@ISO@|$out/boot.iso|" -e "s|@OUT@|$out|g" -e "s|@CPUS@|$cpus|" \
		"$runner/bochsrc.in" >"$out/bochsrc"
	printf 'c\nquit\n' >"$out/bochs.cmds"
	(cd "$out" && timeout --kill-after=10 "$timeout" bochs-bin -q -f bochsrc -rc bochs.cmds \
		</dev/null >"$out/bochs.out" 2>&1) || status=$?
	;;
*) die "unknown host $host" ;;
esac
elapsed=$(( $(date +%s) - start ))
touch "$out/tests.log" "$out/console.log"

awk -v host="$name" -v guards_file="$runner/guards" -f "$runner/parse.awk" \
	"$out/tests.log" "$out/console.log" >"$out/results.txt"
read -r _ passed failed guards < <(tail -n 1 "$out/results.txt")
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "testhost[$name]: killed after ${timeout}s" >>"$out/results.txt"
fi

grep '^FAIL' "$out/results.txt" || true
if [ "$failed" != 0 ] && [ "$host" = bochs ] && [ -f "$out/bochs.log" ]; then
	# Bochs names the exact VMX check that failed: the one-line diagnosis.
	grep -E 'VMFAIL|VMENTER FAIL|VMEXIT|VMX' "$out/bochs.log" | head -n 20 | sed 's/^/bochs: /' || true
fi
# A kernel report is quoted whole: a CI log may be all anyone gets of it.
trouble=$(sed -n 's/^FAIL [^ ]*\/kernel-log: kernel reported trouble: //p' "$out/results.txt")
if [ -n "$trouble" ]; then
	at=$(grep -n -F -m1 -- "$trouble" "$out/console.log" | cut -d: -f1)
	[ -n "$at" ] && sed -n "$at,$((at + 60))p" "$out/console.log" | sed 's/^/kernel: /'
fi
echo "$passed $failed $guards" >"$out/summary"
echo "testhost[$name]: $passed passed ($guards of them guards), $failed failed (boot and tests: ${elapsed}s; logs in ${out#"$top"/})"
[ "$failed" = 0 ]
