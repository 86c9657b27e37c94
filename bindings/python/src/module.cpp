// bloomlink._core: the pybind11 binding of the C++ library. One file, thin: it converts Python
// values to the library's types and back, releases the GIL around every long call, and turns
// absl::Status errors into Python exceptions with the same message. pybind11 never appears in the
// library's own headers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bloomlink/audit/audit.hpp"
#include "bloomlink/audit/reference.hpp"
#include "bloomlink/base64.hpp"
#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/eval/clusters.hpp"
#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/index/person_index.hpp"
#include "bloomlink/io/clk_json.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "bloomlink/io/pairs_csv.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/match/kernels.hpp"
#include "bloomlink/memory_limit.hpp"
#include "bloomlink/schema.hpp"
#include "bloomlink/score/dice_decision.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "bloomlink/solve/clusters.hpp"
#include "bloomlink/synth/synth.hpp"
#include "cli/common.hpp"
#include "internal/file_errors.hpp"
#include "internal/strings.hpp"

namespace py = pybind11;

namespace bloomlink::python {
namespace {

using internal::StrCat;

// ---------------------------------------------------------------------------------------------
// Errors: absl::Status codes become the exception classes the package documents.

PyObject* g_error = nullptr;        // bloomlink.Error(RuntimeError)
PyObject* g_input_error = nullptr;  // bloomlink.InputError(Error, ValueError)
PyObject* g_file_error = nullptr;   // bloomlink.FileError(Error, OSError)

[[noreturn]] void Raise(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kDataLoss:
      PyErr_SetString(g_input_error, message.c_str());
      break;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
      PyErr_SetString(g_file_error, message.c_str());
      break;
    case absl::StatusCode::kResourceExhausted:
      // A full disk (a file error) is an OSError; a memory limit a MemoryError.
      PyErr_SetString(status.GetPayload(internal::kErrnoPayload) ? g_file_error : PyExc_MemoryError,
                      message.c_str());
      break;
    case absl::StatusCode::kCancelled:
      // A pending KeyboardInterrupt from PyErr_CheckSignals is kept; else raise one.
      if (PyErr_Occurred() == nullptr) PyErr_SetString(PyExc_KeyboardInterrupt, message.c_str());
      break;
    default:
      PyErr_SetString(g_error, message.c_str());
  }
  throw py::error_already_set();
}

[[noreturn]] void RaiseInput(const std::string& message) {
  Raise(absl::InvalidArgumentError(message));
}

void Check(const absl::Status& status) {
  if (!status.ok()) Raise(status);
}

template <typename T>
T Unwrap(absl::StatusOr<T> value) {
  if (!value.ok()) Raise(value.status());
  return *std::move(value);
}

// ClampToInt(value): Python ints arrive as long long (a larger one is a TypeError quoting the
// arguments, which for encode() include the secret: the Python layer passes ints of any size
// only after int()). Clamped, an absurd value still fails the library's range check.
int ClampToInt(long long value) {
  return static_cast<int>(std::clamp<long long>(value, std::numeric_limits<int>::min(),
                                                std::numeric_limits<int>::max()));
}

// CheckSignals: the core's cancellation hook. Called with the GIL released, between tiles or
// batches, from the thread that called into the library: it takes the GIL, lets Python run its
// signal handlers, and reports whether one raised (Ctrl-C). The exception stays set and is
// raised when the call returns Cancelled.
bool CheckSignals() {
  py::gil_scoped_acquire gil;
  return PyErr_CheckSignals() != 0;
}

// ---------------------------------------------------------------------------------------------
// Schema

struct Schema {
  std::shared_ptr<const LinkageSchema> schema;
};

py::dict FieldDict(const FieldSpec& f) {
  py::dict d;
  d["name"] = f.name;
  d["column"] = f.column;
  d["ignored"] = f.ignored;
  if (!f.ignored) {
    d["type"] = std::string(FieldKindName(f.kind));
    d["tokens"] = std::string(TokenKindName(f.tokens.kind));
    if (f.tokens.kind == TokenKind::kQgram || f.tokens.kind == TokenKind::kPositionalQgram) {
      d["q"] = f.tokens.q;
    }
    d[f.bits.per_field ? "bits_per_field" : "bits_per_token"] = f.bits.count;
    d["hash"] = std::string(HashSchemeName(f.hash.scheme));
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// EncodedDataset

struct Dataset {
  std::shared_ptr<EncodedDataset> data;
};

std::optional<std::string> HexOf(const std::optional<Digest>& d) {
  if (!d) return std::nullopt;
  return HexEncode(*d);
}

// ReadOnly(array): the array, made read-only (views of C++ memory must not be written).
py::array ReadOnly(py::array array) {
  py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}

// MatrixView(m, owner): a read-only (rows x bytes per filter) uint8 view of a BitMatrix, kept
// alive by `owner`.
py::array MatrixView(const BitMatrix& m, py::handle owner) {
  return ReadOnly(py::array_t<std::uint8_t>(
      {static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.bytes_per_filter())},
      {static_cast<py::ssize_t>(m.stride_bytes()), py::ssize_t{1}},
      m.rows() > 0 ? m.row_bytes(0) : nullptr, owner));
}

py::array FieldBits(const Dataset& self, py::handle owner, const std::string& field) {
  for (const FieldFilters& f : self.data->field_filters) {
    if (f.field == field) return MatrixView(f.filters, owner);
  }
  RaiseInput(StrCat("no field-level filter for field ", field));
}

py::array Popcounts(const Dataset& self, py::handle owner) {
  auto counts = self.data->clks.popcounts();
  return ReadOnly(py::array_t<std::uint32_t>({static_cast<py::ssize_t>(counts.size())},
                                             {py::ssize_t{4}}, counts.data(), owner));
}

Dataset FromBits(const std::vector<std::string>& ids, py::array bits, std::size_t filter_bits) {
  if (bits.ndim() != 2 || bits.dtype().kind() != 'u' || bits.itemsize() != 1) {
    RaiseInput("bits: expected a 2-dimensional numpy array of uint8 (records x bytes)");
  }
  if (!(bits.flags() & py::array::c_style)) {
    RaiseInput("bits: the rows are not contiguous; pass np.ascontiguousarray(bits)");
  }
  const auto rows = static_cast<std::size_t>(bits.shape(0));
  const auto bytes = static_cast<std::size_t>(bits.shape(1));
  if (ids.size() != rows) {
    RaiseInput(StrCat("ids: ", ids.size(), " ids for ", rows, " rows of bits"));
  }
  if (filter_bits == 0) filter_bits = bytes * 8;
  if ((filter_bits + 7) / 8 != bytes) {
    RaiseInput(StrCat("bits: rows of ", bytes, " bytes cannot hold ", filter_bits, "-bit filters"));
  }
  auto data = std::make_shared<EncodedDataset>();
  data->ids = ids;
  data->clks = BitMatrix(rows, filter_bits);
  const auto* src = static_cast<const std::uint8_t*>(bits.data());
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(data->clks.row_bytes(r), src + r * bytes, bytes);
  }
  data->clks.UpdatePopcounts();
  Check(io::ValidateEncodedDataset(*data, "bits"));
  return Dataset{std::move(data)};
}

// ---------------------------------------------------------------------------------------------
// Encoding

encode::Secret MakeSecret(const std::optional<py::bytes>& secret,
                          const std::optional<std::string>& secret_file, bool allow_weak) {
  encode::SecretOptions options{.allow_weak = allow_weak};
  if (secret && secret_file) RaiseInput("give secret or secret_file, not both");
  if (secret) {
    char* buffer = nullptr;
    py::ssize_t length = 0;
    PyBytes_AsStringAndSize(secret->ptr(), &buffer, &length);
    return Unwrap(encode::Secret::FromBytes(
        std::string_view(buffer, static_cast<std::size_t>(length)), "secret", options));
  }
  if (secret_file) return Unwrap(encode::Secret::FromFile(*secret_file, options));
  if (std::getenv("BLOOMLINK_SECRET") != nullptr) {
    return Unwrap(encode::Secret::FromEnvironment("BLOOMLINK_SECRET", options));
  }
  RaiseInput("no secret: pass secret=..., secret_file=... or set BLOOMLINK_SECRET");
}

py::dict ReportDict(const encode::EncodeReport& report, const LinkageSchema& schema) {
  py::dict d;
  d["records_read"] = report.records_read;
  d["records_encoded"] = report.records_encoded;
  d["records_skipped"] = report.records_skipped;
  d["decoys"] = report.decoys;
  py::list fields;
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    const FieldSpec& f = schema.fields[j];
    if (f.ignored) continue;
    const encode::FieldStats& s = report.stats.fields[j];
    py::dict fd;
    fd["field"] = f.name;
    fd["encoded"] = s.valid;
    fd["missing"] = s.missing;
    fd["invalid"] = s.invalid;
    py::dict reasons;
    for (const auto& [reason, count] : s.invalid_reasons) reasons[py::str(reason)] = count;
    fd["invalid_reasons"] = reasons;
    fields.append(fd);
  }
  d["fields"] = fields;
  return d;
}

