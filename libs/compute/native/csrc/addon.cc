// tgs_onednn: oneDNN convolutions and max pooling for tfjs's wasm backend, run in place on the
// wasm heap. Every entry point takes the heap's ArrayBuffer and byte offsets of the tensors in it,
// so no tensor is copied between wasm and native memory. Primitives (and the blocked-layout
// scratch tensors they need) are created once per shape and kept, as PyTorch's ideep does.
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "onednn_compat.h"
#include "elementwise.h"
#include "pool.h"

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#define TGS_OMP 1
#else
#define TGS_OMP 0
#endif

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

int g_threads = 1;
size_t g_scratch_bytes = 0;

// Convolution geometry in tfjs terms (NHWC input, HWIO filter), as the JS side computes it with
// tf.backend_util.computeConv2DInfo.
struct ConvGeom {
  int B, H, W, C, KH, KW, CO, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr;
};
constexpr int kConvGeomLen = 17;

ConvGeom read_conv_geom(const Napi::Int32Array& a) {
  if (a.ElementLength() != kConvGeomLen) throw std::invalid_argument("conv geometry must have 17 entries");
  const int32_t* p = a.Data();
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16]};
  for (int i = 0; i < kConvGeomLen; i++)
    if (p[i] < 0 || (i < 13 && p[i] == 0)) throw std::invalid_argument("conv geometry has a non-positive size");
  return g;
}

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
  k << op << ':' << g_threads;
  const int* p = &g.B;
  for (int i = 0; i < kConvGeomLen; i++) k << ',' << p[i];
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

// Fused activations of tfjs's FusedConv2D that map to a oneDNN eltwise post-op.
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSigmoid = 4, kLeakyRelu = 5 };

ConvFwd& conv_fwd_entry(const ConvGeom& g, bool has_bias, int act, float alpha) {
  auto& c = cache();
  std::string key = key_of("fwd", g, act * 2 + (has_bias ? 1 : 0), alpha);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvFwd&>(*it->second);
  primitive_attr attr;
  if (act != kLinear) {
    dnnl::post_ops ops;
    switch (act) {
      case kRelu: append_eltwise(ops, algorithm::eltwise_relu, 0.f, 0.f); break;
      case kRelu6: append_eltwise(ops, algorithm::eltwise_clip, 0.f, 6.f); break;
      case kElu: append_eltwise(ops, algorithm::eltwise_elu, 1.f, 0.f); break;
      case kSigmoid: append_eltwise(ops, algorithm::eltwise_logistic, 0.f, 0.f); break;
      case kLeakyRelu: append_eltwise(ops, algorithm::eltwise_relu, alpha, 0.f); break;
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

// ---- argument plumbing --------------------------------------------------------------------------

struct Heap {
  uint8_t* base;
  size_t length;
  float* at(const Napi::Value& offset, size_t elements, const char* what) const {
    double off = offset.As<Napi::Number>().DoubleValue();
    if (off < 0 || off + elements * sizeof(float) > static_cast<double>(length) || static_cast<uint64_t>(off) % 4 != 0) {
      throw std::out_of_range(std::string(what) + " lies outside the wasm heap");
    }
    return reinterpret_cast<float*>(base + static_cast<size_t>(off));
  }
};

Heap heap_of(const Napi::Value& v) {
  if (!v.IsArrayBuffer()) throw std::invalid_argument("expected the wasm heap's ArrayBuffer");
  auto ab = v.As<Napi::ArrayBuffer>();
  return {static_cast<uint8_t*>(ab.Data()), ab.ByteLength()};
}

size_t n_in(const ConvGeom& g) { return size_t(g.B) * g.H * g.W * g.C; }
size_t n_out(const ConvGeom& g) { return size_t(g.B) * g.OH * g.OW * g.CO; }
size_t n_filter(const ConvGeom& g) { return size_t(g.KH) * g.KW * g.C * g.CO; }

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

// conv2d(heap, geom, activation, alpha, xOff, wOff, biasOff | -1, yOff)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    ConvGeom g = read_conv_geom(info[1].As<Napi::Int32Array>());
    int act = info[2].As<Napi::Number>().Int32Value();
    float alpha = info[3].As<Napi::Number>().FloatValue();
    bool has_bias = info[6].As<Napi::Number>().DoubleValue() >= 0;
    ConvFwd& e = conv_fwd_entry(g, has_bias, act, alpha);
    e.src.bind(h.at(info[4], n_in(g), "x"));
    e.weights.bind(h.at(info[5], n_filter(g), "filter"));
    if (has_bias) e.bias.bind(h.at(info[6], g.CO, "bias"));
    e.dst.bind(h.at(info[7], n_out(g), "output"));
    e.src.to_inner();
    e.weights.to_inner();
    if (has_bias) e.bias.to_inner();
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.src.inner}, {DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_DST, e.dst.inner}};
    if (has_bias) args.emplace(DNNL_ARG_BIAS, e.bias.inner);
    e.prim.execute(cpu_stream(), args);
    e.dst.to_user();
    cpu_stream().wait();
  });
}

