// Face tracks over frames: linking by overlap with a motion guess, gaps, crossings, cuts, and
// the track score (sigmoid of the mean frame logit).
#include "pipeline/video.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

dfs::FaceResult face(float x, float y, float s, float fake) {
  dfs::FaceResult f;
  f.det = dfs::Detection{};
  f.det.x = x, f.det.y = y, f.det.w = f.det.h = s;
  f.det.score = 0.9f;
  f.fake = fake;
  return f;
}

TEST(VideoTracker, MovingFacesGapsCrossingsAndCuts) {
  dfs::VideoTracker tr;
  // Two faces walking towards each other (A left -> right, B right -> left), 20 px per frame;
  // B is missed in frames 3 and 4; they pass each other around frame 5 at different heights.
  for (int f = 0; f < 10; f++) {
    std::vector<dfs::FaceResult> faces;
    faces.push_back(face(100 + 20 * f, 100, 80, 0.2f));
    if (f != 3 && f != 4) faces.push_back(face(300 - 20 * f, 140, 80, 0.9f));
    tr.add_frame(f * 1.0, faces);
  }
  // A cut: one face somewhere else entirely.
  tr.add_frame(10.0, {face(700, 500, 60, 0.5f)});
  auto tracks = tr.tracks();
  ASSERT_EQ(tracks.size(), 3u);
  EXPECT_EQ(tr.frames(), 11);
  const dfs::Track* a = nullptr;
  const dfs::Track* b = nullptr;
  for (const auto& t : tracks) {
    if (std::fabs(t.frames[0].det.y - 100) < 1) a = &t;
    if (std::fabs(t.frames[0].det.y - 140) < 1) b = &t;
  }
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->frames.size(), 10u);
  EXPECT_EQ(b->frames.size(), 8u) << "B goes on after missing two frames";
  for (const auto& fr : a->frames) EXPECT_NEAR(fr.det.y, 100, 1e-3) << "A never takes B's boxes";
  EXPECT_NEAR(a->fake, 0.2f, 1e-4);  // equal frames: the frame score
  EXPECT_NEAR(b->fake, 0.9f, 1e-4);
}

TEST(VideoTracker, ScoreIsTheSigmoidOfTheMeanLogitAndPeakIsTheMostSuspiciousFrame) {
  dfs::VideoTracker tr;
  const float p[] = {0.1f, 0.5f, 0.95f, 0.4f};
  double sum = 0;
  for (int f = 0; f < 4; f++) {
    tr.add_frame(0.5 * f, {face(100, 100, 80, p[f])});
    sum += std::log(p[f] / (1 - p[f]));
  }
  auto t = tr.tracks();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NEAR(t[0].fake, 1 / (1 + std::exp(-sum / 4)), 1e-5);
  EXPECT_DOUBLE_EQ(t[0].peak_t, 1.0);
  // Without a classifier there is no score.
  dfs::VideoTracker none;
  none.add_frame(0, {face(0, 0, 50, NAN)});
  EXPECT_TRUE(std::isnan(none.tracks()[0].fake));
  // A face gone for more than max_gap frames starts a new track.
  dfs::VideoTracker gap;
  gap.add_frame(0, {face(100, 100, 80, 0.5f)});
  for (int f = 1; f <= 4; f++) gap.add_frame(f, {});
  gap.add_frame(5, {face(100, 100, 80, 0.5f)});
  EXPECT_EQ(gap.tracks().size(), 2u);
}

}  // namespace
