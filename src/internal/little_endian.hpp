// Little-endian fixed-width integers, as the `.bloom` and `people.index` formats store them.
#pragma once

#include <cstdint>
#include <string>

namespace bloomlink::internal {

inline void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
// GetU32(p), GetU64(p): from bytes of any char type.
template <typename Byte>
std::uint32_t GetU32(const Byte* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}
template <typename Byte>
std::uint64_t GetU64(const Byte* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

}  // namespace bloomlink::internal