// conv2dBackwardData(heap, geom, dyOff, wOff, dxOff): dx = conv^T(dy, w)
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    ConvGeom g = read_conv_geom(info[1].As<Napi::Int32Array>());
    ConvBwdData& e = conv_bwd_data_entry(g);
    e.diff_dst.bind(h.at(info[2], n_out(g), "dy"));
    e.weights.bind(h.at(info[3], n_filter(g), "filter"));
    e.diff_src.bind(h.at(info[4], n_in(g), "dx"));
    e.diff_dst.to_inner();
    e.weights.to_inner();
    e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_DIFF_SRC, e.diff_src.inner}});
    e.diff_src.to_user();
    cpu_stream().wait();
  });
}

// conv2dBackwardWeights(heap, geom, xOff, dyOff, dwOff): dw = sum over b,oh,ow of x (x) dy
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    ConvGeom g = read_conv_geom(info[1].As<Napi::Int32Array>());
    ConvBwdWeights& e = conv_bwd_weights_entry(g);
    e.src.bind(h.at(info[2], n_in(g), "x"));
    e.diff_dst.bind(h.at(info[3], n_out(g), "dy"));
    e.diff_weights.bind(h.at(info[4], n_filter(g), "dw"));
    e.src.to_inner();
    e.diff_dst.to_inner();
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, e.src.inner}, {DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_DIFF_WEIGHTS, e.diff_weights.inner}});
    e.diff_weights.to_user();
    cpu_stream().wait();
  });
}

PoolGeom read_pool_geom(const Napi::Int32Array& a) {
  if (a.ElementLength() != 12) throw std::invalid_argument("pool geometry must have 12 entries");
  const int32_t* p = a.Data();
  PoolGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  for (int i = 0; i < 10; i++)
    if (p[i] <= 0) throw std::invalid_argument("pool geometry has a non-positive size");
  return g;
}

// maxPool(heap, geom, xOff, yOff)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    PoolGeom g = read_pool_geom(info[1].As<Napi::Int32Array>());
    size_t nx = size_t(g.B) * g.H * g.W * g.C, ny = size_t(g.B) * g.OH * g.OW * g.C;
    max_pool_forward(h.at(info[2], nx, "x"), h.at(info[3], ny, "output"), g);
  });
}

// maxPoolGrad(heap, geom, xOff, dyOff, dxOff)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    PoolGeom g = read_pool_geom(info[1].As<Napi::Int32Array>());
    size_t nx = size_t(g.B) * g.H * g.W * g.C, ny = size_t(g.B) * g.OH * g.OW * g.C;
    max_pool_backward(h.at(info[2], nx, "x"), h.at(info[3], ny, "dy"), h.at(info[4], nx, "dx"), g);
  });
}

size_t as_size(const Napi::Value& v) {
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != static_cast<double>(static_cast<size_t>(d))) throw std::invalid_argument("expected a non-negative integer size");
  return static_cast<size_t>(d);
}

size_t operand_size(int mode, size_t n, size_t c) { return mode == kFull ? n : mode == kPerChannel ? c : 1; }

// binary(heap, op, aOff, aMode, bOff, bMode, outOff, n, c)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    int op = info[1].As<Napi::Number>().Int32Value();
    int am = info[3].As<Napi::Number>().Int32Value(), bm = info[5].As<Napi::Number>().Int32Value();
    size_t n = as_size(info[7]), c = as_size(info[8]);
    if (op < kAdd || op > kMinimum || am < kFull || am > kScalar || bm < kFull || bm > kScalar || c == 0 || n % c != 0) throw std::invalid_argument("bad binary op arguments");
    binary(op, h.at(info[2], operand_size(am, n, c), "a"), am, h.at(info[4], operand_size(bm, n, c), "b"), bm, h.at(info[6], n, "output"), n, c);
  });
}

// reduce(heap, xOff, yOff, rows, cols, overRows, scale)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    size_t rows = as_size(info[3]), cols = as_size(info[4]);
    bool over_rows = info[5].As<Napi::Boolean>().Value();
    float scale = info[6].As<Napi::Number>().FloatValue();
    const float* x = h.at(info[1], rows * cols, "x");
    float* y = h.at(info[2], over_rows ? cols : rows, "output");
    if (over_rows) reduce_rows(x, y, rows, cols, scale);
    else reduce_cols(x, y, rows, cols, scale);
  });
}

// batchNorm(heap, xOff, meanOff, varOff, gammaOff | -1, betaOff | -1, eps, yOff, n, c)
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    size_t n = as_size(info[8]), c = as_size(info[9]);
    if (c == 0 || n % c != 0) throw std::invalid_argument("bad batch norm sizes");
    auto optional = [&](const Napi::Value& v, const char* what) -> const float* {
      return v.As<Napi::Number>().DoubleValue() < 0 ? nullptr : h.at(v, c, what);
    };
    batch_norm(h.at(info[1], n, "x"), h.at(info[2], c, "mean"), h.at(info[3], c, "variance"), optional(info[4], "scale"), optional(info[5], "offset"),
               info[6].As<Napi::Number>().FloatValue(), h.at(info[7], n, "output"), n, c);
  });
}

