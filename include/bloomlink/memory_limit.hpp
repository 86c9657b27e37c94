// bloomlink/memory_limit.hpp
//
// Memory limits as users give them: "4G", "1500M", "80%" (of physical memory), or a number of
// bytes; and sizes written back for messages ("3.2 GiB").
//
//   absl::StatusOr<std::uint64_t> limit = ParseMemoryLimit("80%");  // bytes
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bloomlink {

// PhysicalMemoryBytes(): the machine's physical memory (sysconf), 0 when it cannot be read.
std::uint64_t PhysicalMemoryBytes();

// ParseMemoryLimit(text): bytes. Accepts a whole or decimal number with an optional unit: K, M,
// G, T (powers of 1024; "KB", "KiB", "GB", "GiB" too, case-insensitive) or "%" of physical
// memory (1 to 100); "0" means no limit. InvalidArgument naming what was given otherwise.
absl::StatusOr<std::uint64_t> ParseMemoryLimit(std::string_view text);

// FormatBytes(bytes): "812 bytes", "3.5 KiB", "1.2 GiB".
std::string FormatBytes(std::uint64_t bytes);

}  // namespace bloomlink
