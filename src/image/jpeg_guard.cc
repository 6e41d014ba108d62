// Walks a JPEG's markers exactly as stb_image's decoder will and rejects Huffman tables it would
// overflow on (see jpeg_guard.h).
#include "image/jpeg_guard.h"

#include <algorithm>
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
  size_t pos() const { return p_; }

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

// A Huffman table as the entropy walk decodes with it (JPEG spec F.2.2.3: canonical codes).
struct Huffman {
  static constexpr int kFastBits = 9;
  bool defined = false;
  uint8_t vals[256] = {};
  int mincode[17] = {}, maxcode[17] = {}, valptr[17] = {};
  uint16_t fast[1 << kFastBits] = {};  // next kFastBits bits -> length << 8 | symbol (0: longer)

  void build(const uint8_t counts[16], const uint8_t* symbols, int n) {
    std::memcpy(vals, symbols, size_t(n));
    std::memset(fast, 0, sizeof fast);
    int code = 0, k = 0;
    for (int len = 1; len <= 16; ++len) {
      valptr[len] = k;
      mincode[len] = code;
      for (int i = 0; i < counts[len - 1]; ++i, ++code, ++k) {
        if (len > kFastBits || code >= (1 << len)) continue;  // (an over-full table: no entry)
        const int shift = kFastBits - len;
        for (int j = 0; j < (1 << shift); ++j)
          fast[code << shift | j] = uint16_t(len << 8 | vals[k]);
      }
      maxcode[len] = counts[len - 1] ? code - 1 : -1;
      code <<= 1;
    }
    defined = true;
  }
};

// What the walk remembers between segments: tables, restart interval, the frame's components.
struct Tables {
  Huffman huff[2][4];  // [DC=0 / AC=1][id]
  int restart_interval = 0;
  bool sequential = false;  // SOF0/SOF1: one pass per block, the entropy walk applies
  int width = 0, height = 0, hmax = 1, vmax = 1, ncomp = 0;
  struct Component {
    int id, h, v;
  } comp[4] = {};
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
const char* process_marker(Stream& s, int m, Tables& t) {
  switch (m) {
    case kNoMarker: return "expected a marker";
    case 0xDD:  // DRI
      if (s.get16() != 4) return "bad restart interval length";
      t.restart_interval = s.get16();
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
        uint8_t counts[16], symbols[256];
        for (int i = 0; i < 16; ++i) codes += counts[i] = uint8_t(s.get8());
        if (codes > 256) return "Huffman table with more than 256 codes";
        for (int i = 0; i < codes; ++i) symbols[i] = uint8_t(s.get8());
        t.huff[q >> 4][q & 15].build(counts, symbols, codes);
        len -= 17 + codes;
      }
      return len == 0 ? nullptr : "Huffman table length mismatch";
    }
    default: break;
  }
  if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) {  // APPn, COM
    const int len = s.get16();
    if (len < 2) return "bad segment length";
    s.skip(size_t(len - 2));
    return nullptr;
  }
  return "unknown marker";
}

