// Face detection around BlazeFace: SSD anchors, box/keypoint decode, weighted NMS, and the
// multi-pass search (letterbox, zoom-out, tiles) that finds faces of every size in any photo.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "image/image.h"
#include "models/blazeface.h"

namespace dfs {

struct Anchor {
  float x, y, w, h;  // center and size, normalized to the model input
};

struct AnchorOptions {
  int num_layers = 0, input_h = 0, input_w = 0;
  float min_scale = 0, max_scale = 0, offset_x = 0.5f, offset_y = 0.5f;
  std::vector<int> strides;
  std::vector<float> aspect_ratios;
  bool fixed_anchor_size = true, reduce_boxes_in_lowest_layer = false;
  float interpolated_scale_aspect_ratio = 1.0f;
};
AnchorOptions anchor_options_from(const Json& j);  // throws kBadModel
std::vector<Anchor> generate_anchors(const AnchorOptions& o);

struct Detection {
  float x, y, w, h;  // box (top-left, size); normalized model coords or source pixels
  float score;
  float kp[6][2];  // right eye, left eye, nose tip, mouth, right ear, left ear (subject's)
};

struct DecodeOptions {
  int num_boxes = 0, num_keypoints = 6;
  float x_scale = 128, y_scale = 128, w_scale = 128, h_scale = 128;
  float score_clip = 100, min_score = 0.5f, nms_iou = 0.3f;
};
DecodeOptions decode_options_from(const Json& j);

// Boxes with sigmoid(score) >= min_score, in normalized model coordinates.
std::vector<Detection> decode_boxes(const float* scores, const float* boxes,
                                    const std::vector<Anchor>& anchors, const DecodeOptions& o,
                                    float min_score);
float iou(const Detection& a, const Detection& b);
// MediaPipe-style weighted NMS: clusters of IoU > thresh around the best box are averaged by
// score; the cluster keeps the best score.
std::vector<Detection> weighted_nms(std::vector<Detection> dets, float iou_thresh);

// A detection (box and keypoints) made in a w x h frame turned k quarter turns (turn_square's
// sense), moved back into that frame (unturn_point).
void unturn(Detection& d, float w, float h, int k);
// Detections made in normalized coordinates of a square turned k quarter turns, moved back into
// the frame the square (x, y, side) was cut from.
void unturn(std::vector<Detection>& dets, int k, float x, float y, float side);

// One BlazeFace model with its anchors, able to run on any square source region.
class FaceDetector {
 public:
  explicit FaceDetector(const WeightsFile& wf);
  // Runs the model on the square region (x, y, side) of img (outside = black) and returns
  // detections in source pixels.
  std::vector<Detection> detect_region(const Image& img, float x, float y, float side,
                                       float min_score);
  // The same for a region already resampled to the input size: input_h rows of input_w RGB
  // floats (0..255) at `rgb`, `row_stride` floats apart; (x, y, side) maps it back to the photo.
  std::vector<Detection> detect_resampled(const float* rgb, size_t row_stride, float x, float y,
                                          float side, float min_score);
  // How face-like the neighbourhood of d (a square of 1.6x its larger side, where the short-range
  // model finds faces in a photo) is when turned k quarter turns (turn_square), k = 0..3: the
  // best detection score at min_score 0.3, 0 when none. Needs a square input.
  std::array<float, 4> turn_scores(const Image& img, const Detection& d);
  BlazeFace& model() { return net_; }
  const DecodeOptions& decode() const { return dec_; }
  const std::vector<Anchor>& anchors() const { return anchors_; }

 private:
  BlazeFace net_;
  std::vector<Anchor> anchors_;
  DecodeOptions dec_;
  std::vector<float> rgb_;
};

struct DetectOptions {
  float min_score = -1;  // < 0: each model's own threshold
  int max_faces = 64;
  bool tiles = true;     // tile large photos with the full-range model (small faces)
  bool zoom_out = true;  // extra pass with the image padded 2x (faces filling the frame)
  // When every pass above found nothing: the same whole-photo passes with the photo turned 90,
  // 180 and 270 degrees (a photo upside down or on its side without EXIF), keeping the turn
  // with the best face. Boxes come back in the photo's own frame.
  bool turned = true;
  // The turned passes' confirmation (detect_faces): the best score a face found only turned
  // needs in its own neighbourhood. 0 keeps every such face (tests).
  float turned_confirm = 0.75f;
};

// Runs every pass that applies and merges duplicates across passes and tiles.
std::vector<Detection> detect_faces(const Image& img, FaceDetector* short_range,
                                    FaceDetector* full_range, const DetectOptions& opt);

}  // namespace dfs
