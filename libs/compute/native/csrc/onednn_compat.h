// Compile-time bridge between the oneDNN 2.x and 3.x C++ APIs for the primitives we use.
// 3.0 removed the op descriptors (`convolution_forward::desc`): primitive descriptors are built
// directly from the engine and memory descriptors, and eltwise post-ops lost their scale.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace tgs {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using dnnl::primitive_attr;
using dnnl::prop_kind;

inline void append_eltwise(dnnl::post_ops& ops, algorithm alg, float alpha, float beta) {
#if DNNL_VERSION_MAJOR >= 3
  ops.append_eltwise(alg, alpha, beta);
#else
  ops.append_eltwise(1.0f, alg, alpha, beta);
#endif
}

inline dnnl::convolution_forward::primitive_desc conv_fwd_pd(
    const engine& eng, prop_kind prop, algorithm alg, const memory::desc& src, const memory::desc& weights,
    const memory::desc* bias, const memory::desc& dst, const memory::dims& strides,
    const memory::dims& dilates, const memory::dims& pad_l, const memory::dims& pad_r,
    const primitive_attr& attr) {
#if DNNL_VERSION_MAJOR >= 3
  if (bias != nullptr)
    return {eng, prop, alg, src, weights, *bias, dst, strides, dilates, pad_l, pad_r, attr};
  return {eng, prop, alg, src, weights, dst, strides, dilates, pad_l, pad_r, attr};
#else
  if (bias != nullptr) {
    dnnl::convolution_forward::desc d(prop, alg, src, weights, *bias, dst, strides, dilates, pad_l, pad_r);
    return {d, attr, eng};
  }
  dnnl::convolution_forward::desc d(prop, alg, src, weights, dst, strides, dilates, pad_l, pad_r);
  return {d, attr, eng};
#endif
}

inline dnnl::convolution_backward_data::primitive_desc conv_bwd_data_pd(
    const engine& eng, algorithm alg, const memory::desc& diff_src, const memory::desc& weights,
    const memory::desc& diff_dst, const memory::dims& strides, const memory::dims& dilates,
    const memory::dims& pad_l, const memory::dims& pad_r,
    const dnnl::convolution_forward::primitive_desc& hint, const primitive_attr& attr = primitive_attr()) {
#if DNNL_VERSION_MAJOR >= 3
  return {eng, alg, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r, hint, attr};
#else
  dnnl::convolution_backward_data::desc d(alg, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r);
  return {d, attr, eng, hint};
#endif
}

inline dnnl::convolution_backward_weights::primitive_desc conv_bwd_weights_pd(
    const engine& eng, algorithm alg, const memory::desc& src, const memory::desc& diff_weights,
    const memory::desc& diff_dst, const memory::dims& strides, const memory::dims& dilates,
    const memory::dims& pad_l, const memory::dims& pad_r,
    const dnnl::convolution_forward::primitive_desc& hint, const primitive_attr& attr = primitive_attr()) {
#if DNNL_VERSION_MAJOR >= 3
  return {eng, alg, src, diff_weights, diff_dst, strides, dilates, pad_l, pad_r, hint, attr};
#else
  dnnl::convolution_backward_weights::desc d(alg, src, diff_weights, diff_dst, strides, dilates, pad_l, pad_r);
  return {d, attr, eng, hint};
#endif
}

}  // namespace tgs
