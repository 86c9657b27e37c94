// Output failures through AtomicFileWriter: a missing folder, a file where the folder should be,
// a folder where the file should be, and a full disk (simulated with RLIMIT_FSIZE). Each fails
// with a message naming the output, leaves no temporary file and leaves a previous output as it
// was. (tests/python/test_bad_input.py checks the same through the command line.)
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "internal/file_errors.hpp"
#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::Entries;
using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;

TEST(OutputErrorsTest, MissingFolderFileAsFolderAndFolderAsFile) {
  TempDir dir;
  const std::string missing = dir.file("nope/out.bloom");
  EXPECT_THAT(AtomicFileWriter::Create(missing),
              StatusIs(StatusCode::kNotFound,
                       missing + ": cannot write: folder " + dir.file("nope") + " does not exist"));
  WriteFile(dir.file("plain"), "x");
  const std::string under_file = dir.file("plain/out.bloom");
  EXPECT_THAT(AtomicFileWriter::Create(under_file),
              StatusIs(StatusCode::kNotFound,
                       under_file + ": cannot write: " + dir.file("plain") + " is not a folder"));
  std::filesystem::create_directory(dir.file("folder"));
  EXPECT_THAT(AtomicFileWriter::Create(dir.file("folder")),
              StatusIs(StatusCode::kInvalidArgument, ": cannot write: it is a folder"));
  EXPECT_THAT(AtomicFileWriter::Create(""), StatusIs(StatusCode::kInvalidArgument, "empty"));
  EXPECT_EQ(Entries(dir.path()), (std::vector<std::string>{"folder", "plain"}));
  EXPECT_EQ(ReadFile(dir.file("plain")), "x");
}

TEST(OutputErrorsTest, FullDiskErrorsSayWhatToCheck) {
  EXPECT_THAT(internal::FileError(ENOSPC, "out.bloom", "write failed"),
              StatusIs(StatusCode::kResourceExhausted,
                       "out.bloom: write failed: the disk is full (No space left on device)"));
  EXPECT_THAT(
      internal::FileError(EDQUOT, "out.bloom", "write failed"),
      StatusIs(StatusCode::kResourceExhausted, "out.bloom: write failed: over the disk quota"));
  EXPECT_THAT(internal::FileError(EFBIG, "out.bloom", "write failed"),
              StatusIs(StatusCode::kResourceExhausted,
                       "out.bloom: write failed: the file is larger than allowed (File too large): "
                       "check the file system's largest file size and ulimit -f"));
  EXPECT_THAT(internal::FileError(EACCES, "out.bloom", "cannot create a temporary file"),
              StatusIs(StatusCode::kPermissionDenied, "Permission denied"));
  EXPECT_THAT(internal::FileError(EIO, "out.bloom", "write failed"),
              StatusIs(StatusCode::kInternal, "out.bloom: write failed: Input/output error"));
}

// FileSizeLimit: while alive, files may grow to `bytes` (the soft RLIMIT_FSIZE) and SIGXFSZ is
// ignored, so a write past the limit fails with EFBIG as on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limited = old_;
    limited.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

TEST(OutputErrorsTest, FullDiskLeavesNoTemporaryFileAndThePreviousOutput) {
  TempDir dir;
  EncodedDataset data;
  for (int i = 0; i < 400; ++i) data.ids.push_back("record-" + std::to_string(i));
  data.clks = BitMatrix(400, 1024);
  for (std::size_t r = 0; r < 400; ++r) data.clks.SetBit(r, r % 1024);
  data.clks.UpdatePopcounts();
  const std::string previous = "the previous output\n";
  for (EncodingFormat format :
       {EncodingFormat::kBloom, EncodingFormat::kClkhashJson, EncodingFormat::kCsv}) {
    const std::string path = dir.file("out");
    WriteFile(path, previous);
    absl::Status status;
    {
      FileSizeLimit limit(4096);
      ASSERT_TRUE(limit.ok());
      status = WriteEncodings(data, path, format);
    }
    EXPECT_THAT(status, StatusIs(StatusCode::kResourceExhausted,
                                 path + ": write failed: the file is larger than allowed"))
        << EncodingFormatName(format);
    EXPECT_EQ(ReadFile(path), previous);
    EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"out"});
    // Without the limit the same write succeeds.
    EXPECT_TRUE(WriteEncodings(data, path, format).ok());
    EXPECT_GT(std::filesystem::file_size(path), 4096u);
  }
}

}  // namespace
}  // namespace bloomlink::io
