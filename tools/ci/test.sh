#!/usr/bin/env bash
# `npm test`: the whole-tree type check, ESLint over the tree, and every test file of every
# project — unit tests and the pipeline's end-to-end suites — in one Jest run on three workers
# (tools/ci/jest.all.cjs: the e2e suites first, longest first, the unit files after them on
# whichever worker is free). One process each instead of one Nx task per project and target, which
# started a Jest or ESLint process 62 times. Type check and lint run beside the first e2e suites.
# Every part runs to the end; the exit status is the first failure's.
#
# By project, with Nx's cache: `nx run-many -t lint test`, `nx e2e pipeline`, `nx affected -t test`.
set -uo pipefail
cd "$(dirname "$0")/../.."
# Three Jest workers share two cores (tools/ci/jest.all.cjs), so OpenMP's threads (the native
# kernels' and PyTorch's, in the parity tests) sleep when they wait instead of spinning on a core
# another worker needs: the unit tests took 140 s instead of 163 s. The kernels' results do not
# depend on their schedule.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
bin=node_modules/.bin
"$bin/jest" -c tools/ci/jest.all.cjs "$@" &
tests=$!
status=0
"$bin/tsc" -p tsconfig.json --noEmit || status=$?
# The module-boundary rule reads Nx's cached project graph; a fresh clone has none until Nx builds it.
"$bin/nx" show projects >/dev/null || { e=$?; [ "$status" -ne 0 ] || status=$e; }
"$bin/eslint" . --quiet || { e=$?; [ "$status" -ne 0 ] || status=$e; }
wait "$tests" || { e=$?; [ "$status" -ne 0 ] || status=$e; }
exit "$status"
