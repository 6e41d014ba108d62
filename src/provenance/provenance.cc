// Container walk for provenance metadata (JPEG segments, PNG chunks, RIFF/WebP chunks, top-level
// ISO-BMFF boxes). Every length comes from the file and is checked before it is used; no
// recursion; counts and copied text are capped.
#include "provenance/provenance.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace dfs {
namespace {

constexpr size_t kMaxItems = 20000;       // segments / chunks / boxes walked per file
constexpr size_t kMaxXmp = 4 << 20;       // XMP text kept for the search (incl. extended XMP)
constexpr size_t kMaxField = 200;         // characters kept of one text field
constexpr size_t kMaxTiffEntries = 1000;  // IFD0 entries read
constexpr size_t kMaxNotes = 8;

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

// Printable ASCII (UTF-8 bytes >= 0x80 kept), trimmed and capped: metadata text goes into JSON
// and onto a page, so control bytes never travel with it.
std::string clean(const char* s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && out.size() < kMaxField; i++) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) break;
    if (c >= 0x20 && c != 0x7F)
      out.push_back(char(c));
    else if (c == '\t' || c == '\n' || c == '\r')
      out.push_back(' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t b = 0;
  while (b < out.size() && out[b] == ' ') b++;
  return out.substr(b);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Generator names as they appear in Software / CreatorTool / PNG text, and what we call them.
// Only names that are not ordinary words, so a camera or editor is never taken for a generator.
struct Known {
  const char* needle;  // lower case
  const char* name;
};
constexpr Known kGenerators[] = {
    {"midjourney", "Midjourney"},
    {"dall-e", "DALL-E (OpenAI)"},
    {"dall\xc2\xb7"
     "e",
     "DALL-E (OpenAI)"},
    {"chatgpt", "ChatGPT (OpenAI)"},
    {"gpt-4o", "GPT-4o (OpenAI)"},
    {"openai", "OpenAI"},
    {"stable diffusion", "Stable Diffusion"},
    {"stablediffusion", "Stable Diffusion"},
    {"stability ai", "Stability AI"},
    {"sdxl", "Stable Diffusion XL"},
    {"comfyui", "ComfyUI"},
    {"automatic1111", "Stable Diffusion (AUTOMATIC1111)"},
    {"invokeai", "InvokeAI"},
    {"fooocus", "Fooocus"},
    {"novelai", "NovelAI"},
    {"adobe firefly", "Adobe Firefly"},
    {"firefly", "Adobe Firefly"},
    {"google imagen", "Google Imagen"},
    {"imagen ", "Google Imagen"},
    {"gemini", "Google Gemini"},
    {"black forest labs", "FLUX (Black Forest Labs)"},
    {"flux.1", "FLUX (Black Forest Labs)"},
    {"leonardo.ai", "Leonardo.Ai"},
    {"ideogram", "Ideogram"},
    {"bing image creator", "Bing Image Creator"},
    {"dreamstudio", "DreamStudio"},
    {"craiyon", "Craiyon"},
    {"nightcafe", "NightCafe"},
    {"kandinsky", "Kandinsky"},
    {"playground ai", "Playground AI"},
};

const char* known_generator(const std::string& text) {
  const std::string t = lower(text);
  for (const Known& k : kGenerators)
    if (t.find(k.needle) != std::string::npos) return k.name;
  return nullptr;
}

class Scanner {
 public:
  Provenance p;
  std::string xmp;

  void note(const std::string& what) {
    if (p.unreadable.size() < kMaxNotes) p.unreadable.push_back(what);
  }
  void claim(const std::string& generator, const std::string& evidence) {
    if (p.ai_generator.empty()) {
      p.ai_generator = generator;
      p.ai_evidence = evidence;
    }
  }
  void add_xmp(const uint8_t* d, size_t n) {
    n = std::min(n, kMaxXmp - std::min(kMaxXmp, xmp.size()));
    xmp.append(reinterpret_cast<const char*>(d), n);
  }
  void c2pa_found(const char* container, size_t bytes) {
    if (!p.c2pa) p.c2pa_container = container;
    p.c2pa = true;
    p.c2pa_bytes += bytes;
  }

  // IFD0 of a TIFF block (EXIF): Make 0x010F, Model 0x0110, Software 0x0131 (ASCII).
  void tiff(const uint8_t* t, size_t n, const char* where) {
    if (n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M'))) {
      note(std::string(where) + ": not a TIFF header");
      return;
    }
    const bool little = t[0] == 'I';
    auto u16 = [&](size_t o) -> uint32_t {
      return little ? t[o] | t[o + 1] << 8 : t[o] << 8 | t[o + 1];
    };
    auto u32 = [&](size_t o) -> uint32_t { return little ? le32(t + o) : be32(t + o); };
    if (u16(2) != 42) {
      note(std::string(where) + ": bad TIFF magic");
      return;
    }
    const size_t ifd = u32(4);
    if (ifd > n || n - ifd < 2) {
      note(std::string(where) + ": IFD0 offset outside the block");
      return;
    }
    const size_t count = std::min<size_t>(u16(ifd), kMaxTiffEntries);
    std::string make, model;
    for (size_t i = 0, e = ifd + 2; i < count && n - e >= 12; i++, e += 12) {
      const uint32_t tag = u16(e), type = u16(e + 2), cnt = u32(e + 4);
      if (type != 2 || (tag != 0x010F && tag != 0x0110 && tag != 0x0131)) continue;
      const uint8_t* s;
      if (cnt <= 4) {
        s = t + e + 8;
      } else {
        const size_t off = u32(e + 8);
        if (off > n || cnt > n - off) {
          note(std::string(where) + ": text tag outside the block");
          continue;
        }
        s = t + off;
      }
      const std::string v = clean(reinterpret_cast<const char*>(s), cnt);
      if (tag == 0x010F)
        make = v;
      else if (tag == 0x0110)
        model = v;
      else if (p.software.empty())
        p.software = v;
    }
    if (p.camera.empty() && (!make.empty() || !model.empty())) {
      // Model often repeats the make ("Canon" + "Canon EOS R5").
      p.camera = lower(model).rfind(lower(make), 0) == 0 || make.empty() ? model
                 : model.empty()                                         ? make
                                                                         : make + " " + model;
    }
  }

  void jpeg(const uint8_t* d, size_t n) {
    size_t pos = 2, items = 0;
    while (pos + 4 <= n && items++ < kMaxItems) {
      if (d[pos] != 0xFF) {
        note("JPEG: lost marker sync before the image data");
        return;
      }
      const uint8_t m = d[pos + 1];
      if (m == 0xFF) {
        pos++;
        continue;
      }
      pos += 2;
      if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;
      if (m == 0xDA || m == 0xD9) return;  // metadata lives before the scan
      const size_t len = size_t(d[pos]) << 8 | d[pos + 1];
      if (len < 2 || len > n - pos) {
        note("JPEG: a segment runs past the end of the file");
        return;
      }
      const uint8_t* s = d + pos + 2;
      const size_t sn = len - 2;
      static const char kXmp[] = "http://ns.adobe.com/xap/1.0/";
      static const char kXmpExt[] = "http://ns.adobe.com/xmp/extension/";
      if (m == 0xE1 && sn >= 6 && std::memcmp(s, "Exif\0\0", 6) == 0) {
        tiff(s + 6, sn - 6, "EXIF");
      } else if (m == 0xE1 && sn >= sizeof kXmp && std::memcmp(s, kXmp, sizeof kXmp) == 0) {
        add_xmp(s + sizeof kXmp, sn - sizeof kXmp);
      } else if (m == 0xE1 && sn >= sizeof kXmpExt + 40 &&
                 std::memcmp(s, kXmpExt, sizeof kXmpExt) == 0) {
        add_xmp(s + sizeof kXmpExt + 40, sn - sizeof kXmpExt - 40);  // GUID, length, offset
      } else if (m == 0xED && sn >= 14 && std::memcmp(s, "Photoshop 3.0\0", 14) == 0) {
        photoshop(s + 14, sn - 14);
      } else if (m == 0xEB && sn >= 8 && s[0] == 'J' && s[1] == 'P') {
        // JUMBF in APP11: CI "JP", instance (2), sequence (4), then the box bytes. The first
        // segment of the C2PA store carries the superbox whose description is labelled "c2pa".
        const uint8_t* box = s + 8;
        const size_t bn = sn - 8;
        const uint32_t seq = be32(s + 4);
        if (seq == 1 && bn >= 8 + 8 + 17 && std::memcmp(box + 4, "jumb", 4) == 0 &&
            std::memcmp(box + 12, "jumd", 4) == 0) {
          const char* label = reinterpret_cast<const char*>(box + 16 + 17);
          const size_t room = bn - (16 + 17);
          if (room >= 4 && std::memcmp(label, "c2pa", 4) == 0 && (room == 4 || label[4] == 0))
            c2pa_found("JPEG APP11", bn);
        } else if (p.c2pa && p.c2pa_container == "JPEG APP11" && seq > 1) {
          p.c2pa_bytes += bn >= 8 ? bn - 8 : 0;  // continuation: the box header repeats
        }
      }
      pos += len;
    }
  }

  // APP13: Photoshop image resources ("8BIM", id, padded name, size, data); resource 0x0404 is
  // the IPTC IIM record, whose 2:65 OriginatingProgram may name a generator.
  void photoshop(const uint8_t* d, size_t n) {
    size_t pos = 0, items = 0;
    while (pos + 12 <= n && items++ < kMaxItems && std::memcmp(d + pos, "8BIM", 4) == 0) {
      const uint32_t id = uint32_t(d[pos + 4]) << 8 | d[pos + 5];
      const size_t name = d[pos + 6];
      size_t at = pos + 6 + ((name + 2) & ~size_t(1));  // Pascal string padded to even
      if (at + 4 > n) break;
      const size_t len = be32(d + at);
      at += 4;
      if (len > n - at) {
        note("JPEG APP13: a Photoshop resource runs past its segment");
        return;
      }
      if (id == 0x0404) iptc(d + at, len);
      pos = at + len + (len & 1);
    }
  }
  void iptc(const uint8_t* d, size_t n) {
    size_t pos = 0, items = 0;
    while (pos + 5 <= n && items++ < kMaxItems && d[pos] == 0x1C) {
      const uint8_t rec = d[pos + 1], ds = d[pos + 2];
      const size_t len = size_t(d[pos + 3]) << 8 | d[pos + 4];
      if (len & 0x8000 || len > n - pos - 5) {
        note("IPTC IIM: a dataset runs past its record");
        return;
      }
      if (rec == 2 && ds == 65) {  // OriginatingProgram
        const std::string prog = clean(reinterpret_cast<const char*>(d + pos + 5), len);
        if (p.software.empty()) p.software = prog;
        if (const char* g = known_generator(prog)) claim(g, "IPTC OriginatingProgram");
      }
      pos += 5 + len;
    }
  }

  void png_text(const std::string& key, const std::string& text, bool compressed) {
    const std::string k = lower(key);
    if (k == "parameters")
      claim("Stable Diffusion (AUTOMATIC1111-style parameters)", "PNG text 'parameters'");
    else if (k == "prompt" || k == "workflow")
      claim("ComfyUI", "PNG text '" + key + "'");
    else if (k == "invokeai_metadata" || k == "sd-metadata" || k == "dream")
      claim("InvokeAI", "PNG text '" + key + "'");
    else if (k == "fooocus_scheme")
      claim("Fooocus", "PNG text '" + key + "'");
    if (compressed) return;
    if (k == "software" && p.software.empty()) p.software = clean(text.data(), text.size());
    if (k == "software" || k == "source" || k == "comment" || k == "description" || k == "title") {
      if (const char* g = known_generator(text.substr(0, 4096))) claim(g, "PNG text '" + key + "'");
    }
  }

  void png(const uint8_t* d, size_t n) {
    size_t pos = 8, items = 0;
    while (pos + 12 <= n && items++ < kMaxItems) {
      const size_t len = be32(d + pos);
      const uint8_t* type = d + pos + 4;
      if (len > n - pos - 12) {
        note("PNG: a chunk runs past the end of the file");
        return;
      }
      const uint8_t* c = d + pos + 8;
      auto is = [&](const char* t) { return std::memcmp(type, t, 4) == 0; };
      if (is("tEXt") || is("zTXt") || is("iTXt")) {
        const uint8_t* z =
            static_cast<const uint8_t*>(std::memchr(c, 0, std::min<size_t>(len, 80)));
        if (!z) {
          note("PNG: text chunk without a keyword");
        } else {
          const std::string key = clean(reinterpret_cast<const char*>(c), z - c);
          size_t off = z - c + 1;
          bool compressed = is("zTXt");
          if (is("iTXt")) {
            // flag, method, language\0, translated keyword\0, text
            compressed = off < len && c[off] != 0;
            off += 2;
            for (int skip = 0; skip < 2 && off <= len; skip++) {
              const void* e = off < len ? std::memchr(c + off, 0, len - off) : nullptr;
              off = e ? static_cast<const uint8_t*>(e) - c + 1 : len + 1;
            }
          }
          if (off > len) {
            note("PNG: malformed iTXt chunk '" + key + "'");
          } else if (key == "XML:com.adobe.xmp" && !compressed) {
            add_xmp(c + off, len - off);
          } else {
            png_text(key,
                     std::string(reinterpret_cast<const char*>(c + off),
                                 std::min<size_t>(len - off, 65536)),
                     compressed);
          }
        }
      } else if (is("eXIf")) {
        tiff(c, len, "PNG eXIf");
      } else if (is("caBX")) {
        c2pa_found("PNG caBX", len);
      } else if (is("IEND")) {
        return;
      }
      pos += 12 + len;
    }
  }

  void webp(const uint8_t* d, size_t n) {
    size_t pos = 12, items = 0;
    const size_t riff_end = std::min(n, size_t(le32(d + 4)) + 8);
    while (pos + 8 <= riff_end && items++ < kMaxItems) {
      const uint8_t* fourcc = d + pos;
      const size_t len = le32(d + pos + 4);
      if (len > riff_end - pos - 8) {
        note("WebP: a chunk runs past the end of the file");
        return;
      }
      const uint8_t* c = d + pos + 8;
      if (std::memcmp(fourcc, "EXIF", 4) == 0) {
        const bool prefixed = len >= 6 && std::memcmp(c, "Exif\0\0", 6) == 0;
        tiff(c + (prefixed ? 6 : 0), len - (prefixed ? 6 : 0), "WebP EXIF");
      } else if (std::memcmp(fourcc, "XMP ", 4) == 0) {
        add_xmp(c, len);
      } else if (std::memcmp(fourcc, "C2PA", 4) == 0) {
        c2pa_found("WebP C2PA", len);
      }
      pos += 8 + len + (len & 1);
    }
  }

  void bmff(const uint8_t* d, size_t n) {
    static const uint8_t kC2paUuid[16] = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c,
                                          0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81};
    size_t pos = 0, items = 0;
    while (pos + 8 <= n && items++ < kMaxItems) {
      uint64_t size = be32(d + pos);
      size_t header = 8;
      if (size == 1) {
        if (n - pos < 16) break;
        size = uint64_t(be32(d + pos + 8)) << 32 | be32(d + pos + 12);
        header = 16;
      } else if (size == 0) {
        size = n - pos;
      }
      if (size < header || size > n - pos) {
        note("ISO-BMFF: a box runs past the end of the file");
        return;
      }
      if (std::memcmp(d + pos + 4, "uuid", 4) == 0 && size >= header + 16 &&
          std::memcmp(d + pos + header, kC2paUuid, 16) == 0)
        c2pa_found("BMFF uuid", size_t(size));
      pos += size_t(size);
    }
  }

  // Text searches over the XMP packet(s): the IPTC source type and the creator tool.
  void read_xmp() {
    if (xmp.empty()) return;
    static const char kDst[] = "digitalsourcetype/";
    const std::string lx = lower(xmp);
    const size_t at = lx.find(kDst);
    if (at != std::string::npos) {
      size_t b = at + sizeof kDst - 1, e = b;
      while (e < xmp.size() && e - b < 80 && std::isalnum(static_cast<unsigned char>(xmp[e]))) e++;
      p.digital_source_type = xmp.substr(b, e - b);
    }
    for (const char* key : {"xmp:CreatorTool=\"", "<xmp:CreatorTool>"}) {
      const size_t k = xmp.find(key);
      if (k == std::string::npos) continue;
      const size_t b = k + std::strlen(key);
      const size_t e = xmp.find_first_of("\"<", b);
      if (e != std::string::npos) p.creator_tool = clean(xmp.data() + b, e - b);
      break;
    }
    if (!p.creator_tool.empty())
      if (const char* g = known_generator(p.creator_tool)) claim(g, "XMP CreatorTool");
  }
};

}  // namespace

bool is_generative_source_type(const std::string& term) {
  const std::string t = lower(term);
  return t == "trainedalgorithmicmedia" || t == "compositewithtrainedalgorithmicmedia";
}

bool Provenance::ai_declared() const {
  return !ai_generator.empty() || is_generative_source_type(digital_source_type);
}

Provenance scan_provenance(const uint8_t* d, size_t n) {
  Scanner s;
  if (d == nullptr || n < 12) return s.p;
  if (d[0] == 0xFF && d[1] == 0xD8) {
    s.jpeg(d, n);
  } else if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
    s.png(d, n);
  } else if (std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    s.webp(d, n);
  } else if (std::memcmp(d + 4, "ftyp", 4) == 0) {
    s.bmff(d, n);
  }
  s.read_xmp();
  if (!s.p.software.empty())
    if (const char* g = known_generator(s.p.software)) s.claim(g, "EXIF Software");
  return s.p;
}

}  // namespace dfs