py::tuple Finish(EncodedDataset&& data, const encode::EncodeReport& report,
                 const encode::Secret& secret, const LinkageSchema& schema) {
  py::list warnings;
  for (const std::string& w : schema.warnings) warnings.append(w);
  for (const std::string& w : secret.warnings()) warnings.append(w);
  for (const std::string& w : report.warnings) warnings.append(w);
  py::dict rep = ReportDict(report, schema);
  rep["warnings"] = warnings;
  return py::make_tuple(Dataset{std::make_shared<EncodedDataset>(std::move(data))}, rep);
}

// IdKeysFor(schema, secret, decoys, pseudonymous_ids): the keys of pseudonyms and decoys when
// either is asked for (the fraction checked first).
std::optional<encode::IdKeys> IdKeysFor(const LinkageSchema& schema, const encode::Secret& secret,
                                        double decoys, bool pseudonymous_ids) {
  Check(encode::CheckDecoyFraction(decoys));
  if (!(decoys > 0) && !pseudonymous_ids) return std::nullopt;
  return Unwrap(encode::IdKeys::Create(schema, secret));
}

py::tuple EncodeCsvFile(const std::string& path, const Schema& schema,
                        std::optional<py::bytes> secret, std::optional<std::string> secret_file,
                        const std::string& id_column, long long threads, bool skip_initial_space,
                        bool allow_weak_secret, double decoys, bool pseudonymous_ids) {
  encode::Secret s = MakeSecret(secret, secret_file, allow_weak_secret);
  auto encoder =
      Unwrap(encode::Encoder::Create(*schema.schema, s, {.threads = ClampToInt(threads)}));
  const std::optional<encode::IdKeys> keys = IdKeysFor(*schema.schema, s, decoys, pseudonymous_ids);
  encode::CsvEncodeOptions options;
  options.privacy = {
      .keys = keys ? &*keys : nullptr, .decoys = decoys, .pseudonymous_ids = pseudonymous_ids};
  options.id_column = id_column;
  options.csv.skip_initial_space = skip_initial_space;
  options.cancelled = CheckSignals;
  encode::EncodeReport report;
  absl::StatusOr<EncodedDataset> data;
  {
    py::gil_scoped_release release;
    data = encode::EncodeCsv(path, encoder, options, &report);
  }
  return Finish(Unwrap(std::move(data)), report, s, *schema.schema);
}

// Utf8Of(item, where): a view of a str's UTF-8 (cached by Python in the object, so no copy for the
// common case); None and float NaN (pandas' missing value) are empty.
std::string_view Utf8Of(PyObject* item, const char* what, std::size_t record) {
  if (PyUnicode_Check(item)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(item, &size);
    if (utf8 == nullptr) throw py::error_already_set();
    return std::string_view(utf8, static_cast<std::size_t>(size));
  }
  if (item == Py_None) return {};
  if (PyFloat_Check(item) && std::isnan(PyFloat_AS_DOUBLE(item))) return {};
  RaiseInput(StrCat(what, ", record ", record + 1, ": expected text (str), got ",
                    Py_TYPE(item)->tp_name,
                    "; read identifiers as text, e.g. pd.read_csv(path, dtype=str, "
                    "keep_default_na=False), or convert with .astype(str)"));
}

// RecordViews: views of the ids and of every field's values of records given as Python
// sequences (one per field; None for ignored fields), as EncodeColumns takes them. The views
// point into the Python strings, which `keep` holds.
struct RecordViews {
  std::vector<std::string_view> ids, values;
  std::vector<py::object> keep;
};

RecordViews ViewsOf(py::sequence ids, py::list columns, const LinkageSchema& s) {
  if (columns.size() != s.fields.size()) {
    RaiseInput(
        StrCat("columns: ", columns.size(), " columns for ", s.fields.size(), " schema fields"));
  }
  RecordViews out;
  py::object id_seq =
      py::reinterpret_steal<py::object>(PySequence_Fast(ids.ptr(), "ids must be a sequence"));
  if (!id_seq) throw py::error_already_set();
  const auto rows = static_cast<std::size_t>(PySequence_Fast_GET_SIZE(id_seq.ptr()));
  PyObject** id_items = PySequence_Fast_ITEMS(id_seq.ptr());
  out.ids.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    PyObject* item = id_items[r];
    if (!PyUnicode_Check(item)) {
      RaiseInput(StrCat("ids, record ", r + 1, ": expected a str id, got ", Py_TYPE(item)->tp_name,
                        "; convert the id column with .astype(str)"));
    }
    out.ids[r] = Utf8Of(item, "ids", r);
  }
  out.keep.push_back(std::move(id_seq));
  const std::size_t nfields = s.fields.size();
  out.values.resize(rows * nfields);
  for (std::size_t j = 0; j < nfields; ++j) {
    py::object column = columns[j];
    if (column.is_none()) {
      if (!s.fields[j].ignored)
        RaiseInput(StrCat("columns: no values for field ", s.fields[j].name));
      continue;
    }
    py::object seq = py::reinterpret_steal<py::object>(
        PySequence_Fast(column.ptr(), "a column must be a sequence"));
    if (!seq) throw py::error_already_set();
    if (static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq.ptr())) != rows) {
      RaiseInput(StrCat("column ", s.fields[j].column, ": ", PySequence_Fast_GET_SIZE(seq.ptr()),
                        " values for ", rows, " ids"));
    }
    PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
    const std::string what = StrCat("column ", s.fields[j].column);
    for (std::size_t r = 0; r < rows; ++r)
      out.values[r * nfields + j] = Utf8Of(items[r], what.c_str(), r);
    out.keep.push_back(std::move(seq));
  }
  return out;
}

py::tuple EncodeColumns(py::sequence ids, py::list columns, const Schema& schema,
                        std::optional<py::bytes> secret, std::optional<std::string> secret_file,
                        long long threads, bool allow_weak_secret, const std::string& source,
                        double decoys, bool pseudonymous_ids) {
  const LinkageSchema& s = *schema.schema;
  const RecordViews views = ViewsOf(ids, columns, s);
  encode::Secret secret_value = MakeSecret(secret, secret_file, allow_weak_secret);
  auto encoder = Unwrap(encode::Encoder::Create(s, secret_value, {.threads = ClampToInt(threads)}));
  const std::optional<encode::IdKeys> keys = IdKeysFor(s, secret_value, decoys, pseudonymous_ids);
  encode::EncodeReport report;
  absl::StatusOr<EncodedDataset> data;
  {
    py::gil_scoped_release release;
    data = encode::EncodeRecords(
        views.ids, views.values, encoder, source, &report, CheckSignals,
        {.keys = keys ? &*keys : nullptr, .decoys = decoys, .pseudonymous_ids = pseudonymous_ids});
  }
  return Finish(Unwrap(std::move(data)), report, secret_value, s);
}

