# Turns ctest's log into one verdict per test, as parse.awk does for a test host.
#
#   awk -f ctest-verdicts.awk ctest.log
#
# Prints "PASS name" or "FAIL name: status" per test and "RESULT passed failed
# checks" last. Only "Passed" is a pass: a skipped test (GTEST_SKIP, a skip
# return code), a disabled one, one that did not run, timed out or crashed is
# a failure. If ctest printed fewer results than it announced (it died), the
# missing ones are failures too. "checks" counts passes of the static and
# runner checks (checkpatch.*, runner.*), so the product count is the rest.

function checkish(name) {
	return name ~ /^(checkpatch|runner)\./
}

BEGIN { passed = 0; failed = 0; checks = 0; seen = 0; announced = -1 }

# "  3/214 Test  #3: unit.Foo.bar ......***Skipped   0.00 sec"
/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: / {
	split($1, nm, "/")
	announced = nm[2] + 0
	line = $0
	sub(/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: /, "", line)
	name = line
	sub(/ .*/, "", name)
	status = line
	sub(/^[^ ]+ \.* */, "", status)
	sub(/^\*\*\*/, "", status)
	sub(/ +[0-9.]+ sec.*$/, "", status)
	seen++
	if (status == "Passed") {
		print "PASS " name
		passed++
		if (checkish(name))
			checks++
	} else {
		print "FAIL " name ": " status
		failed++
	}
	next
}

END {
	if (announced < 0) {
		print "FAIL ctest: printed no test results"
		failed++
	} else if (seen < announced) {
		print "FAIL ctest: reported " seen " of " announced " tests"
		failed += announced - seen
	}
	print "RESULT " passed " " failed " " checks
}
