// CRC-32 (IEEE 802.3, the zlib one): model file checksums and PNG chunk checks.
#include "core/crc32.h"

namespace dfs {

namespace {
// CRC-32 tables for slicing-by-8: each 8-byte step is eight independent lookups instead of a
// serial chain of eight (model loading checks every byte, and cold start is user-visible).
struct CrcTables {
  uint32_t t[8][256];
  CrcTables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};
}  // namespace

uint32_t crc32_ieee(const uint8_t* data, size_t n, uint32_t crc) {
  static const CrcTables tables;  // thread-safe one-time init
  const auto& t = tables.t;
  crc = ~crc;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint32_t lo = crc ^ (uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 |
                         uint32_t(data[i + 2]) << 16 | uint32_t(data[i + 3]) << 24);
    uint32_t hi = uint32_t(data[i + 4]) | uint32_t(data[i + 5]) << 8 | uint32_t(data[i + 6]) << 16 |
                  uint32_t(data[i + 7]) << 24;
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; i < n; i++) crc = t[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

}  // namespace dfs
