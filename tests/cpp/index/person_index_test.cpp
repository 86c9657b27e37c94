// The person index: built from three synthetic organisations' extracts (bloomlink synth
// --sources) without labels, judged against their truth; built one source at a time against a
// one-shot build; a refreshed extract with 1% of its records changed, and how many person IDs
// moved; the file written, read back and refused when damaged; a second writer refused.
#include "bloomlink/index/person_index.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include "bloomlink/eval/clusters.hpp"
#include "bloomlink/synth/synth.hpp"
#include "encode_sources.hpp"
#include "test_support.hpp"

namespace bloomlink::index {
namespace {

using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;

using ::bloomlink::index::testing::Encode;

// Lines(path): a CSV's lines (synth writes no quoted newlines).
std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Fixture: three organisations (trust unique, council with duplicates, community unique).
class PersonIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    synth::SynthOptions options;
    options.records = 1200;
    options.seed = 33;
    options.sources = 3;
    auto written = synth::WriteSynthSources(options, dir_.file("s"));
    ASSERT_TRUE(written.ok()) << written.status();
    paths_ = written->paths;
    for (const std::string& line : Lines(written->truth_path)) {
      const std::size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
      entity_[line.substr(0, c1) + "/" + line.substr(c1 + 1, c2 - c1 - 1)] = line.substr(c2 + 1);
    }
  }
  std::vector<NewSource> Sources() const {
    return {{"trust", Encode(paths_[0]), true},
            {"council", Encode(paths_[1]), std::nullopt},
            {"community", Encode(paths_[2]), true}};
  }
  static RunOptions Run() {
    RunOptions run;
    run.threads = 2;
    run.time = 1'800'000'000;
    return run;
  }
  // Labels(index): per record, its person; and the true entity's number.
  std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>> Labels(
      const PersonIndex& index) const {
    std::vector<std::uint64_t> predicted, truth;
    std::map<std::string, std::uint64_t> number;
    for (const CrosswalkRow& row : Crosswalk(index)) {
      predicted.push_back(std::hash<std::string_view>{}(row.person_id));
      const std::string& e = entity_.at(std::string(row.source) + "/" + std::string(row.record_id));
      truth.push_back(number.emplace(e, number.size()).first->second);
    }
    return {predicted, truth};
  }
  // PersonOf(index): (source/record id) -> person ID.
  static std::map<std::string, std::string> PersonOf(const PersonIndex& index) {
    std::map<std::string, std::string> out;
    for (const CrosswalkRow& row : Crosswalk(index)) {
      out[std::string(row.source) + "/" + std::string(row.record_id)] = std::string(row.person_id);
    }
    return out;
  }

  TempDir dir_;
  std::vector<std::string> paths_;
  std::map<std::string, std::string> entity_;
};

TEST_F(PersonIndexTest, BuildsPersonsWithoutLabels) {
  auto index = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->history.size(), 1u);
  EXPECT_EQ(index->history[0].action, "build");
  EXPECT_EQ(index->history[0].persons, index->persons.size());
  for (const std::string& w : index->history[0].warnings) {
    EXPECT_EQ(w.find("CLK Dice"), std::string::npos) << w;  // field filters: Fellegi-Sunter
  }
  const auto [predicted, truth] = Labels(*index);
  auto m = eval::CompareClusters(predicted, truth);
  ASSERT_TRUE(m.ok());
  EXPECT_GT(m->pairwise.f1, 0.97);
  EXPECT_GT(m->exact_groups.f1, 0.95);
  for (const Person& p : index->persons) {
    EXPECT_EQ(p.id.size(), 25u);
    EXPECT_EQ(p.created, 1u);
  }
  // Overlap: the diagonal is each source's persons; every person is in some combination.
  auto overlap = ComputeOverlap(*index);
  ASSERT_TRUE(overlap.ok());
  std::uint64_t persons = 0;
  for (const SourceCombination& c : overlap->combinations) persons += c.persons;
  EXPECT_EQ(persons, index->persons.size());
  EXPECT_EQ(overlap->pairwise[0], overlap->persons_per_source[0]);
  EXPECT_EQ(overlap->persons_per_source[0], index->sources[0].data.size());  // unique
  EXPECT_GT(overlap->pairwise[0 * 3 + 1], 0u);
}

