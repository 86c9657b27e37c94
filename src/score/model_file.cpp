// Fellegi–Sunter model files: JSON out (ModelToJson, SaveModel) and strict JSON in (ParseModel,
// LoadModel) with errors that name the source and the JSON path.
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "schema/json_path.hpp"
#include "score/fs_internal.hpp"

namespace bloomlink::score {
namespace {

using internal::StrCat;
using schema_internal::Describe;
using schema_internal::Json;
using schema_internal::JsonObject;

constexpr std::int64_t kModelFormat = 1;
constexpr std::size_t kMaxModelBytes = std::size_t{16} << 20;

absl::Status PathError(std::string_view source, std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(StrCat(source, ": ", path, ": ", message));
}

// Numbers(obj, key, source, in_range, expected_item): a required array of numbers, each
// satisfying in_range; errors name the item ("fields[0].m[2]: expected ..., got ...").
template <typename InRange>
absl::StatusOr<std::vector<double>> Numbers(const JsonObject& obj, std::string_view key,
                                            std::string_view source, InRange in_range,
                                            std::string_view expected_item) {
  const Json* v = obj.Find(key);
  if (v == nullptr) return obj.Missing(key, "an array of numbers");
  if (!v->is_array()) return obj.Error(key, "an array of numbers");
  std::vector<double> out;
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_number() || !in_range(item.get<double>())) {
      return PathError(source, StrCat(obj.PathOf(key), "[", i, "]"),
                       StrCat("expected ", expected_item, ", got ", Describe(item)));
    }
    out.push_back(item.get<double>());
  }
  return out;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<std::vector<double>> Probabilities(const JsonObject& obj, std::string_view key,
                                                  std::string_view source, std::size_t levels) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::vector<double> values,
                             Numbers(
                                 obj, key, source, [](double x) { return x > 0.0 && x < 1.0; },
                                 "a probability in (0, 1)"));
  if (values.size() != levels) {
    return PathError(source, obj.PathOf(key),
                     StrCat("expected ", levels, " values (one per level: cut-points + 1), got ",
                            values.size()));
  }
  double sum = 0.0;
  for (double x : values) sum += x;
  if (!(std::fabs(sum - 1.0) <= score_internal::kSumTolerance)) {
    return PathError(source, obj.PathOf(key),
                     StrCat("expected values summing to 1 (within 1e-6), got a sum of ", sum));
  }
  return values;
}

absl::StatusOr<FsModel::Field> ParseField(const Json& value, std::string path,
                                          std::string_view source) {
  BLOOMLINK_ASSIGN_OR_RETURN(const JsonObject obj,
                             JsonObject::Open(value, std::move(path), source));
  BLOOMLINK_RETURN_IF_ERROR(obj.Only({"field", "cutpoints", "m", "u"}));
  FsModel::Field field;
  BLOOMLINK_ASSIGN_OR_RETURN(field.levels.field, obj.String("field"));
  if (field.levels.field.empty()) return obj.Error("field", "a non-empty field name");
  BLOOMLINK_ASSIGN_OR_RETURN(
      field.levels.cutpoints,
      Numbers(
          obj, "cutpoints", source, [](double x) { return x > 0.0 && x <= 1.0; },
          "a cut-point in (0, 1]"));
  const std::vector<double>& cuts = field.levels.cutpoints;
  if (cuts.empty() || cuts.size() >= kMaxLevels) {
    return PathError(source, obj.PathOf("cutpoints"),
                     StrCat("expected 1 to ", kMaxLevels - 1, " cut-points, got ", cuts.size()));
  }
  for (std::size_t i = 1; i < cuts.size(); ++i) {
    if (!(cuts[i] < cuts[i - 1])) {
      return PathError(source, StrCat(obj.PathOf("cutpoints"), "[", i, "]"),
                       StrCat("expected a cut-point below the one before (", cuts[i - 1],
                              "): cut-points are strictly decreasing, got ", cuts[i]));
    }
  }
  const std::size_t levels = cuts.size() + 1;
  BLOOMLINK_ASSIGN_OR_RETURN(field.m, Probabilities(obj, "m", source, levels));
  BLOOMLINK_ASSIGN_OR_RETURN(field.u, Probabilities(obj, "u", source, levels));
  return field;
}

