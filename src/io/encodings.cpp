// The encodings formats as one table: each format's name, extension, how its files start, and
// its reader and writer.
#include "bloomlink/io/encodings.hpp"

#include <algorithm>
#include <filesystem>

#include "bloomlink/io/clk_json.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "io/input_file.hpp"

namespace bloomlink::io {
namespace {

using internal::StrCat;

// StripTextStart(head): the text after a UTF-8 byte-order mark and white space.
std::string_view StripTextStart(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  while (!head.empty() &&
         (head[0] == ' ' || head[0] == '\t' || head[0] == '\r' || head[0] == '\n')) {
    head.remove_prefix(1);
  }
  return head;
}

struct Format {
  EncodingFormat format;
  std::string_view name;
  std::string_view extension;    // lower case, with the dot
  std::string_view description;  // for messages: "expected <a>, <b> or <c>"
  bool (*looks_like)(std::string_view head);
  absl::StatusOr<EncodedDataset> (*read)(const std::string& path);
  absl::Status (*write)(const EncodedDataset& dataset, const std::string& path);
};

// The start of a file tells each format from the others (no two entries match the same start).
constexpr Format kFormats[] = {
    {EncodingFormat::kBloom, "bloom", ".bloom", "a bloomlink encoded file", LooksLikeEncodedFile,
     ReadEncodedFile, WriteEncodedFile},
    {EncodingFormat::kClkhashJson, "clkhash-json", ".json", "clkhash JSON {\"clks\": [...]}",
     [](std::string_view head) { return StripTextStart(head).starts_with("{"); }, ReadClkJson,
     WriteClkJson},
    {EncodingFormat::kCsv, "csv", ".csv", "a CSV with the header id,clk",
     [](std::string_view head) {
       head = StripTextStart(head);
       return head.starts_with("id,") || head.starts_with("\"id\",");
     },
     ReadClkCsv, WriteClkCsv},
};

const Format& FormatOf(EncodingFormat format) {
  for (const Format& f : kFormats) {
    if (f.format == format) return f;
  }
  return kFormats[0];  // every EncodingFormat has an entry (tested)
}

// Listing(field, last): "a, b or c" of the formats' field.
std::string Listing(std::string_view Format::*field, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < std::size(kFormats); ++i) {
    if (i > 0) out += i + 1 == std::size(kFormats) ? std::string(last) : ", ";
    out += kFormats[i].*field;
  }
  return out;
}

}  // namespace

absl::StatusOr<EncodingFormat> ParseEncodingFormat(std::string_view name) {
  for (const Format& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return absl::InvalidArgumentError(StrCat("unknown encodings format \"", name,
                                           "\"; expected one of: ", Listing(&Format::name, ", ")));
}

std::string_view EncodingFormatName(EncodingFormat format) { return FormatOf(format).name; }

absl::StatusOr<EncodingFormat> EncodingFormatForPath(std::string_view path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const Format& f : kFormats) {
    if (f.extension == ext) return f.format;
  }
  return absl::InvalidArgumentError(
      StrCat(path, ": cannot tell the encodings format from the extension \"", ext, "\"; expected ",
             Listing(&Format::extension, " or "), " (or name the format)"));
}

absl::StatusOr<EncodingFormat> DetectEncodingFormat(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(io_internal::InputFile in,
                             io_internal::InputFile::Open(path, {.regular_only = true}));
  const std::string expected = StrCat("expected ", Listing(&Format::description, " or "));
  if (in.size() == 0) {
    return absl::InvalidArgumentError(StrCat(path, ": the file is empty; ", expected));
  }
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), 4096)), '\0');
  BLOOMLINK_RETURN_IF_ERROR(in.ReadExactly(head.data(), head.size()));
  for (const Format& f : kFormats) {
    if (f.looks_like(head)) return f.format;
  }
  return absl::InvalidArgumentError(StrCat(path, ": not a recognised encodings file; ", expected));
}

absl::StatusOr<EncodedDataset> ReadEncodings(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(EncodingFormat format, DetectEncodingFormat(path));
  return FormatOf(format).read(path);
}

absl::Status WriteEncodings(const EncodedDataset& dataset, const std::string& path,
                            EncodingFormat format) {
  return FormatOf(format).write(dataset, path);
}

}  // namespace bloomlink::io
