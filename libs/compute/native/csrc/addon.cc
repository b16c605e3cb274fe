// segkit_onednn: the Node bindings of the kernels in conv.h, pool.h and elementwise.h, for tfjs's wasm
// backend. Every entry point takes the wasm heap's ArrayBuffer and an argument object whose tensor
// fields are byte offsets into it, so no tensor is copied between wasm and native memory. This file
// only reads and checks arguments and binds; the interface's constants live in abi.h.
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "abi.h"
#include "conv.h"
#include "elementwise.h"
#include "peak.h"
#include "pool.h"
#include "threads.h"

namespace tgs {
namespace {

// The wasm heap and one call's argument object: fields are read by name, and a missing or
// ill-typed field is an error naming the call and the field.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* call) : call_(call) {
    if (info.Length() < 2 || !info[0].IsArrayBuffer()) fail("expected the wasm heap's ArrayBuffer first");
    if (!info[1].IsObject()) fail("expected an argument object second");
    auto ab = info[0].As<Napi::ArrayBuffer>();
    base_ = static_cast<uint8_t*>(ab.Data());
    length_ = ab.ByteLength();
    obj_ = info[1].As<Napi::Object>();
  }

  // A float32 tensor of `elements` at the byte offset in field `name`.
  float* tensor(const char* name, size_t elements) const { return at(number(name), elements, name); }
  // As tensor(), or nullptr when the field is absent or undefined.
  float* optional_tensor(const char* name, size_t elements) const {
    Napi::Value v = obj_.Get(name);
    return v.IsUndefined() ? nullptr : at(as_number(v, name), elements, name);
  }
  double number(const char* name) const { return as_number(obj_.Get(name), name); }
  size_t size(const char* name) const {
    double d = number(name);
    if (!(d >= 0) || d != static_cast<double>(static_cast<size_t>(d))) fail(std::string(name) + " must be a non-negative integer");
    return static_cast<size_t>(d);
  }
  // A code of an abi.h table with `count` entries.
  int code(const char* name, int count) const {
    double d = number(name);
    if (!(d >= 0 && d < count) || d != static_cast<double>(static_cast<int>(d))) fail(std::string(name) + " is not a known code");
    return static_cast<int>(d);
  }
  bool flag(const char* name) const {
    Napi::Value v = obj_.Get(name);
    if (!v.IsBoolean()) fail(std::string(name) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  const Napi::Int32Array geometry(const char* name, int length) const {
    Napi::Value v = obj_.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) fail(std::string(name) + " must be an Int32Array");
    auto a = v.As<Napi::Int32Array>();
    if (a.ElementLength() != static_cast<size_t>(length)) fail(std::string(name) + " must have " + std::to_string(length) + " entries");
    return a;
  }
  // Byte offsets (Float64Array) of tensors of elements[i] each.
  std::vector<float*> tensors(const char* name, const std::vector<size_t>& elements) const {
    Napi::Value v = obj_.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) fail(std::string(name) + " must be a Float64Array");
    auto a = v.As<Napi::Float64Array>();
    if (a.ElementLength() != elements.size()) fail(std::string(name) + " must have one offset per part");
    std::vector<float*> out;
    for (size_t i = 0; i < elements.size(); i++) out.push_back(at(a[i], elements[i], name));
    return out;
  }
  // Non-negative integers (Float64Array), at least one.
  std::vector<size_t> sizes(const char* name) const {
    Napi::Value v = obj_.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) fail(std::string(name) + " must be a Float64Array");
    auto a = v.As<Napi::Float64Array>();
    if (a.ElementLength() == 0) fail(std::string(name) + " must not be empty");
    std::vector<size_t> out;
    for (size_t i = 0; i < a.ElementLength(); i++) {
      double d = a[i];
      if (!(d >= 0) || d != static_cast<double>(static_cast<size_t>(d))) fail(std::string(name) + " must hold non-negative integers");
      out.push_back(static_cast<size_t>(d));
    }
    return out;
  }
  [[noreturn]] void fail(const std::string& why) const { throw std::invalid_argument(std::string(call_) + ": " + why); }

 private:
  double as_number(const Napi::Value& v, const char* name) const {
    if (!v.IsNumber()) fail(std::string(name) + " must be a number");
    return v.As<Napi::Number>().DoubleValue();
  }
  float* at(double off, size_t elements, const char* name) const {
    if (!(off >= 0) || off + elements * sizeof(float) > static_cast<double>(length_) || static_cast<uint64_t>(off) % 4 != 0)
      throw std::out_of_range(std::string(call_) + ": " + name + " lies outside the wasm heap");
    return reinterpret_cast<float*>(base_ + static_cast<size_t>(off));
  }
  const char* call_;
  uint8_t* base_;
  size_t length_;
  Napi::Object obj_;
};

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    // The TypeScript side recognises a refusal by this prefix and falls back.
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

