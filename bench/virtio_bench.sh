#!/bin/sh
# make bench, virtio-blk reads (Bochs host, busybox sh): what reading from a
# virtio-blk disk costs a Linux guest on ringvm.ko, per MiB, with the queue
# served by ringvm_vhost.ko (`ringvm run --vhost on`) and by the VMM
# (`--vhost off`). The guest is the e2e one (Debian's vmlinuz + the busybox
# initramfs of selftests/e2e/guest-init.sh) with `ringvm.diskread=dd` on its
# command line: it reads the whole of /dev/vda with `dd bs=1M` to /dev/null,
# prints RINGVM-E2E-DISKREAD <bytes> and powers off.
#
# Per data path the guest boots twice, with a $small MiB and a $large MiB disk
# and nothing else different; a figure per MiB is (large run - small run) /
# ($large - $small), so the boot and everything else both runs do cancel out.
# Each run counts the VM exits by basic reason (tracefs hist trigger on
# ringvm:exit, as boot_bench.sh does), the MMIO exits by address
# (ringvm:mmio), the port I/O exits by port (ringvm:pio) and the injected
# interrupts by vector (ringvm:inject), and times the whole `ringvm run` with
# the host TSC (tsc_run). Prints TAP, the per-MiB breakdowns and raw figures
# as comments, then
#   # bench-header: virtio-blk_read,_ringvm.ko vhost_on vhost_off
#   # bench: blk_exits/MiB:_<REASON> <on> <off>     (reasons that changed)
#   # bench: blk_exits/MiB:_EPT__VIOLATION,_MMIO / ,_RAM
#   # bench: blk_exits/MiB:_total ...
#   # bench: blk_exits/MiB:_total_excl._EXT__INT ...    (less EXTERNAL_INTERRUPT)
#   # bench: blk_host_ticks/MiB,_whole_run / ,_CPU_busy ...
# (n/a where a run of that path failed). Needs the tree run.sh builds
# (testhost --extra): /usr/bin/ringvm, /e2e/vmlinuz, /e2e/guest.gz, and
# tsc_run and lib.sh beside this script.
echo "1..12"

