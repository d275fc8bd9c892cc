#!/bin/sh
# make bench, the NIC ladder (Bochs host, busybox sh): what moving data
# through a NIC costs a Linux guest, per MiB and per small packet, on each
# rung of the I/O ladder:
#   e1000         the emulated 82540EM (model=e1000), ringvm.ko
#   virtio        virtio-net served by the VMM (--vhost off), ringvm.ko
#   ringvm_vhost  virtio-net served by ringvm_vhost.ko (--vhost ringvm)
#   vhost-net     virtio-net served by Linux's vhost_net.ko (--vhost linux)
#   kvm_e1000, kvm_virtio   the first two on Debian's kvm-intel.ko
# The guest is the e2e one (Debian's vmlinuz + selftests/e2e/guest-init.sh)
# with one NIC on tap rv0 (the host is 10.0.2.1) and `ringvm.netbench=MIB`:
# it sends MIB MiB over TCP to the host (netstream send), fetches MIB MiB
# from it (netstream fetch), sends $udp 64-byte UDP datagrams, and powers
# off. The host's netstream ends listen before the guest starts; both ends
# print the bytes and the FNV-1a sum of each stream, which must agree.
#
# Per rung the guest boots twice, with $small and $large MiB each way and
# nothing else different; a figure per MiB is (large run - small run) /
# (2 * ($large - $small)) (both directions count). Each direction is also
# measured alone: the host's end of each stream copies the three
# histograms and reads the TSC and /proc/stat when the guest connects and
# when the receiver has read the last byte (netstream's SNAPDIR), and its
# rows are (large window - small window) / ($large - $small). Each run counts the VM
# exits by basic reason (tracefs hist on ringvm:exit / kvm:kvm_exit), the
# exits to userspace (ringvm:userspace_exit / kvm:kvm_userspace_exit), the
# injected interrupts (ringvm:inject / kvm:kvm_inj_virq) and times the
# whole `ringvm run` with the host TSC (tsc_run). The UDP burst is timed
# apart: the host's receiver copies the exit histogram when the first
# datagram arrives and after the last, and reads the TSC at both; exits and
# ticks per packet are the differences over the datagrams received.
#
# Prints TAP, the raw figures as comments, then the section
#   # bench-header: NIC_ladder,_per_MiB <rung>...
#   # bench: net_exits/MiB:_total <figure per rung>...   (n/a: a run failed)
#   ...
#   # bench-ratio: <label> <row> <rung> <row> <rung>      (table.awk divides)
# bench/net_bench.conf beside this script, if present, may set rungs,
# small, large and udp (a shorter run: one rung, one size; with one size
# the per-MiB rows are n/a but the raw figures and checks stand).
here=$(dirname "$0")
work=/tmp/net_bench
mkdir -p "$work"
rm -rf "${work:?}"/*
# tap, run_guest, show_guest, parse_hist; the guest's environment.
. "$here/lib.sh"

rungs="e1000 virtio ringvm_vhost vhost-net kvm_e1000 kvm_virtio"
small=1
large=9
udp=2000
# shellcheck source=/dev/null
[ -f "$here/net_bench.conf" ] && . "$here/net_bench.conf"
sizes=$small
[ "$large" != "$small" ] && sizes="$small $large"
# Two plan lines per run, three for the module loads per hypervisor.
count=0
for r in $rungs; do
	for m in $sizes; do count=$((count + 3)); done
done
# Plus the module loads and unloads: ringvm's, and kvm-intel's when a kvm
# rung is asked for.
case " $rungs" in *" kvm_"*) count=$((count + 4)) ;; *) count=$((count + 2)) ;; esac
echo "1..$count"

# How a rung runs: accel, NIC model, --vhost.
rung_args() {
	case $1 in
	e1000) echo "ringvm e1000 off" ;;
	virtio) echo "ringvm virtio off" ;;
	ringvm_vhost) echo "ringvm virtio ringvm" ;;
	vhost-net) echo "ringvm virtio linux" ;;
	kvm_e1000) echo "kvm e1000 off" ;;
	kvm_virtio) echo "kvm virtio off" ;;
	esac
}

# The events of each hypervisor: exits, exits to userspace, injections.
events() { # accel
	if [ "$1" = kvm ]; then
		# 6.1 names the injected vector "vector", older kernels "irq".
		k=vector
		grep -q 'field:.* irq;' "$tracing/events/kvm/kvm_inj_virq/format" 2>/dev/null && k=irq
		echo "kvm/kvm_exit:exit_reason kvm/kvm_userspace_exit:reason kvm/kvm_inj_virq:$k"
	else
		echo "ringvm/exit:exit_reason ringvm/userspace_exit:reason ringvm/inject:vector"
	fi
}

set_hists() { # hist|!hist events
	for h in $2; do
		echo "$1:keys=${h#*:}" >"$tracing/events/${h%:*}/trigger" || return 1
	done
}

# The line "NETSTREAM KIND ..." of a file, without the prefix and CR.
stream() { # file kind
	tr -d '\r' <"$1" | sed -n "s/^\(RINGVM-E2E-\)\{0,1\}NETSTREAM $2 //p" | head -n 1
}

# Waits (bounded: 20 s) for the host's netstream ends to finish; ends
# those still waiting for a guest that never came.
reap() { # pid...
	for _ in $(seq 1 20); do
		alive=
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=yes; done
		[ -z "$alive" ] && break
		sleep 1
	done
	kill "$@" 2>/dev/null
	wait "$@" 2>/dev/null
}

# One direction's window (the host's end of a TCP stream, from its
# connection to the last byte read by the receiver): "rung MiB DIR ..."
# lines of the three histograms' differences (exits by reason too) and the
# window's ticks. Uses $rung, $mib and $work.
window() { # host-output snapdir dir event:key...
	w_out=$1 w_dir=$2 w_d=$3
	shift 3
	i=0
	for h in "$@"; do
		parse_hist "$w_dir/$i.first" "$w_dir/$i.f" "${h#*:}" >/dev/null
		parse_hist "$w_dir/$i.last" "$w_dir/$i.l" "${h#*:}" >/dev/null
		awk -v r="$rung" -v m="$mib" -v d="$w_d" -v i="$i" '
			FILENAME == ARGV[1] { f[$1] = $2; next }
			{ t += $2 - f[$1]; if (i == 0) print r, m, d "_exit", $1, $2 - f[$1] }
			END { print r, m, d, (i == 0 ? "exits" : i == 1 ? "user" : "inject"), t + 0 }' \
			"$w_dir/$i.f" "$w_dir/$i.l"
		i=$((i + 1))
	done
	stream "$w_out" window | tr ' ' '\n' |
		awk -F= -v r="$rung" -v m="$mib" -v d="$w_d" 'NF == 2 { print r, m, d, $1, $2 }'
}

# One boot of the guest on a rung, MiB each way.
run_one() { # rung MiB
	rung=$1 mib=$2
	set -- $(rung_args "$rung")
	accel=$1 model=$2 vhost=$3
	tag=$rung-${mib}M
	evs=$(events "$accel")
	if ! set_hists hist "$evs"; then
		set_hists '!hist' "$evs" 2>/dev/null
		tap fail "${tag}_streams_arrive_whole" "no histogram triggers"
		tap fail "${tag}_udp_burst_counted"
		tap fail "${tag}_histograms"
		return
	fi
	exit_hist=$tracing/events/${evs%%:*}/hist
	hists=
	for h in $evs; do hists="$hists $tracing/events/${h%:*}/hist"; done
	mkdir -p "$work/$tag.snap" "$work/$tag.snap-tx" "$work/$tag.snap-rx"
	# shellcheck disable=SC2086
	netstream recv 5001 "$work/$tag.snap-tx" $hists >"$work/$tag.h-recv" 2>&1 &
	p1=$!
	# shellcheck disable=SC2086
	netstream serve 5002 "$mib" "$work/$tag.snap-rx" $hists >"$work/$tag.h-serve" 2>&1 &
	p2=$!
	netstream recv-udp 5003 "$udp" 3000 "$work/$tag.snap" "$exit_hist" >"$work/$tag.h-udp" 2>&1 &
	p3=$!
	run_guest "$tag" --accel "$accel" --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --net "tap=rv0,host_ip=10.0.2.1/24,model=$model" --vhost "$vhost" \
		--cmdline "$e2e_cmdline ringvm.netbench=$mib ringvm.netudp=$udp"
	rc=$?
	for h in $evs; do
		e=${h%:*}
		cat "$tracing/events/$e/hist" >"$work/$tag.${e##*/}.hist"
	done
	set_hists '!hist' "$evs"
	reap $p1 $p2 $p3

	show_guest "$tag"
	for f in h-recv h-serve h-udp; do sed "s/^/# host[$tag $f]: /" "$work/$tag.$f"; done
	out=$work/$tag.out
	want="$((mib * 1048576)) "
	g_sent=$(stream "$out" tcp-sent) h_recv=$(stream "$work/$tag.h-recv" tcp-received)
	h_sent=$(stream "$work/$tag.h-serve" tcp-sent) g_recv=$(stream "$out" tcp-received)
	good=no
	if [ "$rc" = 0 ] && grep -q '^RINGVM-E2E-POWEROFF' "$out" && [ -f "$work/$tag.tsc" ] &&
	   [ -n "$g_sent" ] && [ "$g_sent" = "$h_recv" ] && [ "${g_sent#"$want"}" != "$g_sent" ] &&
	   [ -n "$h_sent" ] && [ "$h_sent" = "$g_recv" ] && [ "${h_sent#"$want"}" != "$h_sent" ] &&
	   [ -n "$(stream "$work/$tag.h-recv" window)" ] && [ -n "$(stream "$work/$tag.h-serve" window)" ]; then
		tap ok "${tag}_streams_arrive_whole"
		good=yes
	else
		tap fail "${tag}_streams_arrive_whole" \
			"exit status $rc; to host: '$g_sent' / '$h_recv'; to guest: '$h_sent' / '$g_recv'"
	fi
	u_recv=$(stream "$work/$tag.h-udp" udp-received)
	u_pk=${u_recv%% *}
	if [ -n "$u_recv" ] && [ "${u_pk:-0}" -gt 1 ] && [ -f "$work/$tag.snap/0.first" ]; then
		tap ok "${tag}_udp_burst_counted"
	else
		tap fail "${tag}_udp_burst_counted" "host received '${u_recv:-nothing}'"
		good=no
	fi
	# shellcheck disable=SC2086
	parse_hists "$tag" $evs || good=bad
	if [ $good = bad ]; then
		tap fail "${tag}_histograms"
		return
	fi
	tap ok "${tag}_histograms"
	[ $good = yes ] || return
	# "rung MiB kind key count" lines: the three histograms' totals, the
	# exit reasons, tsc_run's figures and the UDP window.
	{
		echo "$rung $mib ok - 0"
		set -- $evs
		e=${1%:*}
		awk -v r="$rung" -v m="$mib" '{ print r, m, "exit", $1, $2; t += $2 }
			END { print r, m, "exits", "-", t + 0 }' "$work/$tag.${e##*/}"
		e=${2%:*}
		awk -v r="$rung" -v m="$mib" '{ t += $2 } END { print r, m, "user", "-", t + 0 }' \
			"$work/$tag.${e##*/}"
		e=${3%:*}
		awk -v r="$rung" -v m="$mib" '{ t += $2 } END { print r, m, "inject", "-", t + 0 }' \
			"$work/$tag.${e##*/}"
		tr ' ' '\n' <"$work/$tag.tsc" |
			awk -F= -v r="$rung" -v m="$mib" 'NF == 2 { print r, m, "tsc", $1, $2 }'
		window "$work/$tag.h-recv" "$work/$tag.snap-tx" tx $evs
		window "$work/$tag.h-serve" "$work/$tag.snap-rx" rx $evs
		a=$(awk '$1 == "Hits:" { print $2 }' "$work/$tag.snap/0.first")
		b=$(awk '$1 == "Hits:" { print $2 }' "$work/$tag.snap/0.last")
		set -- $u_recv
		echo "$rung $mib udp packets $1"
		echo "$rung $mib udp exits $((b - a))"
		echo "$rung $mib udp ${3%%=*} ${3#*=}"
	} >>"$work/all"
}

