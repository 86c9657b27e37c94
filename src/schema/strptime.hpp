// Internal: the part of Python's time.strptime that clkhash date formats use, reproduced exactly
// (directive regular expressions, left-to-right alternation with backtracking, "unconverted data
// remains" when the first match does not reach the end, calendar validation).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace bloomlink::schema_internal {

// CheckStrptimeFormat(format) is OK when every directive is supported: %Y %y %m %d %b %B %%.
absl::Status CheckStrptimeFormat(std::string_view format);

// StrptimeToYmd(value, format, out) parses `value` like datetime.strptime(value, format) and, on
// success, writes the date as strftime("%Y%m%d") does on Linux. Returns false when Python would
// raise ValueError.
bool StrptimeToYmd(std::string_view value, std::string_view format, std::string* out);

}  // namespace bloomlink::schema_internal
