#include "bloomlink/io/pairs_csv.hpp"

#include "bloomlink/io/csv.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::io {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadIdPairsCsv(
    const std::string& path, const std::string& column_a, const std::string& column_b) {
  BLOOMLINK_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  std::size_t ca = 0, cb = 1;
  if (!column_a.empty()) {
    BLOOMLINK_ASSIGN_OR_RETURN(ca, reader.Column(column_a));
    BLOOMLINK_ASSIGN_OR_RETURN(cb, reader.Column(column_b));
  } else if (reader.header().size() < 2) {
    return absl::InvalidArgumentError(
        internal::StrCat(path, ":1: expected at least two columns of ids"));
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  CsvRecord record;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    if (record[ca].empty() || record[cb].empty()) {
      return absl::InvalidArgumentError(internal::StrCat(
          path, ":", record.line(), ": column ", record[ca].empty() ? ca + 1 : cb + 1, " (",
          reader.header()[record[ca].empty() ? ca : cb], "): the id is empty"));
    }
    pairs.emplace_back(std::string(record[ca]), std::string(record[cb]));
  }
  return pairs;
}

}  // namespace bloomlink::io