TEST_F(PersonIndexTest, OneSourceAtATimeAgreesWithOneShot) {
  auto batch = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(batch.ok()) << batch.status();
  std::vector<NewSource> sources = Sources();
  std::vector<NewSource> first;
  first.push_back(std::move(sources[0]));
  auto incremental = BuildIndex(std::move(first), {}, Run());
  ASSERT_TRUE(incremental.ok());
  for (std::size_t k = 1; k < sources.size(); ++k) {
    auto update = AddSource(*incremental, std::move(sources[k]), Run());
    ASSERT_TRUE(update.ok()) << update.status();
    EXPECT_EQ(update->generation, k + 1);
    EXPECT_EQ(update->records_updated + update->records_retired, 0u);
  }
  ASSERT_EQ(incremental->records(), batch->records());
  const auto [a, truth] = Labels(*batch);
  const auto [b, unused] = Labels(*incremental);
  auto agreement = eval::CompareClusters(b, a);
  ASSERT_TRUE(agreement.ok());
  EXPECT_GE(agreement->bcubed.f1, 0.99);
}

TEST_F(PersonIndexTest, RefreshMovesFewIds) {
  auto index = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(index.ok()) << index.status();
  const auto before = PersonOf(*index);
  // The council's refresh: 1% of its records change. Of every 100 records, one moves house (its
  // postcode is another record's), every 200th leaves and 6 people arrive (the community's
  // first records, under new ids).
  std::vector<std::string> lines = Lines(paths_[1]);
  const std::vector<std::string> arrivals = Lines(paths_[2]);
  std::string refreshed = lines[0] + "\n";
  std::size_t changed = 0, retired = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (i % 200 == 0) {
      ++retired;
      continue;
    }
    if (i % 100 == 50) {
      const std::size_t at = line.rfind(','), from = lines[i + 1].rfind(',');
      line = line.substr(0, at) + lines[i + 1].substr(from);
      ++changed;
    }
    refreshed += line + "\n";
  }
  for (std::size_t i = 1; i <= 6; ++i)
    refreshed += "new" + std::to_string(i) + arrivals[i].substr(arrivals[i].find(',')) + "\n";
  WriteFile(dir_.file("council2.csv"), refreshed);
  auto update =
      AddSource(*index, {"council", Encode(dir_.file("council2.csv")), std::nullopt}, Run());
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->generation, 2u);
  EXPECT_EQ(update->records_retired, retired);
  EXPECT_EQ(update->records_added, 6u);
  EXPECT_GE(update->records_updated, changed - 2);  // a postcode may equal its neighbour's
  EXPECT_LT(update->records_reclustered, index->records());
  // Churn: existing records (still held) whose person ID changed.
  const auto after = PersonOf(*index);
  std::size_t existing = 0, moved = 0;
  for (const auto& [record, id] : before) {
    const auto it = after.find(record);
    if (it == after.end()) continue;
    ++existing;
    moved += it->second != id;
  }
  EXPECT_LE(static_cast<double>(moved) / existing, 0.015) << moved << " of " << existing;
  EXPECT_EQ(after.size(), before.size() - retired + 6);
  EXPECT_EQ(index->history.size(), 2u);
}

TEST_F(PersonIndexTest, TheSameExtractAgainChangesNothing) {
  auto index = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(index.ok()) << index.status();
  const auto before = PersonOf(*index);
  const std::size_t pairs = index->pairs.size();
  auto update = AddSource(*index, {"council", Encode(paths_[1]), std::nullopt}, Run());
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->records_unchanged, index->sources[1].data.size());
  EXPECT_EQ(update->records_added + update->records_updated + update->records_retired, 0u);
  EXPECT_EQ(update->persons_new + update->persons_merged + update->persons_split +
                update->persons_retired,
            0u);
  EXPECT_EQ(update->pairs_carried + update->pairs_not_taken, 0u);  // the same decisions
  EXPECT_EQ(index->pairs.size(), pairs);
  EXPECT_EQ(PersonOf(*index), before);
}

TEST_F(PersonIndexTest, ASourceNoLongerUniqueIsDeduplicated) {
  // The council, declared unique by mistake, is refreshed with the same extract as a source
  // that may hold a person twice: its deduplication is new evidence, taken in full.
  std::vector<NewSource> sources = Sources();
  sources[1].unique = true;
  auto index = BuildIndex(std::move(sources), {}, Run());
  ASSERT_TRUE(index.ok()) << index.status();
  const std::size_t persons = index->persons.size();
  auto update = AddSource(*index, {"council", Encode(paths_[1]), false}, Run());
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_FALSE(index->sources[1].unique);
  EXPECT_EQ(update->pairs_not_taken, 0u);
  EXPECT_GT(update->persons_merged, 0u);  // the council's duplicates found
  EXPECT_LT(index->persons.size(), persons);
}

