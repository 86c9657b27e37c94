// Unit tests of key derivation (HKDF, field keys, key check value), secrets, the token cache and
// the field hashers.
#include "bloomlink/encode/keyed_hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bloomlink/base64.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/schema.hpp"
#include "encode/field_hasher.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string Hex(std::string_view s) { return HexEncode(Bytes(s)); }

std::string Range(int first, int last_inclusive) {
  std::string out;
  for (int b = first; b <= last_inclusive; ++b) out.push_back(static_cast<char>(b));
  return out;
}

Secret MakeSecret(std::string_view bytes) {
  auto s = Secret::FromBytes(bytes, "test");
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

LinkageSchema MakeSchema(std::string_view json) {
  auto s = ParseSchema(json, "test");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : LinkageSchema{};
}

// ---------------------------------------------------------------------------------------------
// HKDF.

TEST(HkdfTest, Rfc5869TestCase1) {
  const std::string ikm(22, '\x0b');
  auto okm = Hkdf(HkdfHash::kSha256, Bytes(ikm), Range(0x00, 0x0c), Range(0xf0, 0xf9), 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(Hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfTest, Rfc5869TestCase2LongInputs) {
  auto okm =
      Hkdf(HkdfHash::kSha256, Bytes(Range(0x00, 0x4f)), Range(0x60, 0xaf), Range(0xb0, 0xff), 82);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(Hex(*okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41"
            "c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfTest, Rfc5869TestCase3EmptySaltAndInfo) {
  const std::string ikm(22, '\x0b');
  auto okm = Hkdf(HkdfHash::kSha256, Bytes(ikm), "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(Hex(*okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  // An empty salt is HKDF's default salt, a block of zeros.
  auto zeros = Hkdf(HkdfHash::kSha256, Bytes(ikm), std::string(32, '\0'), "", 42);
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(*zeros, *okm);
}

TEST(HkdfTest, OutputIsAPrefixAndDigestMatters) {
  const std::string ikm = "a secret of some length";
  auto long_okm = Hkdf(HkdfHash::kSha256, Bytes(ikm), "salt", "info", 200);
  auto short_okm = Hkdf(HkdfHash::kSha256, Bytes(ikm), "salt", "info", 33);
  auto sha512 = Hkdf(HkdfHash::kSha512, Bytes(ikm), "salt", "info", 33);
  ASSERT_TRUE(long_okm.ok() && short_okm.ok() && sha512.ok());
  EXPECT_EQ(long_okm->size(), 200u);
  EXPECT_EQ(long_okm->substr(0, 33), *short_okm);
  EXPECT_NE(*sha512, *short_okm);
  // 255 blocks is HKDF's limit.
  EXPECT_TRUE(Hkdf(HkdfHash::kSha256, Bytes(ikm), "", "", 255 * 32).ok());
  EXPECT_FALSE(Hkdf(HkdfHash::kSha256, Bytes(ikm), "", "", 255 * 32 + 1).ok());
}

// ---------------------------------------------------------------------------------------------
// Key check value and field keys.

TEST(KeyCheckValueTest, EqualForEqualSecretsOnly) {
  auto a1 = KeyCheckValue(MakeSecret("correct horse battery staple"));
  auto a2 = KeyCheckValue(MakeSecret("correct horse battery staple\n"));  // newline dropped
  auto b = KeyCheckValue(MakeSecret("correct horse battery staplf"));
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  EXPECT_EQ(a1->size(), 32u);
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *b);
  EXPECT_NE(*a1, Digest{});
}

TEST(KeyCheckValueTest, IsTheDocumentedMac) {
  const std::string secret = "correct horse battery staple";
  auto kcv = KeyCheckValue(MakeSecret(secret));
  ASSERT_TRUE(kcv.ok());
  auto key = Hkdf(HkdfHash::kSha256, Bytes(secret), "bloomlink/key-check/v1", "", 32);
  ASSERT_TRUE(key.ok());
  const std::string label = "bloomlink key check value v1";
  unsigned char mac[32];
  unsigned int len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
                 reinterpret_cast<const unsigned char*>(label.data()), label.size(), mac, &len),
            nullptr);
  ASSERT_EQ(len, 32u);
  EXPECT_EQ(HexEncode(*kcv), Hex(std::string_view(reinterpret_cast<char*>(mac), 32)));
  // The check value is not the secret's key for any field.
  EXPECT_NE(HexEncode(*kcv), Hex(*key));
}

const char kTwoFields[] = R"({"bloomlink_schema": 1, "fields": [
    {"name": "given_name", "type": "name"}, {"name": "postcode", "type": "postcode"},
    {"name": "sex", "type": "sex"}]})";

