// bloomlink/io/pairs_csv.hpp
//
// Reading pairs of record ids from CSV: linkage output (id_a,id_b,score) and truth files (two
// columns of ids, whatever their header says).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::io {

// ReadIdPairsCsv(path, column_a, column_b): the values of the two named columns of every record;
// with empty names, the first two columns. Errors name the file and line (empty ids, a missing
// column, fewer than two columns).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadIdPairsCsv(
    const std::string& path, const std::string& column_a = "", const std::string& column_b = "");

}  // namespace bloomlink::io