// Bits of a scan's entropy-coded data as stb reads them: 0xFF00 is a data 0xFF; any other
// marker (or the end of the bytes) ends the data, after which stb feeds zeros. Here a bit needed
// past that point is reported, so a file cut short and given an end marker is not decoded into
// a picture made partly of those zeros.
class ScanBits {
 public:
  ScanBits(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  // The next n (<= 16) bits without taking them; past the end of the data they read as zeros
  // (as stb's do), and take() then refuses them.
  uint32_t peek(int n) {
    while (count_ < n && fill()) {}
    const uint64_t bits = count_ >= n ? acc_ >> (count_ - n) : acc_ << (n - count_);
    return uint32_t(bits) & ((1u << n) - 1);
  }
  // Takes n bits; false when fewer are left before the data ended.
  bool take(int n) {
    while (count_ < n && fill()) {}
    if (count_ < n) return false;
    count_ -= n;
    acc_ &= (uint64_t(1) << count_) - 1;
    return true;
  }
  // At a restart boundary: drop the byte's padding and step over RSTn. False when the next
  // marker is not a restart marker (stb stops decoding the scan there).
  bool restart() {
    acc_ = 0;
    count_ = 0;
    while (fill()) acc_ = 0, count_ = 0;  // stray bytes before the marker, which stb skips too
    if (marker_ < 0xD0 || marker_ > 0xD7) return false;
    marker_ = -1;
    return true;
  }

 private:
  bool fill() {
    if (marker_ >= 0) return false;
    if (p_ >= n_) {
      marker_ = 0x100;
      return false;
    }
    const int b = d_[p_++];
    if (b == 0xFF) {
      while (p_ < n_ && d_[p_] == 0xFF) ++p_;
      if (p_ >= n_) {
        marker_ = 0x100;
        return false;
      }
      const int c = d_[p_++];
      if (c != 0) {
        marker_ = c;
        return false;
      }
    }
    acc_ = acc_ << 8 | uint64_t(b);
    count_ += 8;
    return true;
  }
  const uint8_t* d_;
  size_t n_, p_ = 0;
  uint64_t acc_ = 0;  // the low count_ bits are unread
  int count_ = 0;
  int marker_ = -1;  // the marker that ended the data (0x100: the bytes ended), -1 none yet
};

// A symbol, -1 when the data ended, -2 for a code the table does not have.
int decode_symbol(ScanBits& b, const Huffman& h) {
  const uint16_t f = h.fast[b.peek(Huffman::kFastBits)];
  if (f) return b.take(f >> 8) ? f & 0xFF : -1;
  const uint32_t bits = b.peek(16);
  for (int len = Huffman::kFastBits + 1; len <= 16; ++len) {
    const int code = int(bits >> (16 - len));
    if (code <= h.maxcode[len])
      return b.take(len) ? h.vals[h.valptr[len] + code - h.mincode[len]] : -1;
  }
  return -2;
}

constexpr const char* kTruncatedScan =
    "image data ends before the last block (file cut short; its end marker does not make it whole)";

// Walks every block of a sequential scan without decoding pixels: each block's DC and AC codes
// must be present. Returns a reason, or nullptr when the data holds every block (or the walk
// cannot judge: a table the scan names was never defined, which stb does not check either).
const char* walk_sequential_scan(const uint8_t* d, size_t n, const Tables& t, int ns,
                                 const int* comp_index, const int* dc, const int* ac) {
  for (int i = 0; i < ns; ++i)
    if (!t.huff[0][dc[i]].defined || !t.huff[1][ac[i]].defined) return nullptr;
  // Blocks per MCU and MCU grid, as stb lays them out.
  long mcus_x, mcus_y;
  int per_mcu_h[4], per_mcu_v[4];
  if (ns == 1) {
    const Tables::Component& c = t.comp[comp_index[0]];
    const long cw = (long(t.width) * c.h + t.hmax - 1) / t.hmax;
    const long chh = (long(t.height) * c.v + t.vmax - 1) / t.vmax;
    mcus_x = (cw + 7) >> 3;
    mcus_y = (chh + 7) >> 3;
    per_mcu_h[0] = per_mcu_v[0] = 1;
  } else {
    mcus_x = (t.width + 8L * t.hmax - 1) / (8L * t.hmax);
    mcus_y = (t.height + 8L * t.vmax - 1) / (8L * t.vmax);
    for (int i = 0; i < ns; ++i) {
      per_mcu_h[i] = t.comp[comp_index[i]].h;
      per_mcu_v[i] = t.comp[comp_index[i]].v;
    }
  }
  ScanBits b(d, n);
  const long total = mcus_x * mcus_y;
  long todo = t.restart_interval ? t.restart_interval : 0x7fffffff;
  for (long m = 0; m < total; ++m) {
    for (int i = 0; i < ns; ++i) {
      const Huffman& hdc = t.huff[0][dc[i]];
      const Huffman& hac = t.huff[1][ac[i]];
      for (int blk = per_mcu_h[i] * per_mcu_v[i]; blk > 0; --blk) {
        int sym = decode_symbol(b, hdc);
        if (sym == -1) return kTruncatedScan;
        if (sym < 0 || sym > 15) return "bad Huffman code";
        if (!b.take(sym)) return kTruncatedScan;
        for (int k = 1; k < 64;) {
          sym = decode_symbol(b, hac);
          if (sym == -1) return kTruncatedScan;
          if (sym == -2) return "bad Huffman code";
          const int run = sym >> 4, size = sym & 15;
          if (size == 0) {
            if (run != 15) break;  // end of block
            k += 16;
          } else {
            k += run + 1;
            if (!b.take(size)) return kTruncatedScan;
          }
        }
      }
    }
    if (--todo <= 0 && m + 1 < total) {
      if (!b.restart()) return kTruncatedScan;
      todo = t.restart_interval;
    }
  }
  return nullptr;
}

}  // namespace