TEST(DeriveFieldKeysTest, BloomlinkKeysAreDistinctAndFollowTheSchema) {
  LinkageSchema schema = MakeSchema(kTwoFields);
  Secret secret = MakeSecret("a shared secret between holders");
  auto keys = DeriveFieldKeys(schema, secret);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 3u);
  std::set<std::string> seen;
  for (std::size_t j = 0; j < keys->size(); ++j) {
    ASSERT_EQ((*keys)[j].keys.size(), 1u);
    const std::string& key = (*keys)[j].keys[0];
    EXPECT_EQ(key.size(), 32u);
    seen.insert(key);
    // The documented derivation.
    auto want = Hkdf(HkdfHash::kSha256, secret.bytes(), "bloomlink/schema/v1",
                     absl::StrCat("bloomlink/v1/field/", HexEncode(schema.fingerprint), "/",
                                  schema.fields[j].name),
                     32);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(Hex(key), Hex(*want)) << schema.fields[j].name;
  }
  EXPECT_EQ(seen.size(), 3u);

  // Deterministic.
  auto again = DeriveFieldKeys(schema, secret);
  ASSERT_TRUE(again.ok());
  for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ((*again)[j].keys, (*keys)[j].keys);

  // Any schema change changes every key, even of fields that did not change.
  LinkageSchema changed = MakeSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "given_name", "type": "name"}, {"name": "postcode", "type": "postcode"},
      {"name": "sex", "type": "sex", "bits": {"per_token": 21}}]})");
  auto changed_keys = DeriveFieldKeys(changed, secret);
  ASSERT_TRUE(changed_keys.ok());
  for (std::size_t j = 0; j < 3; ++j) EXPECT_NE((*changed_keys)[j].keys, (*keys)[j].keys) << j;

  // So does the salt, and the secret.
  LinkageSchema salted = MakeSchema(R"({"bloomlink_schema": 1, "hashing": {"salt": "c2FsdA=="},
      "fields": [{"name": "given_name", "type": "name"}, {"name": "postcode", "type": "postcode"},
      {"name": "sex", "type": "sex"}]})");
  auto salted_keys = DeriveFieldKeys(salted, secret);
  auto other_secret = DeriveFieldKeys(schema, MakeSecret("another shared secret, longer"));
  ASSERT_TRUE(salted_keys.ok() && other_secret.ok());
  for (std::size_t j = 0; j < 3; ++j) {
    EXPECT_NE((*salted_keys)[j].keys, (*keys)[j].keys);
    EXPECT_NE((*other_secret)[j].keys, (*keys)[j].keys);
  }
}

