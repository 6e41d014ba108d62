// Video check: faces of sampled frames (each frame checked like a photo) linked into tracks, and
// each track scored over time. The decoder lives outside the core: front ends feed frames.
#pragma once
#include <cmath>
#include <vector>

#include "pipeline/checker.h"

namespace dfs {

struct TrackFrame {
  double t = 0;      // seconds
  Detection det;     // the face in that frame (source pixels)
  float fake = NAN;  // its score (NaN without a classifier)
};

struct Track {
  int id = 0;
  std::vector<TrackFrame> frames;
  // Calibrated track score: the sigmoid of the mean per-frame logit (each frame's score is
  // already calibrated, so a track of equal frames scores what one frame does; one outlier
  // frame moves it less than a max would). NaN without scores.
  float fake = NAN;
  double peak_t = 0;  // time of the frame with the highest score
};

struct VideoOptions {
  int max_gap = 3;              // frames a track may miss (occlusion, a missed detection) and go on
  float min_iou = 0.3f;         // box overlap that links a face to a track's last box
  float max_jump = 1.5f;        // else: centre within this many face sizes of the guess ...
  float max_size_ratio = 1.6f;  // ... and a size within this ratio
  int min_frames = 1;           // shorter tracks are dropped from the result
};

class VideoTracker {
 public:
  explicit VideoTracker(VideoOptions opt = {}) : opt_(opt) {}
  // Adds the faces of one sampled frame (in order of time). Each face joins the live track whose
  // last box (moved by that track's last step, when it has one) overlaps it most, greedily by
  // overlap; the rest start tracks. A track unseen for more than max_gap frames ends.
  void add_frame(double t, const std::vector<FaceResult>& faces);
  int frames() const { return frames_; }
  // The tracks so far, each scored; the image-level score is the highest track score.
  std::vector<Track> tracks() const;

 private:
  struct Live {
    Track track;
    int last_frame = 0;
    float vx = 0, vy = 0;  // last step of the box centre, per frame
  };
  VideoOptions opt_;
  std::vector<Live> live_;
  int frames_ = 0, next_id_ = 1;
};

}  // namespace dfs