TEST_F(PersonIndexTest, FileRoundTripsAndRefusesDamage) {
  auto index = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(index.ok());
  const std::string path = dir_.file("people.index");
  ASSERT_TRUE(WriteIndexFile(*index, path).ok());
  auto back = ReadIndexFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->person, index->person);
  EXPECT_EQ(back->confidence, index->confidence);
  ASSERT_EQ(back->persons.size(), index->persons.size());
  for (std::size_t p = 0; p < index->persons.size(); ++p) {
    EXPECT_EQ(back->persons[p].id, index->persons[p].id);
  }
  ASSERT_EQ(back->pairs.size(), index->pairs.size());
  ASSERT_EQ(back->sources.size(), 3u);
  EXPECT_EQ(back->sources[1].data.ids, index->sources[1].data.ids);
  EXPECT_TRUE(back->sources[0].unique);
  EXPECT_FALSE(back->sources[1].unique);
  EXPECT_EQ(back->history.size(), 1u);
  // Written again, byte for byte the same.
  ASSERT_TRUE(WriteIndexFile(*back, dir_.file("again.index")).ok());
  const std::string bytes = ReadFile(path);
  EXPECT_EQ(ReadFile(dir_.file("again.index")), bytes);
  // Truncated anywhere, or one byte changed: refused, naming the file.
  for (std::size_t cut : {std::size_t{10}, bytes.size() / 3, bytes.size() - 1}) {
    WriteFile(dir_.file("cut.index"), bytes.substr(0, cut));
    EXPECT_THAT(ReadIndexFile(dir_.file("cut.index")),
                StatusIs(absl::StatusCode::kInvalidArgument, "cut.index"));
  }
  std::string altered = bytes;
  altered[bytes.size() - 100] ^= 1;
  WriteFile(dir_.file("altered.index"), altered);
  EXPECT_THAT(ReadIndexFile(dir_.file("altered.index")),
              StatusIs(absl::StatusCode::kInvalidArgument, "checksum"));
  WriteFile(dir_.file("text.index"), "person_id,source\n");
  EXPECT_THAT(ReadIndexFile(dir_.file("text.index")),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a bloomlink person index"));
}

TEST_F(PersonIndexTest, RefusesOtherSecretsAndBadSources) {
  auto index = BuildIndex(Sources(), {}, Run());
  ASSERT_TRUE(index.ok());
  const std::size_t persons = index->persons.size();
  auto other = AddSource(
      *index, {"gp", Encode(paths_[2], "another secret entirely, 32 bytes!"), true}, Run());
  EXPECT_THAT(other, StatusIs(absl::StatusCode::kFailedPrecondition, "different secrets"));
  EXPECT_EQ(index->persons.size(), persons);
  EXPECT_EQ(index->sources.size(), 3u);
  EXPECT_THAT(AddSource(*index, {"", Encode(paths_[2]), true}, Run()),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a name"));
  std::vector<NewSource> twice;
  twice.push_back({"trust", Encode(paths_[0]), true});
  twice.push_back({"trust", Encode(paths_[0]), true});
  EXPECT_THAT(BuildIndex(std::move(twice), {}, Run()),
              StatusIs(absl::StatusCode::kInvalidArgument, "two sources are named trust"));
}

TEST(IndexLockTest, SecondWriterIsRefused) {
  TempDir dir;
  const std::string path = dir.file("people.index");
  auto first = IndexLock::Acquire(path);
  ASSERT_TRUE(first.ok()) << first.status();
  // flock locks belong to the open file: a second open in this process is refused as another
  // process would be.
  EXPECT_THAT(IndexLock::Acquire(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, "another process is updating"));
  { IndexLock released = *std::move(first); }
  EXPECT_TRUE(IndexLock::Acquire(path).ok());
}

TEST(DisclosureControlTest, SuppressesSmallCountsAndRounds) {
  const DisclosureControl on;
  EXPECT_EQ(ShowCount(0, on), "0");
  EXPECT_EQ(ShowCount(1, on), "*");
  EXPECT_EQ(ShowCount(7, on), "*");
  EXPECT_EQ(ShowCount(8, on), "10");
  EXPECT_EQ(ShowCount(12, on), "10");
  EXPECT_EQ(ShowCount(13, on), "15");
  EXPECT_EQ(ShowCount(1234, on), "1,235");
  EXPECT_EQ(ShowCount(7, {.enabled = false}), "7");
  EXPECT_EQ(ShowCount(12, {.enabled = true, .suppress_below = 10, .round_to = 10}), "10");
}

}  // namespace
}  // namespace bloomlink::index
