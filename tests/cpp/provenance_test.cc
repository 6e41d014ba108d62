// Provenance scan: C2PA presence in the SDK's fixtures (../shared/testdata/provenance), AI
// metadata in files built here (PNG text chunks, XMP source type, EXIF Software), and hostile
// containers (every truncation, random bytes) that must never throw or read out of bounds.
#include "provenance/provenance.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/crc32.h"
#include "test_util.h"

namespace {

using Bytes = std::vector<uint8_t>;
using dfs::Provenance;
using dfs::scan_provenance;

Provenance scan(const Bytes& b) { return scan_provenance(b.data(), b.size()); }

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

// A PNG: signature, a 1x1 IHDR, the given extra chunks, IEND (CRCs real).
Bytes png_with(const std::vector<std::pair<std::string, std::string>>& chunks) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const std::string& type, const std::string& data) {
    put_be32(b, uint32_t(data.size()));
    const size_t at = b.size();
    b.insert(b.end(), type.begin(), type.end());
    b.insert(b.end(), data.begin(), data.end());
    put_be32(b, dfs::crc32_ieee(b.data() + at, b.size() - at));
  };
  chunk("IHDR", std::string("\0\0\0\1\0\0\0\1\x08\x02\0\0\0", 13));
  for (const auto& c : chunks) chunk(c.first, c.second);
  chunk("IEND", "");
  return b;
}

// A JPEG header (SOI + the given APPn segments + EOI); enough for the container walk.
Bytes jpeg_with(const std::vector<std::pair<uint8_t, std::string>>& segs) {
  Bytes b = {0xFF, 0xD8};
  for (const auto& s : segs) {
    b.push_back(0xFF);
    b.push_back(s.first);
    const size_t len = s.second.size() + 2;
    b.push_back(uint8_t(len >> 8));
    b.push_back(uint8_t(len));
    b.insert(b.end(), s.second.begin(), s.second.end());
  }
  b.push_back(0xFF);
  b.push_back(0xD9);
  return b;
}

// EXIF (big-endian TIFF) with IFD0 Make, Model and Software as ASCII held past the entries.
std::string exif_block(const std::string& make, const std::string& model, const std::string& sw) {
  std::string t = "MM";
  t += std::string("\0\x2a\0\0\0\x08", 6);
  const std::string vals[3] = {make + '\0', model + '\0', sw + '\0'};
  const uint16_t tags[3] = {0x010F, 0x0110, 0x0131};
  t += std::string("\0\x03", 2);
  size_t off = 8 + 2 + 3 * 12 + 4;
  auto be16 = [](uint16_t v) { return std::string{char(v >> 8), char(v)}; };
  auto be32s = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  for (int i = 0; i < 3; i++) {
    t += be16(tags[i]) + be16(2) + be32s(uint32_t(vals[i].size())) + be32s(uint32_t(off));
    off += vals[i].size();
  }
  t += be32s(0);
  for (const auto& v : vals) t += v;
  return "Exif" + std::string("\0\0", 2) + t;
}

TEST(Provenance, C2paFixturesAreFoundAndPlainFilesAreNot) {
  const std::string dir = dfs_test::shared_path("testdata/provenance/");
  if (!dfs_test::file_exists(dir + "C.jpg"))
    GTEST_SKIP() << "../shared/testdata/provenance is absent";
  for (const char* f : {"C.jpg", "CA.jpg", "E-sig-CA.jpg"}) {
    const Provenance p = scan(dfs_test::read_file(dir + f));
    EXPECT_TRUE(p.c2pa) << f;
    EXPECT_EQ(p.c2pa_container, "JPEG APP11") << f;
    EXPECT_GT(p.c2pa_bytes, 1000u) << f;
  }
  for (const char* f : {"no_manifest.jpg", "sample1.png", "test.webp"}) {
    const Provenance p = scan(dfs_test::read_file(dir + f));
    EXPECT_FALSE(p.c2pa) << f;
    EXPECT_FALSE(p.ai_declared()) << f;
  }
}

