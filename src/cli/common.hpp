// The CLI's shared plumbing: exit codes, messages, progress. Only the CLI prints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/encoded_dataset.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {

// Exit codes: 0 success, 2 bad input or usage (the user can fix it), 3 a limit reached (the
// memory limit, a full disk, a file-size limit), 1 internal failure, 130 cancelled (128 + the
// signal when interrupted).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitLimit = 3;

// Main(argc, argv): the whole command line; returns the exit code.
int Main(int argc, char** argv);

// InstallInterruptHandlers(): SIGINT, SIGTERM and SIGHUP end the process with exit code 128 +
// the signal, removing unfinished outputs' temporary files. For processes that run the command
// line (the executable, python -m bloomlink), not for library users.
void InstallInterruptHandlers();

int ExitCodeFor(const absl::Status& status);
// Fail(status): prints "bloomlink: error: <message>" on stderr; returns the exit code.
int Fail(const absl::Status& status);
void Warn(std::string_view message);

// Commands: each adds its subcommand to `app`; when it runs it stores its exit code.
// LinkedFiles: the encoded files of a link, read and checked against each other (their
// warnings printed); with dedupe B is A itself.
struct LinkedFiles {
  EncodedDataset a, read_b;
  std::string path_a, path_b;
  bool dedupe = false;
  const EncodedDataset& b() const { return dedupe ? a : read_b; }
};
// PrintBlockingRules(keys, indent): one line per keyed blocking rule: the records with a token
// and the largest block (the most records sharing one token), so that a placeholder value that
// would make one huge block shows before a link.
void PrintBlockingRules(const BlockingKeys& keys, const char* indent);

// ReadLinkedFiles(a, b, dedupe): InvalidArgument for a missing B without dedupe or a second file
// with it; the files' read errors; link::CheckCompatible's refusals.
absl::StatusOr<LinkedFiles> ReadLinkedFiles(const std::string& a, const std::string& b,
                                            bool dedupe);

// ReadSecret(secret_file, allow_weak): the secret from the file, else from the BLOOMLINK_SECRET
// environment variable; InvalidArgument saying how to give one when neither is there.
absl::StatusOr<encode::Secret> ReadSecret(const std::string& secret_file, bool allow_weak);

void AddAuditCommand(CLI::App& app, int& exit_code);
void AddEncodeCommand(CLI::App& app, int& exit_code);
void AddInspectCommand(CLI::App& app, int& exit_code);
void AddConvertCommand(CLI::App& app, int& exit_code);
void AddLinkCommand(CLI::App& app, int& exit_code);
void AddEvaluateCommand(CLI::App& app, int& exit_code);
void AddModelCommand(CLI::App& app, int& exit_code);
void AddSchemaCommand(CLI::App& app, int& exit_code);
void AddSynthCommand(CLI::App& app, int& exit_code);
void AddBlockingCommand(CLI::App& app, int& exit_code);
void AddIndexCommand(CLI::App& app, int& exit_code);
void AddRevealCommand(CLI::App& app, int& exit_code);

// Progress: a one-line progress display on stderr, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(std::string what);
  ~Progress();
  void Update(std::uint64_t items, std::uint64_t done_bytes, std::uint64_t total_bytes);
  void Finish();

 private:
  std::string what_;
  bool enabled_;
  bool shown_ = false;
};

// Thousands(n): 1234567 -> "1,234,567".
using ::bloomlink::internal::Thousands;
// Seconds since an arbitrary start, for timing commands.
double NowSeconds();

}  // namespace bloomlink::cli
