#include "core/parallel.h"

#ifdef DFS_THREADS
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace dfs {

#ifndef DFS_THREADS

int set_threads(int) { return 1; }
int num_threads() { return 1; }
namespace detail {
void parallel_run(int n, int, int, RangeFn fn, void* ctx) { fn(ctx, 0, 0, n); }
}  // namespace detail

#else

namespace {

// Workers wait for a new generation number; the job's fields are written before the number is
// published (release) and read after it is seen (acquire). A worker spins a little before it
// sleeps, because the next kernel call usually follows within microseconds; the caller runs
// part 0 itself and spins until every worker has reported back.
class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return size_; }

  void resize(int n) {
    if (n == size_) return;
    {
      std::lock_guard<std::mutex> lock(m_);
      quit_ = true;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    quit_ = false;
    size_ = n;
    // A worker waits for the generation after this one (read now: a thread may start running
    // only after the next bump, and must still see it as new).
    const uint32_t start = gen_.load(std::memory_order_relaxed);
    for (int i = 1; i < n; i++) workers_.emplace_back([this, i, start] { loop(i, start); });
  }

  void run(int n, int grain, int parts, detail::RangeFn fn, void* ctx) {
    const int max_parts = (n + grain - 1) / grain;
    if (parts > max_parts) parts = max_parts;
    if (parts > size_) parts = size_;
    int chunk = (n + parts - 1) / parts;
    chunk = (chunk + grain - 1) / grain * grain;
    n_ = n;
    chunk_ = chunk;
    parts_ = parts;
    fn_ = fn;
    ctx_ = ctx;
    pending_.store(int(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(m_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    part(0);
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins > 4096) std::this_thread::yield();
    }
  }

 private:
  void part(int p) {
    if (p >= parts_) return;
    const int b = p * chunk_;
    const int e = b + chunk_ < n_ ? b + chunk_ : n_;
    if (b < e) fn_(ctx_, p, b, e);
  }

  void loop(int index, uint32_t seen) {
    for (;;) {
      uint32_t g = gen_.load(std::memory_order_acquire);
      for (int spins = 0; g == seen && spins < 20000; spins++)
        g = gen_.load(std::memory_order_acquire);
      if (g == seen) {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return gen_.load(std::memory_order_acquire) != seen; });
        g = gen_.load(std::memory_order_acquire);
      }
      seen = g;
      if (quit_) return;
      part(index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<uint32_t> gen_{0};
  std::atomic<int> pending_{0};
  bool quit_ = false;
  int size_ = 1;
  // The current job (valid between a generation bump and pending_ reaching 0).
  int n_ = 0, chunk_ = 0, parts_ = 0;
  detail::RangeFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

int set_threads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  pool().resize(n);
  return n;
}

int num_threads() { return pool().size(); }

namespace detail {
void parallel_run(int n, int grain, int threads, RangeFn fn, void* ctx) {
  pool().run(n, grain, threads, fn, ctx);
}
}  // namespace detail

#endif

}  // namespace dfs