absl::Status ParseTraining(const JsonObject& obj, FsModel& model) {
  BLOOMLINK_RETURN_IF_ERROR(obj.Only({"u_method", "iterations", "converged", "pairs", "space_pairs",
                                      "distinct_patterns", "estimate"}));
  if (obj.Has("u_method")) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        model.u_method,
        schema_internal::ChoiceOf(obj, "u_method",
                                  {UMethod::kEm, UMethod::kSample, UMethod::kFixed}, UMethodName));
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  BLOOMLINK_ASSIGN_OR_RETURN(const auto iterations,
                             obj.OptionalInteger("iterations", 0, std::numeric_limits<int>::max()));
  if (iterations) model.iterations = static_cast<int>(*iterations);
  BLOOMLINK_ASSIGN_OR_RETURN(const auto converged, obj.OptionalBool("converged"));
  if (converged) model.converged = *converged;
  BLOOMLINK_ASSIGN_OR_RETURN(const auto pairs, obj.OptionalInteger("pairs", 0, kMax));
  if (pairs) model.training_pairs = static_cast<std::uint64_t>(*pairs);
  BLOOMLINK_ASSIGN_OR_RETURN(const auto space, obj.OptionalInteger("space_pairs", 0, kMax));
  if (space) model.space_pairs = static_cast<std::uint64_t>(*space);
  BLOOMLINK_ASSIGN_OR_RETURN(const auto distinct,
                             obj.OptionalInteger("distinct_patterns", 0, kMax));
  if (distinct) model.distinct_patterns = static_cast<std::uint64_t>(*distinct);
  BLOOMLINK_ASSIGN_OR_RETURN(const std::optional<JsonObject> e, obj.OptionalObject("estimate"));
  if (e) {
    BLOOMLINK_RETURN_IF_ERROR(
        e->Only({"true_matches", "false_matches", "missed_matches", "precision", "recall", "f1"}));
    FsModel::Estimate estimate;
    // Expected counts are at least 0; the rates within [0, 1].
    const std::tuple<const char*, double*, double> values[] = {
        {"true_matches", &estimate.true_matches, std::numeric_limits<double>::infinity()},
        {"false_matches", &estimate.false_matches, std::numeric_limits<double>::infinity()},
        {"missed_matches", &estimate.missed_matches, std::numeric_limits<double>::infinity()},
        {"precision", &estimate.precision, 1.0},
        {"recall", &estimate.recall, 1.0},
        {"f1", &estimate.f1, 1.0}};
    for (const auto& [key, target, most] : values) {
      BLOOMLINK_ASSIGN_OR_RETURN(*target, e->Number(key));
      if (!(*target >= 0.0 && *target <= most)) {
        return e->Error(key, most == 1.0 ? "a number in [0, 1]" : "a number at least 0");
      }
    }
    model.estimate = estimate;
  }
  return absl::OkStatus();
}

}  // namespace

std::string ModelToJson(const FsModel& model) {
  // Laid out by hand so that a field takes three lines; every value is written by nlohmann's
  // dump (strings escaped, numbers in the shortest form that reads back exactly).
  using OrderedJson = nlohmann::ordered_json;
  const auto dump = [](const OrderedJson& value) { return value.dump(); };
  std::string out = "{\n";
  internal::StrAppend(out, "  \"bloomlink_model\": ", kModelFormat, ",\n");
  internal::StrAppend(out, "  \"schema_fingerprint\": ", dump(model.schema_fingerprint), ",\n");
  internal::StrAppend(out, "  \"lambda\": ", dump(model.lambda), ",\n");
  out += "  \"fields\": [";
  for (std::size_t f = 0; f < model.fields.size(); ++f) {
    const FsModel::Field& field = model.fields[f];
    internal::StrAppend(out, f == 0 ? "\n" : ",\n", "    {\"field\": ", dump(field.levels.field),
                        ", \"cutpoints\": ", dump(field.levels.cutpoints), ",\n",
                        "     \"m\": ", dump(field.m), ",\n", "     \"u\": ", dump(field.u), "}");
  }
  out += model.fields.empty() ? "],\n" : "\n  ],\n";
  OrderedJson training;
  training["u_method"] = std::string(UMethodName(model.u_method));
  training["iterations"] = model.iterations;
  training["converged"] = model.converged;
  training["pairs"] = model.training_pairs;
  training["space_pairs"] = model.space_pairs;
  training["distinct_patterns"] = model.distinct_patterns;
  if (model.estimate) {
    const FsModel::Estimate& e = *model.estimate;
    OrderedJson estimate;
    estimate["true_matches"] = e.true_matches;
    estimate["false_matches"] = e.false_matches;
    estimate["missed_matches"] = e.missed_matches;
    estimate["precision"] = e.precision;
    estimate["recall"] = e.recall;
    estimate["f1"] = e.f1;
    training["estimate"] = estimate;
  }
  internal::StrAppend(out, "  \"training\": ", dump(training), "\n}\n");
  return out;
}

