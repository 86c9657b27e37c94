// The persons of several sources: synthetic extracts of one population by three organisations
// (bloomlink synth --sources), encoded, linked and clustered without labels, against their
// truth; files of another secret refused; bad sources refused.
#include "bloomlink/index/person_clusters.hpp"

#include <map>

#include "bloomlink/eval/clusters.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/synth/synth.hpp"
#include "encode_sources.hpp"
#include "test_support.hpp"

namespace bloomlink::index {
namespace {

using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;

using ::bloomlink::index::testing::Encode;

TEST(PersonClustersTest, ThreeOrganisationsWithoutLabels) {
  TempDir dir;
  synth::SynthOptions options;
  options.records = 1500;
  options.seed = 21;
  options.sources = 3;
  auto written = synth::WriteSynthSources(options, dir.file("s"));
  ASSERT_TRUE(written.ok()) << written.status();
  std::vector<EncodedDataset> data;
  for (const std::string& path : written->paths) {
    data.push_back(Encode(path, "person index test secret, 32 bytes"));
  }
  // trust and community hold a person once; the council may hold one twice.
  const std::vector<IndexSource> sources = {
      {"trust", &data[0], true}, {"council", &data[1], false}, {"community", &data[2], true}};
  IndexOptions index_options;
  index_options.link.candidates.threads = 2;
  auto persons = ClusterSources(sources, index_options);
  ASSERT_TRUE(persons.ok()) << persons.status();
  const std::size_t n = data[0].size() + data[1].size() + data[2].size();
  ASSERT_EQ(persons->cluster.size(), n);
  ASSERT_EQ(persons->confidence.size(), n);
  // The truth: (source, id) -> entity.
  std::map<std::pair<std::string, std::string>, std::string> entity;
  const std::string truth = ReadFile(written->truth_path);
  std::size_t at = truth.find('\n') + 1;
  while (at < truth.size()) {
    const std::size_t end = truth.find('\n', at);
    const std::string line = truth.substr(at, end - at);
    const std::size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    entity[{line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1)}] = line.substr(c2 + 1);
    at = end + 1;
  }
  std::map<std::string, std::uint64_t> label;
  std::vector<std::uint64_t> truth_labels, predicted;
  for (std::size_t i = 0; i < n; ++i) {
    const IndexSource& s = sources[persons->source[i]];
    const std::string& e = entity.at({s.name, s.data->ids[persons->row[i]]});
    truth_labels.push_back(label.emplace(e, label.size()).first->second);
    predicted.push_back(persons->cluster[i]);
    ASSERT_GT(persons->confidence[i], 0.0f);
    ASSERT_LE(persons->confidence[i], 1.0f);
  }
  auto m = eval::CompareClusters(predicted, truth_labels);
  ASSERT_TRUE(m.ok());
  EXPECT_GT(m->pairwise.f1, 0.97);
  EXPECT_GT(m->exact_groups.f1, 0.95);
  // A unique source never has two records in one cluster.
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> per_cluster;
  for (std::size_t i = 0; i < n; ++i) {
    if (sources[persons->source[i]].unique) {
      const std::pair<std::uint32_t, std::uint32_t> key(persons->cluster[i], persons->source[i]);
      ASSERT_EQ(++per_cluster[key], 1);
    }
  }
  // The same inputs, the same clusters.
  auto again = ClusterSources(sources, index_options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->cluster, persons->cluster);
}

TEST(PersonClustersTest, RefusesBadSourcesAndOtherSecrets) {
  TempDir dir;
  synth::SynthOptions options;
  options.records = 100;
  options.sources = 2;
  auto written = synth::WriteSynthSources(options, dir.file("s"));
  ASSERT_TRUE(written.ok());
  const EncodedDataset a = Encode(written->paths[0], "person index test secret, 32 bytes");
  const EncodedDataset b = Encode(written->paths[1], "another secret entirely, 32 bytes!");
  EXPECT_THAT(ClusterSources({}, {}), StatusIs(absl::StatusCode::kInvalidArgument, "no sources"));
  const std::vector<IndexSource> twice = {{"trust", &a, true}, {"trust", &a, true}};
  EXPECT_THAT(ClusterSources(twice, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "two sources are named trust"));
  const std::vector<IndexSource> missing = {{"trust", nullptr, true}};
  EXPECT_THAT(ClusterSources(missing, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a name and its data"));
  const std::vector<IndexSource> secrets = {{"trust", &a, true}, {"council", &b, false}};
  EXPECT_THAT(ClusterSources(secrets, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "cannot link trust with council: they were encoded with different secrets"));
}

}  // namespace
}  // namespace bloomlink::index