touch "$work/all"
ringvm_rungs='' kvm_rungs=''
for r in $rungs; do
	case $r in kvm_*) kvm_rungs="$kvm_rungs $r" ;; *) ringvm_rungs="$ringvm_rungs $r" ;; esac
done
# ringvm.ko with both vhost workers beside it, then kvm-intel.
for m in tun vhost_iotlb vhost tap vhost_net; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
done
if insmod "$RINGVM_MODDIR/ringvm.ko" && insmod "$RINGVM_MODDIR/ringvm_vhost.ko" &&
   [ -c /dev/ringvm ] && [ -c /dev/ringvm-vhost ] && [ -c /dev/vhost-net ]; then
	tap ok ringvm_and_vhost_workers_load
else
	tap fail ringvm_and_vhost_workers_load
fi
echo "# meminfo: $(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tr -s ' \n' ' ')"
for r in $ringvm_rungs; do
	for m in $sizes; do run_one "$r" "$m"; done
done
if rmmod ringvm_vhost && rmmod ringvm; then tap ok ringvm_unload; else tap fail ringvm_unload; fi
if [ -n "$kvm_rungs" ]; then
	for m in irqbypass kvm kvm-intel; do
		insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
	done
	if [ -c /dev/kvm ]; then tap ok kvm_load; else tap fail kvm_load; fi
	for r in $kvm_rungs; do
		for m in $sizes; do run_one "$r" "$m"; done
	done
	if rmmod kvm-intel kvm irqbypass; then tap ok kvm_unload; else tap fail kvm_unload; fi
