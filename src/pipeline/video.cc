// Face tracks over sampled video frames: greedy IoU linking with a constant-velocity guess and a
// gap budget, and a per-track score from the mean frame logit.
#include "pipeline/video.h"

#include <algorithm>

#include "pipeline/detect.h"

namespace dfs {

void VideoTracker::add_frame(double t, const std::vector<FaceResult>& faces) {
  const int f = frames_++;
  // Candidate links (overlap with each live track's predicted box), best first.
  struct Link {
    float iou;
    size_t track, face;
  };
  std::vector<Link> links;
  for (size_t k = 0; k < live_.size(); k++) {
    const Live& l = live_[k];
    if (f - l.last_frame > opt_.max_gap + 1) continue;
    Detection guess = l.track.frames.back().det;
    const float steps = float(f - l.last_frame);
    guess.x += l.vx * steps;
    guess.y += l.vy * steps;
    const Detection& last = l.track.frames.back().det;
    for (size_t i = 0; i < faces.size(); i++) {
      const Detection& c = faces[i].det;
      float o = std::max(iou(guess, c), iou(last, c));
      if (o < opt_.min_iou) {
        // Sampled at 1 frame/s a face can move further than its own width: a face of similar
        // size whose centre is near the guess still links, below any overlap link.
        const float s = 0.5f * (std::max(last.w, last.h) + std::max(c.w, c.h));
        const float ratio = std::max(c.w, last.w) / std::max(1e-3f, std::min(c.w, last.w));
        const float d = std::hypot(c.x + c.w / 2 - guess.x - guess.w / 2,
                                   c.y + c.h / 2 - guess.y - guess.h / 2);
        o = ratio < opt_.max_size_ratio && d < opt_.max_jump * s
                ? opt_.min_iou * 0.99f * (1 - d / (opt_.max_jump * s))
                : 0;
      }
      if (o > 0) links.push_back({o, k, i});
    }
  }
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.iou > b.iou; });
  std::vector<bool> track_used(live_.size(), false), face_used(faces.size(), false);
  for (const Link& ln : links) {
    if (track_used[ln.track] || face_used[ln.face]) continue;
    track_used[ln.track] = face_used[ln.face] = true;
    Live& l = live_[ln.track];
    const Detection& prev = l.track.frames.back().det;
    const Detection& cur = faces[ln.face].det;
    const float steps = float(f - l.last_frame);
    l.vx = (cur.x + cur.w / 2 - prev.x - prev.w / 2) / steps;
    l.vy = (cur.y + cur.h / 2 - prev.y - prev.h / 2) / steps;
    l.last_frame = f;
    l.track.frames.push_back({t, cur, faces[ln.face].fake});
  }
  for (size_t i = 0; i < faces.size(); i++) {
    if (face_used[i]) continue;
    Live l;
    l.track.id = next_id_++;
    l.last_frame = f;
    l.track.frames.push_back({t, faces[i].det, faces[i].fake});
    live_.push_back(std::move(l));
  }
}

std::vector<Track> VideoTracker::tracks() const {
  std::vector<Track> out;
  for (const Live& l : live_) {
    if (int(l.track.frames.size()) < opt_.min_frames) continue;
    Track t = l.track;
    double sum = 0;
    int n = 0;
    float best = -1;
    for (const TrackFrame& fr : t.frames) {
      if (std::isnan(fr.fake)) continue;
      const double p = std::min(1.0 - 1e-6, std::max(1e-6, double(fr.fake)));
      sum += std::log(p / (1 - p));
      n++;
      if (fr.fake > best) best = fr.fake, t.peak_t = fr.t;
    }
    if (n) t.fake = float(1 / (1 + std::exp(-sum / n)));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dfs