absl::StatusOr<FsModel> ParseModel(std::string_view json, std::string_view source) {
  BLOOMLINK_ASSIGN_OR_RETURN(const Json root, schema_internal::ParseJson(json, source));
  BLOOMLINK_ASSIGN_OR_RETURN(const JsonObject top, JsonObject::Open(root, "", source));
  if (!top.Has("bloomlink_model")) {
    return absl::InvalidArgumentError(
        StrCat(source, ": not a bloomlink model: expected a top-level \"bloomlink_model\" key"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(
      const std::int64_t format,
      top.Integer("bloomlink_model", 1, std::numeric_limits<std::int64_t>::max()));
  if (format > kModelFormat) {
    return absl::InvalidArgumentError(
        StrCat(source, ": bloomlink_model: model format ", format,
               " was made by a newer bloomlink (this version reads format ", kModelFormat,
               "); upgrade bloomlink to read it"));
  }
  BLOOMLINK_RETURN_IF_ERROR(
      top.Only({"bloomlink_model", "schema_fingerprint", "lambda", "fields", "training"}));

  FsModel model;
  BLOOMLINK_ASSIGN_OR_RETURN(const auto fingerprint, top.OptionalString("schema_fingerprint"));
  if (fingerprint) {
    if (!IsHex(*fingerprint)) return top.Error("schema_fingerprint", "a hexadecimal string");
    model.schema_fingerprint = *fingerprint;
  }
  BLOOMLINK_ASSIGN_OR_RETURN(model.lambda, top.Number("lambda"));
  if (!(model.lambda > 0.0 && model.lambda < 1.0)) {
    return top.Error("lambda", "a probability in (0, 1)");
  }
  const Json* fields = top.Find("fields");
  if (fields == nullptr) return top.Missing("fields", "a non-empty array of fields");
  if (!fields->is_array() || fields->empty()) {
    return top.Error("fields", "a non-empty array of fields");
  }
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string path = StrCat(top.PathOf("fields"), "[", i, "]");
    BLOOMLINK_ASSIGN_OR_RETURN(FsModel::Field field, ParseField((*fields)[i], path, source));
    for (const FsModel::Field& earlier : model.fields) {
      if (earlier.levels.field == field.levels.field) {
        return PathError(source, StrCat(path, ".field"),
                         StrCat("field \"", field.levels.field, "\" appears twice"));
      }
    }
    model.fields.push_back(std::move(field));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const auto training, top.OptionalObject("training"));
  if (training) BLOOMLINK_RETURN_IF_ERROR(ParseTraining(*training, model));
  // Everything ValidateModel checks was checked above with a path; this is a safety net.
  absl::Status valid = ValidateModel(model);
  if (!valid.ok())
    return absl::InvalidArgumentError(StrCat(source, ": ", std::string(valid.message())));
  return model;
}

absl::StatusOr<FsModel> LoadModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open the model file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::InternalError(StrCat(path, ": cannot read the model file"));
  const std::string text = buffer.str();
  if (text.size() > kMaxModelBytes) {
    return absl::InvalidArgumentError(StrCat(path, ": model file is over 16 MiB"));
  }
  return ParseModel(text, path);
}

absl::Status SaveModel(const FsModel& model, const std::string& path) {
  absl::Status valid = ValidateModel(model);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": not saved: ", std::string(valid.message())));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(path));
  BLOOMLINK_RETURN_IF_ERROR(out.Write(ModelToJson(model)));
  return out.Commit();
}

}  // namespace bloomlink::score
