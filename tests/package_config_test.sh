#!/usr/bin/env bash
# Installs bloomlink from the build tree into a temporary prefix, builds examples/cpp against it
# with find_package(bloomlink), and runs the example on synthetic data. The example is compiled
# with the build tree's compiler (argument 3): OpenMP and the sanitizers need the same toolchain.
set -euo pipefail
source_dir="$1"
build_dir="$2"
compiler="${3:-c++}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/cpp" -B "$work/example" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_CXX_COMPILER="$compiler" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/example" >/dev/null
"$work/prefix/bin/bloomlink" synth --records 50 --seed 3 --output "$work/data" >/dev/null
out="$(BLOOMLINK_SECRET="package config test secret" "$work/example/encode_extract" \
       "$work/data/trust.csv" "$work/trust.bloom")"
echo "$out"
[[ "$out" == "50 records encoded, 0 skipped" ]]
"$work/prefix/bin/bloomlink" inspect "$work/trust.bloom" | grep -q "records      50"
