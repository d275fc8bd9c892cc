# Sourced by the e2e suites in the Bochs host (make-extra.sh puts it in
# /e2e/): checks of the guest's clocks against the host's, and of how its
# interrupts came, shared by the kvm-intel and ringvm.ko runs.
#
#   t0=$(date -u +%s); ringvm run ... >OUT; t1=$(date -u +%s)
#   rtc_matches_host OUT T0 T1 && tsc_matches_host OUT

# Every virtio interrupt of the guest is an MSI-X vector (the in-kernel
# irqchip, the default): the disk's request queue and the NIC's receive
# queue have their own, and no virtio line is left on the I/O APIC.
virtio_irqs_are_msix() { # OUT
	grep -q '^RINGVM-E2E-VIRTIO-IRQ .*PCI-MSI.*virtio[0-9]-req\.0' "$1" &&
		grep -q '^RINGVM-E2E-VIRTIO-IRQ .*PCI-MSI.*virtio[0-9]-input\.0' "$1" &&
		! grep '^RINGVM-E2E-VIRTIO-IRQ' "$1" | grep -qv PCI-MSI
}

# The guest read its CMOS RTC while ringvm ran (rtc0 when init ran; without
# an rtc0 device, the system clock the kernel set from the CMOS at boot):
# its date is the host's date at the start or the end of the run (a run may
# cross midnight) and its time lies within the run, give or take the RTC's
# one-second resolution.
rtc_matches_host() {
	local out=$1 t0=$2 t1=$3 rtc secs
	# The guest's console ends its lines with CR LF.
	rtc=$(tr -d '\r' <"$out" | sed -n 's/^RINGVM-E2E-RTC0 //p' | head -n 1)
	[ -n "$rtc" ] || rtc=$(tr -d '\r' <"$out" | sed -n 's/^RINGVM-E2E-DATE //p' | head -n 1)
	[ -n "$rtc" ] || { echo "# the guest printed no date"; return 1; }
	secs=$(date -u -d "$rtc" +%s 2>/dev/null) || { echo "# cannot read '$rtc'"; return 1; }
	echo "# guest rtc $rtc; host $(date -u -d "@$t0" '+%F %T') .. $(date -u -d "@$t1" '+%F %T')"
	case "${rtc%% *}" in
	"$(date -u -d "@$t0" +%F)" | "$(date -u -d "@$t1" +%F)") ;;
	*) return 1 ;;
	esac
	[ "$secs" -ge $((t0 - 1)) ] && [ "$secs" -le $((t1 + 1)) ]
}

# The frequency the guest kernel settled on for its TSC ("tsc: Detected N
# MHz", from CPUID leaf 0x15/0x16 where the VMM gives them, else calibrated
# against the emulated PIT) is the host's TSC frequency within 0.5%: the
# guest runs on the host's TSC, unscaled, so any other figure means its
# timekeeping is off.
tsc_matches_host() {
	local out=$1 guest host
	guest=$(sed -n 's/^RINGVM-E2E-TSC tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' "$out" |
		head -n 1)
	host=$(dmesg | sed -n 's/.*tsc: Detected \([0-9]*\)\.\([0-9]*\) MHz.*/\1\2/p' | head -n 1)
	echo "# tsc: guest ${guest:-?} kHz, host ${host:-?} kHz"
	[ -n "$guest" ] && [ -n "$host" ] || return 1
	[ $((guest * 1000)) -ge $((host * 995)) ] && [ $((guest * 1000)) -le $((host * 1005)) ]
}
