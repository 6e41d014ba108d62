// What an image file says about where it came from, read from its container without decoding a
// pixel: C2PA manifest stores (Content Credentials), IPTC digital source type in XMP, AI
// generator traces (Stable Diffusion / ComfyUI / NovelAI PNG text, generator names in EXIF
// Software or XMP CreatorTool), and the camera. One bounded pass: malformed metadata becomes a
// note in `unreadable`, never an error, so it can never cost the pixel result.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dfs {

struct Provenance {
  // A C2PA manifest store (JUMBF superbox labelled "c2pa") is in the file. Presence only: the
  // signature and hashes are verified by a C2PA implementation outside the core.
  bool c2pa = false;
  std::string c2pa_container;  // "JPEG APP11", "PNG caBX", "WebP C2PA", "BMFF uuid"
  size_t c2pa_bytes = 0;       // the manifest store's size as found (JPEG: all APP11 segments)
  std::string ai_generator;    // the generator the metadata names ("" when none)
  std::string ai_evidence;     // where it says so ("PNG text 'parameters'", "XMP CreatorTool", ...)
  std::string digital_source_type;      // IPTC term, e.g. "trainedAlgorithmicMedia" ("" when none)
  std::string software;                 // EXIF Software
  std::string camera;                   // EXIF Make + Model
  std::string creator_tool;             // XMP CreatorTool
  std::vector<std::string> unreadable;  // metadata that was there but malformed, in words

  // True when the metadata itself says generative AI made or changed the image (a generator
  // named, or an IPTC source type of trained algorithmic media). Absence says nothing.
  bool ai_declared() const;
};

// Scans JPEG, PNG, WebP and ISO-BMFF (AVIF/HEIC/MP4) containers; other bytes give an empty
// result. Never throws; work is linear in size and every count and length is capped.
Provenance scan_provenance(const uint8_t* data, size_t size);

// The IPTC digital source types that mean generative AI (trainedAlgorithmicMedia,
// compositeWithTrainedAlgorithmicMedia, ...).
bool is_generative_source_type(const std::string& term);

}  // namespace dfs
