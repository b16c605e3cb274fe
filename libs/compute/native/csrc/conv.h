// oneDNN convolutions on tensors laid out as tfjs lays them out (NHWC activations, HWIO filters),
// run in place on caller-owned memory. Primitives (and the blocked-layout scratch tensors they
// need) are created once per geometry and thread count and kept, as PyTorch's ideep does.
#pragma once
#include <cstddef>
#include <cstdint>

#include "abi.h"

namespace tgs {

// Convolution geometry in tfjs terms, as the TypeScript side computes it with
// tf.backend_util.computeConv2DInfo.
struct ConvGeom {
  int B, H, W, C, KH, KW, CO, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr;
};

// The geometry from its conv_geom positions (abi.h); throws std::invalid_argument on a wrong
// length, a non-positive size or a negative padding.
ConvGeom conv_geom_from(const int32_t* p, size_t length);
inline size_t conv_input_size(const ConvGeom& g) { return size_t(g.B) * g.H * g.W * g.C; }
inline size_t conv_output_size(const ConvGeom& g) { return size_t(g.B) * g.OH * g.OW * g.CO; }
inline size_t conv_filter_size(const ConvGeom& g) { return size_t(g.KH) * g.KW * g.C * g.CO; }

// y[b,oh,ow,co] = act(bias[co] + sum_{kh,kw,c} x[b, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, c] * w[kh,kw,c,co]);
// activation is an activation code (abi.h), alpha the leaky ReLU slope; bias may be nullptr.
// Throws dnnl::error when oneDNN refuses the geometry.
void conv_forward(const ConvGeom& g, int activation, float alpha, const float* x, const float* w, const float* bias, float* y);
// dx = d/dx sum(conv(x, w) * dy)
void conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx);
// dw[kh,kw,c,co] = sum_{b,oh,ow} x[b, oh*sh + kh - pt, ow*sw + kw - pl, c] * dy[b,oh,ow,co]
void conv_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw);

struct ConvCacheStats {
  size_t primitives;
  // Scratch bytes held now, and ever allocated (a growth check over many steps).
  size_t scratch_bytes;
  size_t scratch_bytes_ever_allocated;
  // Primitives ever created (a thread-count change creates them again) and the seconds it took.
  size_t creations;
  double create_seconds;
  // Primitives held that run Winograd (chunks of wide 3x3 stride-1 layers' passes, AVX-512).
  size_t winograd;
  // Primitives held that run on tfjs's NHWC tensors directly (narrow layers' forward passes and
  // input gradients, AVX2).
  size_t nhwc_direct;
  // Passes run by the addon's own AVX2 Winograd kernels (wino.h) since the cache was last emptied.
  size_t avx2_winograd_calls;
};
ConvCacheStats conv_cache_stats();
void conv_cache_clear();
// Winograd for the layers its rule picks (the default), or direct convolutions only; a change
// empties the primitive cache. Results differ between the two by rounding only.
void conv_set_winograd(bool enabled);
// NHWC kernels for the narrow layers the rule picks (the default, AVX2), or oneDNN's blocked
// layouts everywhere; a change empties the primitive cache. The same bits either way.
void conv_set_nhwc_direct(bool enabled);

// oneDNN's version and ISA, for the addon's version().
struct OnednnInfo {
  int major, minor, patch;
  int header_major, header_minor, header_patch;
  bool avx2, avx512;
  // oneDNN has Winograd convolutions for this CPU (AVX-512 in oneDNN 2.x).
  bool winograd;
  // The addon's own AVX2 Winograd F(2x2, 3x3) kernels run here (an AVX2 CPU where oneDNN has none).
  bool avx2_winograd;
};
OnednnInfo onednn_info();

}  // namespace tgs