ConvGeom conv_geom_of(const Args& a) {
  auto g = a.geometry("geometry", conv_geom::kCount);
  return conv_geom_from(g.Data(), g.ElementLength());
}

PoolGeom pool_geom_of(const Args& a) {
  auto g = a.geometry("geometry", pool_geom::kCount);
  return pool_geom_from(g.Data(), g.ElementLength());
}

// conv2d(heap, { geometry, activation, alpha, x, filter, bias?, y })
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "conv2d");
    ConvGeom g = conv_geom_of(a);
    conv_forward(g, a.code("activation", activation::kCount), static_cast<float>(a.number("alpha")), a.tensor("x", conv_input_size(g)),
                 a.tensor("filter", conv_filter_size(g)), a.optional_tensor("bias", g.CO), a.tensor("y", conv_output_size(g)));
  });
}

// conv2dBackwardData(heap, { geometry, dy, filter, dx })
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "conv2dBackwardData");
    ConvGeom g = conv_geom_of(a);
    conv_backward_data(g, a.tensor("dy", conv_output_size(g)), a.tensor("filter", conv_filter_size(g)), a.tensor("dx", conv_input_size(g)));
  });
}

// conv2dBackwardWeights(heap, { geometry, x, dy, dw })
Napi::Value Conv2dBackwardWeights(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "conv2dBackwardWeights");
    ConvGeom g = conv_geom_of(a);
    conv_backward_weights(g, a.tensor("x", conv_input_size(g)), a.tensor("dy", conv_output_size(g)), a.tensor("dw", conv_filter_size(g)));
  });
}

// maxPool(heap, { geometry, x, y })
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "maxPool");
    PoolGeom g = pool_geom_of(a);
    max_pool_forward(a.tensor("x", pool_input_size(g)), a.tensor("y", pool_output_size(g)), g);
  });
}

// maxPoolGrad(heap, { geometry, x, dy, dx })
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "maxPoolGrad");
    PoolGeom g = pool_geom_of(a);
    max_pool_backward(a.tensor("x", pool_input_size(g)), a.tensor("dy", pool_output_size(g)), a.tensor("dx", pool_input_size(g)), g);
  });
}

// The elements of `n` (c channels) an operand broadcast as `mode` spans.
size_t operand_size(int mode, size_t n, size_t c) { return mode == broadcast::kFull ? n : mode == broadcast::kPerChannel ? c : 1; }

// n elements of c channels: c > 0 and divides n.
void check_channels(const Args& a, size_t n, size_t c) {
  if (c == 0 || n % c != 0) a.fail("c must be positive and divide n");
}

// binary(heap, { op, a, aMode, b, bMode, y, n, c })
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "binary");
    int op = a.code("op", binary_op::kCount);
    int am = a.code("aMode", broadcast::kCount), bm = a.code("bMode", broadcast::kCount);
    size_t n = a.size("n"), c = a.size("c");
    check_channels(a, n, c);
    binary(op, a.tensor("a", operand_size(am, n, c)), am, a.tensor("b", operand_size(bm, n, c)), bm, a.tensor("y", n), n, c);
  });
}

// reduce(heap, { x, y, rows, cols, overRows, scale })
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "reduce");
    size_t rows = a.size("rows"), cols = a.size("cols");
    bool over_rows = a.flag("overRows");
    float scale = static_cast<float>(a.number("scale"));
    const float* x = a.tensor("x", rows * cols);
    float* y = a.tensor("y", over_rows ? cols : rows);
    if (over_rows) reduce_rows(x, y, rows, cols, scale);
    else reduce_cols(x, y, rows, cols, scale);
  });
}

// batchNorm(heap, { x, mean, variance, scale?, offset?, epsilon, y, n, c })
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "batchNorm");
    size_t n = a.size("n"), c = a.size("c");
    check_channels(a, n, c);
    batch_norm(a.tensor("x", n), a.tensor("mean", c), a.tensor("variance", c), a.optional_tensor("scale", c), a.optional_tensor("offset", c),
               static_cast<float>(a.number("epsilon")), a.tensor("y", n), n, c);
  });
}

