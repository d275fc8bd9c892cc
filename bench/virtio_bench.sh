#!/bin/sh
# make bench, virtio-blk reads (Bochs host, busybox sh): what reading from a
# virtio-blk disk costs a Linux guest, per MiB, on five data paths:
#   on    ringvm.ko, queue served by ringvm_vhost.ko (--vhost on), MSI-X
#         through the in-kernel irqchip (--irqchip kernel): the worker's call
#         eventfd is the vector's irqfd, the VMM is out of the data path
#   off   ringvm.ko, queue served by the VMM (--vhost off), MSI-X
#   ion   as on, but INTx through the VMM's PIC (--irqchip user: the guest has
#         no local APIC, so no MSI-X)
#   ioff  as off, INTx
#   kvm   Debian's kvm-intel.ko, queue served by the VMM, MSI-X through KVM's
#         irqchip (ringvm_vhost is not wired to KVM; Linux has no vhost-blk)
# The guest is the e2e one (Debian's vmlinuz + the busybox initramfs of
# selftests/e2e/guest-init.sh) with `ringvm.diskread=dd` on its command line:
# it reads the whole of /dev/vda with `dd bs=1M` to /dev/null, prints
# RINGVM-E2E-DISKREAD <bytes> and powers off.
#
# Per data path the guest boots twice, with a $small MiB and a $large MiB disk
# and nothing else different; a figure per MiB is (large run - small run) /
# ($large - $small), so the boot and everything else both runs do cancel out.
# Each run counts the VM exits by basic reason and the exits to userspace
# (tracefs hist triggers on ringvm:exit and ringvm:userspace_exit, or
# kvm:kvm_exit and kvm:kvm_userspace_exit), on ringvm.ko also the MMIO exits
# by address (ringvm:mmio), the port I/O exits by port (ringvm:pio) and the
# injected interrupts by vector (ringvm:inject), and times the whole
# `ringvm run` with the host TSC (tsc_run). Prints TAP, the per-MiB
# breakdowns and raw figures as comments, then
#   # bench-header: virtio-blk_read <path>...
#   # bench: blk_exits/MiB:_<REASON> <figure per path>   (reasons that changed)
#   # bench: blk_exits/MiB:_total, _total_excl._EXT__INT, _to_userspace
#   # bench: blk_host_ticks/MiB,_whole_run / ,_CPU_busy
#   # bench: blk_all_exits,_vhost_on_/_off ...    (the ratio, MSI-X and INTx)
# (n/a where a run of that path failed). RINGVM_BENCH_BLK_PATHS chooses the
# paths (default: all five, in the order above). Needs the tree run.sh builds
# (testhost --extra): /usr/bin/ringvm, /e2e/vmlinuz, /e2e/guest.gz, and
# tsc_run and lib.sh beside this script.
paths=${RINGVM_BENCH_BLK_PATHS:-on off ion ioff kvm}
# How the guest reads: 1m (dd bs=1M through the page cache) or 4k (dd bs=4k
# iflag=direct: one 4 KiB request at a time, what the per-request paths
# cost). Disk sizes in MiB: whole MiB, as the guest's dd counts whole records.
read=1m
small=1
large=65
# virtio_bench.conf beside this script (RINGVM_BENCH_BLK_CONF for
# bench/run.sh) may set paths, read, small and large.
# shellcheck source=/dev/null
[ -f "$(dirname "$0")/virtio_bench.conf" ] && . "$(dirname "$0")/virtio_bench.conf"
# Per path: two runs of two tests each; four module loads and unloads.
echo "1..$(($(echo "$paths" | wc -w) * 4 + 4))"