fi

# ---- the rows ----
awk -v names="$reason_names" -v small="$small" -v large="$large" -v rungs="$rungs" '
	function per(r, kind, key) {
		return (v[r, large, kind, key] - v[r, small, kind, key]) / (2 * (large - small))
	}
	function fmt(x, f,   s) {
		s = sprintf(f, x)
		return s ~ /^-0(\.0)?$/ ? substr(s, 2) : s
	}
	function row(label, kind, key, f,   i, s) {
		s = "# bench: " label
		for (i = 1; i <= nr; i++)
			s = s " " (good[R[i]] ? fmt(per(R[i], kind, key), f) : "n/a")
		print s
	}
	# A row of one direction: per() counts both directions, so twice it.
	function wrow(label, kind, key, f,   i, s) {
		s = "# bench: " label
		for (i = 1; i <= nr; i++)
			s = s " " (good[R[i]] ? fmt(2 * per(R[i], kind, key), f) : "n/a")
		print s
	}
	function prow(label, what, f,   i, s, r, n) {
		s = "# bench: " label
		for (i = 1; i <= nr; i++) {
			r = R[i]
			n = v[r, large, "udp", "packets"] - 1
			s = s " " (((r, large) in ran) && n > 0 ? fmt(v[r, large, "udp", what] / n, f) : "n/a")
		}
		print s
	}
	BEGIN {
		k = split(names, a, /[ \n]+/)
		for (i = 1; i + 1 <= k; i += 2) name[a[i]] = a[i + 1]
		nr = split(rungs, R, " ")
	}
	$3 == "ok" { ran[$1, $2] = 1; next }
	{ v[$1, $2, $3, $4] = $5 }
	$3 == "exit" && !($4 in seen) { seen[$4] = 1; keys[nk++] = $4 }
	END {
		hdr = "# bench-header: NIC_ladder,_per_MiB_each_way"
		for (i = 1; i <= nr; i++) {
			r = R[i]
			good[r] = large != small && ((r, small) in ran) && ((r, large) in ran)
			# table.awk reads "_" as a space, "__" as "_".
			col = r
			gsub(/_/, "__", col)
			hdr = hdr " " col
			for (m = small; ; m = large) {
				if ((r, m) in ran)
					printf "# net[%s-%sM]: exits %s, to userspace %s, injected %s, ticks %s, busy_ticks %s, udp %s packets %s exits %s ticks\n",
						r, m, v[r, m, "exits", "-"], v[r, m, "user", "-"],
						v[r, m, "inject", "-"], v[r, m, "tsc", "ticks"],
						v[r, m, "tsc", "busy_ticks"], v[r, m, "udp", "packets"],
						v[r, m, "udp", "exits"], v[r, m, "udp", "ticks"]
				if (m == large)
					break
			}
			if (!good[r])
				continue
			for (q = 0; q < nk; q++) {
				x = per(r, "exit", keys[q])
				if (x != 0)
					printf "# net per MiB, %s: exit %s %s\n", r,
						(keys[q] in name) ? name[keys[q]] : "REASON_" keys[q], fmt(x, "%.2f")
			}
		}
		# The per-packet figures need only the large run.
		print hdr
		row("net_exits/MiB:_total", "exits", "-", "%.1f")
		row("net_exits/MiB:_to_userspace", "user", "-", "%.1f")
		row("net_exits/MiB:_EXT__INT", "exit", 1, "%.1f")
		# The host timer'"'"'s exits vary between identical runs by
		# thousands (as for the blk rows): the total without them.
		s = "# bench: net_exits/MiB:_total_excl._EXT__INT"
		for (i = 1; i <= nr; i++)
			s = s " " (good[R[i]] ? fmt(per(R[i], "exits", "-") - per(R[i], "exit", 1), "%.1f") : "n/a")
		print s
		row("net_host_ticks/MiB,_whole_run", "tsc", "ticks", "%.0f")
		row("net_host_ticks/MiB,_CPU_busy", "tsc", "busy_ticks", "%.0f")
		row("net_injected_irqs/MiB", "inject", "-", "%.1f")
		# Each direction alone, over its stream'"'"'s window at the host'"'"'s end.
		for (d = 1; d <= 2; d++) {
			dk = d == 1 ? "tx" : "rx"
			dn = d == 1 ? "guest_to_host" : "host_to_guest"
			wrow("net_" dn "_exits/MiB:_total", dk, "exits", "%.1f")
			wrow("net_" dn "_exits/MiB:_to_userspace", dk, "user", "%.1f")
			s = "# bench: net_" dn "_exits/MiB:_excl._EXT__INT"
			for (i = 1; i <= nr; i++)
				s = s " " (good[R[i]] ? fmt(2 * (per(R[i], dk, "exits") - per(R[i], dk "_exit", 1)), "%.1f") : "n/a")
			print s
			wrow("net_" dn "_host_ticks/MiB", dk, "ticks", "%.0f")
			wrow("net_" dn "_host_ticks/MiB,_CPU_busy", dk, "busy_ticks", "%.0f")
			wrow("net_" dn "_injected_irqs/MiB", dk, "inject", "%.1f")
		}
		prow("net_exits/UDP_packet", "exits", "%.2f")
		prow("net_host_ticks/UDP_packet", "ticks", "%.0f")
		# "label row column row column": table.awk prints the first
		# cell divided by the second.
		print "# bench-ratio: e1000_/_virtio,_exits/MiB_excl._EXT__INT net_exits/MiB:_total_excl._EXT__INT e1000 net_exits/MiB:_total_excl._EXT__INT virtio"
		print "# bench-ratio: virtio_/_ringvm__vhost,_exits_to_userspace/MiB net_exits/MiB:_to_userspace virtio net_exits/MiB:_to_userspace ringvm__vhost"
		print "# bench-ratio: virtio_/_vhost-net,_exits_to_userspace/MiB net_exits/MiB:_to_userspace virtio net_exits/MiB:_to_userspace vhost-net"
		print "# bench-ratio: ringvm__vhost_/_vhost-net,_host_ticks/MiB net_host_ticks/MiB,_whole_run ringvm__vhost net_host_ticks/MiB,_whole_run vhost-net"
		print "# bench-ratio: ringvm.ko_/_kvm-intel,_e1000_ticks/MiB net_host_ticks/MiB,_whole_run e1000 net_host_ticks/MiB,_whole_run kvm__e1000"
		print "# bench-ratio: ringvm.ko_/_kvm-intel,_virtio_ticks/MiB net_host_ticks/MiB,_whole_run virtio net_host_ticks/MiB,_whole_run kvm__virtio"
	}' "$work/all"

exit $failed
