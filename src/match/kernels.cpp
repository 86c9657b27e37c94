// Kernel dispatch: CPU detection, BLOOMLINK_KERNEL, the kernel tables, AlignedWords and
// PackTargetGroups. Built with the library's baseline flags like every file but the x86 kernel
// files: nothing here may execute an AVX instruction, it only decides which kernel file's
// function may.
#include "bloomlink/match/kernels.hpp"

// BLOOMLINK_HAVE_X86_KERNELS comes from CMake's BLOOMLINK_X86_KERNELS; without it this file uses
// no x86 header, instruction or builtin, so that the library builds for any processor.
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
#if !defined(__x86_64__) && !defined(__i386__)
#error "BLOOMLINK_HAVE_X86_KERNELS needs a compiler that targets x86 (CMake: BLOOMLINK_X86_KERNELS)"
#endif
#include <cpuid.h>
#endif

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <utility>

#include "internal/strings.hpp"
#include "match/kernels_internal.hpp"

namespace bloomlink::match_internal {
namespace {

using internal::StrCat;

static_assert(kLanes == match::kGroupLanes);

// kBuiltKernels: every kernel compiled into this build, scalar first, then in order of
// preference (SupportedKernels and error messages list them in this order; an unset
// BLOOMLINK_KERNEL selects the last one the CPU supports). A new kernel is one entry here, with
// its CPU requirement in CpuSupport and Supports.
constexpr KernelTable kBuiltKernels[] = {
    {.isa = KernelIsa::kScalar,
     .name = "scalar",
     .and_popcount = &AndPopcountScalar,
     .field_popcounts = &FieldPopcountsScalar,
     .field_level_keys = &FieldLevelKeysScalar},
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
    {.isa = KernelIsa::kAvx2,
     .name = "avx2",
     .and_popcount = &AndPopcountAvx2,
     .field_popcounts = &FieldPopcountsAvx2,
     .field_level_keys = &FieldLevelKeysAvx2},
    {.isa = KernelIsa::kAvx512,
     .name = "avx512",
     .and_popcount = &AndPopcountAvx512,
     .field_popcounts = &FieldPopcountsAvx512,
     .field_level_keys = &FieldLevelKeysAvx512},
#endif
};

// Runnable(cpu): "this CPU supports: scalar, avx2", the built kernels `cpu` can run (scalar
// first), for error messages.
std::string Runnable(CpuSupport cpu) {
  std::string names;
  for (const KernelTable& kernel : kBuiltKernels) {
    if (!Supports(cpu, kernel.isa)) continue;
    if (!names.empty()) names += ", ";
    names += kernel.name;
  }
#if defined(BLOOMLINK_HAVE_X86_KERNELS)
  return StrCat("this CPU supports: ", names);
#else
  return StrCat("this build runs: ", names);
#endif
}

#if defined(BLOOMLINK_HAVE_X86_KERNELS)
// Xcr0(): extended control register 0, the register state the OS saves on context switches.
// Only valid when CPUID reports OSXSAVE.
std::uint64_t Xcr0() {
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t{hi} << 32) | lo;
}
#endif

}  // namespace

#if defined(BLOOMLINK_HAVE_X86_KERNELS)
CpuSupport DetectCpuSupport() {
  CpuSupport cpu;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return cpu;
  __cpuid_count(1, 0, eax, ebx, ecx, edx);
  const bool popcnt = (ecx & (1u << 23)) != 0;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool avx = (ecx & (1u << 28)) != 0;
  if (!popcnt || !osxsave || !avx) return cpu;
  const std::uint64_t xcr0 = Xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE and upper-YMM state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // and opmask, ZMM_Hi256, Hi16_ZMM state
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx2 = (ebx & (1u << 5)) != 0;
  const bool avx512f = (ebx & (1u << 16)) != 0;
  const bool avx512bw = (ebx & (1u << 30)) != 0;
  const bool avx512vl = (ebx & (1u << 31)) != 0;
  const bool avx512vpopcntdq = (ecx & (1u << 14)) != 0;
  cpu.avx2 = avx2 && ymm_state;
  cpu.avx512 = cpu.avx2 && zmm_state && avx512f && avx512bw && avx512vl && avx512vpopcntdq;
  return cpu;
}
#else
CpuSupport DetectCpuSupport() { return CpuSupport{}; }
#endif

const KernelTable* BuiltKernel(KernelIsa isa) {
  for (const KernelTable& kernel : kBuiltKernels) {
    if (kernel.isa == isa) return &kernel;
  }
  return nullptr;
}

bool Supports(CpuSupport cpu, KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx2:
      return cpu.avx2;
    case KernelIsa::kAvx512:
      return cpu.avx512;
    case KernelIsa::kScalar:
      break;
  }
  return true;
}

absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value, CpuSupport cpu) {
  if (env_value == nullptr || *env_value == '\0') {
    for (auto it = std::rbegin(kBuiltKernels); it != std::rend(kBuiltKernels); ++it) {
      if (Supports(cpu, it->isa)) return &*it;
    }
    return &kBuiltKernels[0];
  }
  const std::string_view value(env_value);
  auto isa = match::ParseKernelName(value);
  if (!isa.ok()) {
    return absl::InvalidArgumentError(StrCat("BLOOMLINK_KERNEL=\"", value,
                                             "\" is not a kernel name (scalar, avx2, avx512); ",
                                             Runnable(cpu)));
  }
  const KernelTable* kernel = BuiltKernel(*isa);
  if (kernel == nullptr) {
    // Only the x86 kernels can be left out of a build.
    return absl::InvalidArgumentError(
        StrCat("BLOOMLINK_KERNEL=\"", value,
               "\" names a kernel this build does not have: it was built without the x86 kernels "
               "(BLOOMLINK_X86_KERNELS=OFF); ",
               Runnable(cpu)));
  }
  if (!Supports(cpu, *isa)) {
    return absl::InvalidArgumentError(StrCat(
        "BLOOMLINK_KERNEL=\"", value, "\" names a kernel this CPU cannot run; ", Runnable(cpu)));
  }
  return kernel;
}

absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value) {
  return SelectKernel(env_value, DetectCpuSupport());
}

}  // namespace bloomlink::match_internal

namespace bloomlink::match {
namespace {

using internal::StrCat;

constexpr std::size_t kAlignment = 64;  // bytes: one cache line, one ZMM register

// Cpu(): the running CPU's support, detected once.
const match_internal::CpuSupport& Cpu() {
  static const match_internal::CpuSupport cpu = match_internal::DetectCpuSupport();
  return cpu;
}

}  // namespace

AlignedWords::AlignedWords(std::size_t words) : size_(words) {
  if (words == 0) return;
  const std::size_t bytes =
      (words * sizeof(std::uint64_t) + kAlignment - 1) / kAlignment * kAlignment;
  data_ = static_cast<std::uint64_t*>(::operator new (bytes, std::align_val_t{kAlignment}));
  std::memset(data_, 0, bytes);
}

AlignedWords::AlignedWords(AlignedWords&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedWords& AlignedWords::operator=(AlignedWords&& other) noexcept {
  if (this != &other) {
    AlignedWords old(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

AlignedWords::~AlignedWords() {
  if (data_ != nullptr) ::operator delete (data_, std::align_val_t{kAlignment});
}

void PackTargetGroups(std::span<const std::uint64_t* const> rows, std::size_t words,
                      AlignedWords& out) {
  const std::size_t ngroups = (rows.size() + kGroupLanes - 1) / kGroupLanes;
  const std::size_t size = ngroups * words * kGroupLanes;
  if (out.size() != size) out = AlignedWords(size);
  for (std::size_t g = 0; g < ngroups; ++g) {
    std::uint64_t* group = out.data() + g * words * kGroupLanes;
    for (std::size_t l = 0; l < kGroupLanes; ++l) {
      const std::size_t r = g * kGroupLanes + l;
      if (r < rows.size()) {
        const std::uint64_t* row = rows[r];
        for (std::size_t w = 0; w < words; ++w) group[w * kGroupLanes + l] = row[w];
      } else {
        for (std::size_t w = 0; w < words; ++w) group[w * kGroupLanes + l] = 0;
      }
    }
  }
}

absl::StatusOr<KernelIsa> ParseKernelName(std::string_view name) {
  if (name == "scalar") return KernelIsa::kScalar;
  if (name == "avx2") return KernelIsa::kAvx2;
  if (name == "avx512") return KernelIsa::kAvx512;
  return absl::InvalidArgumentError(
      StrCat("unknown kernel name \"", name, "\"; expected one of: scalar, avx2, avx512"));
}

const KernelTable* KernelFor(KernelIsa isa) {
  const KernelTable* kernel = match_internal::BuiltKernel(isa);
  return kernel != nullptr && match_internal::Supports(Cpu(), isa) ? kernel : nullptr;
}

std::vector<const KernelTable*> SupportedKernels() {
  std::vector<const KernelTable*> kernels;
  for (const KernelTable& kernel : match_internal::kBuiltKernels) {
    if (match_internal::Supports(Cpu(), kernel.isa)) kernels.push_back(&kernel);
  }
  return kernels;
}

absl::StatusOr<const KernelTable*> Kernels() {
  static const absl::StatusOr<const KernelTable*> selected =
      match_internal::SelectKernel(std::getenv("BLOOMLINK_KERNEL"));
  return selected;
}

}  // namespace bloomlink::match
