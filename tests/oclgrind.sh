#!/bin/sh
# oclgrind.sh TEST [ARGS]: runs a kernel test on Oclgrind's simulated device, checking every API
# call and looking for data races (--check-api --data-races); fails when the test fails or
# Oclgrind reports an invalid access, a race or an API error. Not used: --uninitialized (Oclgrind
# 21.10 reports writes at non-zero buffer offsets as uninitialized, and ampcl's views have them).
out=$(mktemp)
trap 'rm -f "$out"' EXIT
oclgrind --check-api --data-races "$@" >"$out" 2>&1
rc=$?
cat "$out"
if grep -E -q "Invalid (read|write)|data race at|runtime error detected|Uninitialized" "$out"; then
	echo "FAIL oclgrind reported an error (above)"
	exit 1
fi
exit $rc
