#!/usr/bin/env bash
# A packager's build: Release (-O2), no tests, warnings made errors here so
# that a warning GCC gives only when optimising (issue 11: -Wrestrict in
# vfio_pci.cpp) fails make check instead of a user's build.
#   release_build_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 out=$2
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release -DRINGVM_TESTS=OFF -DRINGVM_WERROR=ON \
	>"$out.configure.log" 2>&1 || { cat "$out.configure.log"; exit 1; }
cmake --build "$out" -j "$(nproc)" --target ringvm man
echo "release build: ok"