const char* jpeg_stb_hazard(const uint8_t* data, size_t size, bool* unsupported, bool walk_blocks) {
  if (unsupported) *unsupported = false;
  Stream s(data, size);
  if (get_marker(s) != 0xD8) return "no start-of-image marker";

  // Tables and metadata before the frame header; stb scans over junk between segments.
  Tables t;
  int m = get_marker(s);
  while (m != 0xC0 && m != 0xC1 && m != 0xC2) {
    // Other SOFn: lossless (C3), hierarchical (C5-C7), arithmetic coding (C9-CB, CD-CF).
    if ((m >= 0xC3 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (unsupported) *unsupported = true;
      return m == 0xC3   ? "lossless JPEG is not supported"
             : m >= 0xC9 ? "arithmetic-coded JPEG is not supported"
                         : "hierarchical JPEG is not supported";
    }
    if (const char* why = process_marker(s, m, t)) return why;
    m = get_marker(s);
    while (m == kNoMarker) {
      if (s.eof()) return "no frame header";
      m = get_marker(s);
    }
  }
  const int frame_len = s.get16();
  if (frame_len < 11) return "bad frame header length";
  {
    const size_t frame_end = s.pos() + size_t(frame_len - 2);
    s.get8();  // sample precision
    t.height = s.get16();
    t.width = s.get16();
    t.ncomp = s.get8();
    // Only what stb also accepts (1, 3 or 4 components; sampling 1..4) is walked.
    t.sequential = (m == 0xC0 || m == 0xC1) && t.width > 0 && t.height > 0 &&
                   (t.ncomp == 1 || t.ncomp == 3 || t.ncomp == 4) && frame_len == 8 + 3 * t.ncomp;
    for (int i = 0; t.sequential && i < t.ncomp; ++i) {
      const int id = s.get8(), hv = s.get8();
      s.get8();
      t.comp[i] = {id, hv >> 4, hv & 15};
      if (t.comp[i].h < 1 || t.comp[i].h > 4 || t.comp[i].v < 1 || t.comp[i].v > 4)
        t.sequential = false;
      t.hmax = std::max(t.hmax, t.comp[i].h);
      t.vmax = std::max(t.vmax, t.comp[i].v);
    }
    s.skip(frame_end - s.pos());
  }

  // Scans, and the tables that may be redefined between them (progressive JPEGs do).
  m = get_marker(s);
  int scans = 0;
  while (m != 0xD9) {
    if (m == 0xDA) {
      if (++scans > kMaxJpegScans) return "more than 150 scans (decoding would take far too long)";
      const int scan_len = s.get16();
      if (scan_len < 8 || scan_len > 14 || scan_len % 2 != 0) return "bad scan header length";
      const size_t scan_end = s.pos() + size_t(scan_len - 2);
      const int ns = s.get8();
      int comp_index[4], dc[4], ac[4];
      bool walkable = t.sequential && ns >= 1 && ns <= t.ncomp && scan_len == 6 + 2 * ns;
      for (int i = 0; walkable && i < ns; ++i) {
        const int id = s.get8(), tables = s.get8();
        comp_index[i] = -1;
        for (int c = 0; c < t.ncomp; ++c)
          if (t.comp[c].id == id) comp_index[i] = c;
        dc[i] = tables >> 4;
        ac[i] = tables & 15;
        if (comp_index[i] < 0 || dc[i] > 3 || ac[i] > 3) walkable = false;
      }
      s.skip(scan_end - s.pos());
      if (walkable && walk_blocks) {
        if (const char* why =
                walk_sequential_scan(data + s.pos(), size - s.pos(), t, ns, comp_index, dc, ac))
          return why;
      }
      m = s.marker_after_scan();
      if (m < 0) return "image data ends without an end-of-image marker (truncated?)";
      continue;
    }
    if (m == 0xDC) {  // DNL
      if (s.get16() != 4) return "bad DNL length";
      s.get16();
    } else if (const char* why = process_marker(s, m, t)) {
      return why;
    }
    m = get_marker(s);
  }
  return nullptr;
}

}  // namespace dfs
