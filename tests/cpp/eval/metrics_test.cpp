#include "bloomlink/eval/metrics.hpp"

#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace bloomlink::eval {
namespace {

using ::bloomlink::testing::StatusIs;

const char kFebrl[] = R"(^rec-(\d+)-)";

TEST(TruthSetTest, FromPairsCountsDuplicatesOnce) {
  TruthSet truth = TruthSet::FromPairs({{"a1", "b1"}, {"a2", "b2"}, {"a1", "b1"}, {"a1", "b2"}});
  EXPECT_EQ(truth.size(), 3u);
  EXPECT_TRUE(truth.Contains("a1", "b1"));
  EXPECT_TRUE(truth.Contains("a1", "b2"));
  EXPECT_TRUE(truth.Contains("a2", "b2"));
  EXPECT_FALSE(truth.Contains("a2", "b1"));
  EXPECT_FALSE(truth.Contains("b1", "a1"));  // sides are not interchangeable
  EXPECT_FALSE(truth.Contains("a3", "b1"));
  EXPECT_FALSE(truth.Contains("a1", ""));
}

TEST(TruthSetTest, EmptyTruth) {
  TruthSet truth = TruthSet::FromPairs({});
  EXPECT_EQ(truth.size(), 0u);
  EXPECT_FALSE(truth.Contains("", ""));
}

TEST(TruthSetTest, MovesKeepTheTruth) {
  TruthSet a = TruthSet::FromPairs({{"x", "y"}});
  TruthSet b = std::move(a);
  EXPECT_TRUE(b.Contains("x", "y"));
  a = TruthSet::FromPairs({{"p", "q"}, {"p", "r"}});
  EXPECT_EQ(a.size(), 2u);
  EXPECT_TRUE(a.Contains("p", "r"));
}

TEST(TruthSetTest, FromRegexGroupsFebrlIdsByEntity) {
  const std::vector<std::string> a = {"rec-12-org", "rec-7-org", "rec-3-org", "rec-1-org",
                                      "unrelated"};
  const std::vector<std::string> b = {"rec-12-dup-0", "rec-12-dup-1", "rec-7-dup-3",
                                      "rec-99-dup-0", "unrelated",    "rec-12-org"};
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex(kFebrl, a, b);
  ASSERT_TRUE(truth.ok()) << truth.status();
  // Entity 12: 1 x 3 (two duplicates and the original also listed in B); entity 7: 1 x 1.
  EXPECT_EQ(truth->size(), 4u);
  EXPECT_TRUE(truth->Contains("rec-12-org", "rec-12-dup-0"));
  EXPECT_TRUE(truth->Contains("rec-12-org", "rec-12-dup-1"));
  EXPECT_TRUE(truth->Contains("rec-12-org", "rec-12-org"));
  EXPECT_TRUE(truth->Contains("rec-7-org", "rec-7-dup-3"));
  EXPECT_FALSE(truth->Contains("rec-12-org", "rec-7-dup-3"));
  // The key is the whole group, not a prefix of it.
  EXPECT_FALSE(truth->Contains("rec-1-org", "rec-12-dup-0"));
  // Ids the pattern does not match belong to no entity, even when equal.
  EXPECT_FALSE(truth->Contains("unrelated", "unrelated"));
  // Ids not listed are never in a true pair, even when the pattern would match them.
  EXPECT_FALSE(truth->Contains("rec-99-org", "rec-99-dup-0"));
  EXPECT_FALSE(truth->Contains("rec-7-dup-3", "rec-7-org"));
}

TEST(TruthSetTest, FromRegexSizeIsCountedNotEnumerated) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 3000; ++i) a.push_back("rec-5-org-" + std::to_string(i));
  for (int i = 0; i < 2000; ++i) b.push_back("rec-5-dup-" + std::to_string(i));
  for (int i = 0; i < 10; ++i) b.push_back("rec-6-dup-" + std::to_string(i));
  a.push_back("rec-6-org");
  a.push_back("rec-6-org");  // listed twice: one id
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex(kFebrl, a, b);
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 3000u * 2000u + 10u);
  EXPECT_TRUE(truth->Contains("rec-5-org-2999", "rec-5-dup-0"));
  EXPECT_TRUE(truth->Contains("rec-6-org", "rec-6-dup-9"));
}

