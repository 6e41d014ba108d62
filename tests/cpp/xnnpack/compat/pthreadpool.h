// Stand-in for <pthreadpool.h> where libpthreadpool-dev is absent: xnnpack.h only needs the
// opaque handle type, and our cross-checks and benchmarks always pass a null (single-thread) pool.
// CMake adds this folder to the include path only when the real header is not found.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
typedef struct pthreadpool* pthreadpool_t;
#ifdef __cplusplus
}
#endif