TEST(DeriveFieldKeysTest, ClkhashLayoutIsTwoKeysPerFeatureIgnoredIncluded) {
  LinkageSchema schema = MakeSchema(R"({"version": 3, "clkConfig": {"l": 1024,
      "kdf": {"type": "HKDF", "hash": "SHA512", "salt": "c2FsdA==", "info": "aW5mbw==",
              "keySize": 40}},
      "features": [{"identifier": "id", "ignored": true},
                   {"identifier": "a", "format": {"type": "string"},
                    "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5}}},
                   {"identifier": "b", "format": {"type": "string"},
                    "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5}}}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  auto keys = DeriveFieldKeys(schema, secret);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto all = Hkdf(HkdfHash::kSha512, secret.bytes(), "salt", "info", 2 * 3 * 40);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(keys->size(), 3u);
  for (std::size_t j = 0; j < 3; ++j) {
    ASSERT_EQ((*keys)[j].keys.size(), 2u);
    EXPECT_EQ((*keys)[j].keys[0], all->substr(2 * j * 40, 40)) << j;
    EXPECT_EQ((*keys)[j].keys[1], all->substr((2 * j + 1) * 40, 40)) << j;
  }
}

// ---------------------------------------------------------------------------------------------
// Secret.

TEST(SecretTest, FromBytesDropsOneTrailingNewline) {
  const std::string base = "0123456789abcdef";
  struct Case {
    std::string input;
    std::string expected;
  };
  const Case cases[] = {
      {base, base},
      {base + "\n", base},
      {base + "\r\n", base},
      {base + "\n\n", base + "\n"},
      {base + "\r\n\r\n", base + "\r\n"},
      {base + "\r", base + "\r"},
      {base + "\n\r", base + "\n\r"},
      {absl::StrCat("\n", base), absl::StrCat("\n", base)},
      {base + " ", base + " "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Hex(c.input));
    auto s = Secret::FromBytes(c.input, "test");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->size(), c.expected.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(s->bytes().data()), s->size()), c.expected);
    EXPECT_TRUE(s->warnings().empty());
  }
}

TEST(SecretTest, FromBytesLimits) {
  EXPECT_THAT(Secret::FromBytes("", "BLOOMLINK_SECRET"),
              StatusIs(StatusCode::kInvalidArgument, "BLOOMLINK_SECRET: the secret is empty"));
  EXPECT_THAT(Secret::FromBytes("\n", "x"),
              StatusIs(StatusCode::kInvalidArgument, "x: the secret is empty"));
  EXPECT_THAT(Secret::FromBytes("\r\n", "x"),
              StatusIs(StatusCode::kInvalidArgument, "x: the secret is empty"));
  EXPECT_THAT(Secret::FromBytes("", "x", {.allow_weak = true}),
              StatusIs(StatusCode::kInvalidArgument, "x: the secret is empty"));

  EXPECT_THAT(
      Secret::FromBytes("0123456789abcde", "x"),
      StatusIs(StatusCode::kInvalidArgument, "x: the secret is 15 bytes; at least 16 are needed"));
  EXPECT_THAT(Secret::FromBytes("0123456789abcde\n", "x"),
              StatusIs(StatusCode::kInvalidArgument, "the secret is 15 bytes"));
  auto weak = Secret::FromBytes("secret", "x", {.allow_weak = true});
  ASSERT_TRUE(weak.ok()) << weak.status();
  EXPECT_EQ(weak->size(), 6u);
  EXPECT_TRUE(Secret::FromBytes("0123456789abcdef", "x").ok());

  EXPECT_TRUE(Secret::FromBytes(std::string(4096, 'k'), "x").ok());
  EXPECT_TRUE(Secret::FromBytes(std::string(4096, 'k') + "\n", "x").ok());
  EXPECT_THAT(Secret::FromBytes(std::string(4097, 'k'), "x"),
              StatusIs(StatusCode::kInvalidArgument, "x: the secret is longer than 4096 bytes"));
  EXPECT_THAT(Secret::FromBytes(std::string(4097, 'k'), "x", {.allow_weak = true}),
              StatusIs(StatusCode::kInvalidArgument, "longer than 4096 bytes"));
}

TEST(SecretTest, ErrorMessagesNeverContainTheSecret) {
  testing::TempDir dir;
  const std::string short_secret = "hunter2!";
  const std::string long_secret = std::string(5000, 'Q');
  std::vector<absl::Status> errors;
  errors.push_back(Secret::FromBytes(short_secret, "x").status());
  errors.push_back(Secret::FromBytes(long_secret, "x").status());
  testing::WriteFile(dir.file("short.key"), short_secret + "\n");
  testing::WriteFile(dir.file("long.key"), long_secret);
  errors.push_back(Secret::FromFile(dir.file("short.key")).status());
  errors.push_back(Secret::FromFile(dir.file("long.key")).status());
  ASSERT_EQ(::setenv("BLOOMLINK_TEST_SHORT_SECRET", short_secret.c_str(), 1), 0);
  errors.push_back(Secret::FromEnvironment("BLOOMLINK_TEST_SHORT_SECRET").status());
  ::unsetenv("BLOOMLINK_TEST_SHORT_SECRET");
  for (const absl::Status& e : errors) {
    EXPECT_EQ(e.code(), StatusCode::kInvalidArgument) << e;
    const std::string message(e.message());
    EXPECT_THAT(message, Not(HasSubstr("hunter2")));
    EXPECT_THAT(message, Not(HasSubstr("QQQQ")));
  }
}

TEST(SecretTest, FromFile) {
  testing::TempDir dir;
  const std::string path = dir.file("project.key");
  testing::WriteFile(path, "0123456789abcdef0123\n");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto s = Secret::FromFile(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), 20u);
  EXPECT_TRUE(s->warnings().empty());
  auto same = KeyCheckValue(*s);
  auto from_bytes = KeyCheckValue(MakeSecret("0123456789abcdef0123"));
  ASSERT_TRUE(same.ok() && from_bytes.ok());
  EXPECT_EQ(*same, *from_bytes);

  // Readable by others: accepted, with a warning naming the file.
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto open = Secret::FromFile(path);
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->warnings().size(), 1u);
  EXPECT_THAT(open->warnings()[0],
              HasSubstr(path + ": the secret file is readable by other users"));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto group = Secret::FromFile(path);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->warnings().size(), 1u);

  EXPECT_THAT(Secret::FromFile(dir.file("absent.key")),
              StatusIs(StatusCode::kNotFound, "absent.key: cannot read the secret file"));
  EXPECT_THAT(Secret::FromFile(dir.path().string()),
              StatusIs(StatusCode::kInvalidArgument, "the secret file is not a regular file"));

  const std::string empty = dir.file("empty.key");
  testing::WriteFile(empty, "");
  EXPECT_THAT(Secret::FromFile(empty),
              StatusIs(StatusCode::kInvalidArgument, empty + ": the secret is empty"));
  const std::string weak = dir.file("weak.key");
  testing::WriteFile(weak, "short\n");
  EXPECT_THAT(Secret::FromFile(weak),
              StatusIs(StatusCode::kInvalidArgument, weak + ": the secret is 5 bytes"));
  EXPECT_TRUE(Secret::FromFile(weak, {.allow_weak = true}).ok());

  const std::string big = dir.file("big.key");
  testing::WriteFile(big, std::string(100000, 'b'));
  EXPECT_THAT(Secret::FromFile(big),
              StatusIs(StatusCode::kInvalidArgument, "the secret is longer than 4096 bytes"));
  testing::WriteFile(big, std::string(4096, 'b') + "\r\n");
  auto at_limit = Secret::FromFile(big);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->size(), 4096u);
  testing::WriteFile(big, std::string(4097, 'b') + "\n");
  EXPECT_THAT(Secret::FromFile(big), StatusIs(StatusCode::kInvalidArgument, "longer than 4096"));
}

