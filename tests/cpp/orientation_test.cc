// Faces on their side (a photo turned without EXIF): the checker finds which quarter turn makes
// each face upright and scores it upright. On real portraits from ../shared, turned each way in
// memory, the turn is found and the scores are those of the upright photo.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "image/image.h"
#include "pipeline/checker.h"
#include "test_util.h"

namespace {

dfs::Image turn_cw(const dfs::Image& a) {  // one quarter turn clockwise: (x, y) -> (h-1-y, x)
  dfs::Image b;
  b.w = a.h, b.h = a.w;
  b.rgb.resize(a.rgb.size());
  for (int y = 0; y < a.h; y++)
    for (int x = 0; x < a.w; x++)
      for (int c = 0; c < 3; c++)
        b.rgb[(size_t(x) * b.w + (a.h - 1 - y)) * 3 + c] = a.rgb[(size_t(y) * a.w + x) * 3 + c];
  return b;
}

TEST(Orientation, FacesOnTheirSideAreFoundAndScoredUpright) {
  const std::string dir = dfs_test::shared_path("testdata/lfw-real/");
  if (!dfs_test::file_exists(dir + "real-0000.jpg")) GTEST_SKIP() << "../shared/testdata is absent";
  dfs::Checker c;
  for (const char* m :
       {"models/blazeface_short.dfs", "models/blazeface_full.dfs", "models/classifier.dfs"}) {
    auto b = dfs_test::read_file(dfs_test::repo_path(m));
    c.load_model(b.data(), b.size());
  }
  ASSERT_TRUE(c.has_classifier());
  dfs::CheckOptions on, off;
  off.upright = false;
  int right = 0, total = 0;
  double moved_on = 0, moved_off = 0;
  for (const char* f : {"real-0000.jpg", "real-0001.jpg", "real-0003.jpg", "real-0006.jpg"}) {
    auto bytes = dfs_test::read_file(dir + f);
    dfs::Image img = dfs::decode_image(bytes.data(), bytes.size(), dfs::DecodeLimits());
    auto up = c.check_image(img, on);
    ASSERT_EQ(up.faces.size(), 1u) << f;
    EXPECT_EQ(up.faces[0].turns, 0) << f << ": an upright face is not turned";
    dfs::Image t = img;
    for (int q = 1; q <= 3; q++) {
      t = turn_cw(t);
      auto a = c.check_image(t, on), b = c.check_image(t, off);
      if (a.faces.empty() || b.faces.empty()) continue;
      total++;
      // Turned q times clockwise: turn_square by q (angles minus q * 90 degrees) undoes it.
      if (a.faces[0].turns == q) right++;
      moved_on += std::fabs(a.faces[0].fake - up.faces[0].fake);
      moved_off += std::fabs(b.faces[0].fake - up.faces[0].fake);
    }
  }
  ASSERT_GE(total, 10);
  EXPECT_GE(right, total - 1) << right << " of " << total << " turns found";
  EXPECT_LT(moved_on, moved_off) << "mean score change with turning " << moved_on / total
                                 << ", without " << moved_off / total;
  // A photo turned by quarter turns is checked turned upright as a whole (Checker::check_image),
  // so its faces score as in the upright photo, not merely closer.
  EXPECT_LT(moved_on / total, 0.01) << "mean score change with turning " << moved_on / total;
  std::printf("[orientation] %d of %d turns found; mean |score change| %.3f turned, %.3f not\n",
              right, total, moved_on / total, moved_off / total);
}

void load_detectors(dfs::Checker& c) {
  for (const char* m : {"models/blazeface_short.dfs", "models/blazeface_full.dfs"}) {
    auto b = dfs_test::read_file(dfs_test::repo_path(m));
    c.load_model(b.data(), b.size());
  }
}

float box_iou(const dfs::Detection& a, const float b[4]) {
  const float ix = std::max(0.f, std::min(a.x + a.w, b[0] + b[2]) - std::max(a.x, b[0]));
  const float iy = std::max(0.f, std::min(a.y + a.h, b[1] + b[3]) - std::max(a.y, b[1]));
  return ix * iy / (a.w * a.h + b[2] * b[3] - ix * iy);
}

// A point of a photo W x H turned one quarter clockwise (turn_cw), in the turned photo.
void turn_point_cw(float W, float H, float* x, float* y) {
  (void)W;
  const float px = *x;
  *x = H - *y;
  *y = px;
}

// A photo on its side or upside down without EXIF: BlazeFace misses some of those faces outright,
// so when every upright pass finds nothing the detector looks again with the photo turned
// (DetectOptions::turned); when every face wants the same turn the whole photo is checked turned
// upright. Its faces then have the upright photo's score, and their boxes and keypoints come back
// where they are in the photo (not where BlazeFace puts a box around a turned face). The photos
// are cut to non-square (width and height swap under a quarter turn).
TEST(Orientation, TurnedPhotosAreCheckedAsTheUprightPhoto) {
  const std::string dir = dfs_test::shared_path("testdata/");
  if (!dfs_test::file_exists(dir + "lfw-real/real-0000.jpg"))
    GTEST_SKIP() << "../shared/testdata is absent";
  dfs::Checker c;
  load_detectors(c);
  auto b = dfs_test::read_file(dfs_test::repo_path("models/classifier.dfs"));
  c.load_model(b.data(), b.size());
  dfs::CheckOptions on, off;
  off.detect.turned = false;
  int total = 0, found = 0, found_off = 0, same = 0;
  for (const char* set : {"lfw-real", "utkface-real"}) {
    for (int i = 0; i < 13; i++) {
      char name[32];
      std::snprintf(name, sizeof name, "/real-%04d.jpg", i);
      const std::string f = dir + set + name;
      if (!dfs_test::file_exists(f)) continue;
      auto bytes = dfs_test::read_file(f);
      const dfs::Image full = dfs::decode_image(bytes.data(), bytes.size(), dfs::DecodeLimits());
      dfs::Image img;  // the top 85% of the photo: not square
      img.w = full.w, img.h = full.h * 85 / 100;
      img.rgb.assign(full.rgb.begin(), full.rgb.begin() + size_t(img.w) * img.h * 3);
      auto up = c.check_image(img, on);
      if (up.faces.size() != 1) continue;
      dfs::Detection want = up.faces[0].det;
      dfs::Image t = img;
      for (int q = 1; q <= 3; q++) {
        // The upright face, turned with the photo: its box's corners and its keypoints.
        float ax = want.x, ay = want.y, bx = want.x + want.w, by = want.y + want.h;
        turn_point_cw(float(t.w), float(t.h), &ax, &ay);
        turn_point_cw(float(t.w), float(t.h), &bx, &by);
        want.x = std::min(ax, bx), want.y = std::min(ay, by);
        want.w = std::fabs(bx - ax), want.h = std::fabs(by - ay);
        for (auto& p : want.kp) turn_point_cw(float(t.w), float(t.h), &p[0], &p[1]);
        t = turn_cw(t);
        auto r = c.check_image(t, on);
        total++;
        if (q == 2) found_off += !c.check_image(t, off).faces.empty();
        if (r.faces.size() != 1) continue;
        found++;
        const dfs::FaceResult& fr = r.faces[0];
        const float box[4] = {want.x, want.y, want.w, want.h};
        bool kp_same = true;
        for (int k = 0; k < 6; k++)
          kp_same &=
              std::hypot(fr.det.kp[k][0] - want.kp[k][0], fr.det.kp[k][1] - want.kp[k][1]) < 0.5f;
        // turn_square undoes q clockwise turns with q of its own (angles minus q * 90 degrees).
        const bool same_face = fr.turns == q && box_iou(fr.det, box) > 0.98f && kp_same &&
                               std::fabs(fr.fake - up.faces[0].fake) < 1e-4f;
        same += same_face;
        if (!same_face)
          std::printf("[orientation] %s turned %d: turns %d, box IoU %.3f, score %.3f vs %.3f\n",
                      f.c_str(), q * 90, fr.turns, box_iou(fr.det, box), fr.fake, up.faces[0].fake);
      }
    }
  }
  ASSERT_GE(total, 60);
  EXPECT_EQ(found, total);
  // A few faces are found turned by the upright passes and not recognised as turned by the
  // orientation step (its margin): those are scored as they are.
  EXPECT_GE(same, total - 4);
  std::printf(
      "[orientation] turned photos: %d of %d found, %d as the upright photo; upside down, "
      "%d of %d found without the turned passes\n",
      found, total, same, found_off, total / 3);
}

// Shapes on a flat background (rectangles and ellipses, fixed seeds): looked at three more ways,
// the detector takes a few for faces; the confirmation step lets none of those through. (Over
// seeds 0-159: 3 with a face upright, 7 turned and unconfirmed, the same 3 confirmed.)
TEST(Orientation, TurnedPassesAddNoFacesToShapes) {
  dfs::Checker c;
  load_detectors(c);
  dfs::CheckOptions plain, turned, unconfirmed;
  plain.classify = turned.classify = unconfirmed.classify = false;
  plain.detect.turned = false;
  unconfirmed.detect.turned_confirm = 0;
  int n_plain = 0, n_turned = 0, n_unconfirmed = 0;
  // 40 of the first 160 seeds: 4 of them (3, 121, 140, 147) fool the unconfirmed passes.
  std::vector<int> seeds;
  for (int s = 0; s < 10; s++) seeds.push_back(s);
  for (int s = 120; s < 150; s++) seeds.push_back(s);
  for (int seed : seeds) {
    std::mt19937 rng(seed);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    dfs::Image img;
    img.w = uni(160, 320), img.h = uni(160, 320);
    img.rgb.resize(size_t(img.w) * img.h * 3);
    const uint8_t bg[3] = {uint8_t(uni(0, 255)), uint8_t(uni(0, 255)), uint8_t(uni(0, 255))};
    for (size_t i = 0; i < img.rgb.size(); i++) img.rgb[i] = bg[i % 3];
    for (int s = uni(3, 11); s > 0; s--) {
      const int x0 = uni(0, img.w - 1), y0 = uni(0, img.h - 1);
      const int w = uni(5, img.w / 2), h = uni(5, img.h / 2);
      const bool ellipse = uni(0, 1);
      const uint8_t col[3] = {uint8_t(uni(0, 255)), uint8_t(uni(0, 255)), uint8_t(uni(0, 255))};
      for (int y = y0; y < std::min(img.h, y0 + h); y++)
        for (int x = x0; x < std::min(img.w, x0 + w); x++) {
          const float dx = (x - x0 + 0.5f) / w - 0.5f, dy = (y - y0 + 0.5f) / h - 0.5f;
          if (ellipse && dx * dx + dy * dy > 0.25f) continue;
          for (int ch = 0; ch < 3; ch++) img.rgb[(size_t(y) * img.w + x) * 3 + ch] = col[ch];
        }
    }
    const size_t a = c.check_image(img, plain).faces.size();
    const size_t b = c.check_image(img, turned).faces.size();
    n_plain += a != 0, n_turned += b != 0;
    n_unconfirmed += c.check_image(img, unconfirmed).faces.size() != 0;
    EXPECT_TRUE(b == 0 || b == a) << "seed " << seed << ": the turned passes added a face";
  }
  std::printf("[orientation] shapes with a face: %d upright, %d turned unconfirmed, %d turned\n",
              n_plain, n_unconfirmed, n_turned);
  EXPECT_GT(n_unconfirmed, n_plain) << "no shape fooled the turned passes: the test shows nothing";
}

}  // namespace
