// libFuzzer target: the readers of encodings exchanged with other tools
// (bloomlink/io/clk_json.hpp): clkhash JSON ({"clks": [...]}) and the id,clk CSV of base64 CLKs, as
// `bloomlink link`, `inspect` and `convert` use them (ReadEncodings picks one from the first bytes;
// both are tried here).
//
// Input: the file's bytes, read by both readers. Invariants checked beyond "no crash":
//  - errors are InvalidArgument;
//  - a dataset read passes ValidateEncodedDataset, has whole-byte CLKs of one length, and (JSON)
//    ids "0", "1", ...;
//  - written back in its own form it reads back the same, and so it does through the native
//    format (what `bloomlink convert` does).
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
namespace io = bloomlink::io;

void CheckDataset(const EncodedDataset& d, bool json) {
  const std::string what = json ? "clkhash JSON" : "id,clk CSV";
  absl::Status valid = io::ValidateEncodedDataset(d, "fuzz");
  FUZZ_CHECK(valid.ok(), what + ": a dataset read is not valid: " + valid.ToString());
  FUZZ_CHECK(d.clks.bits() % 8 == 0, what + ": CLKs of a partial byte");
  FUZZ_CHECK(d.clks.rows() == d.size(), what + ": CLK rows != ids");
  FUZZ_CHECK(d.size() > 0 || d.clks.bits() == 0, what + ": no records but a filter length");
  FUZZ_CHECK(
      d.field_filters.empty() && !d.schema_fingerprint && !d.key_check && d.records_skipped == 0,
      what + ": provenance from nowhere");
  if (json) {
    for (std::size_t i = 0; i < d.size(); ++i) {
      FUZZ_CHECK(d.ids[i] == std::to_string(i), what + ": ids are not positions");
    }
  }

  const std::string own =
      (bloomlink::fuzz::ScratchDir() / (json ? "own.json" : "own.csv")).string();
  absl::Status wrote = json ? io::WriteClkJson(d, own) : io::WriteClkCsv(d, own);
  FUZZ_CHECK(wrote.ok(), what + ": writing back failed: " + wrote.ToString());
  auto back = json ? io::ReadClkJson(own) : io::ReadClkCsv(own);
  FUZZ_CHECK(back.ok(), what + ": written back, it does not read: " + back.status().ToString());
  CheckSameDataset(*back, d, what + " written back");

  if (d.size() == 0) return;  // the native format needs a filter length of at least 1 bit
  const std::string bloom = (bloomlink::fuzz::ScratchDir() / "native.bloom").string();
  wrote = io::WriteEncodedFile(d, bloom);
  FUZZ_CHECK(wrote.ok(), what + ": WriteEncodedFile failed: " + wrote.ToString());
  auto native = io::ReadEncodings(bloom);
  FUZZ_CHECK(native.ok(), what + ": as .bloom, it does not read: " + native.status().ToString());
  CheckSameDataset(*native, d, what + " through .bloom");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemFile file(data, size);
  auto json = io::ReadClkJson(file.path());
  if (json.ok()) {
    CheckDataset(*json, /*json=*/true);
  } else {
    ExpectInvalidArgument(json.status(), "ReadClkJson");
  }
  auto csv = io::ReadClkCsv(file.path());
  if (csv.ok()) {
    CheckDataset(*csv, /*json=*/false);
  } else {
    ExpectInvalidArgument(csv.status(), "ReadClkCsv");
  }
  return 0;
}