TEST(Provenance, AiTracesInPngTextXmpAndExif) {
  Provenance a1111 =
      scan(png_with({{"tEXt", std::string("parameters\0a portrait, Steps: 20", 32)}}));
  EXPECT_EQ(a1111.ai_generator, "Stable Diffusion (AUTOMATIC1111-style parameters)");
  EXPECT_EQ(a1111.ai_evidence, "PNG text 'parameters'");
  EXPECT_TRUE(a1111.ai_declared());

  Provenance comfy = scan(png_with({{"tEXt", std::string("prompt\0{\"3\": {}}", 15)}}));
  EXPECT_EQ(comfy.ai_generator, "ComfyUI");

  Provenance nai = scan(png_with({{"tEXt", std::string("Software\0NovelAI", 16)}}));
  EXPECT_EQ(nai.ai_generator, "NovelAI");
  EXPECT_EQ(nai.software, "NovelAI");

  const std::string xmp =
      "<x:xmpmeta><rdf:Description xmp:CreatorTool=\"Adobe Photoshop 25.0\" "
      "Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/"
      "compositeWithTrainedAlgorithmicMedia\"/></x:xmpmeta>";
  Provenance x = scan(png_with({{"iTXt", std::string("XML:com.adobe.xmp\0\0\0\0\0", 22) + xmp}}));
  EXPECT_EQ(x.digital_source_type, "compositeWithTrainedAlgorithmicMedia");
  EXPECT_EQ(x.creator_tool, "Adobe Photoshop 25.0");
  EXPECT_EQ(x.ai_generator, "");  // Photoshop is not a generator; the source type declares AI
  EXPECT_TRUE(x.ai_declared());

  const Bytes cam = jpeg_with({{0xE1, exif_block("Canon", "Canon EOS R5", "Firmware 1.8")}});
  Provenance c = scan(cam);
  EXPECT_EQ(c.camera, "Canon EOS R5");
  EXPECT_EQ(c.software, "Firmware 1.8");
  EXPECT_FALSE(c.ai_declared());  // a camera is not evidence either way

  Provenance mj = scan(jpeg_with({{0xE1, exif_block("", "", "Midjourney v6")},
                                  {0xE1, "http://ns.adobe.com/xap/1.0/" + std::string(1, '\0') +
                                             "<xmp digitalsourcetype/trainedAlgorithmicMedia>"}}));
  EXPECT_EQ(mj.ai_generator, "Midjourney");
  EXPECT_EQ(mj.ai_evidence, "EXIF Software");
  EXPECT_EQ(mj.digital_source_type, "trainedAlgorithmicMedia");
  EXPECT_TRUE(dfs::is_generative_source_type("trainedAlgorithmicMedia"));

  // APP13: Photoshop resource 0x0404 holding IPTC IIM 2:65 OriginatingProgram.
  const std::string prog = "DALL-E 3";
  std::string iim = std::string("\x1c\x02\x41\x00", 4) + char(prog.size()) + prog;
  std::string res =
      std::string("8BIM\x04\x04\x00\x00", 8) + std::string("\0\0\0", 3) + char(iim.size()) + iim;
  if (iim.size() & 1) res += '\0';
  Provenance ps = scan(jpeg_with({{0xED, std::string("Photoshop 3.0\0", 14) + res}}));
  EXPECT_EQ(ps.software, "DALL-E 3");
  EXPECT_EQ(ps.ai_generator, "DALL-E (OpenAI)");
  EXPECT_EQ(ps.ai_evidence, "IPTC OriginatingProgram");
  EXPECT_FALSE(dfs::is_generative_source_type("digitalCapture"));
}

TEST(Provenance, MalformedContainersAreNotesNeverCrashes) {
  Bytes b = jpeg_with({{0xE1, exif_block("Nikon", "D850", "")}});
  b[4] = 0x7F;  // the APP1 length (bytes 4-5) now runs past the end
  Provenance p = scan(b);
  ASSERT_FALSE(p.unreadable.empty());
  EXPECT_NE(p.unreadable[0].find("past the end"), std::string::npos) << p.unreadable[0];

  // Every truncation and many random mutations of real and built files: no throw, no OOB (the
  // ASan run of this suite checks the reads).
  std::vector<Bytes> seeds = {
      png_with({{"tEXt", std::string("parameters\0x", 12)}}),
      jpeg_with({{0xE1, exif_block("A", "B", "C")}, {0xEB, "JP\0\1\0\0\0\1"}})};
  const std::string dir = dfs_test::shared_path("testdata/provenance/");
  for (const char* f : {"C.jpg", "sample1.png", "test.webp"})
    if (dfs_test::file_exists(dir + f)) seeds.push_back(dfs_test::read_file(dir + f));
  std::mt19937 rng(5);
  size_t runs = 0;
  for (const Bytes& s : seeds) {
    for (size_t cut = 0; cut <= s.size(); cut += std::max<size_t>(1, s.size() / 400)) {
      Bytes t(s.begin(), s.begin() + cut);
      scan(t);
      runs++;
    }
    for (int i = 0; i < 300; i++) {
      Bytes t = s;
      for (int k = 0; k < 4; k++) t[rng() % t.size()] = uint8_t(rng());
      scan(t);
      runs++;
    }
  }
  EXPECT_GT(runs, 1000u);
  EXPECT_FALSE(scan_provenance(nullptr, 0).c2pa);
}

}  // namespace
