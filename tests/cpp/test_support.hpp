// Shared helpers for the GoogleTest suites.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bloomlink::testing {

// SharedDataDir() is ../shared/data relative to the repository root.
std::filesystem::path SharedDataDir();

// TempDir: a fresh folder under the system temp folder, removed with everything in it at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// WriteFile / ReadFile: whole-file helpers.
void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);
// Entries(dir): the names in `dir`, sorted (to check that nothing was left behind).
std::vector<std::string> Entries(const std::filesystem::path& dir);

// StatusIs(code, substring) matches an absl::Status or StatusOr with that code and a message
// containing `substring`.
MATCHER_P2(StatusIs, code, substring, "") {
  const absl::Status& s = [&]() -> absl::Status {
    if constexpr (std::is_same_v<std::decay_t<decltype(arg)>, absl::Status>) {
      return arg;
    } else {
      return arg.status();
    }
  }();
  if (s.code() != code) {
    *result_listener << "status is " << s;
    return false;
  }
  if (s.message().find(substring) == std::string_view::npos) {
    *result_listener << "message is \"" << s.message() << "\"";
    return false;
  }
  return true;
}

}  // namespace bloomlink::testing

// SKIP_WITHOUT_SHARED_DATA(): skips the test with a message when ../shared/data is absent.
#define SKIP_WITHOUT_SHARED_DATA()                                               \
  do {                                                                           \
    if (!std::filesystem::is_directory(::bloomlink::testing::SharedDataDir())) { \
      GTEST_SKIP() << "shared evaluation data not found at "                     \
                   << ::bloomlink::testing::SharedDataDir() << "; skipping";     \
    }                                                                            \
  } while (false)
