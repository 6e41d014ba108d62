// Decoding untrusted image bytes (stb_image) and canvas RGBA into RGB8, limits checked first.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "core/crc32.h"
#include "core/status.h"
#include "image/exif.h"
#include "image/image.h"
#include "image/jpeg_guard.h"

namespace {
// stb_image reports impossible states through STBI_ASSERT; the default (assert) would abort the
// whole wasm instance, and a no-op would let it continue from a broken invariant. Throwing unwinds
// out safely; the price is leaking stb's scratch buffers on such (hostile) inputs only.
struct StbAssertFailed {};

// stb sizes some buffers from fields no header check covers: a PNG chunk length (one 100-byte
// file asked for 1.7 GB), zlib output beyond the image's size (a "zip bomb"). In wasm such a
// request grows the heap for good, so while decoding each allocation is capped by what the image
// dimensions and file size can justify, and a refusal is reported as a corrupt file.
thread_local size_t t_stb_alloc_cap = size_t(1) << 20;  // header reading needs only small blocks
thread_local bool t_stb_alloc_refused = false;

// stb also leaves its JPEG decoder state uninitialised, so a scan using a Huffman table the file
// never defined read heap garbage as code tables and then indexed memory with it (a crash found by
// our mutation tests). Zeroed memory makes such tables decode as zeros, deterministically.
void* stb_malloc(size_t n) {
  if (n > t_stb_alloc_cap) {
    t_stb_alloc_refused = true;
    return nullptr;
  }
  return std::calloc(1, n);
}
void* stb_realloc(void* p, size_t n) {
  if (n > t_stb_alloc_cap) {
    t_stb_alloc_refused = true;
    return nullptr;
  }
  return std::realloc(p, n);  // stb writes grown zlib/IDAT buffers before reading them
}
}  // namespace

#define STBI_ASSERT(x) ((x) ? (void)0 : throw StbAssertFailed{})
#define STBI_MALLOC(size) stb_malloc(size)
#define STBI_REALLOC(p, size) stb_realloc(p, size)
#define STBI_FREE(p) std::free(p)
#define STB_IMAGE_STATIC  // private copy: no symbol clash with anything else that embeds stb
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO  // bytes come from memory, natively and in wasm
#define STBI_NO_LINEAR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_MAX_DIMENSIONS (1 << 16)
// stb's JPEG IDCT and YCbCr->RGB have SSE2 versions (the native x86-64 build uses them) but stb
// only enables them on x86. Emscripten maps SSE2 intrinsics onto wasm SIMD128 when built with
// -msse2 (CMakeLists.txt, this file only), so the wasm build takes the same path. stb's scalar
// colour conversion gives the same bytes as the SIMD one; the decode tests hold either way.
#if defined(__EMSCRIPTEN__) && defined(__SSE2__) && defined(__wasm_simd128__)
#define STBI__X64_TARGET
#endif
#include <stb_image.h>

namespace dfs {
namespace {

static_assert(STBI_MAX_DIMENSIONS == kMaxDecodableSide, "decoder ceiling and API disagree");

enum class Format { kJpeg, kPng, kGif, kBmp };

const char* format_name(Format f) {
  switch (f) {
    case Format::kJpeg: return "JPEG";
    case Format::kPng: return "PNG";
    case Format::kGif: return "GIF";
    case Format::kBmp: return "BMP";
  }
  return "?";
}

bool starts_with(const uint8_t* d, size_t n, const char* sig, size_t len) {
  return n >= len && std::memcmp(d, sig, len) == 0;
}

// Our own sniffing (not stb's) decides the format, so the error can name what the bytes are.
bool sniff(const uint8_t* d, size_t n, Format* f) {
  struct Sig {
    const char* bytes;
    size_t len;
    Format fmt;
  };
  static const Sig kSigs[] = {{"\xFF\xD8\xFF", 3, Format::kJpeg},
                              {"\x89PNG\r\n\x1A\n", 8, Format::kPng},
                              {"GIF87a", 6, Format::kGif},
                              {"GIF89a", 6, Format::kGif},
                              {"BM", 2, Format::kBmp}};
  for (const Sig& s : kSigs) {
    if (starts_with(d, n, s.bytes, s.len)) {
      *f = s.fmt;
      return true;
    }
  }
  return false;
}

// Formats people will try that we recognise but deliberately do not decode.
const char* known_unsupported(const uint8_t* d, size_t n) {
  if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    return "WebP";
  }
  if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) {
    if (std::memcmp(d + 8, "avif", 4) == 0 || std::memcmp(d + 8, "avis", 4) == 0) return "AVIF";
    return "HEIF/HEIC (or another ISO-BMFF file)";
  }
  if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return "TIFF";
  if (starts_with(d, n, "\xFF\x0A", 2) || starts_with(d, n, "\0\0\0\x0CJXL ", 8)) return "JPEG XL";
  return nullptr;
}

