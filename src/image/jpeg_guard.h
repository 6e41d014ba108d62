// Pre-check of JPEG bytes for what the bundled stb_image would handle unsafely.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dfs {

// Debian's stb_image (2.27, snapshot 2022-09-08) does not check that a DHT table's 16 code counts
// sum to at most 256, and then writes past its Huffman arrays (upstream issue #1289 /
// CVE-2022-28042, fixed in 2.28). This walks the marker stream the way stb's decoder will, and
// validates every DHT that stb would act on, including ones between progressive scans.
//
// Returns nullptr when the bytes can be handed to stb, else a reason for kCorruptImage. Where the
// walk shows stb would reject the file anyway, that is reported here too: it keeps the check
// exact only on the paths stb can complete, which are the only paths that matter.
//
// Also bounds the work: more than kMaxJpegScans scans (each one a pass over every block of its
// components) is refused, so a small file cannot buy minutes of decoding. *unsupported (when
// given) is set for arithmetic-coded, lossless and hierarchical JPEGs: valid files that stb
// does not decode, which are UNSUPPORTED_FORMAT rather than corrupt.
//
// walk_blocks also walks the entropy-coded data of sequential (baseline / extended) scans, block
// by block, without decoding pixels: a file cut short and then given an end marker (which stb
// would decode, feeding zeros for the missing data) is refused, as is a code no table has.
// Linear in the file size; meant after the size limits passed. Progressive scans are not
// walked (their data ending early is not detected).
constexpr int kMaxJpegScans = 150;
const char* jpeg_stb_hazard(const uint8_t* data, size_t size, bool* unsupported = nullptr,
                            bool walk_blocks = false);

}  // namespace dfs