TEST(SecretTest, FromEnvironment) {
  const char* name = "BLOOMLINK_TEST_SECRET_VARIABLE";
  ::unsetenv(name);
  EXPECT_THAT(Secret::FromEnvironment(name),
              StatusIs(StatusCode::kNotFound,
                       "environment variable BLOOMLINK_TEST_SECRET_VARIABLE is not set"));
  ASSERT_EQ(::setenv(name, "0123456789abcdef\n", 1), 0);
  auto s = Secret::FromEnvironment(name);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), 16u);
  ASSERT_EQ(::setenv(name, "", 1), 0);
  EXPECT_THAT(Secret::FromEnvironment(name),
              StatusIs(StatusCode::kInvalidArgument,
                       "environment variable BLOOMLINK_TEST_SECRET_VARIABLE: the secret is empty"));
  ASSERT_EQ(::setenv(name, "tiny", 1), 0);
  EXPECT_THAT(Secret::FromEnvironment(name),
              StatusIs(StatusCode::kInvalidArgument, "the secret is 4 bytes"));
  EXPECT_TRUE(Secret::FromEnvironment(name, {.allow_weak = true}).ok());
  ::unsetenv(name);
}

TEST(SecretTest, MovesHandOverTheBytes) {
  Secret a = MakeSecret("0123456789abcdef-moved");
  const std::size_t size = a.size();
  Secret b = std::move(a);
  EXPECT_EQ(b.size(), size);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.bytes().data()), b.size()),
            "0123456789abcdef-moved");
  Secret c = MakeSecret("another secret of enough length");
  c = std::move(b);
  EXPECT_EQ(c.size(), size);
}