// batchNormGrad(heap, xOff, dyOff, meanOff, varOff, gammaOff | -1, eps, dxOff, dmeanOff, dvarOff, dgammaOff | -1, dbetaOff, n, c)
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    size_t n = as_size(info[12]), c = as_size(info[13]);
    if (c == 0 || n % c != 0) throw std::invalid_argument("bad batch norm sizes");
    bool has_gamma = info[5].As<Napi::Number>().DoubleValue() >= 0;
    if (has_gamma != (info[10].As<Napi::Number>().DoubleValue() >= 0)) throw std::invalid_argument("scale and its gradient go together");
    batch_norm_grad(h.at(info[1], n, "x"), h.at(info[2], n, "dy"), h.at(info[3], c, "mean"), h.at(info[4], c, "variance"),
                    has_gamma ? h.at(info[5], c, "scale") : nullptr, info[6].As<Napi::Number>().FloatValue(), h.at(info[7], n, "dx"),
                    h.at(info[8], c, "dmean"), h.at(info[9], c, "dvariance"), has_gamma ? h.at(info[10], c, "dscale") : nullptr,
                    h.at(info[11], c, "doffset"), n, c);
  });
}

// unary(heap, op, xOff, yOff, n)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    int op = info[1].As<Napi::Number>().Int32Value();
    size_t n = as_size(info[4]);
    if (op < kSquare || op > kNeg) throw std::invalid_argument("bad unary op");
    unary(op, h.at(info[2], n, "x"), h.at(info[3], n, "output"), n);
  });
}

// Parts of a concat or split: byte offsets (Float64Array) and inner sizes in elements (Float64Array).
struct Parts {
  std::vector<float*> ptrs;
  std::vector<size_t> inners;
};

Parts parts_of(const Heap& h, const Napi::Value& offsets, const Napi::Value& inners, size_t outer) {
  auto off = offsets.As<Napi::Float64Array>();
  auto inn = inners.As<Napi::Float64Array>();
  if (off.ElementLength() != inn.ElementLength() || off.ElementLength() == 0) throw std::invalid_argument("concat parts: offsets and sizes differ in length");
  Parts p;
  for (size_t i = 0; i < off.ElementLength(); i++) {
    double inner = inn[i];
    if (!(inner >= 0) || inner != static_cast<double>(static_cast<size_t>(inner))) throw std::invalid_argument("concat parts: bad inner size");
    p.inners.push_back(static_cast<size_t>(inner));
    p.ptrs.push_back(h.at(Napi::Number::New(offsets.Env(), off[i]), outer * p.inners.back(), "concat part"));
  }
  return p;
}

// concat(heap, partOffsets, partInners, outer, outOff)
Napi::Value Concat(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    size_t outer = as_size(info[3]);
    Parts p = parts_of(h, info[1], info[2], outer);
    size_t row = 0;
    for (size_t v : p.inners) row += v;
    std::vector<const float*> srcs(p.ptrs.begin(), p.ptrs.end());
    concat_rows(srcs.data(), p.inners.data(), p.inners.size(), outer, h.at(info[4], outer * row, "output"));
  });
}

// split(heap, srcOff, outer, partOffsets, partInners)
Napi::Value Split(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Heap h = heap_of(info[0]);
    size_t outer = as_size(info[2]);
    Parts p = parts_of(h, info[3], info[4], outer);
    size_t row = 0;
    for (size_t v : p.inners) row += v;
    split_rows(h.at(info[1], outer * row, "x"), outer, p.ptrs.data(), p.inners.data(), p.inners.size());
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "threads must be >= 1");
#if TGS_OMP
  omp_set_num_threads(n);
  g_threads = n;
#else
  g_threads = 1;
#endif
  return Napi::Number::New(info.Env(), g_threads);
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), g_threads); }

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  auto o = Napi::Object::New(info.Env());
  o.Set("major", v->major);
  o.Set("minor", v->minor);
  o.Set("patch", v->patch);
  o.Set("headers", std::to_string(DNNL_VERSION_MAJOR) + "." + std::to_string(DNNL_VERSION_MINOR) + "." + std::to_string(DNNL_VERSION_PATCH));
  o.Set("runtime", TGS_OMP ? "omp" : "sequential");
  o.Set("isa", dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx2 ? "avx2+" : "pre-avx2");
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  size_t bytes = 0;
  for (auto& [k, e] : cache()) bytes += e->bytes();
  auto o = Napi::Object::New(info.Env());
  o.Set("primitives", static_cast<double>(cache().size()));
  o.Set("scratchBytes", static_cast<double>(bytes));
  o.Set("scratchBytesEverAllocated", static_cast<double>(g_scratch_bytes));
  return o;
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  cache().clear();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#if TGS_OMP
  g_threads = 1;
  omp_set_num_threads(1);
#endif
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardWeights", Napi::Function::New(env, Conv2dBackwardWeights));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("concat", Napi::Function::New(env, Concat));
  exports.Set("split", Napi::Function::New(env, Split));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  return exports;
}

}  // namespace
}  // namespace tgs

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tgs::Init(env, exports); }
NODE_API_MODULE(tgs_onednn, InitModule)
