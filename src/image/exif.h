// JPEG EXIF orientation: reading it from hostile bytes, and applying it while copying pixels out.
#pragma once
#include <cstddef>
#include <cstdint>

#include "image/image.h"

namespace dfs {

// Orientation (1..8) from the first APP1 "Exif\0\0" segment before the scan data of a JPEG.
// Returns 1 when absent or malformed: a broken EXIF block must never make an image undecodable.
// Like browsers, only an IFD0 tag 0x0112 of type SHORT with count 1 is trusted.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

// Copies a decoder's w x h buffer with `channels` (3 or 4, interleaved) into an RGB Image turned
// upright per EXIF `orientation` (1..8; 5..8 swap w and h). With 4 channels, alpha is composited
// over black. One pass, so orientation costs no extra copy of the image.
Image oriented_rgb(const uint8_t* src, int w, int h, int channels, int orientation);

}  // namespace dfs
