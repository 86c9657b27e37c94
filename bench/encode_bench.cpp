// Encoding throughput (records/s per core) and its floor, the keyed hash calls alone.
//
//   build/bench/bloomlink_encode_bench --benchmark_min_time=2
//
// Data: FEBRL4 dataset4a (../shared/data) with the clkhash tutorial schema, and 100,000
// synthetic trust records (bloomlink synth) with the starter schema. Values are loaded into
// memory first so that only encoding is timed. "Floor" benchmarks run the keyed hash of every
// token of the same records (no token cache), including setting its bits: the work no encoder
// can avoid without remembering hashes. "Patterns" benchmarks give the tutorial schema's string
// features clkhash patterns (the tutorial has none), so that their values are checked against a
// regular expression: the whole encoding, and the pattern check alone on FEBRL4's names and on
// one long value.
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/schema.hpp"
#include "bloomlink/synth/synth.hpp"
#include "encode/field_formatter.hpp"
#include "encode/field_hasher.hpp"

namespace bloomlink {
namespace {

// Workload: a schema, a secret and the raw values of many records (rows x fields).
struct Workload {
  LinkageSchema schema;
  std::shared_ptr<const encode::Secret> secret;  // shared by workloads made from another
  std::vector<std::string> storage;
  std::vector<std::string_view> values;
  std::size_t rows = 0;
  bool ok = false;
  std::string error;
};

std::filesystem::path SharedData() {
  return std::filesystem::path(BLOOMLINK_SOURCE_DIR) / ".." / "shared" / "data";
}

void Finish(Workload& w) {
  w.values.assign(w.storage.begin(), w.storage.end());
  w.rows = w.storage.size() / w.schema.fields.size();
  w.ok = true;
}

const Workload& Febrl4() {
  static Workload w = [] {
    Workload x;
    auto schema =
        LoadSchema((SharedData() / "clkhash-vectors" / "febrl4_tutorial_schema_v3.json").string());
    auto secret = encode::Secret::FromBytes("secret", "bench", {.allow_weak = true});
    io::CsvOptions options;
    options.skip_initial_space = true;
    auto reader = io::CsvReader::Open((SharedData() / "febrl" / "dataset4a.csv").string(), options);
    if (!schema.ok() || !secret.ok() || !reader.ok()) {
      x.error = "FEBRL4 data or schema not found under ../shared/data";
      return x;
    }
    x.schema = *schema;
    x.secret = std::make_unique<encode::Secret>(std::move(*secret));
    io::CsvRecord record;
    while (true) {
      auto more = reader->Next(record);
      if (!more.ok() || !*more) break;
      for (std::size_t j = 0; j < x.schema.fields.size(); ++j) x.storage.emplace_back(record[j]);
    }
    Finish(x);
    return x;
  }();
  return w;
}

// kFebrl4Patterns: a clkhash pattern for each string feature of the tutorial schema, the kind a
// data holder writes for FEBRL's lower-case fields.
constexpr std::pair<std::string_view, std::string_view> kFebrl4Patterns[] = {
    {"given_name", "[a-z]+(?:[ '-][a-z]+)*"}, {"surname", "[a-z]+(?:[ '-][a-z]+)*"},
    {"address_1", "[a-z0-9 ,.'/-]*"},         {"address_2", "[a-z0-9 ,.'/-]*"},
    {"suburb", "[a-z]+(?: [a-z]+)*"},         {"state", "[a-z]{2,3}"},
};

const Workload& Febrl4Patterns() {
  static Workload w = [] {
    const Workload& base = Febrl4();
    Workload x;
    x.ok = base.ok;
    x.error = base.error;
    if (!base.ok) return x;
    x.schema = base.schema;
    for (FieldSpec& f : x.schema.fields) {
      for (const auto& [name, pattern] : kFebrl4Patterns) {
        if (f.name == name) f.clkhash.pattern = pattern;
      }
    }
    x.secret = base.secret;
    x.storage = base.storage;
    Finish(x);
    return x;
  }();
  return w;
}

const Workload& Starter() {
  static Workload w = [] {
    Workload x;
    auto schema = ParseSchema(StarterSchemaJson(), "starter");
    auto secret = encode::Secret::FromBytes("bench secret, not for real data", "bench");
    synth::SynthOptions options;
    options.records = 100000;
    options.seed = 11;
    auto gen = synth::SynthGenerator::Create(options);
    if (!schema.ok() || !secret.ok() || !gen.ok()) {
      x.error = "cannot set up the starter workload";
      return x;
    }
    x.schema = *schema;
    x.secret = std::make_unique<encode::Secret>(std::move(*secret));
    synth::SynthRecord r;
    for (std::uint64_t row = 0; row < gen->trust_records(); ++row) {
      gen->TrustRecord(row, &r, nullptr);
      for (const std::string* v :
           {&r.nhs_number, &r.given_name, &r.family_name, &r.date_of_birth, &r.sex, &r.postcode}) {
        x.storage.push_back(*v);
      }
    }
    Finish(x);
    return x;
  }();
  return w;
}

void EncodeBenchmark(benchmark::State& state, const Workload& w) {
  if (!w.ok) {
    state.SkipWithError(w.error.c_str());
    return;
  }
  const bool cache = state.range(0) != 0;
  const int threads = static_cast<int>(state.range(1));
  auto encoder =
      encode::Encoder::Create(w.schema, *w.secret, {.threads = threads, .token_cache = cache});
  if (!encoder.ok()) {
    state.SkipWithError(std::string(encoder.status().message()).c_str());
    return;
  }
  BitMatrix out(w.rows, w.schema.filter_bits);
  encode::EncodeStats stats;
  for (auto _ : state) {
    for (std::size_t r = 0; r < out.rows(); ++r)
      std::memset(out.row_bytes(r), 0, out.stride_bytes());
    absl::Status done = encoder->EncodeBatch(w.values, w.rows, out, 0, stats);
    if (!done.ok()) {
      state.SkipWithError(std::string(done.message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(out.row_bytes(0));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.rows));
  state.counters["records_per_s_per_thread"] = benchmark::Counter(
      static_cast<double>(state.iterations() * w.rows) / threads, benchmark::Counter::kIsRate);
  state.counters["macs_per_record"] =
      static_cast<double>(stats.mac_calls) / static_cast<double>(stats.records);
}

// The floor: format and tokenise once (untimed), then time the keyed hash of every token.
void HashFloorBenchmark(benchmark::State& state, const Workload& w) {
  if (!w.ok) {
    state.SkipWithError(w.error.c_str());
    return;
  }
  struct Token {
    std::size_t field;
    std::string text;
    int k;
  };
  std::vector<Token> tokens;
  std::vector<std::unique_ptr<encode_internal::FieldFormatter>> formatters;
  for (const FieldSpec& f : w.schema.fields) {
    formatters.push_back(f.ignored ? nullptr
                                   : std::make_unique<encode_internal::FieldFormatter>(
                                         *encode_internal::FieldFormatter::Create(f)));
  }
  std::string value;
  encode::TokenList list;
  internal::RegexMatcher matcher;
  const std::size_t nfields = w.schema.fields.size();
  for (std::size_t r = 0; r < w.rows; ++r) {
    for (std::size_t j = 0; j < nfields; ++j) {
      const FieldSpec& f = w.schema.fields[j];
      if (f.ignored) continue;
      auto res = formatters[j]->Format(w.values[r * nfields + j], &value, matcher);
      if (!res.ok() || !res->encode || !encode::Tokenise(value, f.tokens, list) || list.empty()) {
        continue;
      }
      const int n = static_cast<int>(list.size());
      for (int t = 0; t < n; ++t) {
        int k = f.bits.per_field ? f.bits.count / n + (t < f.bits.count % n ? 1 : 0) : f.bits.count;
        tokens.push_back({j, std::string(list[static_cast<std::size_t>(t)]), k});
      }
    }
  }
  auto keys = encode::DeriveFieldKeys(w.schema, *w.secret);
  std::vector<encode_internal::FieldHasher> hashers;
  const std::uint32_t hash_bits = w.schema.filter_bits << w.schema.xor_folds;
  for (std::size_t j = 0; j < nfields; ++j) {
    const FieldSpec& f = w.schema.fields[j];
    FieldSpec spec = f;
    if (f.ignored) spec.hash.scheme = HashScheme::kHmacSha256Double;
    auto t = encode_internal::FieldHashTemplate::Create(spec, (*keys)[j], hash_bits);
    hashers.push_back(*encode_internal::FieldHasher::Create(*t, /*use_cache=*/false));
  }
  std::vector<std::uint8_t> filter(hash_bits / 8 + 1);
  for (auto _ : state) {
    for (const Token& t : tokens) hashers[t.field].Insert(t.text, t.k, filter.data());
    benchmark::DoNotOptimize(filter.data());
  }
  std::uint64_t macs = 0, hits = 0;
  for (auto& h : hashers) h.TakeCounters(&macs, &hits);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.rows));
  state.counters["tokens_per_record"] =
      static_cast<double>(tokens.size()) / static_cast<double>(w.rows);
  state.counters["macs_per_record"] =
      static_cast<double>(macs) / static_cast<double>(state.iterations() * w.rows);
}

// PatternCheckBenchmark(state, w, field): the clkhash pattern check (through the encoder's field
// formatter, as encoding runs it) on every value of one field.
void PatternCheckBenchmark(benchmark::State& state, const Workload& w, std::string_view field) {
  if (!w.ok) {
    state.SkipWithError(w.error.c_str());
    return;
  }
  const std::size_t nfields = w.schema.fields.size();
  std::size_t j = 0;
  while (j < nfields && w.schema.fields[j].name != field) ++j;
  if (j == nfields) {
    state.SkipWithError("no such field");
    return;
  }
  auto formatter = encode_internal::FieldFormatter::Create(w.schema.fields[j]);
  if (!formatter.ok()) {
    state.SkipWithError(std::string(formatter.status().message()).c_str());
    return;
  }
  std::string out;
  internal::RegexMatcher matcher;
  std::int64_t valid = 0;
  for (auto _ : state) {
    for (std::size_t r = 0; r < w.rows; ++r) {
      auto res = formatter->Format(w.values[r * nfields + j], &out, matcher);
      valid += res.ok() && res->status == encode::CleanStatus::kValid;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.rows));
  state.counters["valid_share"] =
      static_cast<double>(valid) / static_cast<double>(state.iterations() * w.rows);
}

// BM_PatternCheckLongValue: one 1,000-byte value (under the 1,024-byte cap that std::regex,
// used before PCRE2, needed) checked against "[a-z ]*" and against "(?:[a-z]+ ?)*", whose loop
// std::regex walked by recursion.
void BM_PatternCheckLongValue(benchmark::State& state) {
  FieldSpec spec;
  spec.name = "long";
  spec.kind = FieldKind::kClkString;
  spec.clkhash.pattern = state.range(0) == 0 ? "[a-z ]*" : "(?:[a-z]+ ?)*";
  auto formatter = encode_internal::FieldFormatter::Create(spec);
  std::string value;
  while (value.size() < 1000) value += "lorem ipsum ";
  value.resize(1000);
  std::string out;
  internal::RegexMatcher matcher;
  for (auto _ : state) {
    auto res = formatter->Format(value, &out, matcher);
    benchmark::DoNotOptimize(res);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * value.size()));
  state.SetLabel(spec.clkhash.pattern);
}

// One keyed hash call of each kind on a bigram, through the same code the encoder uses: the
// machine's speed for the primitive, to put the other figures in context (this VM's speed varies).
void BM_OneMacCall(benchmark::State& state) {
  FieldSpec spec;
  spec.name = "f";
  spec.hash.scheme = static_cast<HashScheme>(state.range(0));
  spec.bits = BitsSpec{false, 1};
  encode::FieldKeys keys;
  keys.keys = {std::string(64, 'k'), std::string(64, 'l')};
  auto tmpl = encode_internal::FieldHashTemplate::Create(spec, keys, 1024);
  auto hasher = encode_internal::FieldHasher::Create(*tmpl, /*use_cache=*/false);
  std::uint8_t filter[128] = {};
  for (auto _ : state) {
    hasher->Insert("an", 1, filter);
    benchmark::DoNotOptimize(filter);
  }
  state.SetLabel(std::string(HashSchemeName(spec.hash.scheme)));
}

void BM_EncodeFebrl4Tutorial(benchmark::State& state) { EncodeBenchmark(state, Febrl4()); }
void BM_HashFloorFebrl4Tutorial(benchmark::State& state) { HashFloorBenchmark(state, Febrl4()); }
void BM_EncodeFebrl4Patterns(benchmark::State& state) { EncodeBenchmark(state, Febrl4Patterns()); }
void BM_PatternCheckFebrl4GivenName(benchmark::State& state) {
  PatternCheckBenchmark(state, Febrl4Patterns(), "given_name");
}
void BM_PatternCheckFebrl4Address(benchmark::State& state) {
  PatternCheckBenchmark(state, Febrl4Patterns(), "address_1");
}
void BM_EncodeStarter(benchmark::State& state) { EncodeBenchmark(state, Starter()); }
void BM_HashFloorStarter(benchmark::State& state) { HashFloorBenchmark(state, Starter()); }

BENCHMARK(BM_OneMacCall)
    ->ArgName("scheme")
    ->Arg(static_cast<int>(HashScheme::kHmacSha256Double))
    ->Arg(static_cast<int>(HashScheme::kClkhashBlake2b))
    ->Arg(static_cast<int>(HashScheme::kClkhashDouble));
// Args: {token cache on/off, threads}.
BENCHMARK(BM_HashFloorFebrl4Tutorial)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EncodeFebrl4Tutorial)
    ->ArgNames({"cache", "threads"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_EncodeFebrl4Patterns)
    ->ArgNames({"cache", "threads"})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PatternCheckFebrl4GivenName)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PatternCheckFebrl4Address)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PatternCheckLongValue)->ArgName("pattern")->Arg(0)->Arg(1);
BENCHMARK(BM_HashFloorStarter)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EncodeStarter)
    ->ArgNames({"cache", "threads"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace bloomlink
