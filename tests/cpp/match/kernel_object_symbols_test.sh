#!/usr/bin/env bash
# kernel_object_symbols_test.sh NM OBJECTS — the kernel objects of the match module
# (kernels_<isa>: scalar, avx2, avx512; OBJECTS is the module's object list, separated by
# semicolons as CMake's $<TARGET_OBJECTS> gives it) must each define exactly their entry points
# as external functions: the AndPopcount, FieldPopcounts and FieldLevelKeys functions of their ISA.
# Any other one, an inline function or a template instance of the tiling driver with external
# linkage, is a weak symbol the linker may pick as the one copy for every caller, compiled with
# that file's ISA flags (see src/match/tiling_driver.hpp).
# Data is left out, it holds no instructions (UBSan adds weak typeinfo of function types), and so
# is __clang_call_terminate: clang's handler for an exception leaving a noexcept function (the
# entry points, where the driver is not inlined, as at -O1), two calls and no vector code.
set -euo pipefail
nm="$1"
IFS=';' read -r -a objects <<<"$2"
checked=0
for object in "${objects[@]}"; do
  case "$(basename "$object")" in
    kernels_*) ;;  # not kernels.cpp, the dispatch
    *) continue ;;
  esac
  # -P: "name type [value size]"; T is a function, W a weak one (or weak data without a type).
  symbols="$("$nm" -P --defined-only --extern-only "$object" |
             awk '$2 ~ /^[TWi]$/ && $1 != "__clang_call_terminate" { print $1 }')"
  entry_points=(AndPopcount FieldPopcounts FieldLevelKeys)
  ok=1
  [ "$(printf '%s\n' "$symbols" | grep -c .)" = "${#entry_points[@]}" ] || ok=0
  for entry in "${entry_points[@]}"; do
    [ "$(printf '%s\n' "$symbols" | grep -c "$entry")" = 1 ] || ok=0
  done
  if [ "$ok" != 1 ]; then
    echo "$object must define no function but its entry points (${entry_points[*]});" \
         "it defines:" >&2
    "$nm" -C --defined-only --extern-only "$object" >&2
    exit 1
  fi
  echo "$(basename "$object"): $(printf '%s ' $symbols)"
  checked=$((checked + 1))
done
# The scalar kernel is in every build.
if [ "$checked" = 0 ]; then
  echo "no kernel object among: $2" >&2
  exit 1
fi
echo "$checked kernel objects define no function but their entry points"
