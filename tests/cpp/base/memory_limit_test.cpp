#include "bloomlink/memory_limit.hpp"

#include "test_support.hpp"

namespace bloomlink {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

TEST(ParseMemoryLimitTest, SizesUnitsAndShares) {
  EXPECT_EQ(*ParseMemoryLimit("0"), 0u);
  EXPECT_EQ(*ParseMemoryLimit("4096"), 4096u);
  EXPECT_EQ(*ParseMemoryLimit("512K"), 512u << 10);
  EXPECT_EQ(*ParseMemoryLimit("1500M"), 1500ull << 20);
  EXPECT_EQ(*ParseMemoryLimit("1500mb"), 1500ull << 20);
  EXPECT_EQ(*ParseMemoryLimit("16G"), 16ull << 30);
  EXPECT_EQ(*ParseMemoryLimit("16GiB"), 16ull << 30);
  EXPECT_EQ(*ParseMemoryLimit("1.5G"), 3ull << 29);
  EXPECT_EQ(*ParseMemoryLimit("2T"), 2ull << 40);
  const std::uint64_t physical = PhysicalMemoryBytes();
  ASSERT_GT(physical, 0u);
  EXPECT_EQ(*ParseMemoryLimit("100%"), physical);
  EXPECT_NEAR(static_cast<double>(*ParseMemoryLimit("80%")), 0.8 * static_cast<double>(physical),
              1.0);
}

TEST(ParseMemoryLimitTest, RefusesWhatItCannotRead) {
  for (const char* bad : {"", "G", "-1G", "16X", "0%", "101%", "1.2.3G", "16 G", "1e30"}) {
    EXPECT_THAT(ParseMemoryLimit(bad),
                StatusIs(StatusCode::kInvalidArgument, "expected a size such as 4G"))
        << bad;
  }
}

TEST(FormatBytesTest, ReadableSizes) {
  EXPECT_EQ(FormatBytes(0), "0 bytes");
  EXPECT_EQ(FormatBytes(1), "1 byte");
  EXPECT_EQ(FormatBytes(1023), "1023 bytes");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(3ull << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(200ull << 20), "200 MiB");
}

}  // namespace
}  // namespace bloomlink
