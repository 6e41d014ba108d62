// The thread pool (src/core/parallel.h): ranges cover the work exactly once on grain
// boundaries, and the kernels and whole networks give bit-identical outputs with 1..4 threads
// (threads split the output, never a sum).
#include "core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "models/blazeface.h"
#include "models/efficientnet.h"
#include "test_util.h"

using namespace dfs;
using namespace dfs_test;

namespace {

// Restores one thread whatever a test does, so the other suites run as before.
struct Threads {
  explicit Threads(int n) { set_threads(n); }
  ~Threads() { set_threads(1); }
};

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST(Parallel, SetThreadsClamps) {
  Threads t(1);
  EXPECT_EQ(set_threads(0), 1);
  EXPECT_EQ(set_threads(kMaxThreads + 5), kMaxThreads);
  EXPECT_EQ(num_threads(), kMaxThreads);
  EXPECT_EQ(set_threads(2), 2);
  EXPECT_EQ(num_threads(), 2);
}

TEST(Parallel, RangesCoverEachIndexOnceOnGrainBoundaries) {
  for (int threads = 1; threads <= kMaxThreads; threads++) {
    Threads t(threads);
    for (int n : {0, 1, 5, 6, 7, 13, 64, 97, 1000}) {
      for (int grain : {1, 3, 6, 16}) {
        std::vector<std::atomic<int>> hits(size_t(n) + 1);
        std::atomic<int> calls{0};
        std::atomic<bool> misaligned{false};
        parallel_for(n, grain, int64_t(n) * 1000, 1, [&](int b, int e) {
          calls++;
          if (b % grain != 0 || b >= e) misaligned = true;
          for (int i = b; i < e; i++) hits[size_t(i)]++;
        });
        for (int i = 0; i < n; i++)
          ASSERT_EQ(hits[size_t(i)].load(), 1) << n << " " << grain << " " << i;
        EXPECT_FALSE(misaligned.load());
        EXPECT_LE(calls.load(), std::max(1, std::min(threads, (n + grain - 1) / grain)));
      }
    }
  }
}

TEST(Parallel, SmallWorkRunsInline) {
  Threads t(4);
  std::atomic<int> calls{0};
  parallel_for(100, 1, 100, 1000, [&](int b, int e) {
    calls++;
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 100);
  });
  EXPECT_EQ(calls.load(), 1);
}

TEST(Parallel, KernelsBitIdenticalAcrossThreadCounts) {
  struct Shape {
    int h, w, cin, cout;
  };
  for (Shape s :
       {Shape{64, 64, 24, 24}, Shape{33, 17, 32, 40}, Shape{96, 96, 3, 24}, Shape{7, 5, 96, 96}}) {
    const int M = s.h * s.w;
    auto a = random_floats(size_t(M) * s.cin, 1);
    auto w = random_floats(size_t(s.cin) * s.cout, 2);
    auto bias = random_floats(size_t(s.cout), 3);
    auto res = random_floats(size_t(M) * s.cout, 4);
    std::vector<float> packed(f32_gemm_packed_size(s.cin, s.cout));
    f32_gemm_pack(s.cin, s.cout, w.data(), bias.data(), packed.data());
    // Depthwise 3x3/5x5 stride 1/2 and the 3x3 stride-2 stem on the same input.
    auto dw = random_floats(size_t(25) * s.cin, 5);
    auto stem_w = random_floats(size_t(9) * s.cin * s.cout, 6);
    std::vector<float> stem_packed(f32_conv_packed_size(3, 3, s.cin, s.cout));
    f32_conv_pack(3, 3, s.cin, s.cout, stem_w.data(), bias.data(), stem_packed.data());
    Tensor in{a.data(), s.h, s.w, s.cin};
    auto run_all = [&]() {
      std::vector<std::vector<float>> outs;
      std::vector<float> g(size_t(M) * s.cout);
      f32_gemm(M, s.cin, s.cout, a.data(), packed.data(), Act::kRelu, g.data());
      outs.push_back(g);
      f32_gemm_add(M, s.cin, s.cout, a.data(), packed.data(), res.data(), s.cout, Act::kNone,
                   g.data());
      outs.push_back(g);
      for (int k : {3, 5})
        for (int stride : {1, 2}) {
          const int oh = (s.h + stride - 1) / stride, ow = (s.w + stride - 1) / stride;
          std::vector<float> o(size_t(oh) * ow * s.cin);
          f32_dwconv(in, dw.data(), bias.data(), k, stride, k / 2, k / 2, Act::kSwish,
                     Tensor{o.data(), oh, ow, s.cin});
          outs.push_back(o);
        }
      const int oh = (s.h + 1) / 2, ow = (s.w + 1) / 2;
      std::vector<float> o(size_t(oh) * ow * s.cout);
      std::vector<float> scratch(f32_conv_scratch_size(3, 3, s.cin));
      f32_conv(in, stem_packed.data(), 3, 3, 2, 0, 0, Act::kSwish, Tensor{o.data(), oh, ow, s.cout},
               scratch.data());
      outs.push_back(o);
      return outs;
    };
    std::vector<std::vector<float>> one;
    {
      Threads t(1);
      one = run_all();
    }
    for (int threads = 2; threads <= kMaxThreads; threads++) {
      Threads t(threads);
      auto many = run_all();
      ASSERT_EQ(many.size(), one.size());
      for (size_t i = 0; i < one.size(); i++) {
        ASSERT_EQ(many[i].size(), one[i].size());
        EXPECT_EQ(std::memcmp(many[i].data(), one[i].data(), one[i].size() * 4), 0)
            << "kernel " << i << " shape " << s.h << "x" << s.w << "x" << s.cin << "->" << s.cout
            << " threads " << threads;
      }
    }
  }
}

namespace {
template <typename Net>
void fill_input(Net& net) {
  const int H = net.input_h(), W = net.input_w();
  float* in = net.input();
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        in[(y * W + x) * 3 + c] = ((y * 37 + x * 11 + c * 5) % 256) / 127.5f - 1.f;
}
}  // namespace

TEST(Parallel, NetworksBitIdenticalWithTwoAndThreeThreads) {
  for (const char* kind : {"short", "full"}) {
    auto b = read_file(repo_path(std::string("models/blazeface_") + kind + ".dfs"));
    WeightsFile wf = WeightsFile::parse(b.data(), b.size());
    BlazeFace net(wf);
    fill_input(net);
    net.forward();
    const size_t n = size_t(net.num_boxes());
    std::vector<float> s1(net.scores(), net.scores() + n), b1(net.boxes(), net.boxes() + n * 16);
    for (int threads : {2, 3}) {
      Threads t(threads);
      fill_input(net);
      net.forward();
      EXPECT_EQ(std::memcmp(s1.data(), net.scores(), n * 4), 0) << kind << " threads " << threads;
      EXPECT_EQ(std::memcmp(b1.data(), net.boxes(), n * 64), 0) << kind << " threads " << threads;
    }
  }
  std::vector<std::string> effnets = {repo_path("models/classifier.dfs"),
                                      repo_path("build-golden/effnet_b0_synth.dfs")};
  for (const auto& path : effnets) {
    if (!file_exists(path)) continue;
    auto b = read_file(path);
    WeightsFile wf = WeightsFile::parse(b.data(), b.size());
    EfficientNet net(wf);
    fill_input(net);
    const float one = net.forward();
    for (int threads : {2, 3}) {
      Threads t(threads);
      fill_input(net);
      const float many = net.forward();
      EXPECT_EQ(std::memcmp(&one, &many, 4), 0)
          << path << " threads " << threads << ": " << one << " vs " << many;
    }
  }
}
