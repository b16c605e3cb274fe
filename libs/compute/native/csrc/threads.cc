#include "threads.h"

#include <oneapi/dnnl/dnnl.hpp>

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#define SEGKIT_OMP 1
#else
#define SEGKIT_OMP 0
#endif

namespace tgs {
namespace {
int g_threads = 1;
}

int set_threads(int n) {
#if SEGKIT_OMP
  omp_set_num_threads(n);
  g_threads = n;
#else
  (void)n;
  g_threads = 1;
#endif
  return g_threads;
}

int threads() { return g_threads; }

const char* threading_runtime() { return SEGKIT_OMP ? "omp" : "sequential"; }

}  // namespace tgs
