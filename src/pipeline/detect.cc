// Anchors, decode and NMS follow MediaPipe's SSD anchor and tensors-to-detections semantics.
#include "pipeline/detect.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/status.h"

namespace dfs {

// A number for a message without printf's float formatting (which costs the wasm ~8 KB):
// integers exactly, others to 6 decimals, anything huge or not finite by name.
static std::string short_number(double v) {
  if (v != v) return "NaN";
  if (!(v > -1e15 && v < 1e15)) return v > 0 ? "more than 1e15" : "less than -1e15";
  const long long q = std::llround(std::fabs(v) * 1e6);
  std::string frac = std::to_string(q % 1000000);
  frac = std::string(6 - frac.size(), '0') + frac;
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return (v < 0 && q ? "-" : "") + std::to_string(q / 1000000) + (frac.empty() ? "" : "." + frac);
}

// A header number outside its range fails the load naming the field (a NaN fails every test).
static float field_in(const char* name, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    fail(Code::kBadModel, std::string(name) + " must be within [" + short_number(lo) + ", " +
                              short_number(hi) + "], got " + short_number(v));
  return float(v);
}

AnchorOptions anchor_options_from(const Json& j) {
  AnchorOptions o;
  o.num_layers = j["num_layers"].integer();
  o.input_h = j["input_size_height"].integer();
  o.input_w = j["input_size_width"].integer();
  o.min_scale = field_in("anchors.min_scale", j["min_scale"].num(), 1e-3, 4);
  o.max_scale = field_in("anchors.max_scale", j["max_scale"].num(), 1e-3, 4);
  o.offset_x = field_in("anchors.anchor_offset_x", j["anchor_offset_x"].num(), 0, 1);
  o.offset_y = field_in("anchors.anchor_offset_y", j["anchor_offset_y"].num(), 0, 1);
  o.strides = j["strides"].ints();
  o.aspect_ratios = j["aspect_ratios"].floats();
  o.fixed_anchor_size = j["fixed_anchor_size"].boolean();
  o.reduce_boxes_in_lowest_layer = j["reduce_boxes_in_lowest_layer"].boolean();
  o.interpolated_scale_aspect_ratio = field_in("anchors.interpolated_scale_aspect_ratio",
                                               j["interpolated_scale_aspect_ratio"].num(), 0, 16);
  if (o.num_layers < 1 || o.num_layers > 16 || int(o.strides.size()) != o.num_layers ||
      o.aspect_ratios.empty() || o.input_h < 1 || o.input_w < 1)
    fail(Code::kBadModel, "anchors: inconsistent options");
  for (int s : o.strides)
    if (s < 1 || s > 1024) fail(Code::kBadModel, "anchors: bad stride");
  for (float a : o.aspect_ratios) field_in("anchors.aspect_ratios[]", a, 1e-2, 100);
  return o;
}

static float anchor_scale(float lo, float hi, int i, int n) {
  return n == 1 ? (lo + hi) * 0.5f : lo + (hi - lo) * i / (n - 1.0f);
}

std::vector<Anchor> generate_anchors(const AnchorOptions& o) {
  std::vector<Anchor> out;
  int layer = 0;
  while (layer < o.num_layers) {
    // Consecutive layers with the same stride share one feature map: their anchors interleave.
    std::vector<float> ws, hs;
    int last = layer;
    for (; last < o.num_layers && o.strides[last] == o.strides[layer]; last++) {
      float scale = anchor_scale(o.min_scale, o.max_scale, last, o.num_layers);
      std::vector<std::pair<float, float>> sr;  // (scale, ratio)
      if (last == 0 && o.reduce_boxes_in_lowest_layer) {
        sr = {{0.1f, 1.0f}, {scale, 2.0f}, {scale, 0.5f}};
      } else {
        for (float ar : o.aspect_ratios) sr.push_back({scale, ar});
        if (o.interpolated_scale_aspect_ratio > 0) {
          float next = last == o.num_layers - 1
                           ? 1.0f
                           : anchor_scale(o.min_scale, o.max_scale, last + 1, o.num_layers);
          sr.push_back({std::sqrt(scale * next), o.interpolated_scale_aspect_ratio});
        }
      }
      for (auto& p : sr) {
        float r = std::sqrt(p.second);
        hs.push_back(p.first / r);
        ws.push_back(p.first * r);
      }
    }
    int stride = o.strides[layer];
    int fh = (o.input_h + stride - 1) / stride, fw = (o.input_w + stride - 1) / stride;
    for (int y = 0; y < fh; y++)
      for (int x = 0; x < fw; x++)
        for (size_t a = 0; a < ws.size(); a++) {
          Anchor an;
          an.x = (x + o.offset_x) / fw;
          an.y = (y + o.offset_y) / fh;
          an.w = o.fixed_anchor_size ? 1.0f : ws[a];
          an.h = o.fixed_anchor_size ? 1.0f : hs[a];
          out.push_back(an);
        }
    layer = last;
  }
  return out;
}

DecodeOptions decode_options_from(const Json& j) {
  DecodeOptions o;
  o.num_boxes = j["num_boxes"].integer();
  o.num_keypoints = j["num_keypoints"].integer();
  if (j["num_coords"].integer() != 16 || o.num_keypoints != 6)
    fail(Code::kBadModel, "decode: expected 16 coords with 6 keypoints");
  // Box scales divide the regressor outputs (MediaPipe: the input size, 128 or 192).
  o.x_scale = field_in("decode.x_scale", j["x_scale"].num(), 1, 4096);
  o.y_scale = field_in("decode.y_scale", j["y_scale"].num(), 1, 4096);
  o.w_scale = field_in("decode.w_scale", j["w_scale"].num(), 1, 4096);
  o.h_scale = field_in("decode.h_scale", j["h_scale"].num(), 1, 4096);
  o.score_clip = field_in("decode.score_clipping_thresh", j["score_clipping_thresh"].num(), 1, 1e4);
  o.min_score = field_in("decode.min_score_thresh", j["min_score_thresh"].num(), 0, 1);
  o.nms_iou =
      field_in("decode.min_suppression_threshold", j["min_suppression_threshold"].num(), 0.01, 1);
  return o;
}

std::vector<Detection> decode_boxes(const float* scores, const float* boxes,
                                    const std::vector<Anchor>& anchors, const DecodeOptions& o,
                                    float min_score) {
  std::vector<Detection> out;
  for (size_t i = 0; i < anchors.size(); i++) {
    float s = std::min(std::max(scores[i], -o.score_clip), o.score_clip);
    s = 1.f / (1.f + std::exp(-s));
    if (s < min_score) continue;
    const float* r = boxes + i * 16;
    const Anchor& a = anchors[i];
    Detection d;
    float cx = r[0] / o.x_scale * a.w + a.x, cy = r[1] / o.y_scale * a.h + a.y;
    float w = r[2] / o.w_scale * a.w, h = r[3] / o.h_scale * a.h;
    if (!(w > 0 && h > 0)) continue;
    d.x = cx - w / 2;
    d.y = cy - h / 2;
    d.w = w;
    d.h = h;
    d.score = s;
    for (int k = 0; k < 6; k++) {
      d.kp[k][0] = r[4 + 2 * k] / o.x_scale * a.w + a.x;
      d.kp[k][1] = r[5 + 2 * k] / o.y_scale * a.h + a.y;
    }
    out.push_back(d);
  }
  return out;
}

float iou(const Detection& a, const Detection& b) {
  float x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  float x1 = std::min(a.x + a.w, b.x + b.w), y1 = std::min(a.y + a.h, b.y + b.h);
  float inter = std::max(0.f, x1 - x0) * std::max(0.f, y1 - y0);
  float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.f;
}

std::vector<Detection> weighted_nms(std::vector<Detection> dets, float iou_thresh) {
  std::stable_sort(dets.begin(), dets.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> out;
  std::vector<bool> used(dets.size(), false);
  for (size_t i = 0; i < dets.size(); i++) {
    if (used[i]) continue;
    const Detection& best = dets[i];
    Detection acc{};
    float wsum = 0;
    for (size_t j = i; j < dets.size(); j++) {
      if (used[j] || iou(best, dets[j]) <= iou_thresh) continue;
      used[j] = true;
      const Detection& d = dets[j];
      float w = d.score;
      acc.x += d.x * w;
      acc.y += d.y * w;
      acc.w += d.w * w;
      acc.h += d.h * w;
      for (int k = 0; k < 6; k++) {
        acc.kp[k][0] += d.kp[k][0] * w;
        acc.kp[k][1] += d.kp[k][1] * w;
      }
      wsum += w;
    }
    acc.x /= wsum;
    acc.y /= wsum;
    acc.w /= wsum;
    acc.h /= wsum;
    for (int k = 0; k < 6; k++) {
      acc.kp[k][0] /= wsum;
      acc.kp[k][1] /= wsum;
    }
    acc.score = best.score;
    out.push_back(acc);
  }
  return out;
}

FaceDetector::FaceDetector(const WeightsFile& wf) : net_(wf) {
  AnchorOptions ao = anchor_options_from(net_.header()["anchors"]);
  if (ao.input_h != net_.input_h() || ao.input_w != net_.input_w())
    fail(Code::kBadModel, "anchors: input size differs from the network's");
  anchors_ = generate_anchors(ao);
  dec_ = decode_options_from(net_.header()["decode"]);
  if (int(anchors_.size()) != net_.num_boxes() || dec_.num_boxes != net_.num_boxes())
    fail(Code::kBadModel, "anchors: " + std::to_string(anchors_.size()) + " generated, model has " +
                              std::to_string(net_.num_boxes()) + " outputs");
  rgb_.resize(size_t(net_.input_h()) * net_.input_w() * 3);
}

std::vector<Detection> FaceDetector::detect_region(const Image& img, float x, float y, float side,
                                                   float min_score) {
  const int H = net_.input_h(), W = net_.input_w();
  resample_region(img, x, y, side, side, W, H, 0.f, rgb_.data());
  return detect_resampled(rgb_.data(), size_t(W) * 3, x, y, side, min_score);
}

std::vector<Detection> FaceDetector::detect_resampled(const float* rgb, size_t row_stride, float x,
                                                      float y, float side, float min_score) {
  const int H = net_.input_h(), W = net_.input_w();
  if (rgb != rgb_.data())
    for (int r = 0; r < H; r++)
      std::copy(rgb + r * row_stride, rgb + r * row_stride + size_t(W) * 3,
                rgb_.data() + size_t(r) * W * 3);
  net_.norm().apply(rgb_.data(), size_t(H) * W, net_.input());
  net_.forward();
  if (min_score < 0) min_score = dec_.min_score;
  auto dets = decode_boxes(net_.scores(), net_.boxes(), anchors_, dec_, min_score);
  dets = weighted_nms(std::move(dets), dec_.nms_iou);
  for (auto& d : dets) {
    d.x = x + d.x * side;
    d.y = y + d.y * side;
    d.w *= side;
    d.h *= side;
    for (auto& k : d.kp) {
      k[0] = x + k[0] * side;
      k[1] = y + k[1] * side;
    }
  }
  return dets;
}

void unturn(Detection& d, float w, float h, int k) {
  unturn_box(w, h, k, &d.x, &d.y, &d.w, &d.h);
  for (auto& p : d.kp) unturn_point(w, h, k, &p[0], &p[1]);
}

void unturn(std::vector<Detection>& dets, int k, float x, float y, float side) {
  for (auto& d : dets) {
    unturn(d, 1, 1, k);
    d.x = x + d.x * side, d.y = y + d.y * side;
    d.w *= side, d.h *= side;
    for (auto& p : d.kp) p[0] = x + p[0] * side, p[1] = y + p[1] * side;
  }
}

std::array<float, 4> FaceDetector::turn_scores(const Image& img, const Detection& d) {
  const int n = net_.input_h();
  std::array<float, 4> out{};
  if (n != net_.input_w()) return out;
  const float side = std::max(d.w, d.h) * 1.6f;
  std::vector<float> rgb(size_t(n) * n * 3), turned(rgb.size());
  resample_region(img, d.x + d.w / 2 - side / 2, d.y + d.h / 2 - side / 2, side, side, n, n, 0.f,
                  rgb.data());
  for (int k = 0; k < 4; k++) {
    if (k) turn_square(rgb.data(), turned.data(), n, 3, k);
    for (const Detection& f :
         detect_resampled(k ? turned.data() : rgb.data(), size_t(n) * 3, 0, 0, side, 0.3f))
      out[k] = std::max(out[k], f.score);
  }
  return out;
}

std::vector<Detection> detect_faces(const Image& img, FaceDetector* short_range,
                                    FaceDetector* full_range, const DetectOptions& opt) {
  std::vector<Detection> all;
  const float W = float(img.w), H = float(img.h), S = std::max(W, H);
  std::vector<float> square, turned;
  // One pass over the square (x, y, side), the photo turned k quarter turns.
  auto run = [&](FaceDetector* d, float x, float y, float side, int k = 0) {
    if (!d) return;
    if (k == 0) {
      auto r = d->detect_region(img, x, y, side, opt.min_score);
      all.insert(all.end(), r.begin(), r.end());
      return;
    }
    const int n = d->model().input_w();
    if (n != d->model().input_h()) return;
    square.resize(size_t(n) * n * 3);
    turned.resize(square.size());
    resample_region(img, x, y, side, side, n, n, 0.f, square.data());
    turn_square(square.data(), turned.data(), n, 3, k);
    auto r = d->detect_resampled(turned.data(), size_t(n) * 3, 0, 0, 1, opt.min_score);
    unturn(r, k, x, y, side);
    all.insert(all.end(), r.begin(), r.end());
  };
  // Whole image letterboxed into the square input (centered, black bars); a face that fills the
  // frame is bigger than the largest anchor, so when those passes find nothing, look again from
  // further away.
  auto whole = [&](int k) {
    run(short_range, (W - S) / 2, (H - S) / 2, S, k);
    run(full_range, (W - S) / 2, (H - S) / 2, S, k);
    if (opt.zoom_out && all.empty()) run(short_range, (W - 2 * S) / 2, (H - 2 * S) / 2, 2 * S, k);
  };
  whole(0);
  // Small faces in big photos: overlapping tiles at a scale where a ~40px face is ~12px in the
  // full-range input. Overlap > the largest face a tile misses, so each face is whole in one.
  if (opt.tiles && full_range && S > 1000) {
    const int tile = 640, step = 480, in = full_range->model().input_w();
    // Tile origins lie on a grid of g source pixels (g / scale is whole), so every tile is an
    // exact window of ONE downscale of the whole photo at the tile scale: the overlapping tiles
    // then cost one pass over the photo instead of one each (2.7x fewer pixels read at 1280x720).
    const int g = tile / std::gcd(tile, in);
    const double scale = double(tile) / in;
    // The last tile of a row/column starts on the grid point at or after size - tile, so it
    // reaches the photo's edge and runs at most g-1 pixels past it (read as black, like the
    // letterbox bars of the whole-photo pass).
    auto last_origin = [&](int size) { return size > tile ? (size - tile + g - 1) / g * g : 0; };
    std::vector<std::pair<int, int>> origins;
    const int last_x = last_origin(img.w), last_y = last_origin(img.h);
    for (int ty = 0;; ty += step) {
      const int yy = std::min(ty, last_y);
      for (int tx = 0;; tx += step) {
        const int xx = std::min(tx, last_x);
        origins.push_back({xx, yy});
        if (xx == last_x) break;
      }
      if (yy == last_y) break;
    }
    int dw = 0, dh = 0;  // downscaled extent that holds every tile window
    for (auto& o : origins) {
      dw = std::max(dw, int(std::lround(o.first / scale)) + in);
      dh = std::max(dh, int(std::lround(o.second / scale)) + in);
    }
    // Past a budget (giant photos) the per-tile resampling keeps memory flat instead.
    constexpr size_t kSharedFloats = size_t(8) << 20;
    if (size_t(dw) * dh * 3 <= kSharedFloats) {
      std::vector<float> down(size_t(dw) * dh * 3);
      resample_region(img, 0.f, 0.f, float(dw * scale), float(dh * scale), dw, dh, 0.f,
                      down.data());
      for (auto& o : origins) {
        const size_t col = size_t(std::lround(o.first / scale)),
                     row = size_t(std::lround(o.second / scale));
        auto r = full_range->detect_resampled(down.data() + (row * dw + col) * 3, size_t(dw) * 3,
                                              float(o.first), float(o.second), float(tile),
                                              opt.min_score);
        all.insert(all.end(), r.begin(), r.end());
      }
    } else {
      for (auto& o : origins) run(full_range, float(o.first), float(o.second), float(tile));
    }
  }
  // Upside down or on its side (no EXIF to say so), BlazeFace misses some faces (12% of 150
  // validation faces turned 180 degrees): when nothing at all was found, the whole-photo passes
  // again with the photo turned each way, keeping the turn whose best face scores highest (a
  // face seen sideways by one turn is often also found, with a looser box, by another). Three
  // more looks at a photo with no face also find more things that are not faces (9 of 136
  // diagrams, screenshots and textures), so each such face must be confirmed: its neighbourhood,
  // turned its best way, scores opt.turned_confirm (0.75) with the short-range model, as 54 of
  // 60 faces found this way in 400 validation crops turned 90/180/270 did and none of those 9
  // did (chosen on those sets; tests/cpp/orientation_test.cc checks other photos).
  if (opt.turned && all.empty()) {
    std::vector<Detection> best;
    float best_score = 0;
    for (int k = 1; k < 4; k++) {
      whole(k);
      for (const Detection& d : all)
        if (d.score > best_score) best_score = d.score, best = all;
      all.clear();
    }
    FaceDetector* confirm = short_range ? short_range : full_range;
    for (const Detection& d : best) {
      const auto s = confirm->turn_scores(img, d);
      if (*std::max_element(s.begin(), s.end()) >= opt.turned_confirm) all.push_back(d);
    }
  }
  float iou_t = short_range ? short_range->decode().nms_iou
                            : (full_range ? full_range->decode().nms_iou : 0.3f);
  auto merged = weighted_nms(std::move(all), iou_t);
  // A tile can see part of a big face as a small one inside it: drop boxes mostly contained in
  // a larger, higher-scoring box.
  std::vector<Detection> out;
  for (size_t i = 0; i < merged.size(); i++) {
    bool inside = false;
    for (size_t j = 0; j < merged.size() && !inside; j++) {
      if (i == j || merged[j].w * merged[j].h <= merged[i].w * merged[i].h) continue;
      const Detection &a = merged[i], &b = merged[j];
      float ix = std::max(0.f, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
      float iy = std::max(0.f, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
      inside = ix * iy > 0.6f * a.w * a.h && b.score >= a.score * 0.9f;
    }
    if (!inside) out.push_back(merged[i]);
  }
  if (int(out.size()) > opt.max_faces) out.resize(opt.max_faces);
  return out;
}

}  // namespace dfs
