// bloomlink: the command-line tool (see cli/app.cpp).
#include "cli/common.hpp"

int main(int argc, char** argv) {
  bloomlink::cli::InstallInterruptHandlers();
  return bloomlink::cli::Main(argc, argv);
}
