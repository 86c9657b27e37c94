// AtomicFileWriter's temporary-file registry: RemoveTemporaryFiles() (called by the command line's
// SIGINT/SIGTERM handler before it ends the process) removes exactly the unfinished outputs.
#include "bloomlink/io/atomic_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::bloomlink::testing::Entries;
using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;

TEST(AtomicFileWriterTest, ProcessEndedMidWriteLeavesNoTemporaryFile) {
  TempDir dir;
  WriteFile(dir.file("out.csv"), "previous\n");
  // In a child process: two outputs being written, one finished; the process then ends the way
  // the signal handler ends it.
  EXPECT_EXIT(
      {
        auto done = AtomicFileWriter::Create(dir.file("done.csv"));
        if (!done.ok() || !done->Write("complete\n").ok() || !done->Commit().ok()) ::_exit(1);
        auto out = AtomicFileWriter::Create(dir.file("out.csv"));
        auto other = AtomicFileWriter::Create(dir.file("other.csv"));
        if (!out.ok() || !other.ok()) ::_exit(1);
        if (!out->Write(std::string(3 << 20, 'x')).ok()) ::_exit(1);  // flushed to disk
        if (Entries(dir.path()).size() != 4) ::_exit(2);  // two outputs, two temporary files
        RemoveTemporaryFiles();
        ::_exit(7);
      },
      ::testing::ExitedWithCode(7), "");
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"done.csv", "out.csv"}));
  EXPECT_EQ(ReadFile(dir.file("out.csv")), "previous\n");
  EXPECT_EQ(ReadFile(dir.file("done.csv")), "complete\n");
}

TEST(AtomicFileWriterTest, RegistryFollowsMovesAndFreesItsSlots) {
  TempDir dir;
  // More writers over time than the registry has slots: slots are freed on commit and abandon.
  for (int i = 0; i < 200; ++i) {
    std::string name = "f";
    name += std::to_string(i % 3);  // (not "f" + ...: GCC 12 warns falsely, -Wrestrict)
    auto w = AtomicFileWriter::Create(dir.file(name));
    ASSERT_TRUE(w.ok());
    AtomicFileWriter moved = std::move(*w);
    ASSERT_TRUE(moved.Write("x").ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(moved.Commit().ok());
    }
  }
  // Nothing is registered any more: a committed output is never removed.
  RemoveTemporaryFiles();
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"f0", "f1", "f2"}));
  // Still registered after a move: the moved-to writer's temporary file is removed.
  auto w = AtomicFileWriter::Create(dir.file("late"));
  ASSERT_TRUE(w.ok());
  AtomicFileWriter moved = std::move(*w);
  EXPECT_EQ(Entries(dir.path()).size(), 4u);
  RemoveTemporaryFiles();
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"f0", "f1", "f2"}));
}

}  // namespace
}  // namespace bloomlink::io