// ---------------------------------------------------------------------------------------------
// Revealing (the data holder's side of pseudonymous ids and decoys)

struct Revealer {
  std::unique_ptr<encode::IdKeys> keys;
  std::unique_ptr<encode::IdRevealer> revealer;
};

Revealer MakeRevealer(const Schema& schema, std::optional<py::bytes> secret,
                      std::optional<std::string> secret_file, bool allow_weak_secret) {
  encode::Secret s = MakeSecret(secret, secret_file, allow_weak_secret);
  Revealer r;
  r.keys = std::make_unique<encode::IdKeys>(Unwrap(encode::IdKeys::Create(*schema.schema, s)));
  r.revealer = std::make_unique<encode::IdRevealer>(*r.keys);
  return r;
}

py::dict RevealDict(const encode::RevealReport& report) {
  py::dict d;
  d["rows_read"] = report.rows_read;
  d["rows_dropped"] = report.rows_dropped;
  d["ids_revealed"] = report.ids_revealed;
  d["ids_left"] = report.ids_left;
  d["decoy_ids"] = report.decoy_ids;
  d["pseudonyms"] = report.pseudonyms;
  d["warnings"] = report.warnings;
  return d;
}

// RevealColumns(self, columns, source): the id columns of a table (lists of str, one per
// column, equally long): the revealed columns of the rows kept, which rows are kept, the counts.
py::tuple RevealColumns(const Revealer& self, const std::vector<std::vector<std::string>>& columns,
                        const std::string& source) {
  const std::size_t rows = columns.empty() ? 0 : columns[0].size();
  for (const auto& c : columns) {
    if (c.size() != rows) RaiseInput("columns: the id columns differ in length");
  }
  std::vector<std::vector<std::string>> out(columns.size());
  std::vector<bool> keep(rows);
  encode::RevealReport report;
  {
    py::gil_scoped_release release;
    std::vector<std::string_view> ids(columns.size()), revealed;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t k = 0; k < columns.size(); ++k) ids[k] = columns[k][r];
      keep[r] = encode::RevealRow(*self.revealer, ids, revealed, report);
      if (!keep[r]) continue;
      for (std::size_t k = 0; k < columns.size(); ++k) out[k].emplace_back(revealed[k]);
    }
    encode::FinishRevealReport(report, source);
  }
  return py::make_tuple(out, keep, RevealDict(report));
}

// ---------------------------------------------------------------------------------------------
// Audit

// AuditOptionsOf: references as (field, path) pairs read from files, and (field, source,
// [(value, count)]) tables given in memory; field "" for every name field.
audit::AuditOptions AuditOptionsOf(
    const std::vector<std::pair<std::string, std::string>>& reference_files,
    const std::vector<
        std::tuple<std::string, std::string, std::vector<std::pair<std::string, std::uint64_t>>>>&
        reference_tables,
    std::uint64_t sample, long long threads) {
  audit::AuditOptions options;
  options.sample = sample;
  options.threads = ClampToInt(threads);
  options.cancelled = CheckSignals;
  for (const auto& [field, path] : reference_files) {
    options.references.push_back({field, Unwrap(audit::ReadReferenceCsv(path))});
  }
  for (const auto& [field, source, values] : reference_tables) {
    options.references.push_back({field, audit::ReferenceTable{source, values}});
  }
  return options;
}

py::dict AuditResult(absl::StatusOr<audit::AuditReport> report, const encode::Secret& secret,
                     const LinkageSchema& schema) {
  const audit::AuditReport r = Unwrap(std::move(report));
  py::dict out;
  out["json"] = audit::AuditReportJson(r);
  py::list rows;
  for (const audit::AuditTableRow& row : audit::AuditTable(r)) {
    py::dict d;
    d["attack"] = row.attack;
    d["target"] = row.target;
    d["measure"] = row.measure;
    d["value"] = row.value;
    d["verdict"] = row.verdict;
    rows.append(d);
  }
  out["table"] = rows;
  py::list warnings;
  for (const std::string& w : schema.warnings) warnings.append(w);
  for (const std::string& w : secret.warnings()) warnings.append(w);
  for (const std::string& w : r.warnings) warnings.append(w);
  out["warnings"] = warnings;
  return out;
}

py::dict AuditCsvFile(
    const std::string& path, const Schema& schema, std::optional<py::bytes> secret,
    std::optional<std::string> secret_file, const std::string& id_column,
    const std::vector<std::pair<std::string, std::string>>& reference_files,
    const std::vector<
        std::tuple<std::string, std::string, std::vector<std::pair<std::string, std::uint64_t>>>>&
        reference_tables,
    std::uint64_t sample, long long threads, bool skip_initial_space, bool allow_weak_secret) {
  encode::Secret s = MakeSecret(secret, secret_file, allow_weak_secret);
  const audit::AuditOptions options =
      AuditOptionsOf(reference_files, reference_tables, sample, threads);
  audit::CsvAuditOptions csv;
  csv.id_column = id_column;
  csv.csv.skip_initial_space = skip_initial_space;
  absl::StatusOr<audit::AuditReport> report;
  {
    py::gil_scoped_release release;
    report = audit::AuditCsv(path, *schema.schema, s, options, csv);
  }
  return AuditResult(std::move(report), s, *schema.schema);
}

py::dict AuditColumns(
    py::sequence ids, py::list columns, const Schema& schema, std::optional<py::bytes> secret,
    std::optional<std::string> secret_file,
    const std::vector<std::pair<std::string, std::string>>& reference_files,
    const std::vector<
        std::tuple<std::string, std::string, std::vector<std::pair<std::string, std::uint64_t>>>>&
        reference_tables,
    std::uint64_t sample, long long threads, bool allow_weak_secret, const std::string& source) {
  const LinkageSchema& s = *schema.schema;
  encode::Secret secret_value = MakeSecret(secret, secret_file, allow_weak_secret);
  const audit::AuditOptions options =
      AuditOptionsOf(reference_files, reference_tables, sample, threads);
  const RecordViews views = ViewsOf(ids, columns, s);
  absl::StatusOr<audit::AuditReport> report;
  {
    py::gil_scoped_release release;
    report = audit::RunAudit(views.ids, views.values, s, secret_value, options, source);
  }
  return AuditResult(std::move(report), secret_value, s);
}

// ---------------------------------------------------------------------------------------------
// Linking

// LinkResult: a linkage and the datasets it indexes. Its arrays reach Python as read-only numpy
// views of the C++ vectors, kept alive by the LinkResult object (no copies).
struct LinkResult {
  std::shared_ptr<const EncodedDataset> a, b;
  link::Linkage linkage;
  link::LinkReport report;
  std::vector<std::string> warnings;
  double threshold = 0;  // the candidate floor used, given or chosen
};

// ReadOnlyView(values, owner, shape): a read-only view of a vector (1-dimensional, or the given
// row-major shape), kept alive by `owner`.
template <typename T>
py::array ReadOnlyView(const std::vector<T>& values, py::handle owner,
                       std::vector<py::ssize_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<py::ssize_t>(values.size())};
  std::vector<py::ssize_t> strides(shape.size(), static_cast<py::ssize_t>(sizeof(T)));
  if (shape.size() == 2) strides[0] = shape[1] * static_cast<py::ssize_t>(sizeof(T));
  return ReadOnly(py::array_t<T>(shape, strides, values.data(), owner));
}

// OwnedArray(values): a numpy array that owns a std::vector's memory (no copy).
template <typename T>
py::array OwnedArray(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(owned->size())}, {py::ssize_t{sizeof(T)}},
                        owned->data(), free_when_done);
}

// LinkView(get): a LinkResult property viewing the array get(linkage); None for Fellegi-Sunter's
// arrays after a Dice linkage.
template <typename Get>
auto LinkView(Get get, bool fs_only = false) {
  return [get, fs_only](py::object self) -> py::object {
    const LinkResult& r = self.cast<const LinkResult&>();
    if (fs_only && r.linkage.fs_fields.empty()) return py::none();
    return ReadOnlyView(get(r.linkage), self);
  };
}