// ---------------------------------------------------------------------------------------------
// TokenCache.

using encode_internal::TokenCache;

TokenCache::Key KeyOf(std::string_view key) {
  TokenCache::Key k;
  TokenCache::MakeKey(key, &k);
  return k;
}

std::array<std::uint8_t, 8> ValueOf(std::string_view key) {
  std::array<std::uint8_t, 8> v{};
  TokenCache::Key k = KeyOf(key);
  std::uint64_t h = (k.cacheable ? k.hash : 0) * 31 + key.size();
  std::memcpy(v.data(), &h, 8);
  return v;
}

const std::uint8_t* Find(const TokenCache& cache, std::string_view key) {
  TokenCache::Key k = KeyOf(key);
  return k.cacheable ? cache.Find(k) : nullptr;
}

void Insert(TokenCache& cache, std::string_view key) {
  auto v = ValueOf(key);
  cache.Insert(KeyOf(key), v.data());
}

TEST(TokenCacheTest, InsertAndFind) {
  TokenCache cache(8, 64);
  EXPECT_EQ(Find(cache, "an"), nullptr);
  Insert(cache, "an");
  Insert(cache, "nn");
  Insert(cache, "");
  const std::uint8_t* an = Find(cache, "an");
  ASSERT_NE(an, nullptr);
  EXPECT_EQ(std::memcmp(an, ValueOf("an").data(), 8), 0);
  const std::uint8_t* empty = Find(cache, "");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(std::memcmp(empty, ValueOf("").data(), 8), 0);
  EXPECT_EQ(Find(cache, "a"), nullptr);
  EXPECT_EQ(Find(cache, "ann"), nullptr);
  EXPECT_EQ(Find(cache, "na"), nullptr);
}

TEST(TokenCacheTest, OnlyKeysUpToTheLimitAreCached) {
  TokenCache cache(8, 64);
  const std::string at_limit(TokenCache::kMaxKey, 'x');
  const std::string over(TokenCache::kMaxKey + 1, 'x');
  Insert(cache, at_limit);
  Insert(cache, over);
  EXPECT_NE(Find(cache, at_limit), nullptr);
  EXPECT_EQ(Find(cache, over), nullptr);
  EXPECT_EQ(Find(cache, std::string(300, 'x')), nullptr);
}

TEST(TokenCacheTest, ClearingWhenFullKeepsAnswersCorrect) {
  TokenCache cache(8, 64);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back(absl::StrCat("k", i * 7919));
  std::size_t found_after_all = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Insert(cache, keys[i]);
    const std::uint8_t* v = Find(cache, keys[i]);
    ASSERT_NE(v, nullptr) << keys[i];  // what was just inserted is always there
    EXPECT_EQ(std::memcmp(v, ValueOf(keys[i]).data(), 8), 0);
  }
  for (const std::string& key : keys) {
    const std::uint8_t* v = Find(cache, key);
    if (v == nullptr) continue;  // forgotten: fine, hits are an optimisation
    ++found_after_all;
    EXPECT_EQ(std::memcmp(v, ValueOf(key).data(), 8), 0) << key;
  }
  EXPECT_GT(found_after_all, 0u);
  EXPECT_LE(found_after_all, 32u);  // at most half the capacity is ever filled
}

// ---------------------------------------------------------------------------------------------
// FieldHasher.