// batchNormGrad(heap, { x, dy, mean, variance, scale?, epsilon, dx, dmean, dvariance, dscale?, doffset, n, c })
Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "batchNormGrad");
    size_t n = a.size("n"), c = a.size("c");
    check_channels(a, n, c);
    const float* scale = a.optional_tensor("scale", c);
    float* dscale = a.optional_tensor("dscale", c);
    if ((scale == nullptr) != (dscale == nullptr)) a.fail("scale and dscale go together");
    batch_norm_grad(a.tensor("x", n), a.tensor("dy", n), a.tensor("mean", c), a.tensor("variance", c), scale, static_cast<float>(a.number("epsilon")),
                    a.tensor("dx", n), a.tensor("dmean", c), a.tensor("dvariance", c), dscale, a.tensor("doffset", c), n, c);
  });
}

// unary(heap, { op, x, y, n })
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "unary");
    int op = a.code("op", unary_op::kCount);
    size_t n = a.size("n");
    unary(op, a.tensor("x", n), a.tensor("y", n), n);
  });
}

// batchNormTrain(heap, { x, scale?, offset?, epsilon, relu, y, mean, variance, n, c })
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "batchNormTrain");
    size_t n = a.size("n"), c = a.size("c");
    check_channels(a, n, c);
    batch_norm_train(a.tensor("x", n), a.optional_tensor("scale", c), a.optional_tensor("offset", c), static_cast<float>(a.number("epsilon")), a.tensor("y", n),
                     a.tensor("mean", c), a.tensor("variance", c), n, c, a.flag("relu"));
  });
}

// batchNormTrainGrad(heap, { x, dy, mean, variance, scale?, offset?, relu, epsilon, dx, dscale?, doffset?, n, c }):
// with relu (the gradient of batchNormTrain with relu), dy goes through that Relu first.
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "batchNormTrainGrad");
    size_t n = a.size("n"), c = a.size("c");
    check_channels(a, n, c);
    batch_norm_train_grad(a.tensor("x", n), a.tensor("dy", n), a.tensor("mean", c), a.tensor("variance", c), a.optional_tensor("scale", c), a.optional_tensor("offset", c),
                          a.flag("relu"), static_cast<float>(a.number("epsilon")), a.tensor("dx", n), a.optional_tensor("dscale", c), a.optional_tensor("doffset", c), n, c);
  });
}

// reluGrad(heap, { dy, x, dx, n })
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "reluGrad");
    size_t n = a.size("n");
    relu_grad(a.tensor("dy", n), a.tensor("x", n), a.tensor("dx", n), n);
  });
}

// gather(heap, { x, indices, outer, axisDim, inner, m, y }): 4-byte elements, int32 indices;
// returns false (y untouched) when an index is out of range.
Napi::Value Gather(const Napi::CallbackInfo& info) {
  bool ok = false;
  guarded(info, [&] {
    Args a(info, "gather");
    size_t outer = a.size("outer"), axis_dim = a.size("axisDim"), inner = a.size("inner"), m = a.size("m");
    const int* idx = reinterpret_cast<const int*>(a.tensor("indices", m));
    ok = gather(a.tensor("x", outer * axis_dim * inner), idx, outer, axis_dim, inner, m, a.tensor("y", outer * m * inner));
  });
  return Napi::Boolean::New(info.Env(), ok);
}

// box(heap, { x, xShape, begin, size, reverse, y, yShape, offset, fill }): see box_copy. The shapes,
// begin, size, offset and reverse (0 or 1) are Float64Arrays of one rank; fill is the 32 bits of
// the fill value. Checks that the box lies inside both tensors.
Napi::Value Box(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "box");
    const auto xd = a.sizes("xShape"), yd = a.sizes("yShape"), b = a.sizes("begin"), s = a.sizes("size"), o = a.sizes("offset"), rv = a.sizes("reverse");
    const size_t rank = xd.size();
    if (rank > 8) a.fail("rank must be at most 8");
    for (const auto* v : {&yd, &b, &s, &o, &rv})
      if (v->size() != rank) a.fail("xShape, yShape, begin, size, offset and reverse must have one length");
    size_t nx = 1, ny = 1;
    std::vector<uint8_t> rev(rank);
    for (size_t k = 0; k < rank; k++) {
      if (b[k] + s[k] > xd[k] || o[k] + s[k] > yd[k]) a.fail("the box must lie inside x and y");
      if (rv[k] > 1) a.fail("reverse must hold 0 or 1");
      rev[k] = static_cast<uint8_t>(rv[k]);
      nx *= xd[k];
      ny *= yd[k];
    }
    const double fill = a.number("fill");
    if (!(fill >= 0 && fill <= 4294967295.0) || fill != static_cast<double>(static_cast<uint32_t>(fill))) a.fail("fill must be 32 bits as an unsigned integer");
    box_copy(reinterpret_cast<const uint32_t*>(a.tensor("x", nx)), xd.data(), b.data(), s.data(), rev.data(), reinterpret_cast<uint32_t*>(a.tensor("y", ny)),
             yd.data(), o.data(), rank, static_cast<uint32_t>(fill));
  });
}