TEST(TruthSetTest, FromRegexUsesTheFirstGroupAndSearchesUnanchoredPatterns) {
  // The second group differs, the first agrees; without ^ the pattern may match anywhere.
  absl::StatusOr<TruthSet> truth =
      TruthSet::FromRegex(R"(id(\d+)_(\w))", {"x-id4_a", "id5_a"}, {"id4_b", "y_id5_c"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 2u);
  EXPECT_TRUE(truth->Contains("x-id4_a", "id4_b"));
  EXPECT_TRUE(truth->Contains("id5_a", "y_id5_c"));
}

TEST(TruthSetTest, FromRegexIgnoresIdsWhoseFirstGroupDidNotTakePart) {
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex("^(k)?x", {"x", "kx"}, {"x", "kx"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 1u);
  EXPECT_TRUE(truth->Contains("kx", "kx"));
  EXPECT_FALSE(truth->Contains("x", "x"));
}

TEST(TruthSetTest, FromRegexAcceptsAnEmptyKeyAtTheEndOfAnId) {
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex(R"(-(\w*)$)", {"a-", "b-x"}, {"c-", "d-x"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 2u);
  EXPECT_TRUE(truth->Contains("a-", "c-"));  // both keys are ""
  EXPECT_TRUE(truth->Contains("b-x", "d-x"));
  EXPECT_FALSE(truth->Contains("a-", "d-x"));
}

TEST(TruthSetTest, FromRegexRejectsBadPatterns) {
  EXPECT_THAT(TruthSet::FromRegex(R"(^rec-\d+-)", {"rec-1-org"}, {"rec-1-dup-0"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "truth pattern \"^rec-\\d+-\" has no capture group; the first group must "
                       "capture the entity key"));
  EXPECT_THAT(TruthSet::FromRegex(R"(^rec-(?:\d+)-)", {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "has no capture group"));
  EXPECT_THAT(TruthSet::FromRegex(R"(^rec-(\d+-)", {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "truth pattern \"^rec-(\\d+-\" is not a valid regular expression: missing "
                       "closing parenthesis at offset 10"));
  EXPECT_THAT(TruthSet::FromRegexWithin("([a-", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "is not a valid regular expression: missing terminating ] for character "
                       "class at offset 4"));
}

TEST(TruthSetTest, FromRegexReadsPythonSyntax) {
  // A named group is a capture group: the first one names the entity, as with re.search.
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex(
      R"(^rec-(?P<e>\d+)-(?P<kind>org|dup))", {"rec-12-org", "rec-3-org"}, {"rec-12-dup-0"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 1u);
  EXPECT_TRUE(truth->Contains("rec-12-org", "rec-12-dup-0"));
  // \Z is Python's: the very end, not before a final newline.
  truth = TruthSet::FromRegex(R"((\d+)\Z)", {"a-1", "b-2\n"}, {"c-1", "d-2\n"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 1u);
  EXPECT_FALSE(truth->Contains("b-2\n", "d-2\n"));
  // An id with a byte that is not UTF-8 still matches around it.
  truth = TruthSet::FromRegex(R"(rec-(\d+))", {std::string("\xff") + "rec-4"}, {"rec-4"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 1u);
}

TEST(TruthSetTest, FromRegexTakesLongIds) {
  // std::regex searched recursively, a stack frame per character; PCRE2 has no such limit.
  const std::string key(200000, '7');
  const std::vector<std::string> a = {"rec-" + key + "-org", "rec-1-org"};
  const std::vector<std::string> b = {"rec-" + key + "-dup-0", "rec-" + key + "8-dup-0"};
  absl::StatusOr<TruthSet> truth = TruthSet::FromRegex(R"(^rec-(\d+)-)", a, b);
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_EQ(truth->size(), 1u);
  EXPECT_TRUE(truth->Contains(a[0], b[0]));
  EXPECT_FALSE(truth->Contains(a[0], b[1]));
  auto within = TruthSet::FromRegexWithin(R"(^rec-((?:\d|x)+)-)", {a[0], b[0], b[1]});
  ASSERT_TRUE(within.ok()) << within.status();
  EXPECT_EQ(within->size(), 1u);
}

TEST(TruthSetTest, FromRegexOverTheMatchLimitNamesTheId) {
  // (\d+)+x backtracks exponentially on a run of digits not followed by x (with an x further on,
  // or PCRE2 sees at once that there is no match).
  const std::string slow = "rec-" + std::string(40, '1') + "-x";
  EXPECT_THAT(
      TruthSet::FromRegex(R"(rec-((\d+)+)x)", {"rec-1x", slow}, {"rec-1x"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "truth pattern \"rec-((\\d+)+)x\" could not be matched against id \"" + slow +
                   "\": matching stopped at the limit of 10000000 backtracking steps"));
}

TEST(ComparePairsTest, HandCheckedCounts) {
  TruthSet truth = TruthSet::FromPairs({{"a1", "b1"}, {"a2", "b2"}, {"a3", "b3"}});
  // Distinct predictions: (a1,b1) tp, (a2,b3) fp, (a3,b3) tp; (a1,b1) repeated counts once.
  PairMetrics m =
      ComparePairs({{"a1", "b1"}, {"a2", "b3"}, {"a1", "b1"}, {"a3", "b3"}, {"a1", "b1"}}, truth);
  EXPECT_EQ(m.predicted, 3u);
  EXPECT_EQ(m.true_pairs, 3u);
  EXPECT_EQ(m.true_positives, 2u);
  EXPECT_EQ(m.false_positives, 1u);
  EXPECT_EQ(m.false_negatives, 1u);
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.f1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(PairCompleteness(m), 2.0 / 3.0);

  m = ComparePairs({{"a1", "b1"}}, truth);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);
  EXPECT_DOUBLE_EQ(m.recall, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.f1, 0.5);  // 2 * 1 * (1/3) / (4/3)
}

TEST(ComparePairsTest, FebrlTruthWithDuplicatePredictions) {
  absl::StatusOr<TruthSet> truth =
      TruthSet::FromRegex(kFebrl, {"rec-1-org", "rec-2-org", "rec-3-org"},
                          {"rec-1-dup-0", "rec-1-dup-1", "rec-2-dup-0", "rec-4-dup-0"});
  ASSERT_TRUE(truth.ok()) << truth.status();
  ASSERT_EQ(truth->size(), 3u);
  PairMetrics m = ComparePairs({{"rec-1-org", "rec-1-dup-1"},
                                {"rec-1-org", "rec-1-dup-1"},
                                {"rec-2-org", "rec-2-dup-0"},
                                {"rec-3-org", "rec-4-dup-0"},
                                {"rec-2-org", "rec-2-dup-0"}},
                               *truth);
  EXPECT_EQ(m.predicted, 3u);
  EXPECT_EQ(m.true_positives, 2u);
  EXPECT_EQ(m.false_positives, 1u);
  EXPECT_EQ(m.false_negatives, 1u);  // (rec-1-org, rec-1-dup-0) was missed
  EXPECT_DOUBLE_EQ(m.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3.0);
}

TEST(ComparePairsTest, EmptyPredictions) {
  TruthSet truth = TruthSet::FromPairs({{"a", "b"}, {"c", "d"}});
  PairMetrics m = ComparePairs({}, truth);
  EXPECT_EQ(m.predicted, 0u);
  EXPECT_EQ(m.true_positives, 0u);
  EXPECT_EQ(m.false_positives, 0u);
  EXPECT_EQ(m.false_negatives, 2u);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.0);
  EXPECT_DOUBLE_EQ(m.f1, 0.0);
}

TEST(ComparePairsTest, EmptyTruth) {
  TruthSet truth = TruthSet::FromPairs({});
  PairMetrics m = ComparePairs({{"a", "b"}, {"a", "b"}}, truth);
  EXPECT_EQ(m.predicted, 1u);
  EXPECT_EQ(m.false_positives, 1u);
  EXPECT_EQ(m.false_negatives, 0u);
  EXPECT_DOUBLE_EQ(m.precision, 0.0);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_DOUBLE_EQ(m.f1, 0.0);
  // Nothing predicted and nothing true: nothing went wrong.
  m = ComparePairs({}, truth);
  EXPECT_DOUBLE_EQ(m.precision, 1.0);
  EXPECT_DOUBLE_EQ(m.recall, 1.0);
  EXPECT_DOUBLE_EQ(m.f1, 1.0);
}

TEST(ComparePairsTest, NoTruePositives) {
  TruthSet truth = TruthSet::FromPairs({{"a", "b"}});
  PairMetrics m = ComparePairs({{"a", "c"}, {"b", "a"}}, truth);
  EXPECT_EQ(m.true_positives, 0u);
  EXPECT_DOUBLE_EQ(m.precision, 0.0);
  EXPECT_DOUBLE_EQ(m.recall, 0.0);
  EXPECT_DOUBLE_EQ(m.f1, 0.0);
}

TEST(ReductionRatioTest, ShareOfComparisonsAvoided) {
  EXPECT_DOUBLE_EQ(ReductionRatio(25, 10, 10), 0.75);
  EXPECT_DOUBLE_EQ(ReductionRatio(0, 10, 10), 1.0);
  EXPECT_DOUBLE_EQ(ReductionRatio(100, 10, 10), 0.0);
  EXPECT_DOUBLE_EQ(ReductionRatio(0, 0, 10), 0.0);
  EXPECT_DOUBLE_EQ(ReductionRatio(0, 10, 0), 0.0);
  // No overflow when na * nb exceeds 2^64.
  EXPECT_DOUBLE_EQ(
      ReductionRatio(std::uint64_t{1} << 63, std::uint64_t{1} << 40, std::uint64_t{1} << 40),
      1.0 - 0x1p-17);
}

}  // namespace
}  // namespace bloomlink::eval
