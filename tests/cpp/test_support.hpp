// Shared helpers for the GoogleTest suites.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bloomlink::testing {

// TestDataDir() is tests/data in the source tree (BLOOMLINK_TEST_DATA_DIR): the data files the
// tests read, kept in the repository with their provenance and licences (tests/data/README.md).
std::filesystem::path TestDataDir();

// TestData("clkhash-vectors/data.csv") is that file's path under TestDataDir(). When the file is
// missing, the calling test fails (non-fatally, naming the file) rather than skipping; reading it
// then fails too.
std::filesystem::path TestData(std::string_view relative);

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
