// libFuzzer target: the native encoded-file reader (bloomlink/io/encoded_file.hpp, the `.bloom`
// format of docs/file-format.md), as `bloomlink inspect`, `link` and `convert` use it.
//
// Input: the file's bytes. A mutated file almost never has a valid SHA-256 checksum, which would
// stop every input before the content checks; so when the reader reports a checksum mismatch, the
// harness also reads the input with its last 32 bytes replaced by the right checksum.
// Invariants checked beyond "no crash":
//  - errors are InvalidArgument;
//  - ReadEncodedFile ok => ReadEncodedFileHeader ok (with and without the checksum), agreeing
//    with the dataset; DetectEncodingFormat calls it a native file;
//  - a dataset read passes ValidateEncodedDataset, and written back (WriteEncodedFile) gives the
//    same bytes (or fewer: optional sections are dropped) and reads back the same;
//  - converted to clkhash JSON and CSV (what `bloomlink convert` does) it reads back the same.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "bloomlink/io/clk_json.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "fuzz_support.hpp"

namespace {

using bloomlink::EncodedDataset;
using bloomlink::fuzz::CheckSameDataset;
using bloomlink::fuzz::ExpectInvalidArgument;
using bloomlink::fuzz::MemFile;
using bloomlink::fuzz::SameMatrix;
namespace io = bloomlink::io;

constexpr std::size_t kChecksumBytes = 32;

void CheckConversions(const EncodedDataset& dataset) {
  if (dataset.clks.bits() % 8 != 0) return;  // clkhash JSON and CSV hold whole bytes
  const std::string csv = (bloomlink::fuzz::ScratchDir() / "convert.csv").string();
  const std::string json = (bloomlink::fuzz::ScratchDir() / "convert.json").string();

  absl::Status wrote = io::WriteClkCsv(dataset, csv);
  FUZZ_CHECK(wrote.ok(), "WriteClkCsv of a dataset read: " + wrote.ToString());
  auto from_csv = io::ReadClkCsv(csv);
  FUZZ_CHECK(from_csv.ok(),
             "ReadClkCsv of what WriteClkCsv wrote: " + from_csv.status().ToString());
  FUZZ_CHECK(from_csv->ids == dataset.ids, "CSV round trip: ids differ");
  FUZZ_CHECK(dataset.size() == 0 || SameMatrix(from_csv->clks, dataset.clks),
             "CSV round trip: CLKs differ");

  wrote = io::WriteClkJson(dataset, json);
  FUZZ_CHECK(wrote.ok(), "WriteClkJson of a dataset read: " + wrote.ToString());
  auto from_json = io::ReadClkJson(json);
  FUZZ_CHECK(from_json.ok(),
             "ReadClkJson of what WriteClkJson wrote: " + from_json.status().ToString());
  FUZZ_CHECK(from_json->size() == dataset.size(), "JSON round trip: record count differs");
  FUZZ_CHECK(dataset.size() == 0 || SameMatrix(from_json->clks, dataset.clks),
             "JSON round trip: CLKs differ");
}

void Check(const std::uint8_t* data, std::size_t size, bool patched) {
  MemFile file(data, size);
  auto full = io::ReadEncodedFile(file.path());
  auto verified = io::ReadEncodedFileHeader(file.path(), /*verify_checksum=*/true);
  auto layout = io::ReadEncodedFileHeader(file.path(), /*verify_checksum=*/false);
  if (!full.ok()) ExpectInvalidArgument(full.status(), "ReadEncodedFile");
  if (!verified.ok()) ExpectInvalidArgument(verified.status(), "ReadEncodedFileHeader(verify)");
  if (!layout.ok()) ExpectInvalidArgument(layout.status(), "ReadEncodedFileHeader(no verify)");
  FUZZ_CHECK(!full.ok() || verified.ok(),
             "the file reads but its header does not (verified): " + verified.status().ToString());
  FUZZ_CHECK(!verified.ok() || layout.ok(),
             "the header reads verified but not unverified: " + layout.status().ToString());

  if (!patched && !full.ok() && size > kChecksumBytes &&
      full.status().message().find("checksum mismatch") != std::string::npos) {
    std::string fixed(reinterpret_cast<const char*>(data), size);
    unsigned int len = 0;
    EVP_Digest(fixed.data(), size - kChecksumBytes,
               reinterpret_cast<unsigned char*>(fixed.data() + size - kChecksumBytes), &len,
               EVP_sha256(), nullptr);
    Check(reinterpret_cast<const std::uint8_t*>(fixed.data()), size, /*patched=*/true);
  }
  if (!full.ok()) return;

  const EncodedDataset& d = *full;
  const io::EncodedFileHeader& h = *verified;
  FUZZ_CHECK(h.checksum_verified && !layout->checksum_verified, "checksum_verified");
  FUZZ_CHECK(h.records == d.size() && d.clks.rows() == d.size(), "record count");
  FUZZ_CHECK(h.filter_bits == d.clks.bits() && layout->filter_bits == d.clks.bits(), "filter bits");
  FUZZ_CHECK(h.file_bytes == size && h.records_skipped == d.records_skipped, "header counts");
  FUZZ_CHECK(h.schema_fingerprint == d.schema_fingerprint && h.key_check == d.key_check,
             "header digests");
  FUZZ_CHECK(h.field_filters.size() == d.field_filters.size(), "field filter count");
  for (std::size_t i = 0; i < d.field_filters.size(); ++i) {
    FUZZ_CHECK(h.field_filters[i].field == d.field_filters[i].field &&
                   h.field_filters[i].bits == d.field_filters[i].filters.bits(),
               "field filter description");
  }
  absl::Status valid = io::ValidateEncodedDataset(d, "fuzz");
  FUZZ_CHECK(valid.ok(), "a dataset read is not valid: " + valid.ToString());

  auto format = io::DetectEncodingFormat(file.path());
  FUZZ_CHECK(format.ok() && *format == io::EncodingFormat::kBloom, "DetectEncodingFormat");

  const std::string out = (bloomlink::fuzz::ScratchDir() / "out.bloom").string();
  absl::Status wrote = io::WriteEncodedFile(d, out);
  FUZZ_CHECK(wrote.ok(), "WriteEncodedFile of a dataset read: " + wrote.ToString());
  const std::string written = bloomlink::fuzz::ReadWholeFile(out);
  const std::string input(reinterpret_cast<const char*>(data), size);
  // Only optional (ancillary) sections are dropped on the way, so the rewrite is never longer and
  // is byte-identical when it has the same length.
  FUZZ_CHECK(written.size() < size || written == input, "written back, the bytes differ");
  auto back = io::ReadEncodedFile(out);
  FUZZ_CHECK(back.ok(), "written back, the file does not read: " + back.status().ToString());
  CheckSameDataset(*back, d, "written back");

  CheckConversions(d);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Check(data, size, /*patched=*/false);
  return 0;
}