std::shared_ptr<LinkResult> Link(const Dataset& a, const Dataset& b,
                                 std::optional<double> threshold, long long top_k,
                                 const std::optional<std::string>& one_to_one, long long threads,
                                 const std::string& method, bool deduplicate,
                                 const std::optional<std::string>& model_json, bool u_from_sample,
                                 double decision, std::uint64_t max_memory,
                                 const std::string& blocking, double lsh_completeness) {
  link::LinkOptions options;
  options.candidates.threshold = threshold.value_or(link::kAutoThreshold);
  options.candidates.top_k = ClampToInt(top_k);
  options.candidates.blocking = Unwrap(match::ParseBlocking(blocking));
  options.candidates.lsh.completeness = lsh_completeness;
  options.candidates.threads = ClampToInt(threads);
  options.candidates.cancelled = CheckSignals;
  if (one_to_one) options.one_to_one = Unwrap(solve::ParseOneToOne(*one_to_one));
  options.method = Unwrap(link::ParseMethod(method));
  options.deduplicate = deduplicate;
  options.fs.u_from_sample = u_from_sample;
  options.fs.decision = decision;
  options.max_memory = max_memory;
  if (model_json) options.fs.model = Unwrap(score::ParseModel(*model_json, "model"));
  Check(link::ValidateLinkOptions(options));
  auto result = std::make_shared<LinkResult>();
  result->a = a.data;
  result->b = b.data;
  result->warnings = Unwrap(link::CheckCompatible(*a.data, deduplicate ? "the dataset" : "A",
                                                  *b.data, deduplicate ? "the dataset" : "B"));
  absl::StatusOr<link::Linkage> linkage;
  {
    py::gil_scoped_release release;
    linkage = link::Link(*a.data, *b.data, options, &result->report);
  }
  result->linkage = Unwrap(std::move(linkage));
  result->warnings.insert(result->warnings.end(), result->report.warnings.begin(),
                          result->report.warnings.end());
  result->threshold =
      result->report.floor ? result->report.floor->threshold : options.candidates.threshold;
  return result;
}

