// Faces on their side (a photo turned without EXIF): the checker finds which quarter turn makes
// each face upright and scores it upright. On real portraits from ../shared, turned each way in
// memory, the turn is found and the scores move less than without turning.
#include <gtest/gtest.h>

#include <cmath>
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
  std::printf("[orientation] %d of %d turns found; mean |score change| %.3f turned, %.3f not\n",
              right, total, moved_on / total, moved_off / total);
}

}  // namespace
