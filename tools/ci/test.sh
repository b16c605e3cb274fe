#!/usr/bin/env bash
# `npm test`: the whole-tree type check, every project's lint and unit tests, and the pipeline's
# end-to-end suites. The e2e suites are the long pole (several minutes, about one core), so they
# start first, beside everything else on the other core. Nx alone would start them last: it runs
# the tasks of the most depended-on projects first, and no project depends on the pipeline app.
# Every part runs to the end; the exit status is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/../.."
nx run pipeline:e2e --output-style=stream &
e2e=$!
status=0
tsc -p tsconfig.json --noEmit || status=$?
if [ "$status" -eq 0 ]; then
  nx run-many -t lint test --parallel=1 --output-style=stream || status=$?
fi
wait "$e2e" || { e=$?; [ "$status" -ne 0 ] || status=$e; }
exit "$status"
