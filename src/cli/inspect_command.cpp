// bloomlink inspect: what an encoded file holds, without any secret.
#include <algorithm>
#include <cstdio>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "cli/common.hpp"

namespace bloomlink::cli {
namespace {

void PrintPopcounts(const BitMatrix& clks) {
  const std::size_t n = clks.rows();
  if (n == 0) return;
  std::vector<std::uint32_t> counts(clks.popcounts().begin(), clks.popcounts().end());
  std::sort(counts.begin(), counts.end());
  double sum = 0;
  for (std::uint32_t c : counts) sum += c;
  auto quantile = [&](double q) {
    return counts[static_cast<std::size_t>(q * static_cast<double>(n - 1))];
  };
  const double mean = sum / static_cast<double>(n);
  std::printf(
      "popcount     min %u  p5 %u  median %u  mean %.1f  p95 %u  max %u  (mean fill %.1f%%)\n",
      counts.front(), quantile(0.05), quantile(0.5), mean, quantile(0.95), counts.back(),
      100.0 * mean / static_cast<double>(clks.bits()));
  // A histogram over at most 16 equal bins between the minimum and the maximum.
  const std::uint32_t lo = counts.front(), hi = counts.back();
  const std::uint32_t bins = std::min<std::uint32_t>(16, hi - lo + 1);
  const std::uint32_t width = (hi - lo) / bins + 1;
  std::vector<std::uint64_t> hist(bins, 0);
  for (std::uint32_t c : counts) ++hist[std::min<std::uint32_t>((c - lo) / width, bins - 1)];
  const std::uint64_t peak = *std::max_element(hist.begin(), hist.end());
  std::printf("histogram\n");
  for (std::uint32_t b = 0; b < bins; ++b) {
    std::uint32_t from = lo + b * width;
    std::uint32_t to = std::min(hi, from + width - 1);
    int bar =
        static_cast<int>(40.0 * static_cast<double>(hist[b]) / static_cast<double>(peak) + 0.5);
    std::printf("  %5u-%-5u %-40s %s\n", from, to,
                std::string(static_cast<std::size_t>(bar), '#').c_str(),
                Thousands(hist[b]).c_str());
  }
}

int RunInspect(const std::string& path) {
  auto format = io::DetectEncodingFormat(path);
  if (!format.ok()) return Fail(format.status());
  std::uint32_t version = 0;
  if (*format == io::EncodingFormat::kBloom) {
    // The full read below verifies the checksum; the header read only needs the version.
    auto header = io::ReadEncodedFileHeader(path, /*verify_checksum=*/false);
    if (!header.ok()) return Fail(header.status());
    version = header->version;
  }
  auto data = io::ReadEncodings(path);
  if (!data.ok()) return Fail(data.status());
  std::printf("file         %s\n", path.c_str());
  if (version > 0) {
    std::printf("format       %s (version %u, checksum verified)\n",
                std::string(io::EncodingFormatName(*format)).c_str(), version);
  } else {
    std::printf("format       %s\n", std::string(io::EncodingFormatName(*format)).c_str());
  }
  std::printf("records      %s", Thousands(data->size()).c_str());
  if (data->records_skipped > 0) {
    std::printf(" (%s more skipped when encoding: no usable identifier)",
                Thousands(data->records_skipped).c_str());
  }
  std::printf("\nfilter       %zu bits\n", data->clks.bits());
  if (data->pseudonymous_ids) {
    std::printf(
        "ids          keyed pseudonyms (the data holders map them back: bloomlink reveal)\n");
  }
  std::printf("schema       %s\n", data->schema_fingerprint
                                       ? HexEncode(*data->schema_fingerprint).c_str()
                                       : "unknown (this format does not record it)");
  std::printf("key check    %s\n", data->key_check ? HexEncode(*data->key_check).c_str()
                                                   : "unknown (this format does not record it)");
  if (data->field_filters.empty()) {
    std::printf("field filters none\n");
  } else {
    for (const FieldFilters& f : data->field_filters) {
      std::printf("field filter %s: %zu bits\n", f.field.c_str(), f.filters.bits());
    }
  }
  PrintBlockingRules(data->blocking_keys, "");
  PrintPopcounts(data->clks);
  return kExitOk;
}

}  // namespace

void AddInspectCommand(CLI::App& app, int& exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show an encoded file's header, counts and popcount distribution");
  cmd->add_option("file", *path, "encoded file (bloom, clkhash JSON or CSV)")->required();
  cmd->callback([path, &exit_code] { exit_code = RunInspect(*path); });
}

}  // namespace bloomlink::cli