here=$(dirname "$0")
work=/tmp/virtio_bench
mkdir -p "$work"
rm -f "$work"/*
# tap, run_guest, show_guest, parse_hist, reason_names; the guest's
# environment and command line.
. "$here/lib.sh"


# The histograms of a path's runs: kind=event-directory:key.
hists_of() { # path
	case $1 in
	kvm) echo "exit=kvm/kvm_exit:exit_reason uexit=kvm/kvm_userspace_exit:reason" ;;
	*) echo "exit=ringvm/exit:exit_reason uexit=ringvm/userspace_exit:reason" \
		"mmio=ringvm/mmio:gpa pio=ringvm/pio:port inject=ringvm/inject:vector" ;;
	esac
}
# The `ringvm run` options of a path.
args_of() { # path
	case $1 in
	on) echo "--accel ringvm --vhost on --irqchip kernel" ;;
	off) echo "--accel ringvm --vhost off --irqchip kernel" ;;
	ion) echo "--accel ringvm --vhost on --irqchip user" ;;
	ioff) echo "--accel ringvm --vhost off --irqchip user" ;;
	kvm) echo "--accel kvm --vhost off --irqchip kernel" ;;
	esac
}

hist_event() { echo "$tracing/events/${1#*=}" | sed 's/:[^:]*$//'; }
hist_key() { echo "${1##*:}"; }
hist_kind() { echo "${1%%=*}"; }

set_hists() { # path hist|!hist
	for h in $(hists_of "$1"); do
		echo "$2:keys=$(hist_key "$h")" >"$(hist_event "$h")/trigger" || return 1
	done
}

# Appends a successful run's figures to $work/all, one "path MiB kind key
# count" line each: the histograms and the tsc_run figures.
collect() { # tag path MiB
	echo "$2 $3 ok - 0"
	for h in $(hists_of "$2"); do
		awk -v p="$2" -v m="$3" -v k="$(hist_kind "$h")" '{ print p, m, k, $1, $2 }' \
			"$work/$1.$(hist_kind "$h")"
	done
	tr ' ' '\n' <"$work/$1.tsc" | awk -F= -v p="$2" -v m="$3" 'NF == 2 { print p, m, "tsc", $1, $2 }'
}

diskread=dd
[ "$read" = 4k ] && diskread=dd4k
echo "# guest reads: $read (ringvm.diskread=$diskread), disks of $small and $large MiB"

# One boot of the guest with a disk of MiB on the given path.
read_one() { # path MiB loaded
	path=$1 mib=$2
	tag=$path-${mib}M
	name=${path}_${mib}MiB
	if [ "$3" != yes ]; then
		tap fail "${name}_guest_reads_disk" "modules not loaded"
		tap fail "${name}_histograms" "modules not loaded"
		return
	fi
	if ! set_hists "$path" hist; then
		set_hists "$path" '!hist' 2>/dev/null
		tap fail "${name}_guest_reads_disk" "no histogram triggers for $path"
		tap fail "${name}_histograms"
		return
	fi
	cat /proc/interrupts >"$work/$tag.irq0"
	# shellcheck disable=SC2046
	run_guest "$tag" $(args_of "$path") --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --disk "$work/disk-${mib}M.img" \
		--cmdline "$e2e_cmdline ringvm.diskread=$diskread"
	rc=$?
	for h in $(hists_of "$path"); do
		cat "$(hist_event "$h")/hist" >"$work/$tag.$(hist_kind "$h").hist"
	done
	set_hists "$path" '!hist'
	cat /proc/interrupts >"$work/$tag.irq1"

	show_guest "$tag"
	# The host's interrupts over the run, by source (one CPU).
	echo "# interrupts[$tag]:$(awk 'FNR == NR { if ($2 ~ /^[0-9]+$/) a[$1] = $2; next }
		$2 ~ /^[0-9]+$/ && $2 != a[$1] { printf " %s+%.0f", $1, $2 - a[$1] }' \
		"$work/$tag.irq0" "$work/$tag.irq1")"
	out=$work/$tag.out
	good=no
	# The guest's console lines end in CR LF.
	if [ "$rc" = 0 ] && grep -q '^RINGVM-E2E-GUEST-UP' "$out" &&
	   tr -d '\r' <"$out" | grep -q "^RINGVM-E2E-DISKREAD $((mib * 1048576))\$" &&
	   grep -q '^RINGVM-E2E-POWEROFF' "$out" && [ -f "$work/$tag.tsc" ]; then
		tap ok "${name}_guest_reads_disk"
		good=yes
	else
		tap fail "${name}_guest_reads_disk" "exit status $rc"
	fi
	for h in $(hists_of "$path"); do
		k=$(hist_kind "$h")
		if ! parse_hist "$work/$tag.$k.hist" "$work/$tag.$k" "$(hist_key "$h")"; then
			sed "s/^/# hist[$tag $k]: /" "$work/$tag.$k.hist"
			good=bad
		fi
	done
	if [ $good = bad ]; then
		tap fail "${name}_histograms"
	else
		tap ok "${name}_histograms"
	fi
	[ $good = yes ] && collect "$tag" "$path" "$mib" >>"$work/all"
}

# Sparse images (zeros): the host's tmpfs holds no pages for them.
for mib in $small $large; do
	dd if=/dev/zero of="$work/disk-${mib}M.img" bs=1M seek=$mib count=0 2>/dev/null
done
echo "# meminfo: $(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tr -s ' \n' ' ')"
touch "$work/all"

ringvm_paths= kvm_paths=
for p in $paths; do
	case $p in
	kvm) kvm_paths=kvm ;;
	on|off|ion|ioff) ringvm_paths="$ringvm_paths $p" ;;
	*) echo "# virtio_bench: unknown path $p"; failed=1 ;;
	esac
done

loaded=no
if insmod "$RINGVM_MODDIR/ringvm.ko" && [ -c /dev/ringvm ]; then
	tap ok ringvm_load
	if insmod "$RINGVM_MODDIR/ringvm_vhost.ko" && [ -c /dev/ringvm-vhost ]; then
		tap ok ringvm_vhost_load
		loaded=yes
	else
		tap fail ringvm_vhost_load
	fi
else
	tap fail ringvm_load
	tap fail ringvm_vhost_load "ringvm.ko not loaded"
fi
for path in $ringvm_paths; do
	read_one "$path" $small $loaded
	read_one "$path" $large $loaded
done
if rmmod ringvm_vhost; then tap ok ringvm_vhost_unload; else tap fail ringvm_vhost_unload; fi
if rmmod ringvm; then tap ok ringvm_unload; else tap fail ringvm_unload; fi

if [ -n "$kvm_paths" ]; then
	loaded=yes
	for m in irqbypass kvm kvm-intel; do
		insmod "$RINGVM_HOST_MODDIR/$m.ko" || { echo "# insmod $m failed"; loaded=no; }
	done
	[ -c /dev/kvm ] || loaded=no
	read_one kvm $small $loaded
	read_one kvm $large $loaded
	rmmod kvm-intel kvm irqbypass || echo "# rmmod of the KVM modules failed"
fi

# ---- the rows ----
awk -v names="$reason_names" -v small="$small" -v large="$large" -v paths="$paths" '
	function per(p, kind, key) {
		return (v[p, large, kind, key] - v[p, small, kind, key]) / (large - small)
	}
	function per_total(p, kind) {
		return (tot[p, large, kind] - tot[p, small, kind]) / (large - small)
	}
	function fmt(x, f,   s) {
		s = sprintf(f, x)
		return s ~ /^-0(\.0)?$/ ? substr(s, 2) : s
	}
	function cell(p, x, f) { return good[p] ? fmt(x, f) : "n/a" }
	# One row: name, then the figure of each path; what(p) is a cell.
	function row(label, what,   i, s) {
		s = "# bench: " label
		for (i = 1; i <= np; i++)
			s = s " " cellof(what, P[i])
		print s
	}
	function cellof(what, p) {
		if (what == "total")
			return cell(p, per_total(p, "exit"), "%.1f")
		if (what == "noext")
			return cell(p, per_total(p, "exit") - per(p, "exit", 1), "%.1f")
		if (what == "user")
			return cell(p, per_total(p, "uexit"), "%.1f")
		if (what == "mmio")
			return p == "kvm" ? "-" : cell(p, per_total(p, "mmio"), "%.1f")
		if (what == "ram")
			return p == "kvm" ? "-" : cell(p, per(p, "exit", 48) - per_total(p, "mmio"), "%.1f")
		if (what == "ticks" || what == "busy_ticks")
			return cell(p, per(p, "tsc", what), "%.0f")
		if (what == "ratio")
			return p == "on" ? ratio("on", "off") : p == "ion" ? ratio("ion", "ioff") : "-"
		return cell(p, per(p, "exit", what), "%.1f")
	}
	# Goal of issue 10: all exits per MiB with vhost on at most a quarter of off.
	function ratio(a, b,   d) {
		d = per_total(b, "exit")
		return good[a] && good[b] && d > 0 ? fmt(per_total(a, "exit") / d, "%.2f") : "n/a"
	}
	# busybox awk prints %x of numbers above 2^31 wrongly.
	function hex(x,   s, d) {
		s = ""
		do {
			d = x % 16
			s = substr("0123456789abcdef", d + 1, 1) s
			x = (x - d) / 16
		} while (x > 0)
		return "0x" s
	}
	BEGIN {
		k = split(names, a, /[ \n]+/)
		for (i = 1; i + 1 <= k; i += 2) name[a[i]] = a[i + 1]
		np = split(paths, P, /[ ]+/)
		title["on"] = "vhost_on"; title["off"] = "vhost_off"
		title["ion"] = "INTx_on"; title["ioff"] = "INTx_off"; title["kvm"] = "kvm-intel"
	}
	$3 == "ok" { ran[$1, $2] = 1; next }
	{ v[$1, $2, $3, $4] = $5 }
	$3 != "tsc" {
		tot[$1, $2, $3] += $5
		if (!(($3, $4) in seen)) { seen[$3, $4] = 1; keys[$3, nk[$3]++] = $4 }
	}
	END {
		for (i = 1; i <= np; i++) {
			p = P[i]
			good[p] = ((p, small) in ran) && ((p, large) in ran)
			for (m = small; m <= large; m += large - small) {
				if (!((p, m) in ran))
					continue
				printf "# virtio[%s-%sM]: exits %.0f, to userspace %.0f, mmio %.0f, pio %.0f, injected %.0f, ticks %s, busy_ticks %s\n",
					p, m, tot[p, m, "exit"], tot[p, m, "uexit"], tot[p, m, "mmio"],
					tot[p, m, "pio"], tot[p, m, "inject"], v[p, m, "tsc", "ticks"],
					v[p, m, "tsc", "busy_ticks"]
			}
			if (!good[p])
				continue
			# Where the exits per MiB went: MMIO addresses, ports, vectors.
			split("exit uexit mmio pio inject", kinds, " ")
			for (j = 1; j <= 5; j++) {
				kind = kinds[j]
				for (q = 0; q < nk[kind]; q++) {
					key = keys[kind, q]
					x = per(p, kind, key)
					if (x == 0)
						continue
					if (kind == "exit")
						label = (key in name) ? name[key] : "REASON_" key
					else if (kind == "uexit")
						label = "userspace reason " key
					else if (kind == "inject")
						label = "vector " key
					else
						label = hex(key)
					printf "# virtio per MiB, %s: %s %s %s\n", p, kind, label, fmt(x, "%.2f")
				}
			}
		}
		# The main reasons always, and every reason whose count changed on
		# any path, by number.
		want[1] = 1; want[30] = 1; want[48] = 1
		for (q = 0; q < nk["exit"]; q++) {
			key = keys["exit", q]
			for (i = 1; i <= np; i++)
				if (good[P[i]] && per(P[i], "exit", key) != 0)
					want[key] = 1
		}
		nr = 0
		for (r in want) reasons[nr++] = r + 0
		for (i = 1; i < nr; i++)
			for (j = i; j > 0 && reasons[j - 1] > reasons[j]; j--) {
				x = reasons[j]; reasons[j] = reasons[j - 1]; reasons[j - 1] = x
			}
		h = "# bench-header: virtio-blk_read"
		for (i = 1; i <= np; i++)
			h = h " " title[P[i]]
		print h
		for (i = 0; i < nr; i++) {
			r = reasons[i]
			nm = (r in name) ? name[r] : "REASON_" r
			gsub(/_/, "__", nm)
			row("blk_exits/MiB:_" nm, r)
			if (r != 48)
				continue
			# ringvm.ko takes MMIO as EPT violations: those that were
			# MMIO (ringvm:mmio), the rest faults on guest RAM.
			row("blk_exits/MiB:_EPT__VIOLATION,_MMIO", "mmio")
			row("blk_exits/MiB:_EPT__VIOLATION,_RAM", "ram")
		}
		row("blk_exits/MiB:_total", "total")
		# The host'"'"'s own interrupts vary from run to run by thousands:
		# the total without them.
		row("blk_exits/MiB:_total_excl._EXT__INT", "noext")
		row("blk_exits/MiB:_to_userspace", "user")
		row("blk_host_ticks/MiB,_whole_run", "ticks")
		row("blk_host_ticks/MiB,_CPU_busy", "busy_ticks")
		row("blk_all_exits,_vhost_on_/_off", "ratio")
	}' "$work/all"

exit $failed
