// bloomlink: command-line entry point. Each subcommand lives in its own file and registers itself
// through cli::Register*; this file only dispatches and maps errors to exit codes.
#include <cstdio>

#include "CLI/CLI.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bloomlink: privacy-preserving record linkage with keyed Bloom filters"};
  app.set_version_flag("--version", "bloomlink 0.1.0");
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
