# Prints the benchmark table from a test host's tests.log:
#   awk -f bench/table.awk build/testhost/bench/tests.log
# One row per "# bench: <row> <ringvm> <kvm-intel>" line, in order; '_' in
# <row> stands for a space and '__' for a '_' (boot_exits:_EPT__VIOLATION
# prints "boot exits: EPT_VIOLATION").  Rows whose columns are something
# else follow a "# bench-header: <title> <column>..." line (same encoding;
# one or more columns), which starts a new section: a blank line, then the
# title and the column names in place of "ringvm kvm-intel"; its rows have
# as many cells.  "# bench-ratio: <label> <row> <column> <row> <column>"
# (rows and columns as written in the section's lines) prints <label> and
# the first cell divided by the second, or n/a when either is not a number
# above 0 (a per-MiB difference at or below 0 is noise).  Exits 1 when there is no row at all.
function decode(s) {
	gsub(/__/, "\001", s)
	gsub(/_/, " ", s)
	gsub(/\001/, "_", s)
	return s
}

function numeric(s) {
	return s ~ /^-?[0-9]+(\.[0-9]+)?$/
}

{ sub(/\r$/, "") }

$1 == "#" && $2 == "bench-header:" && NF >= 4 {
	if (m > 0)
		lines[m++] = ""
	sect++
	s = sprintf("%-34s", decode($3))
	for (i = 4; i <= NF; i++) {
		s = s sprintf(" %12s", decode($i))
		col[sect, $i] = i - 2
	}
	lines[m++] = s
	next
}

$1 == "#" && $2 == "bench:" && NF >= 4 {
	# Rows before any section header are ringvm beside kvm-intel.
	if (m == 0)
		lines[m++] = sprintf("%-34s %12s %12s", "", "ringvm", "kvm-intel")
	s = sprintf("%-34s", decode($3))
	for (i = 4; i <= NF; i++) {
		s = s sprintf(" %12s", $i)
		cell[sect, $3, i - 2] = $i
	}
	lines[m++] = s
	n++
	next
}

$1 == "#" && $2 == "bench-ratio:" && NF == 7 {
	a = cell[sect, $4, col[sect, $5]]
	b = cell[sect, $6, col[sect, $7]]
	# A cell at or below 0 is a difference lost in the noise: no ratio.
	r = numeric(a) && numeric(b) && a + 0 > 0 && b + 0 > 0 ? sprintf("%.2f", a / b) : "n/a"
	lines[m++] = sprintf("%-52s %12s", "ratio " decode($3), r)
}

END {
	if (n == 0) {
		print "bench: no figures in the log (see the FAIL lines above)"
		exit 1
	}
	for (i = 0; i < m; i++)
		print lines[i]
}
