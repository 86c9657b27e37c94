// Kernel dispatch: CPU detection, BLOOMLINK_KERNEL, the kernel tables, AlignedWords and
// PackTargetGroups. Built for the baseline x86-64 like the rest of the library: nothing here may
// execute an AVX instruction, it only decides which kernel file's function may.
#include "bloomlink/match/kernels.hpp"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <utility>

#include "internal/strings.hpp"
#include "match/kernels_internal.hpp"

// Inside bloomlink::match, `internal` is this module's match::internal, so the shared string
// helpers are named in full once here.
namespace bloomlink::match {
using ::bloomlink::internal::StrCat;
}  // namespace bloomlink::match

namespace bloomlink::match::internal {
namespace {

static_assert(kLanes == match::kGroupLanes);

constexpr KernelTable kScalarTable{KernelIsa::kScalar, "scalar", &AndPopcountScalar};
constexpr KernelTable kAvx2Table{KernelIsa::kAvx2, "avx2", &AndPopcountAvx2};
constexpr KernelTable kAvx512Table{KernelIsa::kAvx512, "avx512", &AndPopcountAvx512};

// Scalar first (the order of SupportedKernels and of error messages).
constexpr KernelIsa kAllIsas[] = {KernelIsa::kScalar, KernelIsa::kAvx2, KernelIsa::kAvx512};

// SupportedNames(cpu): "scalar, avx2, avx512" (those `cpu` supports, scalar first).
std::string SupportedNames(CpuSupport cpu) {
  std::string names;
  for (KernelIsa isa : kAllIsas) {
    if (!Supports(cpu, isa)) continue;
    if (!names.empty()) names += ", ";
    names += TableFor(isa).name;
  }
  return names;
}

// Xcr0(): extended control register 0, the register state the OS saves on context switches.
// Only valid when CPUID reports OSXSAVE.
std::uint64_t Xcr0() {
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t{hi} << 32) | lo;
}

}  // namespace

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

const KernelTable& TableFor(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx2:
      return kAvx2Table;
    case KernelIsa::kAvx512:
      return kAvx512Table;
    case KernelIsa::kScalar:
      break;
  }
  return kScalarTable;
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
    for (auto it = std::rbegin(kAllIsas); it != std::rend(kAllIsas); ++it) {
      if (Supports(cpu, *it)) return &TableFor(*it);
    }
    return &kScalarTable;
  }
  const std::string_view value(env_value);
  auto isa = match::ParseKernelName(value);
  if (!isa.ok()) {
    return absl::InvalidArgumentError(
        StrCat("BLOOMLINK_KERNEL=\"", value,
               "\" is not a kernel name (scalar, avx2, avx512); this CPU supports: ",
               SupportedNames(cpu)));
  }
  if (!Supports(cpu, *isa)) {
    return absl::InvalidArgumentError(
        StrCat("BLOOMLINK_KERNEL=\"", value,
               "\" names a kernel this CPU cannot run; this CPU supports: ", SupportedNames(cpu)));
  }
  return &TableFor(*isa);
}

absl::StatusOr<const KernelTable*> SelectKernel(const char* env_value) {
  return SelectKernel(env_value, DetectCpuSupport());
}

}  // namespace bloomlink::match::internal

namespace bloomlink::match {
namespace {

constexpr std::size_t kAlignment = 64;  // bytes: one cache line, one ZMM register

// Cpu(): the running CPU's support, detected once.
const internal::CpuSupport& Cpu() {
  static const internal::CpuSupport cpu = internal::DetectCpuSupport();
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
  return internal::Supports(Cpu(), isa) ? &internal::TableFor(isa) : nullptr;
}

std::vector<const KernelTable*> SupportedKernels() {
  std::vector<const KernelTable*> kernels;
  for (KernelIsa isa : internal::kAllIsas) {
    if (const KernelTable* k = KernelFor(isa)) kernels.push_back(k);
  }
  return kernels;
}

absl::StatusOr<const KernelTable*> Kernels() {
  static const absl::StatusOr<const KernelTable*> selected =
      internal::SelectKernel(std::getenv("BLOOMLINK_KERNEL"));
  return selected;
}

}  // namespace bloomlink::match
