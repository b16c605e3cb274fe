#include "conv.h"

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "onednn_compat.h"
#include "threads.h"

namespace tgs {
namespace {

using tag = memory::format_tag;
using dt = memory::data_type;

engine& cpu_engine() {
  static engine eng(engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& cpu_stream() {
  static dnnl::stream s(cpu_engine());
  return s;
}

size_t g_scratch_bytes = 0;

memory::desc nhwc(int n, int c, int h, int w) { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
// Activations in the layout oneDNN prefers (8-channel blocks with AVX2), reordered from and to
// tfjs's NHWC around each call: measured on the reference U-Net step, 40 % less convolution time
// than running the NHWC kernels directly, reorders included.
memory::desc any4(int n, int c, int h, int w) { return {{n, c, h, w}, dt::f32, tag::any}; }
memory::desc hwio(const ConvGeom& g) { return {{g.CO, g.C, g.KH, g.KW}, dt::f32, tag::hwio}; }
memory::desc weights_any(const ConvGeom& g) { return {{g.CO, g.C, g.KH, g.KW}, dt::f32, tag::any}; }

// A tensor as the user (tfjs) lays it out, and as the primitive wants it. When the two differ the
// operand owns a scratch tensor in the primitive's layout and a reorder in the needed direction.
struct Operand {
  memory user;
  memory inner;
  bool reordered = false;
  dnnl::reorder reorder;

  void init(const memory::desc& user_md, const memory::desc& want, bool is_input) {
    user = memory(user_md, cpu_engine(), DNNL_MEMORY_NONE);
    if (want == user_md) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(want, cpu_engine());
    g_scratch_bytes += want.get_size();
    reorder = is_input ? dnnl::reorder(user, inner) : dnnl::reorder(inner, user);
  }
  size_t bytes() const { return reordered ? inner.get_desc().get_size() : 0; }
  void bind(void* p) { user.set_data_handle(p); }
  void to_inner() {
    if (reordered) reorder.execute(cpu_stream(), user, inner);
  }
  void to_user() {
    if (reordered) reorder.execute(cpu_stream(), inner, user);
  }
};

struct Entry {
  virtual ~Entry() = default;
  virtual size_t bytes() const = 0;
};

struct ConvFwd : Entry {
  dnnl::convolution_forward prim;
  Operand src, weights, bias, dst;
  bool has_bias = false;
  size_t bytes() const override { return src.bytes() + weights.bytes() + dst.bytes(); }
};

struct ConvBwdData : Entry {
  dnnl::convolution_backward_data prim;
  Operand diff_dst, weights, diff_src;
  size_t bytes() const override { return diff_dst.bytes() + weights.bytes() + diff_src.bytes(); }
};

struct ConvBwdWeights : Entry {
  dnnl::convolution_backward_weights prim;
  Operand src, diff_dst, diff_weights;
  size_t bytes() const override { return src.bytes() + diff_dst.bytes() + diff_weights.bytes(); }
};

std::unordered_map<std::string, std::unique_ptr<Entry>>& cache() {
  static std::unordered_map<std::string, std::unique_ptr<Entry>> c;
  return c;
}

std::string key_of(const char* op, const ConvGeom& g, int extra0 = 0, float extra1 = 0.f) {
  std::ostringstream k;
  k << op << ':' << threads();
  const int* p = &g.B;
  for (int i = 0; i < conv_geom::kCount; i++) k << ',' << p[i];
  k << '|' << extra0 << '|' << extra1;
  return k.str();
}

memory::dims strides(const ConvGeom& g) { return {g.sh, g.sw}; }
// oneDNN counts dilation from 0 (no dilation), tfjs from 1.
memory::dims dilates(const ConvGeom& g) { return {g.dh - 1, g.dw - 1}; }
memory::dims pad_l(const ConvGeom& g) { return {g.pt, g.pl}; }
memory::dims pad_r(const ConvGeom& g) { return {g.pb, g.pr}; }

dnnl::convolution_forward::primitive_desc fwd_pd(const ConvGeom& g, prop_kind prop, bool bias, const primitive_attr& attr) {
  memory::desc b_md({g.CO}, dt::f32, tag::any);
  return conv_fwd_pd(cpu_engine(), prop, any4(g.B, g.C, g.H, g.W), weights_any(g), bias ? &b_md : nullptr,
                     any4(g.B, g.CO, g.OH, g.OW), strides(g), dilates(g), pad_l(g), pad_r(g), attr);
}

ConvFwd& conv_fwd_entry(const ConvGeom& g, bool has_bias, int act, float alpha) {
  auto& c = cache();
  std::string key = key_of("fwd", g, act * 2 + (has_bias ? 1 : 0), alpha);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvFwd&>(*it->second);
  primitive_attr attr;
  if (act != activation::kLinear) {
    dnnl::post_ops ops;
    switch (act) {
      case activation::kRelu: append_eltwise(ops, algorithm::eltwise_relu, 0.f, 0.f); break;
      case activation::kRelu6: append_eltwise(ops, algorithm::eltwise_clip, 0.f, 6.f); break;
      case activation::kElu: append_eltwise(ops, algorithm::eltwise_elu, 1.f, 0.f); break;
      case activation::kSigmoid: append_eltwise(ops, algorithm::eltwise_logistic, 0.f, 0.f); break;
      case activation::kLeakyRelu: append_eltwise(ops, algorithm::eltwise_relu, alpha, 0.f); break;
      default: throw std::invalid_argument("unsupported fused activation");
    }
    attr.set_post_ops(ops);
  }
  auto pd = fwd_pd(g, prop_kind::forward_inference, has_bias, attr);
  auto e = std::make_unique<ConvFwd>();
  e->prim = dnnl::convolution_forward(pd);
  e->src.init(nhwc(g.B, g.C, g.H, g.W), pd.src_desc(), true);
  e->weights.init(hwio(g), pd.weights_desc(), true);
  e->has_bias = has_bias;
  if (has_bias) e->bias.init(memory::desc({g.CO}, dt::f32, tag::x), pd.bias_desc(), true);
  e->dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.dst_desc(), false);
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

ConvBwdData& conv_bwd_data_entry(const ConvGeom& g) {
  auto& c = cache();
  std::string key = key_of("bwd_data", g);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvBwdData&>(*it->second);
  auto hint = fwd_pd(g, prop_kind::forward_training, false, primitive_attr());
  auto pd = conv_bwd_data_pd(cpu_engine(), any4(g.B, g.C, g.H, g.W), weights_any(g), any4(g.B, g.CO, g.OH, g.OW),
                             strides(g), dilates(g), pad_l(g), pad_r(g), hint);
  auto e = std::make_unique<ConvBwdData>();
  e->prim = dnnl::convolution_backward_data(pd);
  e->diff_dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.diff_dst_desc(), true);
  e->weights.init(hwio(g), pd.weights_desc(), true);
  e->diff_src.init(nhwc(g.B, g.C, g.H, g.W), pd.diff_src_desc(), false);
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

ConvBwdWeights& conv_bwd_weights_entry(const ConvGeom& g) {
  auto& c = cache();
  std::string key = key_of("bwd_weights", g);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvBwdWeights&>(*it->second);
  auto hint = fwd_pd(g, prop_kind::forward_training, false, primitive_attr());
  auto pd = conv_bwd_weights_pd(cpu_engine(), any4(g.B, g.C, g.H, g.W), weights_any(g), any4(g.B, g.CO, g.OH, g.OW),
                                strides(g), dilates(g), pad_l(g), pad_r(g), hint);
  auto e = std::make_unique<ConvBwdWeights>();
  e->prim = dnnl::convolution_backward_weights(pd);
  e->src.init(nhwc(g.B, g.C, g.H, g.W), pd.src_desc(), true);
  e->diff_dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.diff_dst_desc(), true);
  e->diff_weights.init(hwio(g), pd.diff_weights_desc(), false);
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

void* mutable_ptr(const float* p) { return const_cast<float*>(p); }

}  // namespace

ConvGeom conv_geom_from(const int32_t* p, size_t length) {
  if (length != conv_geom::kCount) throw std::invalid_argument("conv geometry must have 17 entries");
  using namespace conv_geom;
  ConvGeom g{p[kBatch], p[kInHeight], p[kInWidth], p[kInChannels], p[kFilterHeight], p[kFilterWidth], p[kOutChannels], p[kOutHeight], p[kOutWidth],
             p[kStrideHeight], p[kStrideWidth], p[kDilationHeight], p[kDilationWidth], p[kPadTop], p[kPadLeft], p[kPadBottom], p[kPadRight]};
  for (int i = 0; i < kCount; i++) {
    const bool is_pad = i == kPadTop || i == kPadLeft || i == kPadBottom || i == kPadRight;
    if (p[i] < 0 || (!is_pad && p[i] == 0)) throw std::invalid_argument("conv geometry has a non-positive size");
  }
  return g;
}

void conv_forward(const ConvGeom& g, int act, float alpha, const float* x, const float* w, const float* bias, float* y) {
  const bool has_bias = bias != nullptr;
  ConvFwd& e = conv_fwd_entry(g, has_bias, act, alpha);
  e.src.bind(mutable_ptr(x));
  e.weights.bind(mutable_ptr(w));
  if (has_bias) e.bias.bind(mutable_ptr(bias));
  e.dst.bind(y);
  e.src.to_inner();
  e.weights.to_inner();
  if (has_bias) e.bias.to_inner();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.src.inner}, {DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_DST, e.dst.inner}};
  if (has_bias) args.emplace(DNNL_ARG_BIAS, e.bias.inner);
  e.prim.execute(cpu_stream(), args);
  e.dst.to_user();
  cpu_stream().wait();
}

void conv_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  ConvBwdData& e = conv_bwd_data_entry(g);
  e.diff_dst.bind(mutable_ptr(dy));
  e.weights.bind(mutable_ptr(w));
  e.diff_src.bind(dx);
  e.diff_dst.to_inner();
  e.weights.to_inner();
  e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_DIFF_SRC, e.diff_src.inner}});
  e.diff_src.to_user();
  cpu_stream().wait();
}

void conv_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  ConvBwdWeights& e = conv_bwd_weights_entry(g);
  e.src.bind(mutable_ptr(x));
  e.diff_dst.bind(mutable_ptr(dy));
  e.diff_weights.bind(dw);
  e.src.to_inner();
  e.diff_dst.to_inner();
  e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, e.src.inner}, {DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_DIFF_WEIGHTS, e.diff_weights.inner}});
  e.diff_weights.to_user();
  cpu_stream().wait();
}

ConvCacheStats conv_cache_stats() {
  size_t bytes = 0;
  for (auto& [k, e] : cache()) bytes += e->bytes();
  return {cache().size(), bytes, g_scratch_bytes};
}

void conv_cache_clear() { cache().clear(); }

OnednnInfo onednn_info() {
  const dnnl_version_t* v = dnnl_version();
  return {v->major, v->minor, v->patch, DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR, DNNL_VERSION_PATCH, dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx2};
}

}  // namespace tgs
