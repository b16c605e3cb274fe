// Winograd F(2x2, 3x3) convolutions for AVX2 CPUs, where oneDNN 2.x has no Winograd kernel: a 3x3
// stride-1 layer's forward pass, input gradient and weight gradient on tfjs's NHWC tensors and
// HWIO filters, with no reorders. Each 2x2 output tile takes 16 products per input and output
// channel instead of 36 (2.25x fewer), as 16 small matrix products between tile transforms.
//
// Every output element (and every weight-gradient element) is summed in an order fixed by the
// shape alone, on one thread: the bits do not depend on the thread count.
#pragma once
#include <cstddef>

#include "conv.h"

namespace tgs {

// The CPU has AVX2 and FMA (and this is an x86-64 build).
bool wino_cpu();
// The geometries the kernels take: 3x3, stride 1, dilation 1, channels in and out multiples of 8,
// paddings of 0 to 2 with the output size they give.
bool wino_shape(const ConvGeom& g);

// y = act(bias + conv(x, w)), act linear or relu (abi.h codes), bias may be nullptr.
void wino_forward(const ConvGeom& g, int act, const float* x, const float* w, const float* bias, float* y);
// dx = d/dx sum(conv(x, w) * dy): the forward kernel on dy with the filter turned 180 degrees and
// its channels swapped.
void wino_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
// dw = d/dw sum(conv(x, w) * dy), summed over the batch in fixed chunks of images (from the shape:
// at most 8, at least 128 tiles each), the partial sums added in chunk order.
void wino_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw);

// Scratch bytes held (grow-only arenas, reused by every call); passes run since the last release;
// a release (frees the scratch, zeroes the pass count).
size_t wino_scratch_bytes();
size_t wino_calls();
void wino_release();

}  // namespace tgs
