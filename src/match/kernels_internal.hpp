// Internal declarations of the AND-popcount kernels and of kernel selection; not part of the
// public API (see bloomlink/match/kernels.hpp).
//
// Each kernel is defined in its own source file, compiled with that ISA's flags
// (kernels_avx2.cpp: -mavx2 -mpopcnt; kernels_avx512.cpp: -mavx512f -mavx512bw -mavx512vl
// -mavx512vpopcntdq -mpopcnt). This header therefore declares functions only: an inline function
// defined here would be compiled once per flag set, and the linker could keep an AVX-512 copy
// for code that runs on any CPU. For the same reason the per-ISA files use no standard library
// templates (std::min and the like): their helpers are their own, in anonymous namespaces.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bloomlink::match::internal {

// kLanes: match::kGroupLanes, restated here so that the per-ISA files need no library header
// (kernels.cpp checks that the two agree).
inline constexpr std::size_t kLanes = 8;

// AndPopcountScalar / AndPopcountAvx2 / AndPopcountAvx512: the three match::AndPopcountFn
// implementations. The AVX2 one may only run where CpuSupport::avx2 holds, the AVX-512 one where
// CpuSupport::avx512 holds.
void AndPopcountScalar(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept;
void AndPopcountAvx2(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                     const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                     std::uint32_t* counts, std::size_t counts_stride) noexcept;
void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept;

}  // namespace bloomlink::match::internal

// The per-ISA files define BLOOMLINK_KERNEL_ISA_FILE and see only the declarations above: any
// library header (Abseil, the standard library) brings inline functions and static initialisers
// that would be compiled there with AVX flags.
#ifndef BLOOMLINK_KERNEL_ISA_FILE

#include "absl/status/statusor.h"
#include "bloomlink/match/kernels.hpp"

namespace bloomlink::match::internal {

using match::KernelIsa;
using match::KernelTable;

// CpuSupport: which kernels a CPU (and its operating system) can run. The scalar kernel always
// runs.
//   avx2:   AVX2 and POPCNT, with the OS saving YMM state (XCR0 bits 1-2).
//   avx512: avx2, plus AVX512F, AVX512BW, AVX512VL and AVX512_VPOPCNTDQ, with the OS saving
//           opmask and ZMM state (XCR0 bits 5-7).
struct CpuSupport {
  bool avx2 = false;
  bool avx512 = false;
};

// DetectCpuSupport() reads CPUID and XCR0 (xgetbv) of the running CPU.
CpuSupport DetectCpuSupport();

// TableFor(isa) is the kernel table of `isa`, whether or not this CPU can run it.
const KernelTable& TableFor(KernelIsa isa);

// Supports(cpu, isa) says whether `cpu` can run kernel `isa`.
bool Supports(CpuSupport cpu, KernelIsa isa);

// SelectKernel(env_value, cpu) is the kernel Kernels() uses when BLOOMLINK_KERNEL has the value
// `env_value` (nullptr when unset) on a CPU with support `cpu`: unset or empty selects the best
// kernel `cpu` supports; a kernel name selects that kernel; a name that is not a kernel, or a
// kernel `cpu` cannot run, is InvalidArgument naming BLOOMLINK_KERNEL, the value and the kernels
// `cpu` supports.
absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value, CpuSupport cpu);

// SelectKernel(env_value) is SelectKernel(env_value, DetectCpuSupport()).
absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value);

}  // namespace bloomlink::match::internal

#endif  // BLOOMLINK_KERNEL_ISA_FILE
