#include "bloomlink/memory_limit.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "internal/strings.hpp"

namespace bloomlink {

std::uint64_t PhysicalMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

absl::StatusOr<std::uint64_t> ParseMemoryLimit(std::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(internal::StrCat(
        "memory limit \"", text,
        "\": expected a size such as 4G, 1500M or 80% (of physical memory), or 0 for no limit"));
  };
  std::size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
    ++end;
  }
  if (end == 0) return invalid();
  const std::string number(text.substr(0, end));
  char* parsed_end = nullptr;
  const double value = std::strtod(number.c_str(), &parsed_end);
  if (parsed_end != number.c_str() + number.size() || !std::isfinite(value)) return invalid();
  std::string unit;
  for (char c : text.substr(end))
    unit.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  double bytes = 0;
  if (unit == "%") {
    if (value < 1 || value > 100) return invalid();
    const std::uint64_t physical = PhysicalMemoryBytes();
    if (physical == 0) {
      return absl::FailedPreconditionError(
          internal::StrCat("memory limit \"", text,
                           "\": the machine's physical memory cannot be read; give a size "
                           "such as 4G"));
    }
    bytes = static_cast<double>(physical) * value / 100;
  } else {
    double scale = 0;
    if (unit.empty() || unit == "B")
      scale = 1;
    else if (unit == "K" || unit == "KB" || unit == "KIB")
      scale = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB")
      scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "GB" || unit == "GIB")
      scale = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "TB" || unit == "TIB")
      scale = 1024.0 * 1024 * 1024 * 1024;
    else
      return invalid();
    bytes = value * scale;
  }
  if (bytes >= 1.8e19) return invalid();
  return static_cast<std::uint64_t>(bytes);
}

std::string FormatBytes(std::uint64_t bytes) {
  if (bytes < 1024) return internal::StrCat(bytes, bytes == 1 ? " byte" : " bytes");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return text;
}

}  // namespace bloomlink