here=$(dirname "$0")
work=/tmp/virtio_bench
mkdir -p "$work"
rm -f "$work"/*
# tap, run_guest, show_guest, parse_hist, reason_names; the guest's
# environment and command line.
. "$here/lib.sh"

# Disk sizes in MiB: whole MiB, as the guest's dd counts whole records.
small=1
large=65
ev=$tracing/events/ringvm
# The histograms of each run: event:key.
hists='exit:exit_reason mmio:gpa pio:port inject:vector'

set_hists() { # hist|!hist
	for h in $hists; do
		echo "$1:keys=${h#*:}" >"$ev/${h%:*}/trigger" || return 1
	done
}

# Appends a successful run's figures to $work/all, one "path MiB kind key
# count" line each: the histograms and the tsc_run figures.
collect() { # tag path MiB
	echo "$2 $3 ok - 0"
	for h in $hists; do
		awk -v p="$2" -v m="$3" -v k="${h%:*}" '{ print p, m, k, $1, $2 }' "$work/$1.${h%:*}"
	done
	tr ' ' '\n' <"$work/$1.tsc" | awk -F= -v p="$2" -v m="$3" 'NF == 2 { print p, m, "tsc", $1, $2 }'
}

# One boot of the guest with a disk of MiB, its queue served as path says.
read_one() { # on|off MiB
	path=$1 mib=$2
	tag=$path-${mib}M
	name=vhost_${path}_${mib}MiB
	if [ "$loaded" != yes ]; then
		tap fail "${name}_guest_reads_disk" "modules not loaded"
		tap fail "${name}_histograms" "modules not loaded"
		return
	fi
	if ! set_hists hist; then
		set_hists '!hist' 2>/dev/null
		tap fail "${name}_guest_reads_disk" "no histogram triggers on $ev"
		tap fail "${name}_histograms"
		return
	fi
	cat /proc/interrupts >"$work/$tag.irq0"
	run_guest "$tag" --accel ringvm --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --disk "$work/disk-${mib}M.img" --vhost "$path" \
		--cmdline "$e2e_cmdline ringvm.diskread=dd"
	rc=$?
	for h in $hists; do
		cat "$ev/${h%:*}/hist" >"$work/$tag.${h%:*}.hist"
	done
	set_hists '!hist'
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
	# shellcheck disable=SC2086
	parse_hists "$tag" $hists || good=bad
	if [ $good = bad ]; then
		tap fail "${name}_histograms"
	else
		tap ok "${name}_histograms"
	fi
	[ $good = yes ] && collect "$tag" "$path" "$mib" >>"$work/all"
}

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
# Sparse images (zeros): the host's tmpfs holds no pages for them.
for mib in $small $large; do
	dd if=/dev/zero of="$work/disk-${mib}M.img" bs=1M seek=$mib count=0 2>/dev/null
done
echo "# meminfo: $(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tr -s ' \n' ' ')"
touch "$work/all"
for path in on off; do
	read_one "$path" $small
	read_one "$path" $large
done
if rmmod ringvm_vhost; then tap ok ringvm_vhost_unload; else tap fail ringvm_vhost_unload; fi
if rmmod ringvm; then tap ok ringvm_unload; else tap fail ringvm_unload; fi

# ---- the rows ----
awk -v names="$reason_names" -v small="$small" -v large="$large" '
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
	}
	$3 == "ok" { ran[$1, $2] = 1; next }
	{ v[$1, $2, $3, $4] = $5 }
	$3 != "tsc" {
		tot[$1, $2, $3] += $5
		if (!(($3, $4) in seen)) { seen[$3, $4] = 1; keys[$3, nk[$3]++] = $4 }
	}
	END {
		P[1] = "on"; P[2] = "off"
		for (i = 1; i <= 2; i++) {
			p = P[i]
			good[p] = ((p, small) in ran) && ((p, large) in ran)
			for (m = small; m <= large; m += large - small) {
				if (!((p, m) in ran))
					continue
				printf "# virtio[%s-%sM]: exits %.0f, mmio %.0f, pio %.0f, injected %.0f, ticks %s, busy_ticks %s\n",
					p, m, tot[p, m, "exit"], tot[p, m, "mmio"], tot[p, m, "pio"],
					tot[p, m, "inject"], v[p, m, "tsc", "ticks"], v[p, m, "tsc", "busy_ticks"]
			}
			if (!good[p])
				continue
			# Where the exits per MiB went: MMIO addresses, ports, vectors.
			split("exit mmio pio inject", kinds, " ")
			for (j = 1; j <= 4; j++) {
				kind = kinds[j]
				for (q = 0; q < nk[kind]; q++) {
					key = keys[kind, q]
					x = per(p, kind, key)
					if (x == 0)
						continue
					if (kind == "exit")
						label = (key in name) ? name[key] : "REASON_" key
					else if (kind == "inject")
						label = "vector " key
					else
						label = hex(key)
					printf "# virtio per MiB, vhost %s: %s %s %s\n", p, kind, label, fmt(x, "%.2f")
				}
			}
		}
		# The main reasons always, and every reason whose count changed on
		# either path, by number.
		want[1] = 1; want[30] = 1; want[48] = 1
		for (q = 0; q < nk["exit"]; q++) {
			key = keys["exit", q]
			for (i = 1; i <= 2; i++)
				if (good[P[i]] && per(P[i], "exit", key) != 0)
					want[key] = 1
		}
		nr = 0
		for (r in want) reasons[nr++] = r + 0
		for (i = 1; i < nr; i++)
			for (j = i; j > 0 && reasons[j - 1] > reasons[j]; j--) {
				x = reasons[j]; reasons[j] = reasons[j - 1]; reasons[j - 1] = x
			}
		print "# bench-header: virtio-blk_read,_ringvm.ko vhost_on vhost_off"
		for (i = 0; i < nr; i++) {
			r = reasons[i]
			nm = (r in name) ? name[r] : "REASON_" r
			gsub(/_/, "__", nm)
			print "# bench: blk_exits/MiB:_" nm, cell("on", per("on", "exit", r), "%.1f"),
				cell("off", per("off", "exit", r), "%.1f")
			if (r != 48)
				continue
			# ringvm.ko takes MMIO as EPT violations: those that were
			# MMIO (ringvm:mmio), the rest faults on guest RAM.
			print "# bench: blk_exits/MiB:_EPT__VIOLATION,_MMIO",
				cell("on", per_total("on", "mmio"), "%.1f"),
				cell("off", per_total("off", "mmio"), "%.1f")
			print "# bench: blk_exits/MiB:_EPT__VIOLATION,_RAM",
				cell("on", per("on", "exit", 48) - per_total("on", "mmio"), "%.1f"),
				cell("off", per("off", "exit", 48) - per_total("off", "mmio"), "%.1f")
		}
		print "# bench: blk_exits/MiB:_total", cell("on", per_total("on", "exit"), "%.1f"),
			cell("off", per_total("off", "exit"), "%.1f")
		# The host'"'"'s own interrupts vary from run to run by thousands:
		# the total without them.
		print "# bench: blk_exits/MiB:_total_excl._EXT__INT",
			cell("on", per_total("on", "exit") - per("on", "exit", 1), "%.1f"),
			cell("off", per_total("off", "exit") - per("off", "exit", 1), "%.1f")
		print "# bench: blk_host_ticks/MiB,_whole_run",
			cell("on", per("on", "tsc", "ticks"), "%.0f"),
			cell("off", per("off", "tsc", "ticks"), "%.0f")
		print "# bench: blk_host_ticks/MiB,_CPU_busy",
			cell("on", per("on", "tsc", "busy_ticks"), "%.0f"),
			cell("off", per("off", "tsc", "busy_ticks"), "%.0f")
	}' "$work/all"

exit $failed