// topK(heap, { x, rows, n, k, values, indices }) -> false when a value is not finite (nothing written).
Napi::Value TopK(const Napi::CallbackInfo& info) {
  bool ok = false;
  guarded(info, [&] {
    Args a(info, "topK");
    const size_t rows = a.size("rows"), n = a.size("n"), k = a.size("k");
    if (k > n) a.fail("k must be at most n");
    if (n > 2147483647) a.fail("n must fit an int32 index");
    ok = top_k(a.tensor("x", rows * n), rows, n, k, a.tensor("values", rows * k), reinterpret_cast<int32_t*>(a.tensor("indices", rows * k)));
  });
  return Napi::Boolean::New(info.Env(), ok);
}

// repeat(heap, { x, block, times, y })
Napi::Value Repeat(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "repeat");
    size_t block = a.size("block"), times = a.size("times");
    repeat_block(a.tensor("x", block), block, times, a.tensor("y", block * times));
  });
}

// adam(heap, { w, m, v, g, n, oneMinusAccBeta1, oneMinusAccBeta2 (offsets of float32 scalars),
//              beta1, beta2, epsilon, learningRate (numbers), wOut, mOut, vOut })
Napi::Value Adam(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "adam");
    size_t n = a.size("n");
    const double beta1 = a.number("beta1"), beta2 = a.number("beta2");
    // As tfjs: each JS number becomes a float32 scalar; 1 - beta is computed in double first.
    AdamConstants k{static_cast<float>(beta1), static_cast<float>(1 - beta1), static_cast<float>(beta2), static_cast<float>(1 - beta2),
                    *a.tensor("oneMinusAccBeta1", 1), *a.tensor("oneMinusAccBeta2", 1),
                    static_cast<float>(a.number("epsilon")), static_cast<float>(-a.number("learningRate"))};
    adam(a.tensor("w", n), a.tensor("m", n), a.tensor("v", n), a.tensor("g", n), n, k, a.tensor("wOut", n), a.tensor("mOut", n), a.tensor("vOut", n));
  });
}

std::vector<size_t> part_elements(const std::vector<size_t>& inners, size_t outer) {
  std::vector<size_t> out;
  for (size_t v : inners) out.push_back(outer * v);
  return out;
}

size_t total(const std::vector<size_t>& v) {
  size_t s = 0;
  for (size_t x : v) s += x;
  return s;
}

// concat(heap, { parts, inners, outer, y }): parts are byte offsets, inners their sizes along the
// axis and after it, in elements (both Float64Array).
Napi::Value Concat(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "concat");
    size_t outer = a.size("outer");
    std::vector<size_t> inners = a.sizes("inners");
    std::vector<float*> parts = a.tensors("parts", part_elements(inners, outer));
    std::vector<const float*> srcs(parts.begin(), parts.end());
    concat_rows(srcs.data(), inners.data(), inners.size(), outer, a.tensor("y", outer * total(inners)));
  });
}

// split(heap, { x, outer, parts, inners }): the inverse of concat.
Napi::Value Split(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Args a(info, "split");
    size_t outer = a.size("outer");
    std::vector<size_t> inners = a.sizes("inners");
    std::vector<float*> parts = a.tensors("parts", part_elements(inners, outer));
    split_rows(a.tensor("x", outer * total(inners)), outer, parts.data(), inners.data(), inners.size());
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads must be a number");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(info.Env(), "threads must be >= 1");
  return Napi::Number::New(info.Env(), set_threads(n));
}

Napi::Value Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threads()); }

