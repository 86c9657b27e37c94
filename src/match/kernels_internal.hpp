// Internal declarations of the AND-popcount kernels and of kernel selection; not part of the
// public API (see bloomlink/match/kernels.hpp).
//
// Each kernel is defined in its own source file, compiled with that ISA's flags
// (kernels_avx2.cpp: -mavx2 -mpopcnt; kernels_avx512.cpp: -mavx512f -mavx512bw -mavx512vl
// -mavx512vpopcntdq -mpopcnt; kernels_scalar.cpp: the library's baseline flags). This header
// therefore declares functions only: an inline function defined here would be compiled once per
// flag set, and the linker could keep an AVX-512 copy for code that runs on any CPU. The code the
// kernel files share is the tiling driver (tiling_driver.hpp), which states the rules that keep
// its copies apart.
//
// The x86 kernels are compiled only when CMake's BLOOMLINK_X86_KERNELS is on (the default on x86),
// which defines BLOOMLINK_HAVE_X86_KERNELS for this module; otherwise the scalar kernel is the only
// one, and the library contains no x86-specific code at all.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bloomlink/match/field_key_spec.hpp"

namespace bloomlink::match_internal {

// kLanes: match::kGroupLanes, restated here so that the kernel files need no library header
// (kernels.cpp checks that the two agree).
inline constexpr std::size_t kLanes = 8;

// AndPopcountScalar / AndPopcountAvx2 / AndPopcountAvx512: the match::AndPopcountFn
// implementations. The AVX2 one may only run where CpuSupport::avx2 holds, the AVX-512 one where
// CpuSupport::avx512 holds.
void AndPopcountScalar(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept;
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
void AndPopcountAvx2(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                     const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                     std::uint32_t* counts, std::size_t counts_stride) noexcept;
void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept;
#endif

// FieldPopcountsScalar / FieldPopcountsAvx2 / FieldPopcountsAvx512: the match::FieldPopcountsFn
// implementations, with the same CPU requirements as the AndPopcount functions of their files.
void FieldPopcountsScalar(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const std::uint32_t* field_end, std::size_t nf,
                          std::uint32_t* counts) noexcept;
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
void FieldPopcountsAvx2(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                        std::size_t row_stride, const std::uint32_t* left,
                        const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                        const std::uint32_t* field_end, std::size_t nf,
                        std::uint32_t* counts) noexcept;
void FieldPopcountsAvx512(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const std::uint32_t* field_end, std::size_t nf,
                          std::uint32_t* counts) noexcept;
#endif

// FieldLevelKeysScalar / FieldLevelKeysAvx2 / FieldLevelKeysAvx512: the
// match::FieldLevelKeysFn implementations, likewise.
void FieldLevelKeysScalar(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const match::FieldKeySpec& spec, std::uint64_t* keys) noexcept;
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
void FieldLevelKeysAvx2(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                        std::size_t row_stride, const std::uint32_t* left,
                        const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                        const match::FieldKeySpec& spec, std::uint64_t* keys) noexcept;
void FieldLevelKeysAvx512(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const match::FieldKeySpec& spec, std::uint64_t* keys) noexcept;
#endif

// kFieldPrefetchPairs: how many pairs ahead the FieldPopcounts functions fetch the rows of B
// (the side a list of pairs sorted by A visits at random).
inline constexpr std::size_t kFieldPrefetchPairs = 16;

}  // namespace bloomlink::match_internal

// The kernel files define BLOOMLINK_KERNEL_ISA_FILE and see only the declarations above: any
// library header (Abseil, the standard library) brings inline functions and static initialisers
// that would be compiled there with AVX flags.
#ifndef BLOOMLINK_KERNEL_ISA_FILE

#include "absl/status/statusor.h"
#include "bloomlink/match/kernels.hpp"

namespace bloomlink::match_internal {

using match::KernelIsa;
using match::KernelTable;

// CpuSupport: which vector kernels a CPU (and its operating system) can run; the scalar kernel
// always runs.
//   avx2:   AVX2 and POPCNT, with the OS saving YMM state (XCR0 bits 1-2).
//   avx512: avx2, plus AVX512F, AVX512BW, AVX512VL and AVX512_VPOPCNTDQ, with the OS saving
//           opmask and ZMM state (XCR0 bits 5-7).
struct CpuSupport {
  bool avx2 = false;
  bool avx512 = false;
};

// DetectCpuSupport() reads CPUID and XCR0 (xgetbv) of the running CPU. A build without the x86
// kernels reads nothing and reports no support: it has no kernel that could use any.
CpuSupport DetectCpuSupport();

// BuiltKernel(isa) is the kernel table of `isa` when this build has that kernel, whether or not
// this CPU can run it, else nullptr. The scalar kernel is always built; avx2 and avx512 only with
// the x86 kernels.
const KernelTable* BuiltKernel(KernelIsa isa);

// Supports(cpu, isa) says whether `cpu` has what kernel `isa` needs (true for scalar).
bool Supports(CpuSupport cpu, KernelIsa isa);

// SelectKernel(env_value, cpu) is the kernel Kernels() uses when BLOOMLINK_KERNEL has the value
// `env_value` (nullptr when unset) on a CPU with support `cpu`: unset or empty selects the best
// built kernel `cpu` supports; a kernel name selects that kernel. Each of these is
// InvalidArgument naming BLOOMLINK_KERNEL, the value and the kernels that can run here: a name
// that is not a kernel's, a kernel this build does not have (saying so, and that the build has
// no x86 kernels), and a kernel `cpu` cannot run.
absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value, CpuSupport cpu);

// SelectKernel(env_value) is SelectKernel(env_value, DetectCpuSupport()).
absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value);

}  // namespace bloomlink::match_internal

#endif  // BLOOMLINK_KERNEL_ISA_FILE
