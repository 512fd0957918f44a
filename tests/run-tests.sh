#!/bin/sh
# Run test programs and sum up their results.
#   run-tests.sh PROG...
# Each PROG is a cmocka program or a shell test that prints cmocka-style
# summary lines ("[  PASSED  ] N test(s).", "[  FAILED  ] N test(s), ...",
# "[  SKIPPED ] N test(s)").  A program that exits non-zero without a
# FAILED line counts as one failure.  The last line is the total.
passed=0 failed=0 skipped=0 crashed=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "=== $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "*** $t exited with status $rc"
		f=1
		crashed=$((crashed + 1))
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
