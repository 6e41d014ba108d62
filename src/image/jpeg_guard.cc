// Walks a JPEG's markers exactly as stb_image's decoder will and rejects Huffman tables it would
// overflow on (see jpeg_guard.h).
#include "image/jpeg_guard.h"

#include <cstring>

namespace dfs {
namespace {

constexpr int kNoMarker = 0xFF;  // stb's STBI__MARKER_none

// stb's memory reader: a read past the end yields 0 and is not an error by itself.
class Stream {
 public:
  Stream(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  int get8() { return p_ < n_ ? d_[p_++] : 0; }
  int get16() {
    const int hi = get8();
    return hi << 8 | get8();
  }
  void skip(size_t k) { p_ = k >= n_ - p_ ? n_ : p_ + k; }
  bool eof() const { return p_ >= n_; }

  // The marker stb acts on after a scan's entropy-coded data: the first 0xFF (plus fill 0xFFs)
  // followed by neither a stuffed 0x00 nor a restart marker. stb may also stop earlier, on an
  // FF00 or RSTn, but then it fails, so this is the only position it can go on from.
  // Returns -1 when the data ends first (stb then fails with "expected marker").
  int marker_after_scan() {
    while (p_ < n_) {
      const void* ff = std::memchr(d_ + p_, 0xFF, n_ - p_);
      if (ff == nullptr) break;
      size_t k = size_t(static_cast<const uint8_t*>(ff) - d_) + 1;
      while (k < n_ && d_[k] == 0xFF) ++k;
      if (k >= n_) break;
      const int m = d_[k];
      p_ = k + 1;
      if (m != 0x00 && !(m >= 0xD0 && m <= 0xD7)) return m;
    }
    p_ = n_;
    return -1;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t p_ = 0;
};

// stbi__get_marker with no cached marker.
int get_marker(Stream& s) {
  int x = s.get8();
  if (x != 0xFF) return kNoMarker;
  while (x == 0xFF) x = s.get8();
  return x;
}

// Mirrors stbi__process_marker: consumes the same bytes and fails where it fails. Returns nullptr
// when stb would carry on.
const char* process_marker(Stream& s, int m) {
  switch (m) {
    case kNoMarker:
      return "expected a marker";
    case 0xDD:  // DRI
      if (s.get16() != 4) return "bad restart interval length";
      s.get16();
      return nullptr;
    case 0xDB: {  // DQT
      int len = s.get16() - 2;
      while (len > 0) {
        const int q = s.get8();
        const int precision = q >> 4, table = q & 15;
        if (precision > 1 || table > 3) return "bad quantisation table";
        s.skip(precision ? 128 : 64);
        len -= precision ? 129 : 65;
      }
      return len == 0 ? nullptr : "quantisation table length mismatch";
    }
    case 0xC4: {  // DHT: the reason this file exists
      int len = s.get16() - 2;
      while (len > 0) {
        const int q = s.get8();
        if ((q >> 4) > 1 || (q & 15) > 3) return "bad Huffman table header";
        int codes = 0;
        for (int i = 0; i < 16; ++i) codes += s.get8();
        if (codes > 256) return "Huffman table with more than 256 codes";
        s.skip(size_t(codes));
        len -= 17 + codes;
      }
      return len == 0 ? nullptr : "Huffman table length mismatch";
    }
    default:
      break;
  }
  if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) {  // APPn, COM
    const int len = s.get16();
    if (len < 2) return "bad segment length";
    s.skip(size_t(len - 2));
    return nullptr;
  }
  return "unknown marker";
}

}  // namespace

const char* jpeg_stb_hazard(const uint8_t* data, size_t size, bool* unsupported) {
  if (unsupported) *unsupported = false;
  Stream s(data, size);
  if (get_marker(s) != 0xD8) return "no start-of-image marker";

  // Tables and metadata before the frame header; stb scans over junk between segments.
  int m = get_marker(s);
  while (m != 0xC0 && m != 0xC1 && m != 0xC2) {
    // Other SOFn: lossless (C3), hierarchical (C5-C7), arithmetic coding (C9-CB, CD-CF).
    if ((m >= 0xC3 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (unsupported) *unsupported = true;
      return m == 0xC3 ? "lossless JPEG is not supported"
             : m >= 0xC9 ? "arithmetic-coded JPEG is not supported"
                         : "hierarchical JPEG is not supported";
    }
    if (const char* why = process_marker(s, m)) return why;
    m = get_marker(s);
    while (m == kNoMarker) {
      if (s.eof()) return "no frame header";
      m = get_marker(s);
    }
  }
  const int frame_len = s.get16();
  if (frame_len < 11) return "bad frame header length";
  s.skip(size_t(frame_len - 2));

  // Scans, and the tables that may be redefined between them (progressive JPEGs do).
  m = get_marker(s);
  int scans = 0;
  while (m != 0xD9) {
    if (m == 0xDA) {
      if (++scans > kMaxJpegScans) return "more than 150 scans (decoding would take far too long)";
      const int scan_len = s.get16();
      if (scan_len < 8 || scan_len > 14 || scan_len % 2 != 0) return "bad scan header length";
      s.skip(size_t(scan_len - 2));
      m = s.marker_after_scan();
      if (m < 0) return "image data ends without an end-of-image marker (truncated?)";
      continue;
    }
    if (m == 0xDC) {  // DNL
      if (s.get16() != 4) return "bad DNL length";
      s.get16();
    } else if (const char* why = process_marker(s, m)) {
      return why;
    }
    m = get_marker(s);
  }
  return nullptr;
}

}  // namespace dfs