Napi::Value Version(const Napi::CallbackInfo& info) {
  OnednnInfo v = onednn_info();
  auto o = Napi::Object::New(info.Env());
  o.Set("major", v.major);
  o.Set("minor", v.minor);
  o.Set("patch", v.patch);
  o.Set("headers", std::to_string(v.header_major) + "." + std::to_string(v.header_minor) + "." + std::to_string(v.header_patch));
  o.Set("runtime", threading_runtime());
  o.Set("isa", v.avx512 ? "avx512" : v.avx2 ? "avx2" : "pre-avx2");
  o.Set("winograd", v.winograd);
  o.Set("avx2Winograd", v.avx2_winograd);
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  ConvCacheStats s = conv_cache_stats();
  auto o = Napi::Object::New(info.Env());
  o.Set("primitives", static_cast<double>(s.primitives));
  o.Set("scratchBytes", static_cast<double>(s.scratch_bytes));
  o.Set("scratchBytesEverAllocated", static_cast<double>(s.scratch_bytes_ever_allocated));
  o.Set("creations", static_cast<double>(s.creations));
  o.Set("createSeconds", s.create_seconds);
  o.Set("winograd", static_cast<double>(s.winograd));
  o.Set("nhwcDirect", static_cast<double>(s.nhwc_direct));
  o.Set("avx2WinogradCalls", static_cast<double>(s.avx2_winograd_calls));
  return o;
}

// setNhwcDirect(enabled): NHWC kernels for the narrow layers (the default) or blocked layouts only; empties the cache.
Napi::Value SetNhwcDirect(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "setNhwcDirect: enabled must be a boolean");
  conv_set_nhwc_direct(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// setWinograd(enabled): Winograd for the wide 3x3 layers (the default) or direct only; empties the cache.
Napi::Value SetWinograd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "setWinograd: enabled must be a boolean");
  conv_set_winograd(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// peak({ threads, seconds, gemmSize }): { fmaGflops, sgemmGflops } measured now (benches only).
Napi::Value Peak(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  try {
    if (info.Length() < 1 || !info[0].IsObject()) throw std::runtime_error("peak: expected an argument object");
    auto args = info[0].As<Napi::Object>();
    auto num = [&](const char* name) {
      Napi::Value v = args.Get(name);
      if (!v.IsNumber() || !(v.As<Napi::Number>().DoubleValue() > 0)) throw std::runtime_error(std::string("peak: ") + name + " must be a positive number");
      return v.As<Napi::Number>().DoubleValue();
    };
    const int threads = static_cast<int>(num("threads"));
    const double seconds = num("seconds");
    o.Set("fmaGflops", fma_peak_gflops(threads, seconds));
    o.Set("sgemmGflops", sgemm_gflops(threads, static_cast<int>(num("gemmSize")), seconds));
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
  }
  return o;
}

Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  conv_cache_clear();
  return info.Env().Undefined();
}

// abi(): every abi.h table as { tableName: { entryName: value } }.
Napi::Value Abi(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
#define SEGKIT_ABI_ENTRY(id, name, value) t.Set(name, value);
#define SEGKIT_ABI_TABLE(ns, exported, LIST) \
  {                                       \
    auto t = Napi::Object::New(env);      \
    LIST(SEGKIT_ABI_ENTRY)                   \
    o.Set(exported, t);                   \
  }
  SEGKIT_ABI_TABLES(SEGKIT_ABI_TABLE)
#undef SEGKIT_ABI_TABLE
#undef SEGKIT_ABI_ENTRY
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  set_threads(1);
  exports.Set("abi", Napi::Function::New(env, Abi));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardWeights", Napi::Function::New(env, Conv2dBackwardWeights));
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("batchNormTrain", Napi::Function::New(env, BatchNormTrain));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, BatchNormTrainGrad));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("repeat", Napi::Function::New(env, Repeat));
  exports.Set("box", Napi::Function::New(env, Box));
  exports.Set("topK", Napi::Function::New(env, TopK));
  exports.Set("gather", Napi::Function::New(env, Gather));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("concat", Napi::Function::New(env, Concat));
  exports.Set("split", Napi::Function::New(env, Split));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  exports.Set("setWinograd", Napi::Function::New(env, SetWinograd));
  exports.Set("setNhwcDirect", Napi::Function::New(env, SetNhwcDirect));
  exports.Set("peak", Napi::Function::New(env, Peak));
  return exports;
}

}  // namespace
}  // namespace tgs

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tgs::Init(env, exports); }
NODE_API_MODULE(segkit_onednn, InitModule)
