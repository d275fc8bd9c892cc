# Prints the benchmark table from a test host's tests.log:
#   awk -f bench/table.awk build/testhost/bench/tests.log
# One row per "# bench: <row> <ringvm> <kvm-intel>" line, in order; '_' in
# <row> stands for a space.  Exits 1 when there is no row at all.
{ sub(/\r$/, "") }

$1 == "#" && $2 == "bench:" && NF >= 5 {
	name = $3
	gsub(/_/, " ", name)
	rows[n++] = sprintf("%-34s %10s %10s", name, $4, $5)
}

END {
	if (n == 0) {
		print "bench: no figures in the log (see the FAIL lines above)"
		exit 1
	}
	printf "%-34s %10s %10s\n", "", "ringvm", "kvm-intel"
	for (i = 0; i < n; i++)
		print rows[i]
}
