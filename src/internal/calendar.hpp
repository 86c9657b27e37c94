// Internal: the proleptic Gregorian calendar, by std::chrono (no hand-written leap years).
#pragma once

#include <chrono>
#include <cstdint>

namespace bloomlink::internal {

// YearMonthDay(y, m, d): the date, or an invalid one (!ok()) when m or d is out of range.
// std::chrono stores months and days in a byte and years in 16 bits: values out of those
// ranges are made invalid here rather than wrapped.
constexpr std::chrono::year_month_day YearMonthDay(int y, int m, int d) {
  using namespace std::chrono;
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < -32767 || y > 32767) {
    return year_month_day{year{0}, month{0}, day{0}};
  }
  return year_month_day{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
}

// IsValidDate(y, m, d): d/m/y is a day of the proleptic Gregorian calendar.
constexpr bool IsValidDate(int y, int m, int d) { return YearMonthDay(y, m, d).ok(); }

// DaysSinceEpoch(date): days from 1970-01-01 to a valid date.
constexpr std::int64_t DaysSinceEpoch(std::chrono::year_month_day date) {
  return std::chrono::sys_days{date}.time_since_epoch().count();
}

// DateOfDays(days): the date `days` after 1970-01-01.
constexpr std::chrono::year_month_day DateOfDays(std::int64_t days) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

}  // namespace bloomlink::internal
