// CRC-32 (IEEE 802.3, the zlib one), shared by the weights reader and the PNG chunk check.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dfs {

uint32_t crc32_ieee(const uint8_t* data, size_t n, uint32_t crc = 0);

}  // namespace dfs
