// Image input for the pipeline: bytes or canvas RGBA to RGB8, regions resampled to floats.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfs {

// RGB8, row-major, dense (row stride is exactly w*3 bytes).
struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
};

// Everything is checked before pixel memory is allocated. The decoder itself is also built with a
// hard ceiling of kMaxDecodableSide per side, so max_side above it has no effect for decode_image.
struct DecodeLimits {
  int64_t max_pixels = 100'000'000;  // w*h from the header
  int max_side = 30000;              // either side
  size_t max_bytes = 200u << 20;     // encoded size
};
constexpr int kMaxDecodableSide = 1 << 16;

// Decodes JPEG (baseline, progressive, grayscale, Adobe CMYK/YCCK), PNG (1..16 bit, gray, palette,
// alpha, tRNS), BMP and GIF (first frame only) into RGB8.
//
// JPEG EXIF orientation (1..8) is applied, as browsers do for <img>/drawImage; a malformed EXIF
// block is ignored. Other formats' orientation metadata is not read.
//
// Alpha is composited over opaque BLACK: a fresh canvas is transparent black, so drawing an image
// onto it and dropping alpha (see image_from_rgba) already gives black wherever the image is fully
// transparent; filling the canvas black before drawImage makes the two paths agree everywhere.
//
// Throws dfs::Error: kEmptyInput (size 0), kUnsupportedFormat (not one of the four formats),
// kImageTooLarge (bytes, a side or w*h over `limits`, decided from the header alone),
// kCorruptImage (the decoder's reason is in the message), kOutOfMemory, kInvalidArgument (null
// data). A JPEG cut short (no end-of-image marker) is kCorruptImage: stb_image requires the marker,
// although browsers show such files partly grey.
Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits);

// What a browser canvas gives (getImageData): RGBA8 with `stride_bytes` per row; alpha is dropped.
// Same limits (max_side, max_pixels) as decode_image; kInvalidArgument for a null pointer,
// negative sizes or a stride under w*4; kEmptyInput for w or h == 0.
Image image_from_rgba(const uint8_t* rgba, int w, int h, size_t stride_bytes,
                      const DecodeLimits& limits);

// Resamples the source-space rectangle (x, y, w, h) of `img` to out_w x out_h RGB floats in 0..255,
// written NHWC (dense, out_w*out_h*3 floats) to `out`.
//
// Coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1), its centre is (i+.5, j+.5).
// Output pixel (u, v) covers the rect's cell [x + u*w/out_w, x + (u+1)*w/out_w) (same for y).
// Each axis independently:
//  - scale = extent/out > kResampleAreaAbove: area average over the cell (exact overlap weights,
//    as cv2 INTER_AREA), so detail finer than the output grid is averaged instead of aliased;
//    the part of the cell outside the image contributes `fill` in proportion to its length.
//  - otherwise: bilinear at the cell centre with clamp-to-edge inside the image (as cv2
//    INTER_LINEAR); a centre outside [0, size) reads `fill`.
// The rect may lie partly or wholly outside the image (letterbox padding, face crop margins).
// Border::kMirror reads the image mirrored about its edges instead of `fill` (edge pixels
// repeated, as numpy's "symmetric" pad: the classifier's training crops are cut that way), out
// to kMirrorReach image sizes beyond each edge; only farther than that reads `fill`.
// Throws kInvalidArgument for an empty/inconsistent image, out sizes outside 1..kMaxDecodableSide,
// non-finite or non-positive w/h, fill outside 0..255.
constexpr float kResampleAreaAbove = 1.5f;
constexpr int kMirrorReach = 2;
enum class Border { kFill, kMirror };
void resample_region(const Image& img, float x, float y, float w, float h, int out_w, int out_h,
                     float fill, float* out, Border border = Border::kFill);

// Turns a square n x n image of c interleaved floats by k quarter turns (0..3): a direction at
// angle a (image coordinates, y down) ends at a - k * 90 degrees. dst must not alias src.
void turn_square(const float* src, float* dst, int n, int c, int k);
// A whole photo turned the same way (k quarter turns; width and height swap for odd k); a point
// (x, y) of the turned photo (continuous pixel coordinates) back in the photo of size w x h; and
// a box (x, y, bw, bh) the same way (a quarter turn keeps it axis-aligned and swaps its sides).
Image turn_image(const Image& img, int k);
void unturn_point(float w, float h, int k, float* x, float* y);
void unturn_box(float w, float h, int k, float* x, float* y, float* bw, float* bh);

}  // namespace dfs
