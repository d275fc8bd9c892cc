# Prints the benchmark table from a test host's tests.log:
#   awk -f bench/table.awk build/testhost/bench/tests.log
# One row per "# bench: <row> <ringvm> <kvm-intel>" line, in order; '_' in
# <row> stands for a space and '__' for a '_' (boot_exits:_EPT__VIOLATION
# prints "boot exits: EPT_VIOLATION").  Exits 1 when there is no row at all.
{ sub(/\r$/, "") }

$1 == "#" && $2 == "bench:" && NF >= 5 {
	name = $3
	gsub(/__/, "\001", name)
	gsub(/_/, " ", name)
	gsub(/\001/, "_", name)
	rows[n++] = sprintf("%-34s %12s %12s", name, $4, $5)
}

END {
	if (n == 0) {
		print "bench: no figures in the log (see the FAIL lines above)"
		exit 1
	}
	printf "%-34s %12s %12s\n", "", "ringvm", "kvm-intel"
	for (i = 0; i < n; i++)
		print rows[i]
}
