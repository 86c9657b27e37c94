#include "cli/common.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bloomlink/io/encodings.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/match/keyed_blocking.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return kExitBadInput;
    case absl::StatusCode::kResourceExhausted:
      return kExitLimit;
    case absl::StatusCode::kCancelled:
      return 130;
    default:
      return kExitInternal;
  }
}

int Fail(const absl::Status& status) {
  std::string message(status.message());
  std::fprintf(stderr, "bloomlink: error: %s\n", message.c_str());
  return ExitCodeFor(status);
}

void Warn(std::string_view message) {
  std::fprintf(stderr, "bloomlink: warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

absl::StatusOr<encode::Secret> ReadSecret(const std::string& secret_file, bool allow_weak) {
  encode::SecretOptions options{.allow_weak = allow_weak};
  if (!secret_file.empty()) return encode::Secret::FromFile(secret_file, options);
  if (std::getenv("BLOOMLINK_SECRET") != nullptr) {
    return encode::Secret::FromEnvironment("BLOOMLINK_SECRET", options);
  }
  return absl::InvalidArgumentError(
      "no secret: give --secret-file FILE or set the BLOOMLINK_SECRET environment variable");
}

double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

Progress::Progress(std::string what) : what_(std::move(what)), enabled_(::isatty(2) == 1) {}

Progress::~Progress() { Finish(); }

void Progress::Update(std::uint64_t items, std::uint64_t done_bytes, std::uint64_t total_bytes) {
  if (!enabled_) return;
  if (total_bytes > 0) {
    std::fprintf(stderr, "\r%s: %s records (%3.0f%%)", what_.c_str(), Thousands(items).c_str(),
                 100.0 * static_cast<double>(done_bytes) / static_cast<double>(total_bytes));
  } else {
    std::fprintf(stderr, "\r%s: %s records", what_.c_str(), Thousands(items).c_str());
  }
  std::fflush(stderr);
  shown_ = true;
}

void Progress::Finish() {
  if (shown_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }
}

void PrintBlockingRules(const BlockingKeys& keys, const char* indent) {
  if (keys.empty()) return;
  auto blocks = match::CountKeyedBlocks(keys, keys, /*same_dataset=*/true);
  if (!blocks.ok()) {
    Warn(std::string(blocks.status().message()));
    return;
  }
  const double n = static_cast<double>(std::max<std::size_t>(keys.records(), 1));
  for (const match::KeyedRuleBlocks& rule : *blocks) {
    // Blocks are counted from two records up; a token held once is the largest when none is shared.
    const std::uint64_t most = std::max<std::uint64_t>(rule.largest_a, rule.a_with_token > 0);
    std::printf(
        "%sblocking rule %s: %s records with a token (%.1f%%), the most sharing one: %s "
        "(%.2f%%)\n",
        indent, rule.rule.c_str(), internal::Thousands(rule.a_with_token).c_str(),
        100.0 * static_cast<double>(rule.a_with_token) / n, internal::Thousands(most).c_str(),
        100.0 * static_cast<double>(most) / n);
  }
}

absl::StatusOr<LinkedFiles> ReadLinkedFiles(const std::string& a, const std::string& b,
                                            bool dedupe) {
  if (b.empty() && !dedupe) {
    return absl::InvalidArgumentError("give two encoded files, or one with --dedupe");
  }
  if (dedupe && !b.empty() && b != a) {
    return absl::InvalidArgumentError("--dedupe links one file with itself: give one file");
  }
  LinkedFiles files;
  files.dedupe = dedupe;
  files.path_a = a;
  files.path_b = dedupe ? a : b;
  BLOOMLINK_ASSIGN_OR_RETURN(files.a, io::ReadEncodings(a));
  if (!dedupe) {
    BLOOMLINK_ASSIGN_OR_RETURN(files.read_b, io::ReadEncodings(b));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<std::string> warnings,
                             link::CheckCompatible(files.a, files.path_a, files.b(), files.path_b));
  for (const std::string& w : warnings) Warn(w);
  return files;
}

}  // namespace bloomlink::cli