FieldSpec SpecFor(HashScheme scheme, int max_k) {
  FieldSpec spec;
  spec.name = std::string("f");
  spec.column = spec.name;
  spec.kind = scheme == HashScheme::kHmacSha256Double ? FieldKind::kText : FieldKind::kClkString;
  spec.hash.scheme = scheme;
  spec.hash.prevent_singularity = scheme == HashScheme::kClkhashDouble;
  spec.bits = BitsSpec{false, max_k};
  return spec;
}

FieldKeys TestKeys() {
  FieldKeys keys;
  keys.keys.push_back(std::string(32, '\x11'));
  keys.keys.push_back(std::string(32, '\x22'));
  return keys;
}

std::string RandomToken(std::mt19937& rng) {
  static const std::vector<std::string> alphabet = {"a", "b", "c",  "d", "e", " ",
                                                    "1", "é", "東", "😀", "z", "q"};
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string t;
  for (int n = length(rng); n > 0; --n) t += alphabet[pick(rng)];
  return t;
}

class FieldHasherCacheTest : public ::testing::TestWithParam<HashScheme> {};

TEST_P(FieldHasherCacheTest, CacheNeverChangesTheBits) {
  const HashScheme scheme = GetParam();
  const int max_k = 80;
  const std::uint32_t bits = scheme == HashScheme::kClkhashBlake2b ? 1024 : 1000;
  FieldSpec spec = SpecFor(scheme, max_k);
  auto tmpl = encode_internal::FieldHashTemplate::Create(spec, TestKeys(), bits);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status();
  auto cached = encode_internal::FieldHasher::Create(*tmpl, true);
  auto uncached = encode_internal::FieldHasher::Create(*tmpl, false);
  ASSERT_TRUE(cached.ok() && uncached.ok());

  std::mt19937 rng(12345);
  std::vector<std::string> pool;
  for (int i = 0; i < 6000; ++i) pool.push_back(RandomToken(rng));
  std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
  std::uniform_int_distribution<int> k_of(1, max_k);
  std::vector<std::uint8_t> a((bits + 7) / 8), b((bits + 7) / 8);
  std::size_t differences = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string& token = pool[pick(rng)];
    const int k = k_of(rng);
    std::fill(a.begin(), a.end(), 0);
    std::fill(b.begin(), b.end(), 0);
    cached->Insert(token, k, a.data());
    uncached->Insert(token, k, b.data());
    if (a != b && ++differences <= 3) ADD_FAILURE() << "token \"" << token << "\" k " << k;
    int ones = 0;
    for (std::uint8_t byte : a) ones += __builtin_popcount(byte);
    EXPECT_GE(ones, 1);
    EXPECT_LE(ones, k);
  }
  EXPECT_EQ(differences, 0u);
  std::uint64_t macs_cached = 0, hits_cached = 0, macs_uncached = 0, hits_uncached = 0;
  cached->TakeCounters(&macs_cached, &hits_cached);
  uncached->TakeCounters(&macs_uncached, &hits_uncached);
  EXPECT_GT(hits_cached, 1000u);
  EXPECT_EQ(hits_uncached, 0u);
  EXPECT_LT(macs_cached, macs_uncached);
}

INSTANTIATE_TEST_SUITE_P(AllSchemes, FieldHasherCacheTest,
                         ::testing::Values(HashScheme::kHmacSha256Double,
                                           HashScheme::kClkhashDouble, HashScheme::kClkhashBlake2b),
                         [](const ::testing::TestParamInfo<HashScheme>& param_info) {
                           switch (param_info.param) {
                             case HashScheme::kHmacSha256Double:
                               return "HmacSha256";
                             case HashScheme::kClkhashDouble:
                               return "ClkhashDoubleHash";
                             case HashScheme::kClkhashBlake2b:
                               return "ClkhashBlakeHash";
                           }
                           return "Unknown";
                         });