py::dict LinkStats(const LinkResult& r) {
  const link::LinkReport& report = r.report;
  py::dict stats;
  stats["pairs"] = report.candidates.pairs;
  stats["comparisons"] = report.candidates.comparisons;
  stats["pruned"] = report.candidates.pruned;
  stats["candidates"] = report.candidates.candidates;
  stats["blocking"] = report.candidates.blocking_reason;
  stats["skipped_pairs"] = report.candidates.skipped_pairs;
  // 0 when the candidates were held; else the searches made while streaming them, and why.
  stats["stream_passes"] = report.stream_passes;
  stats["stream_reason"] = report.stream_reason;
  stats["matches"] = report.matches;
  stats["kernel"] = report.candidates.kernel;
  stats["threads"] = report.candidates.threads;
  stats["candidate_seconds"] = report.candidates.seconds;
  stats["score_seconds"] = report.score_seconds;
  stats["solve_seconds"] = report.solve_seconds;
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

std::vector<eval::IdPair> Pairs(const std::vector<std::string>& a,
                                const std::vector<std::string>& b, const char* what) {
  if (a.size() != b.size())
    RaiseInput(StrCat(what, ": ", a.size(), " ids in A, ", b.size(), " in B"));
  std::vector<eval::IdPair> pairs(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) pairs[i] = {a[i], b[i]};
  return pairs;
}

py::dict MetricsDict(const eval::PairMetrics& m) {
  py::dict d;
  d["predicted"] = m.predicted;
  d["true_pairs"] = m.true_pairs;
  d["true_positives"] = m.true_positives;
  d["false_positives"] = m.false_positives;
  d["false_negatives"] = m.false_negatives;
  d["precision"] = m.precision;
  d["recall"] = m.recall;
  d["f1"] = m.f1;
  return d;
}

py::dict ComparePairs(const std::vector<std::string>& pred_a,
                      const std::vector<std::string>& pred_b,
                      const std::vector<std::string>& truth_a,
                      const std::vector<std::string>& truth_b, bool within) {
  const std::vector<eval::IdPair> truth_pairs = Pairs(truth_a, truth_b, "truth");
  eval::TruthSet truth = within ? eval::TruthSet::FromPairsWithin(truth_pairs)
                                : eval::TruthSet::FromPairs(truth_pairs);
  return MetricsDict(eval::ComparePairs(Pairs(pred_a, pred_b, "pairs"), truth));
}

py::dict ComparePairsRegex(const std::vector<std::string>& pred_a,
                           const std::vector<std::string>& pred_b, const std::string& pattern,
                           const Dataset& a, const Dataset& b, bool within) {
  eval::TruthSet truth =
      Unwrap(within ? eval::TruthSet::FromRegexWithin(pattern, a.data->ids)
                    : eval::TruthSet::FromRegex(pattern, a.data->ids, b.data->ids));
  return MetricsDict(eval::ComparePairs(Pairs(pred_a, pred_b, "pairs"), truth));
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

py::dict Columns(const std::vector<synth::SynthRecord>& records) {
  py::list id, nhs, given, family, dob, sex, postcode;
  for (const synth::SynthRecord& r : records) {
    id.append(r.id);
    nhs.append(r.nhs_number);
    given.append(r.given_name);
    family.append(r.family_name);
    dob.append(r.date_of_birth);
    sex.append(r.sex);
    postcode.append(r.postcode);
  }
  py::dict d;
  d["id"] = id;
  d["nhs_number"] = nhs;
  d["given_name"] = given;
  d["family_name"] = family;
  d["date_of_birth"] = dob;
  d["sex"] = sex;
  d["postcode"] = postcode;
  return d;
}

py::dict Synth(std::uint64_t records, std::uint64_t seed, double overlap, double corruption,
               std::optional<double> exact_share,
               const std::vector<std::pair<std::string, double>>& field_corruption,
               std::optional<double> missing) {
  synth::SynthOptions options;
  options.records = records;
  options.seed = seed;
  options.overlap = overlap;
  options.corruption = corruption;
  options.exact_share = exact_share;
  options.missing = missing;
  for (const auto& [name, rate] : field_corruption) {
    const synth::SynthField field = Unwrap(synth::ParseSynthField(name));
    options.field_corruption[static_cast<std::size_t>(field)] = rate;
  }
  auto gen = Unwrap(synth::SynthGenerator::Create(options));
  std::vector<synth::SynthRecord> trust(gen.trust_records()), council(gen.council_records());
  std::vector<std::string> match(gen.trust_records());
  {
    py::gil_scoped_release release;
    for (std::uint64_t r = 0; r < gen.trust_records(); ++r)
      gen.TrustRecord(r, &trust[r], &match[r]);
    for (std::uint64_t r = 0; r < gen.council_records(); ++r) gen.CouncilRecord(r, &council[r]);
  }
  py::list truth_a, truth_b;
  for (std::size_t r = 0; r < trust.size(); ++r) {
    if (match[r].empty()) continue;
    truth_a.append(trust[r].id);
    truth_b.append(match[r]);
  }
  py::dict truth;
  truth["id_a"] = truth_a;
  truth["id_b"] = truth_b;
  py::dict out;
  out["trust"] = Columns(trust);
  out["council"] = Columns(council);
  out["truth"] = truth;
  return out;
}

// ---------------------------------------------------------------------------------------------

// The label-free Dice decision (score::DecideDiceThreshold), for bench/dice_decision_quality.py;
// not yet part of the package's public API. Scores are float32 arrays, read without copies.
py::dict DecideDice(py::array_t<float, py::array::c_style | py::array::forcecast> scores,
                    double floor,
                    py::array_t<float, py::array::c_style | py::array::forcecast> random_scores,
                    std::uint64_t comparison_pairs, std::uint64_t records_a,
                    std::uint64_t records_b, bool one_to_one) {
  const score::DiceScores input{
      .scores = {scores.data(), static_cast<std::size_t>(scores.size())},
      .floor = floor,
      .random_scores = {random_scores.data(), static_cast<std::size_t>(random_scores.size())},
      .comparison_pairs = comparison_pairs,
      .records_a = records_a,
      .records_b = records_b,
      .one_to_one = one_to_one,
      .look_alikes = {},
      .look_alike_records = 0,
      .look_alike_weights = {}};
  absl::StatusOr<score::DiceDecision> d;
  {
    py::gil_scoped_release release;
    d = score::DecideDiceThreshold(input);
  }
  const score::DiceDecision r = Unwrap(std::move(d));
  py::dict out;
  out["threshold"] = r.threshold;
  out["accepted"] = r.accepted;
  out["expected_matches"] = r.expected_matches;
  out["expected_false_matches"] = r.expected_false_matches;
  out["expected_missed_matches"] = r.expected_missed_matches;
  out["precision"] = r.precision;
  out["recall"] = r.recall;
  out["f1"] = r.f1;
  out["equal_odds_threshold"] = r.equal_odds_threshold;
  out["model"] = std::string(score::DiceModelName(r.model));
  out["window_start"] = r.window_start;
  out["window_scores"] = r.window_scores;
  out["reason"] = r.reason;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The person index

// Index: a person index, and a lock that keeps other Python threads from reading it while an
// add (run with the GIL released) changes it. Every lock is taken with the GIL released, so a
// thread waiting for one never holds the GIL the thread holding it needs to finish.
struct Index {
  index::PersonIndex index;
  mutable std::shared_mutex mutex;
};
using IndexPtr = std::shared_ptr<Index>;

std::shared_lock<std::shared_mutex> ReadLock(const Index& self) {
  py::gil_scoped_release release;
  return std::shared_lock<std::shared_mutex>(self.mutex);
}

// SourceInput: an extract to index, as Python gave it: encodings in memory or a file to read.
struct SourceInput {
  std::string name;
  std::shared_ptr<const EncodedDataset> data;  // or
  std::string path;
  std::optional<bool> unique;
};

SourceInput SourceOf(const std::string& name, py::handle data, std::optional<bool> unique) {
  SourceInput in{.name = name, .data = nullptr, .path = {}, .unique = unique};
  if (py::isinstance<Dataset>(data)) {
    in.data = data.cast<const Dataset&>().data;
  } else if (py::isinstance<py::str>(data)) {
    in.path = data.cast<std::string>();
  } else {
    throw py::type_error(StrCat("source ", name, ": expected encodings or a path, got ",
                                Py_TYPE(data.ptr())->tp_name));
  }
  return in;
}

// NewSourceOf(in): the source's encodings, copied or read from its file (run without the GIL).
absl::StatusOr<index::NewSource> NewSourceOf(const SourceInput& in) {
  index::NewSource source{.name = in.name, .data = {}, .unique = in.unique};
  if (in.data) {
    source.data = *in.data;
  } else {
    absl::StatusOr<EncodedDataset> data = io::ReadEncodings(in.path);
    if (!data.ok()) return data.status();
    source.data = *std::move(data);
  }
  return source;
}

index::RunOptions RunOf(long long threads) {
  index::RunOptions run;
  run.threads = ClampToInt(threads);
  return run;
}

py::dict UpdateDict(const index::IndexUpdate& u) {
  py::dict d;
  d["generation"] = u.generation;
  d["time"] = u.time;
  d["action"] = u.action;
  d["sources"] = u.sources;
  for (const auto& [name, count] : index::kIndexUpdateCounts) {
    d[py::str(std::string(name))] = u.*count;
  }
  d["seconds"] = u.seconds;
  py::list events;
  for (const index::IdEvent& e : u.events) {
    py::dict event;
    event["kind"] = std::string(index::IdEventKindName(e.kind));
    event["id"] = e.id;
    event["others"] = e.others;
    events.append(event);
  }
  d["events"] = events;
  d["warnings"] = u.warnings;
  return d;
}

IndexPtr BuildPersonIndex(const std::vector<std::string>& names, const py::list& data,
                          const std::vector<std::optional<bool>>& unique, const std::string& method,
                          const std::string& blocking, double cluster_threshold,
                          double change_margin, long long threads) {
  if (names.size() != data.size() || names.size() != unique.size()) {
    RaiseInput("build_index: names, data and unique differ in length");
  }
  std::vector<SourceInput> inputs;
  for (std::size_t k = 0; k < names.size(); ++k) {
    inputs.push_back(SourceOf(names[k], data[k], unique[k]));
  }
  index::IndexSettings settings;
  settings.method = Unwrap(link::ParseMethod(method));
  settings.blocking = Unwrap(match::ParseBlocking(blocking));
  settings.cluster_threshold = cluster_threshold;
  settings.change_margin = change_margin;
  const index::RunOptions run = RunOf(threads);
  absl::StatusOr<index::PersonIndex> built;
  {
    py::gil_scoped_release release;
    std::vector<index::NewSource> sources;
    for (const SourceInput& in : inputs) {
      absl::StatusOr<index::NewSource> source = NewSourceOf(in);
      if (!source.ok()) {
        built = source.status();
        break;
      }
      sources.push_back(*std::move(source));
    }
    if (sources.size() == inputs.size()) {
      built = index::BuildIndex(std::move(sources), settings, run);
    }
  }
  // Unwrapped with the GIL held: it raises a Python exception.
  auto out = std::make_shared<Index>();
  out->index = Unwrap(std::move(built));
  return out;
}

py::dict AddToIndex(Index& self, const std::string& name, py::handle data,
                    std::optional<bool> unique, long long threads) {
  const SourceInput input = SourceOf(name, data, unique);
  const index::RunOptions run = RunOf(threads);
  absl::StatusOr<index::IndexUpdate> update;
  {
    py::gil_scoped_release release;
    absl::StatusOr<index::NewSource> source = NewSourceOf(input);
    if (source.ok()) {
      std::unique_lock<std::shared_mutex> lock(self.mutex);
      update = index::AddSource(self.index, *std::move(source), run);
    } else {
      update = source.status();
    }
  }
  return UpdateDict(Unwrap(std::move(update)));
}

IndexPtr ReadPersonIndex(const std::string& path) {
  absl::StatusOr<index::PersonIndex> read;
  {
    py::gil_scoped_release release;
    read = index::ReadIndexFile(path);
  }
  auto out = std::make_shared<Index>();
  out->index = Unwrap(std::move(read));
  return out;
}

void WritePersonIndex(const Index& self, const std::string& path) {
  absl::Status status;
  {
    py::gil_scoped_release release;
    // Another writer (`bloomlink index add`) holds the index's lock while it updates the file.
    absl::StatusOr<index::IndexLock> lock = index::IndexLock::Acquire(path);
    if (lock.ok()) {
      std::shared_lock<std::shared_mutex> reading(self.mutex);
      status = index::WriteIndexFile(self.index, path);
    } else {
      status = lock.status();
    }
  }
  Check(status);
}

py::dict CrosswalkColumns(const Index& self) {
  const auto lock = ReadLock(self);
  const index::PersonIndex& x = self.index;
  std::vector<std::uint32_t> source(x.records());
  std::vector<std::string> names;
  py::list record_ids;
  std::size_t r = 0;
  for (std::size_t k = 0; k < x.sources.size(); ++k) {
    names.push_back(x.sources[k].name);
    for (const std::string& id : x.sources[k].data.ids) {
      source[r++] = static_cast<std::uint32_t>(k);
      record_ids.append(py::str(id));
    }
  }
  py::list person_ids;
  for (const index::Person& p : x.persons) person_ids.append(py::str(p.id));
  py::dict d;
  d["person"] = OwnedArray(std::vector<std::uint32_t>(x.person));
  d["person_ids"] = person_ids;
  d["source"] = OwnedArray(std::move(source));
  d["source_names"] = names;
  d["record_id"] = record_ids;
  d["confidence"] = OwnedArray(std::vector<float>(x.confidence));
  return d;
}

py::dict OverlapDict(const Index& self) {
  absl::StatusOr<index::OverlapStats> computed;
  {
    const auto lock = ReadLock(self);
    computed = index::ComputeOverlap(self.index);
  }
  const index::OverlapStats s = Unwrap(std::move(computed));
  py::dict d;
  d["source_names"] = s.source_names;
  d["records"] = s.records;
  d["persons_per_source"] = s.persons_per_source;
  d["persons"] = s.persons;
  d["records_total"] = s.records_total;
  d["pairwise"] = s.pairwise;
  py::list combinations;
  for (const index::SourceCombination& c : s.combinations) {
    py::list members;
    for (std::size_t k = 0; k < s.source_names.size(); ++k) {
      if (c.sources >> k & 1) members.append(s.source_names[k]);
    }
    combinations.append(py::make_tuple(py::tuple(members), c.persons, c.at_least));
  }
  d["combinations"] = combinations;
  d["cluster_sizes"] = s.cluster_sizes;
  return d;
}

py::list SourcesList(const Index& self) {
  const auto lock = ReadLock(self);
  py::list out;
  for (const index::IndexedSource& s : self.index.sources) {
    py::dict d;
    d["name"] = s.name;
    d["unique"] = s.unique;
    d["records"] = s.data.size();
    d["added"] = s.added;
    d["refreshed"] = s.refreshed;
    out.append(d);
  }
  return out;
}

py::dict SettingsDict(const Index& self) {
  const auto lock = ReadLock(self);
  const index::IndexSettings& s = self.index.settings;
  py::dict d;
  d["method"] = std::string(link::MethodName(s.method));
  d["blocking"] = std::string(match::BlockingName(s.blocking));
  d["cluster_threshold"] = s.cluster_threshold;
  d["change_margin"] = s.change_margin;
  return d;
}

int CliMain(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  py::gil_scoped_release release;
  std::fflush(stdout);
  int code = cli::Main(static_cast<int>(argv.size()), args.data());
  std::fflush(stdout);
  std::fflush(stderr);
  return code;
}

}  // namespace
}  // namespace bloomlink::python

PYBIND11_MODULE(_core, m) {
  using namespace bloomlink;
  using namespace bloomlink::python;
  m.doc() = "bloomlink's C++ core. Use the `bloomlink` package, not this module directly.";

  g_error = PyErr_NewExceptionWithDoc(
      "bloomlink.Error",
      "Any error reported by bloomlink's core; the base of InputError and FileError.",
      PyExc_RuntimeError, nullptr);
  py::tuple input_bases = py::make_tuple(py::handle(g_error), py::handle(PyExc_ValueError));
  g_input_error = PyErr_NewExceptionWithDoc(
      "bloomlink.InputError",
      "Bad input (a ValueError): a schema, record, option or file content, named in the message.",
      input_bases.ptr(), nullptr);
  py::tuple file_bases = py::make_tuple(py::handle(g_error), py::handle(PyExc_OSError));
  g_file_error = PyErr_NewExceptionWithDoc(
      "bloomlink.FileError",
      "A file that cannot be read or written (an OSError), named in the message.", file_bases.ptr(),
      nullptr);
  m.attr("Error") = py::handle(g_error);
  m.attr("InputError") = py::handle(g_input_error);
  m.attr("FileError") = py::handle(g_file_error);

  py::class_<Schema>(m, "Schema")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source) {
            return Schema{std::make_shared<const LinkageSchema>(Unwrap(ParseSchema(text, source)))};
          },
          py::arg("text"), py::arg("source") = "schema")
      .def_static(
          "from_file",
          [](const std::string& path) {
            return Schema{std::make_shared<const LinkageSchema>(Unwrap(LoadSchema(path)))};
          },
          py::arg("path"))
      .def_static(
          "starter_json",
          [](bool field_filters) { return StarterSchemaJson({.field_filters = field_filters}); },
          py::arg("field_filters") = false)
      .def_property_readonly("fingerprint",
                             [](const Schema& s) { return HexEncode(s.schema->fingerprint); })
      .def_property_readonly(
          "dialect", [](const Schema& s) { return std::string(DialectName(s.schema->dialect)); })
      .def_property_readonly("filter_bits", [](const Schema& s) { return s.schema->filter_bits; })
      .def_property_readonly("canonical_json",
                             [](const Schema& s) { return s.schema->canonical_json; })
      .def_property_readonly("warnings", [](const Schema& s) { return s.schema->warnings; })
      .def_property_readonly("fields", [](const Schema& s) {
        py::list fields;
        for (const FieldSpec& f : s.schema->fields) fields.append(FieldDict(f));
        return fields;
      });

  py::class_<Dataset>(m, "Dataset")
      .def("__len__", [](const Dataset& d) { return d.data->size(); })
      .def_property_readonly("ids", [](const Dataset& d) { return d.data->ids; })
      .def_property_readonly(
          "bits",
          [](py::object self) { return MatrixView(self.cast<const Dataset&>().data->clks, self); })
      .def_property_readonly(
          "popcounts", [](py::object self) { return Popcounts(self.cast<const Dataset&>(), self); })
      .def_property_readonly("filter_bits", [](const Dataset& d) { return d.data->clks.bits(); })
      .def_property_readonly("field_filters",
                             [](const Dataset& d) {
                               std::vector<std::string> names;
                               for (const FieldFilters& f : d.data->field_filters)
                                 names.push_back(f.field);
                               return names;
                             })
      .def_property_readonly("blocking_rules",
                             [](const Dataset& d) { return d.data->blocking_keys.rules; })
      .def(
          "field_bits",
          [](py::object self, const std::string& field) {
            return FieldBits(self.cast<const Dataset&>(), self, field);
          },
          py::arg("field"))
      .def_property_readonly("records_skipped",
                             [](const Dataset& d) { return d.data->records_skipped; })
      .def_property_readonly("schema_fingerprint",
                             [](const Dataset& d) { return HexOf(d.data->schema_fingerprint); })
      .def_property_readonly("key_check", [](const Dataset& d) { return HexOf(d.data->key_check); })
      .def_property_readonly("pseudonymous_ids",
                             [](const Dataset& d) { return d.data->pseudonymous_ids; })
      .def(
          "save",
          [](const Dataset& d, const std::string& path, const std::string& format) {
            auto f = Unwrap(format.empty() ? io::EncodingFormatForPath(path)
                                           : io::ParseEncodingFormat(format));
            absl::Status status;
            {
              py::gil_scoped_release release;  // Check raises, so only with the GIL held
              status = io::WriteEncodings(*d.data, path, f);
            }
            Check(status);
          },
          py::arg("path"), py::arg("format") = "")
      .def_static(
          "load",
          [](const std::string& path) {
            absl::StatusOr<EncodedDataset> data;
            {
              py::gil_scoped_release release;
              data = io::ReadEncodings(path);
            }
            return Dataset{std::make_shared<EncodedDataset>(Unwrap(std::move(data)))};
          },
          py::arg("path"))
      .def_static("from_bits", &FromBits, py::arg("ids"), py::arg("bits"),
                  py::arg("filter_bits") = 0)
      .def("clks_base64", [](const Dataset& d) {
        std::vector<std::string> out;
        const BitMatrix& clks = d.data->clks;
        out.reserve(clks.rows());
        for (std::size_t r = 0; r < clks.rows(); ++r) {
          out.push_back(Base64Encode(
              std::span<const std::uint8_t>(clks.row_bytes(r), clks.bytes_per_filter())));
        }
        return out;
      });

  m.def("encode_csv", &EncodeCsvFile, py::arg("path"), py::arg("schema"), py::arg("secret"),
        py::arg("secret_file"), py::arg("id_column"), py::arg("threads"),
        py::arg("skip_initial_space"), py::arg("allow_weak_secret"), py::arg("decoys") = 0.0,
        py::arg("pseudonymous_ids") = false);
  m.def("encode_columns", &EncodeColumns, py::arg("ids"), py::arg("columns"), py::arg("schema"),
        py::arg("secret"), py::arg("secret_file"), py::arg("threads"), py::arg("allow_weak_secret"),
        py::arg("source"), py::arg("decoys") = 0.0, py::arg("pseudonymous_ids") = false);
  py::class_<Revealer>(m, "Revealer")
      .def(py::init(&MakeRevealer), py::arg("schema"), py::arg("secret"), py::arg("secret_file"),
           py::arg("allow_weak_secret"))
      .def(
          "add_ids",
          [](Revealer& self, const std::vector<std::string>& ids, long long threads) {
            py::gil_scoped_release release;
            self.revealer->AddIds(ids, ClampToInt(threads));
          },
          py::arg("ids"), py::arg("threads") = 0)
      .def(
          "add_csv",
          [](Revealer& self, const std::string& path, const std::string& id_column,
             bool skip_initial_space, long long threads) {
            io::CsvOptions csv;
            csv.skip_initial_space = skip_initial_space;
            absl::Status added;
            {
              py::gil_scoped_release release;
              added = self.revealer->AddExtract(path, id_column, csv, ClampToInt(threads));
            }
            Check(added);
          },
          py::arg("path"), py::arg("id_column"), py::arg("skip_initial_space"),
          py::arg("threads") = 0)
      .def_property_readonly("ids", [](const Revealer& self) { return self.revealer->ids(); })
      .def("reveal_columns", &RevealColumns, py::arg("columns"), py::arg("source"))
      .def(
          "reveal_csv",
          [](const Revealer& self, const std::string& input, const std::string& table,
             const std::string& output) {
            if (table != "pairs" && table != "crosswalk") {
              RaiseInput(StrCat("kind: expected \"pairs\" or \"crosswalk\", got \"", table, "\""));
            }
            absl::StatusOr<encode::RevealReport> report;
            {
              py::gil_scoped_release release;
              report = encode::RevealCsv(
                  *self.revealer, input,
                  table == "pairs" ? encode::RevealTable::kPairs : encode::RevealTable::kCrosswalk,
                  output);
            }
            return RevealDict(Unwrap(std::move(report)));
          },
          py::arg("input"), py::arg("kind"), py::arg("output"));
  m.def("audit_csv", &AuditCsvFile, py::arg("path"), py::arg("schema"), py::arg("secret"),
        py::arg("secret_file"), py::arg("id_column"), py::arg("reference_files"),
        py::arg("reference_tables"), py::arg("sample"), py::arg("threads"),
        py::arg("skip_initial_space"), py::arg("allow_weak_secret"));
  m.def("audit_columns", &AuditColumns, py::arg("ids"), py::arg("columns"), py::arg("schema"),
        py::arg("secret"), py::arg("secret_file"), py::arg("reference_files"),
        py::arg("reference_tables"), py::arg("sample"), py::arg("threads"),
        py::arg("allow_weak_secret"), py::arg("source"));
  py::class_<LinkResult, std::shared_ptr<LinkResult>>(m, "LinkResult")
      .def("__len__", [](const LinkResult& r) { return r.linkage.pairs.size(); })
      .def_property_readonly(
          "left", LinkView([](const link::Linkage& l) -> const auto& { return l.pairs.left; }))
      .def_property_readonly(
          "right", LinkView([](const link::Linkage& l) -> const auto& { return l.pairs.right; }))
      .def_property_readonly(
          "score", LinkView([](const link::Linkage& l) -> const auto& { return l.pairs.score; }))
      .def_property_readonly(
          "probability",
          LinkView(
              [](const link::Linkage& l) -> const auto& { return l.probability; }, true))
      .def_property_readonly(
          "weight", LinkView(
                        [](const link::Linkage& l) -> const auto& { return l.weight; }, true))
      .def_property_readonly("contributions",
                             [](py::object self) -> py::object {
                               const link::Linkage& l = self.cast<const LinkResult&>().linkage;
                               if (l.fs_fields.empty()) return py::none();
                               const auto rows = static_cast<py::ssize_t>(l.pairs.size());
                               const auto cols = static_cast<py::ssize_t>(l.fs_fields.size());
                               return ReadOnlyView(l.contributions, self, {rows, cols});
                             })
      .def_property_readonly("stats", &LinkStats)
      .def_property_readonly("warnings", [](const LinkResult& r) { return r.warnings; })
      .def_property_readonly("deduplicated",
                             [](const LinkResult& r) { return r.linkage.deduplicated; })
      .def_property_readonly("one_to_one",
                             [](const LinkResult& r) {
                               return std::string(solve::OneToOneName(r.linkage.one_to_one));
                             })
      .def_property_readonly("fields", [](const LinkResult& r) { return r.linkage.fs_fields; })
      .def_property_readonly("threshold", [](const LinkResult& r) { return r.threshold; })
      .def_property_readonly(
          "method",
          [](const LinkResult& r) { return std::string(link::MethodName(r.report.method)); })
      .def_property_readonly("floor",
                             [](const LinkResult& r) -> py::object {
                               if (!r.report.floor) return py::none();
                               const link::FloorChoice& f = *r.report.floor;
                               py::dict d;
                               d["threshold"] = f.threshold;
                               d["random_mean"] = f.random_mean;
                               d["expected_candidates"] = f.expected_candidates;
                               d["budget"] = f.budget;
                               d["sampled_pairs"] = f.sampled_pairs;
                               d["reason"] = f.reason;
                               return d;
                             })
      .def_property_readonly("dice_decision",
                             [](const LinkResult& r) -> py::object {
                               if (!r.report.dice_decision) return py::none();
                               const score::DiceDecision& d = *r.report.dice_decision;
                               py::dict out;
                               out["threshold"] = d.threshold;
                               out["model"] = std::string(score::DiceModelName(d.model));
                               out["expected_matches"] = d.expected_matches;
                               out["reason"] = d.reason;
                               return out;
                             })
      .def_property_readonly("estimate",
                             [](const LinkResult& r) -> py::object {
                               if (!r.linkage.estimate) return py::none();
                               const link::ErrorEstimate& e = *r.linkage.estimate;
                               py::dict d;
                               d["true_matches"] = e.true_matches;
                               d["false_matches"] = e.false_matches;
                               d["missed_matches"] = e.missed_matches;
                               d["missed_below_floor"] = e.missed_below_floor;
                               d["precision"] = e.precision;
                               d["recall"] = e.recall;
                               d["f1"] = e.f1;
                               return d;
                             })
      .def_property_readonly("model",
                             [](const LinkResult& r) -> std::optional<std::string> {
                               if (!r.linkage.model) return std::nullopt;
                               return score::ModelToJson(*r.linkage.model);
                             })
      .def("order",
           [](const LinkResult& r) {
             return OwnedArray(io::PairsOrder(link::PairsTableOf(*r.a, *r.b, r.linkage, false)));
           })
      .def(
          "write_csv",
          [](const LinkResult& r, const std::string& path, bool explain) {
            absl::Status status;
            {
              py::gil_scoped_release release;
              status = link::WritePairsCsv(*r.a, *r.b, r.linkage, path, explain);
            }
            Check(status);
          },
          py::arg("path"), py::arg("explain"));
  m.def("link", &Link, py::arg("a"), py::arg("b"), py::arg("threshold"), py::arg("top_k"),
        py::arg("one_to_one"), py::arg("threads"), py::arg("method"), py::arg("deduplicate"),
        py::arg("model_json"), py::arg("u_from_sample"), py::arg("decision"), py::arg("max_memory"),
        py::arg("blocking"), py::arg("lsh_completeness"));
  m.def("parse_memory_limit",
        [](const std::string& text) { return Unwrap(ParseMemoryLimit(text)); });
  m.def("model_table", [](const std::string& json) {
    score::FsModel model = Unwrap(score::ParseModel(json, "model"));
    py::dict table;
    py::list field, level, label, m_values, u_values;
    for (const score::FsModel::Field& f : model.fields) {
      for (std::size_t l = 0; l < f.m.size(); ++l) {
        field.append(f.levels.field);
        level.append(l);
        label.append(score::LevelLabel(f.levels, l));
        m_values.append(f.m[l]);
        u_values.append(f.u[l]);
      }
    }
    table["field"] = field;
    table["level"] = level;
    table["label"] = label;
    table["m"] = m_values;
    table["u"] = u_values;
    return table;
  });
  m.def("save_model_json", [](const std::string& json, const std::string& path) {
    Check(score::SaveModel(Unwrap(score::ParseModel(json, "model")), path));
  });
  m.def("load_model_json",
        [](const std::string& path) { return score::ModelToJson(Unwrap(score::LoadModel(path))); });
  // Multi-party clusters and their measures (the person index's building blocks).
  m.def(
      "cluster_records",
      [](std::uint32_t records, py::array_t<std::uint32_t, py::array::c_style> source,
         std::vector<std::uint32_t> unique, py::array_t<std::uint32_t, py::array::c_style> a,
         py::array_t<std::uint32_t, py::array::c_style> b,
         py::array_t<float, py::array::c_style> probability, const std::string& method,
         double threshold) {
        if (a.size() != b.size() || a.size() != probability.size()) {
          throw py::value_error("cluster_records: a, b and probability differ in length");
        }
        std::vector<solve::LinkedPair> pairs(static_cast<std::size_t>(a.size()));
        for (std::size_t k = 0; k < pairs.size(); ++k) {
          pairs[k] = {a.data()[k], b.data()[k], probability.data()[k]};
        }
        solve::ClusterInput input;
        input.records = records;
        input.source =
            std::span<const std::uint32_t>(source.data(), static_cast<std::size_t>(source.size()));
        input.unique_sources = unique;
        solve::ClusterOptions options;
        options.method = Unwrap(solve::ParseClusterMethod(method));
        options.threshold = threshold;
        absl::StatusOr<std::vector<std::uint32_t>> clustered;
        {
          py::gil_scoped_release release;
          clustered = solve::ClusterRecords(input, pairs, options);
        }
        // Unwrapped with the GIL held: it raises a Python exception.
        const std::vector<std::uint32_t> labels = Unwrap(std::move(clustered));
        return py::array_t<std::uint32_t>(static_cast<py::ssize_t>(labels.size()), labels.data());
      },
      py::arg("records"), py::arg("source"), py::arg("unique"), py::arg("a"), py::arg("b"),
      py::arg("probability"), py::arg("method"), py::arg("threshold"));
  m.def("compare_clusters", [](py::array_t<std::uint64_t, py::array::c_style> predicted,
                               py::array_t<std::uint64_t, py::array::c_style> truth) {
    const eval::ClusterMetrics cm = Unwrap(eval::CompareClusters(
        std::span<const std::uint64_t>(predicted.data(),
                                       static_cast<std::size_t>(predicted.size())),
        std::span<const std::uint64_t>(truth.data(), static_cast<std::size_t>(truth.size()))));
    const auto scores = [](const eval::Scores& s) {
      py::dict d;
      d["precision"] = s.precision;
      d["recall"] = s.recall;
      d["f1"] = s.f1;
      return d;
    };
    py::dict d;
    d["records"] = cm.records;
    d["clusters"] = cm.clusters;
    d["entities"] = cm.entities;
    d["pairwise"] = scores(cm.pairwise);
    d["bcubed"] = scores(cm.bcubed);
    d["exact"] = scores(cm.exact);
    d["exact_groups"] = scores(cm.exact_groups);
    return d;
  });
  // The person index (bloomlink.PersonIndex wraps it).
  py::class_<Index, IndexPtr>(m, "PersonIndex")
      .def_static("build", &BuildPersonIndex, py::arg("names"), py::arg("data"), py::arg("unique"),
                  py::arg("method"), py::arg("blocking"), py::arg("cluster_threshold"),
                  py::arg("change_margin"), py::arg("threads"))
      .def_static("read", &ReadPersonIndex, py::arg("path"))
      .def("write", &WritePersonIndex, py::arg("path"))
      .def("add", &AddToIndex, py::arg("name"), py::arg("data"), py::arg("unique"),
           py::arg("threads"))
      .def("crosswalk", &CrosswalkColumns)
      .def("overlap", &OverlapDict)
      .def_property_readonly("sources", &SourcesList)
      .def_property_readonly("settings", &SettingsDict)
      .def_property_readonly("records",
                             [](const Index& self) {
                               const auto lock = ReadLock(self);
                               return self.index.records();
                             })
      .def_property_readonly("persons",
                             [](const Index& self) {
                               const auto lock = ReadLock(self);
                               return self.index.persons.size();
                             })
      .def_property_readonly("generation",
                             [](const Index& self) {
                               const auto lock = ReadLock(self);
                               return self.index.generation();
                             })
      .def_property_readonly("schema_fingerprint",
                             [](const Index& self) {
                               const auto lock = ReadLock(self);
                               return HexOf(self.index.schema_fingerprint);
                             })
      .def_property_readonly("key_check",
                             [](const Index& self) {
                               const auto lock = ReadLock(self);
                               return HexOf(self.index.key_check);
                             })
      .def("history", [](const Index& self) {
        const auto lock = ReadLock(self);
        py::list out;
        for (const index::IndexUpdate& u : self.index.history) out.append(UpdateDict(u));
        return out;
      });
  m.def(
      "show_count",
      [](std::uint64_t n, bool enabled, std::uint64_t suppress_below, std::uint64_t round_to) {
        return index::ShowCount(
            n, {.enabled = enabled, .suppress_below = suppress_below, .round_to = round_to});
      },
      py::arg("n"), py::arg("enabled"), py::arg("suppress_below"), py::arg("round_to"));
  m.def("id_churn", [](py::array_t<std::uint64_t, py::array::c_style> before,
                       py::array_t<std::uint64_t, py::array::c_style> after) {
    return Unwrap(eval::IdChurn(
        std::span<const std::uint64_t>(before.data(), static_cast<std::size_t>(before.size())),
        std::span<const std::uint64_t>(after.data(), static_cast<std::size_t>(after.size()))));
  });
  m.def("compare_pairs", &ComparePairs);
  m.def("compare_pairs_regex", &ComparePairsRegex);
  m.def("reduction_ratio", &eval::ReductionRatio);
  m.def("reduction_ratio_within", &eval::ReductionRatioWithin);
  m.def("synth", &Synth, py::arg("records"), py::arg("seed"), py::arg("overlap"),
        py::arg("corruption"), py::arg("exact_share"), py::arg("field_corruption"),
        py::arg("missing"));
  m.def("decide_dice_threshold", &DecideDice, py::arg("scores"), py::arg("floor"),
        py::arg("random_scores"), py::arg("comparison_pairs"), py::arg("records_a"),
        py::arg("records_b"), py::arg("one_to_one"));
  m.def(
      "write_synth_sources",
      [](std::uint64_t records, std::uint64_t seed, std::uint32_t sources, const std::string& dir) {
        synth::SynthOptions options;
        options.records = records;
        options.seed = seed;
        options.sources = sources;
        absl::StatusOr<synth::SynthSourcesSummary> written;
        {
          py::gil_scoped_release release;
          written = synth::WriteSynthSources(options, dir);
        }
        // Unwrapped with the GIL held: it raises a Python exception.
        const synth::SynthSourcesSummary summary = Unwrap(std::move(written));
        py::dict out;
        out["names"] = summary.names;
        out["paths"] = summary.paths;
        out["truth"] = summary.truth_path;
        return out;
      },
      py::arg("records"), py::arg("seed"), py::arg("sources"), py::arg("dir"));
  m.def("cli_main", &CliMain, py::arg("argv"));
  m.def("install_interrupt_handlers", &cli::InstallInterruptHandlers);
  m.def("kernel", [] { return std::string(Unwrap(match::Kernels())->name); });
  m.attr("__version__") = "0.1.0";
}
