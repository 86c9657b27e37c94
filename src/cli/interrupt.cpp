// Ctrl-C (SIGINT), SIGTERM and SIGHUP: end the process at once, removing the temporary files of
// outputs not yet finished, so that an interrupted run leaves no partial output behind (outputs
// are written to a temporary file and renamed into place only when complete; see
// io/atomic_file.hpp). Previous files at the destinations are untouched.
#include <signal.h>
#include <unistd.h>

#include "bloomlink/io/atomic_file.hpp"
#include "cli/common.hpp"

namespace bloomlink::cli {
namespace {

extern "C" void OnInterrupt(int signal_number) {
  // Only async-signal-safe calls here.
  io::RemoveTemporaryFiles();
  static const char kMessage[] =
      "\nbloomlink: interrupted: stopped without writing the unfinished output\n";
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(128 + signal_number);
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    // A signal the parent chose to ignore (nohup, a background job) stays ignored.
    struct sigaction previous = {};
    if (::sigaction(signal_number, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) {
      continue;
    }
    ::sigaction(signal_number, &action, nullptr);
  }
}

}  // namespace bloomlink::cli