std::string Mac(const EVP_MD* md, const std::string& key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::vector<std::uint8_t> FilterOf(encode_internal::FieldHasher& hasher, std::string_view token,
                                   int k, std::uint32_t bits) {
  std::vector<std::uint8_t> filter((bits + 7) / 8, 0);
  hasher.Insert(token, k, filter.data());
  return filter;
}

TEST(FieldHasherTest, BloomlinkEnhancedDoubleHashingAsDocumented) {
  // HMAC-SHA256(key, token); h1, h2 its first two little-endian 64-bit words mod L;
  // x0 = h1, y0 = h2, then x_i = x_{i-1} + y_{i-1}, y_i = y_{i-1} + i (mod L).
  const std::uint32_t bits = 1024;
  const FieldKeys keys = TestKeys();
  auto tmpl = encode_internal::FieldHashTemplate::Create(
      SpecFor(HashScheme::kHmacSha256Double, 256), keys, bits);
  ASSERT_TRUE(tmpl.ok());
  auto hasher = encode_internal::FieldHasher::Create(*tmpl, false);
  ASSERT_TRUE(hasher.ok());
  for (std::string_view token : {"an", " a", "1 9", "9434765919", "東京", ""}) {
    for (int k : {1, 2, 20, 80, 256}) {
      std::string mac = Mac(EVP_sha256(), keys.keys[0], token);
      std::uint64_t w1, w2;
      std::memcpy(&w1, mac.data(), 8);
      std::memcpy(&w2, mac.data() + 8, 8);
      std::uint64_t x = w1 % bits, y = w2 % bits;
      std::vector<std::uint8_t> want(bits / 8, 0);
      for (int i = 0; i < k; ++i) {
        if (i > 0) {
          x = (x + y) % bits;
          y = (y + static_cast<std::uint64_t>(i)) % bits;
        }
        want[x / 8] |= static_cast<std::uint8_t>(0x80u >> (x % 8));
      }
      EXPECT_EQ(FilterOf(*hasher, token, k, bits), want) << "\"" << token << "\" k " << k;
    }
  }
}

TEST(FieldHasherTest, ClkhashDoubleHashAsDocumented) {
  // h1 = HMAC-SHA1(key0), h2 = HMAC-MD5(key1), both big-endian integers mod L; bit i is
  // (h1 + i * h2) mod L.
  const std::uint32_t bits = 1000;
  const FieldKeys keys = TestKeys();
  FieldSpec spec = SpecFor(HashScheme::kClkhashDouble, 50);
  spec.hash.prevent_singularity = false;
  auto tmpl = encode_internal::FieldHashTemplate::Create(spec, keys, bits);
  ASSERT_TRUE(tmpl.ok());
  auto hasher = encode_internal::FieldHasher::Create(*tmpl, true);
  ASSERT_TRUE(hasher.ok());
  auto mod = [&](const std::string& digest) {
    std::uint64_t r = 0;
    for (char c : digest) r = ((r << 8) | static_cast<unsigned char>(c)) % bits;
    return r;
  };
  for (std::string_view token : {"an", " a", "1 9", "alice@example.com", "Muñoz"}) {
    const std::uint64_t h1 = mod(Mac(EVP_sha1(), keys.keys[0], token));
    const std::uint64_t h2 = mod(Mac(EVP_md5(), keys.keys[1], token));
    for (int k : {1, 15, 50}) {
      std::vector<std::uint8_t> want(bits / 8, 0);
      for (int i = 0; i < k; ++i) {
        std::uint64_t bit = (h1 + static_cast<std::uint64_t>(i) * h2) % bits;
        want[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
      }
      EXPECT_EQ(FilterOf(*hasher, token, k, bits), want) << "\"" << token << "\" k " << k;
    }
  }
}

TEST(FieldHasherTest, BlakeHashRefusesKeysOver64Bytes) {
  FieldKeys keys;
  keys.keys = {std::string(65, 'k'), std::string(65, 'k')};
  EXPECT_THAT(encode_internal::FieldHashTemplate::Create(SpecFor(HashScheme::kClkhashBlake2b, 10),
                                                         keys, 1024),
              StatusIs(StatusCode::kInvalidArgument, "field f: blakeHash needs keySize <= 64"));
}

}  // namespace
}  // namespace bloomlink::encode
