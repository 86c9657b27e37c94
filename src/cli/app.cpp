// The bloomlink command line: each subcommand lives in its own file (cli/*_command.cpp) and is a
// thin layer over the library: parse arguments, call, print. This file only dispatches. Main() is
// shared by the `bloomlink` executable and `python3 -m bloomlink`.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cli/common.hpp"

namespace {

// A secret must never be typed on a command line (it would land in shell history and be visible
// to every user through ps). Catch the obvious attempts with a message that says what to do.
bool RefuseSecretArgument(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    for (std::string_view bad : {"--secret", "--key", "--password", "--secret-key"}) {
      if (arg == bad ||
          (arg.rfind(bad, 0) == 0 && arg.size() > bad.size() && arg[bad.size()] == '=')) {
        std::fprintf(stderr,
                     "bloomlink: error: %.*s: the secret is never taken as an argument (it would "
                     "show in shell history and process lists); use --secret-file FILE or the "
                     "BLOOMLINK_SECRET environment variable\n",
                     static_cast<int>(bad.size()), bad.data());
        return true;
      }
    }
  }
  return false;
}

}  // namespace

int bloomlink::cli::Main(int argc, char** argv) {
  if (RefuseSecretArgument(argc, argv)) return bloomlink::cli::kExitBadInput;
  CLI::App app{"bloomlink: privacy-preserving record linkage with keyed Bloom filters"};
  app.set_version_flag("--version", "bloomlink 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  bloomlink::cli::AddSchemaCommand(app, exit_code);
  bloomlink::cli::AddEncodeCommand(app, exit_code);
  bloomlink::cli::AddRevealCommand(app, exit_code);
  bloomlink::cli::AddAuditCommand(app, exit_code);
  bloomlink::cli::AddInspectCommand(app, exit_code);
  bloomlink::cli::AddConvertCommand(app, exit_code);
  bloomlink::cli::AddLinkCommand(app, exit_code);
  bloomlink::cli::AddBlockingCommand(app, exit_code);
  bloomlink::cli::AddEvaluateCommand(app, exit_code);
  bloomlink::cli::AddIndexCommand(app, exit_code);
  bloomlink::cli::AddModelCommand(app, exit_code);
  bloomlink::cli::AddSynthCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : bloomlink::cli::kExitBadInput;
  }
  return exit_code;
}