std::string dims_str(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

void check_dims(int64_t w, int64_t h, int64_t side_cap, const DecodeLimits& lim) {
  const int64_t max_side = std::min<int64_t>(lim.max_side, side_cap);
  if (w > max_side || h > max_side) {
    fail(Code::kImageTooLarge, "image is " + dims_str(w, h) + ", over the limit of " +
                                   std::to_string(max_side) + " pixels per side");
  }
  if (w * h > lim.max_pixels) {  // both <= 2^31 here, so the product cannot overflow
    fail(Code::kImageTooLarge, "image is " + dims_str(w, h) + " = " + std::to_string(w * h) +
                                   " pixels, over the limit of " + std::to_string(lim.max_pixels));
  }
}

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint32_t le32(const uint8_t* p) {
  return p[0] | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The fewest bytes a file of this format can hold a w x h image in, from each format's best
// compression: JPEG at least one bit per 8x8 block (a DC code; stb fills what a truncated file
// lacks with grey), deflate at most 1032:1 on PNG's filtered rows (1 bit per pixel at the
// least), a 12-bit LZW code at most 4096 GIF pixels, and uncompressed BMP rows exactly. A file
// under its floor is refused before the decoder allocates w x h pixels: a 634-byte JPEG that
// declares 10000x10000 is truncated or crafted, and would otherwise pin ~1 GB of memory.
void check_density(Format f, const uint8_t* d, size_t n, int64_t w, int64_t h) {
  double need = 0;
  switch (f) {
    case Format::kJpeg: need = double((w + 7) / 8) * double((h + 7) / 8) / 8; break;
    case Format::kPng: need = double(h) * (1 + double(w) / 8) / 1100; break;
    case Format::kGif: need = double(w) * double(h) * 12 / 8 / 4096; break;
    case Format::kBmp:
      if (n >= 34) {
        const uint32_t off = le32(d + 10), hdr = le32(d + 14);
        const bool core = hdr == 12;  // BITMAPCOREHEADER: 16-bit sizes, no compression field
        const uint32_t bpp = core ? d[24] | d[25] << 8 : d[28] | d[29] << 8;
        const uint32_t comp = core ? 0 : le32(d + 30);
        if (bpp >= 1 && bpp <= 32 &&
            (comp == 0 || comp == 3 || comp == 6)) {  // uncompressed: exact
          const double stride = double((w * bpp + 31) / 32 * 4);
          if (double(off) + stride * double(h) > double(n)) {
            fail(Code::kCorruptImage,
                 "BMP pixel data is cut short: " + dims_str(w, h) + " at " + std::to_string(bpp) +
                     " bits needs " + std::to_string(int64_t(off + stride * h)) +
                     " bytes, the file has " + std::to_string(n) + " (truncated?)");
          }
        }
      }
      return;
  }
  if (double(n) < need) {
    fail(Code::kCorruptImage, std::string(format_name(f)) + " header declares " + dims_str(w, h) +
                                  " but the file has only " + std::to_string(n) +
                                  " bytes, fewer than any encoding of that many pixels needs "
                                  "(truncated or crafted)");
  }
}

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r && *r ? r : "no reason given";
}

// stb's reason when a size passed our limits but exceeds what it can address (2^30 bytes for
// PNG, INT_MAX bytes elsewhere): the file is too large for us, not corrupt.
bool stb_says_too_large() { return stb_reason() == "too large"; }

// The sniffed format's own stb header reader. stbi_info_from_memory would try every format in
// turn and leave the last one's complaint ("unknown image type") as the reason, hiding e.g.
// PNG's "too large".
int stb_info(Format f, const uint8_t* d, size_t n, int* w, int* h, int* comp) {
  stbi__context s;
  stbi__start_mem(&s, d, int(n));
  switch (f) {
    case Format::kJpeg: return stbi__jpeg_info(&s, w, h, comp);
    case Format::kPng: return stbi__png_info(&s, w, h, comp);
    case Format::kGif: return stbi__gif_info(&s, w, h, comp);
    case Format::kBmp: return stbi__bmp_info(&s, w, h, comp);
  }
  return 0;
}

// stb_image never verifies PNG CRCs. Browsers (libpng's default) refuse a critical chunk whose
// CRC is wrong and skip a bad ancillary one; this gives the critical half of that answer. A chunk
// cut off by the end of the file is left for stb to judge.
// Walks the chunks: a critical chunk whose CRC fails, or a file that ends before IEND (cut
// short: stb then fails with no reason of its own), is a reason; nullptr when whole.
std::string png_chunks_problem(const uint8_t* d, size_t n) {
  size_t p = 8;
  while (n - p >= 12) {
    const size_t len = be32(d + p);
    if (len > n - p - 12) break;
    const bool critical = (d[p + 4] & 0x20) == 0;  // upper-case first letter
    if (critical && dfs::crc32_ieee(d + p + 4, len + 4) != be32(d + p + 8 + len))
      return "PNG chunk " + std::string(reinterpret_cast<const char*>(d + p + 4), 4) +
             " fails its CRC check";
    if (std::memcmp(d + p + 4, "IEND", 4) == 0) return {};
    p += 12 + len;
  }
  return "PNG file ends before its IEND chunk (cut short)";
}

}  // namespace

Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  if (size == 0) fail(Code::kEmptyInput, "image buffer is empty");
  if (data == nullptr) fail(Code::kInvalidArgument, "image buffer is null");
  if (size > limits.max_bytes || size > size_t(INT_MAX)) {
    fail(Code::kImageTooLarge, "image file is " + std::to_string(size) +
                                   " bytes, over the limit of " +
                                   std::to_string(std::min<size_t>(limits.max_bytes, INT_MAX)));
  }
  Format fmt;
  if (!sniff(data, size, &fmt)) {
    const char* other = known_unsupported(data, size);
    fail(Code::kUnsupportedFormat, std::string(other ? std::string(other) + " is not supported"
                                                     : "not a known image format") +
                                       "; supported formats: JPEG, PNG, BMP, GIF");
  }
  const std::string what = format_name(fmt);
  if (fmt == Format::kJpeg) {
    // Before stbi_info too: stb's header reader already builds Huffman tables.
    bool unsupported = false;
    if (const char* why = jpeg_stb_hazard(data, size, &unsupported)) {
      fail(unsupported ? Code::kUnsupportedFormat : Code::kCorruptImage,
           "JPEG: " + std::string(why));
    }
  }

  // Header only: nothing the size of the image is allocated until these dimensions pass.
  // stb keeps its last error per thread and never clears it, so clear it to avoid a stale reason.
  stbi__g_failure_reason = nullptr;
  int w = 0, h = 0, comp = 0;
  if (!stb_info(fmt, data, size, &w, &h, &comp)) {
    // stb's PNG header reader refuses sides over its ceiling but then reports only "unknown image
    // type"; read IHDR ourselves so an absurd size is called too large rather than corrupt.
    if (fmt == Format::kPng && size >= 24 && std::memcmp(data + 12, "IHDR", 4) == 0) {
      check_dims(be32(data + 16), be32(data + 20), kMaxDecodableSide, limits);
    }
    if (stb_says_too_large()) {
      fail(Code::kImageTooLarge, what + " image is larger than the decoder can hold");
    }
    fail(Code::kCorruptImage, what + " header is unreadable");
  }
  // A top-down BMP stores a negative height, which stb's header reader passes through.
  int64_t hw = w, hh = h;
  if (fmt == Format::kBmp && hh < 0) hh = -hh;
  if (hw <= 0 || hh <= 0) {
    fail(Code::kCorruptImage, what + " header gives size " + dims_str(hw, hh));
  }
  check_dims(hw, hh, kMaxDecodableSide, limits);
  // stb addresses its output with an int: past that it is too large, whatever the file holds.
  if (hw * hh * (fmt == Format::kJpeg ? 3 : 4) > INT_MAX) {
    fail(Code::kImageTooLarge,
         what + " image " + dims_str(hw, hh) + " is larger than the decoder can hold");
  }
  check_density(fmt, data, size, hw, hh);
  if (fmt == Format::kJpeg) {
    if (const char* why = jpeg_stb_hazard(data, size, nullptr, /*walk_blocks=*/true))
      fail(Code::kCorruptImage, "JPEG: " + std::string(why));
  }

  if (fmt == Format::kPng) {
    const std::string problem = png_chunks_problem(data, size);
    if (!problem.empty()) fail(Code::kCorruptImage, problem);
  }

  const int orientation = fmt == Format::kJpeg ? jpeg_exif_orientation(data, size) : 1;
  // JPEG has no alpha; the others may (PNG alpha/tRNS, GIF transparency, 32-bit BMP), and asking
  // stb for 4 channels covers every variant without trusting its per-format channel report.
  const int channels = fmt == Format::kJpeg ? 3 : 4;
  int dw = 0, dh = 0, file_comp = 0;
  stbi_uc* px = nullptr;
  stbi__g_failure_reason = nullptr;
  {
    // The largest legitimate block is about 8 bytes per (MCU-padded) pixel: 16-bit RGBA PNG rows,
    // progressive JPEG coefficients. IDAT chunks can total at most the file size, doubled.
    struct CapScope {
      explicit CapScope(size_t cap) {
        t_stb_alloc_cap = cap;
        t_stb_alloc_refused = false;
      }
      ~CapScope() { t_stb_alloc_cap = size_t(1) << 20; }
    };
    const uint64_t cap =
        16 * uint64_t(hw + 64) * uint64_t(hh + 64) + 2 * uint64_t(size) + (1 << 20);
    CapScope scope(size_t(std::min<uint64_t>(cap, SIZE_MAX)));
    try {
      px = stbi_load_from_memory(data, int(size), &dw, &dh, &file_comp, channels);
    } catch (const StbAssertFailed&) {
      fail(Code::kCorruptImage, what + " decode failed: decoder consistency check tripped");
    }
  }
  if (px == nullptr) {
    if (t_stb_alloc_refused) {
      fail(Code::kCorruptImage,
           what + " decode failed: the file asks for more decoder memory than a " +
               dims_str(hw, hh) + " image of " + std::to_string(size) + " bytes can need");
    }
    const std::string reason = stb_reason();
    if (reason == "outofmem") fail(Code::kOutOfMemory, what + " decode ran out of memory");
    if (reason == "too large") {
      fail(Code::kImageTooLarge,
           what + " image " + dims_str(hw, hh) + " is larger than the decoder can hold");
    }
    fail(Code::kCorruptImage, what + " decode failed: " + reason);
  }
  struct StbFree {
    void operator()(stbi_uc* p) const { stbi_image_free(p); }
  };
  std::unique_ptr<stbi_uc, StbFree> hold(px);
  if (dw != hw || dh != hh) {
    fail(Code::kCorruptImage,
         what + " decoded as " + dims_str(dw, dh) + " but header said " + dims_str(hw, hh));
  }
  try {
    return oriented_rgb(px, dw, dh, channels, orientation);
  } catch (const std::bad_alloc&) {
    fail(Code::kOutOfMemory, "no memory for a " + dims_str(dw, dh) + " RGB image");
  }
}

