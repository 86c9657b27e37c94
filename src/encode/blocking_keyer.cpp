#include "encode/blocking_keyer.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstring>

#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode_internal {
namespace {

// SoundexDigit: American Soundex's digit of a lower-case letter; 0 for vowels and y (which
// separate equal digits), -1 for h and w (which do not).
int SoundexDigit(char c) {
  switch (c) {
    case 'b':
    case 'f':
    case 'p':
    case 'v':
      return 1;
    case 'c':
    case 'g':
    case 'j':
    case 'k':
    case 'q':
    case 's':
    case 'x':
    case 'z':
      return 2;
    case 'd':
    case 't':
      return 3;
    case 'l':
      return 4;
    case 'm':
    case 'n':
      return 5;
    case 'r':
      return 6;
    case 'h':
    case 'w':
      return -1;
    default:
      return 0;
  }
}

void PutLength(std::string& out, std::size_t n) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xFF));
}

}  // namespace

bool BlockingValue(BlockingTransform transform, std::string_view clean, std::string* out) {
  if (clean.empty()) return false;
  switch (transform) {
    case BlockingTransform::kValue:
      out->append(clean);
      return true;
    case BlockingTransform::kSoundex: {
      // Letters only (clean names are lower case without accents; other characters are skipped).
      std::string code;
      int last = 0;
      for (char raw : clean) {
        const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
        if (c < 'a' || c > 'z') continue;
        const int digit = SoundexDigit(c);
        if (code.empty()) {
          code.push_back(static_cast<char>(c - 'a' + 'A'));
          last = digit;
          continue;
        }
        if (digit > 0 && digit != last) code.push_back(static_cast<char>('0' + digit));
        if (digit >= 0) last = digit;  // h and w leave the previous digit in force
        if (code.size() == 4) break;
      }
      if (code.empty()) return false;
      code.resize(4, '0');
      out->append(code);
      return true;
    }
    case BlockingTransform::kInitial: {
      // One UTF-8 character.
      std::size_t n = 1;
      while (n < clean.size() && (static_cast<unsigned char>(clean[n]) & 0xC0) == 0x80) ++n;
      out->append(clean.substr(0, n));
      return true;
    }
    case BlockingTransform::kYear:
      if (clean.size() != 8) return false;
      out->append(clean.substr(0, 4));
      return true;
    case BlockingTransform::kMonth:
      if (clean.size() != 8) return false;
      out->append(clean.substr(4, 2));
      return true;
    case BlockingTransform::kDistrict:
      // A clean postcode has no space and a three-character inward code.
      if (clean.size() <= 3) return false;
      out->append(clean.substr(0, clean.size() - 3));
      return true;
    case BlockingTransform::kArea: {
      std::size_t n = 0;
      while (n < clean.size() && clean[n] >= 'A' && clean[n] <= 'Z') ++n;
      if (n == 0) return false;
      out->append(clean.substr(0, n));
      return true;
    }
  }
  return false;
}

absl::StatusOr<BlockingKeyer> BlockingKeyer::Create(const LinkageSchema& schema,
                                                    const std::vector<encode::FieldKeys>& keys) {
  if (keys.size() != schema.blocking.size()) {
    return absl::InternalError("blocking: one key per rule expected");
  }
  BlockingKeyer keyer;
  keyer.rules_ = schema.blocking;
  for (const encode::FieldKeys& key : keys) {
    BLOOMLINK_ASSIGN_OR_RETURN(MacContext ctx, NewHmacSha256(key.keys.at(0)));
    keyer.contexts_.push_back(std::move(ctx));
  }
  return keyer;
}

absl::StatusOr<BlockingKeyer> BlockingKeyer::Clone() const {
  BlockingKeyer copy;
  copy.rules_ = rules_;
  for (const MacContext& ctx : contexts_) {
    BLOOMLINK_ASSIGN_OR_RETURN(MacContext dup, DupMac(ctx));
    copy.contexts_.push_back(std::move(dup));
  }
  return copy;
}

std::uint64_t BlockingKeyer::Token(std::size_t rule, const std::vector<std::string>& clean,
                                   const std::vector<std::uint8_t>& present) {
  message_.clear();
  for (const BlockingPart& part : rules_[rule].parts) {
    if (!present[part.field]) return kNoBlockingToken;
    value_.clear();
    if (!BlockingValue(part.transform, clean[part.field], &value_)) return kNoBlockingToken;
    PutLength(message_, value_.size());
    message_ += value_;
  }
  std::uint8_t mac[32];
  HmacSha256(contexts_[rule].get(), message_, mac);
  std::uint64_t token = 0;
  for (int b = 7; b >= 0; --b) token = (token << 8) | mac[b];
  return token == kNoBlockingToken ? 1 : token;
}

}  // namespace bloomlink::encode_internal
