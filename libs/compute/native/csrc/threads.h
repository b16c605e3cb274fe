// The OpenMP thread count every kernel runs with, set by the TypeScript side between steps.
#pragma once

namespace tgs {

// Sets the count (>= 1) and returns the one in force: 1 when oneDNN was built without OpenMP.
int set_threads(int n);
int threads();
// "omp" or "sequential": oneDNN's CPU runtime as this addon was built.
const char* threading_runtime();

}  // namespace tgs