Image image_from_rgba(const uint8_t* rgba, int w, int h, size_t stride_bytes,
                      const DecodeLimits& limits) {
  if (w < 0 || h < 0) fail(Code::kInvalidArgument, "negative image size " + dims_str(w, h));
  if (w == 0 || h == 0) fail(Code::kEmptyInput, "image has no pixels (" + dims_str(w, h) + ")");
  if (rgba == nullptr) fail(Code::kInvalidArgument, "RGBA buffer is null");
  if (stride_bytes / 4 < size_t(w)) {
    fail(Code::kInvalidArgument, "row stride " + std::to_string(stride_bytes) +
                                     " is under 4*width = " + std::to_string(int64_t(w) * 4));
  }
  check_dims(w, h, INT_MAX, limits);
  Image img;
  img.w = w;
  img.h = h;
  try {
    img.rgb.resize(size_t(w) * size_t(h) * 3);
  } catch (const std::bad_alloc&) {
    fail(Code::kOutOfMemory, "no memory for a " + dims_str(w, h) + " RGB image");
  }
  for (int y = 0; y < h; ++y) {
    const uint8_t* s = rgba + size_t(y) * stride_bytes;
    uint8_t* d = img.rgb.data() + size_t(y) * w * 3;
    for (int x = 0; x < w; ++x, s += 4, d += 3) d[0] = s[0], d[1] = s[1], d[2] = s[2];
  }
  return img;
}

}  // namespace dfs
