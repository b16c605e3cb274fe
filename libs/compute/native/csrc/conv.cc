#include "conv.h"

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "arena.h"
#include "onednn_compat.h"
#include "threads.h"
#include "wino.h"

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

// Time spent creating primitives (descriptors, JIT code, scratch), and how many: a run's fixed cost.
double g_create_seconds = 0;
size_t g_creations = 0;

// Adds the lifetime of the scope to the creation counters: put it after a cache miss.
struct CreationTimer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~CreationTimer() {
    g_create_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    g_creations++;
  }
};

memory::desc nhwc(int n, int c, int h, int w) { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
// Activations in the layout oneDNN prefers (8-channel blocks with AVX2), reordered from and to
// tfjs's NHWC around each call: measured on the reference U-Net step, 40 % less convolution time
// than running the NHWC kernels directly, reorders included. Narrow layers are the exception
// (nhwc_direct below).
memory::desc any4(int n, int c, int h, int w) { return {{n, c, h, w}, dt::f32, tag::any}; }
// Activations of the backward passes. With AVX-512 oneDNN blocks channels by 16, so the U-Net's
// 8-channel layers double in size, and the reorders to and from NHWC cost more than the blocked
// kernels save: measured on an AVX-512 CPU (AMD EPYC), NHWC backward passes made the cpu preset's
// step (8 base filters) 12-16 % faster and the 16-filter default 3-7 %. With AVX2 (8-channel
// blocks) the blocked layout stays, as measured above.
bool nhwc_backward() {
  static const bool avx512 = dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx512_core;
  return avx512;
}
memory::desc act_bwd(int n, int c, int h, int w) { return nhwc_backward() ? nhwc(n, c, h, w) : any4(n, c, h, w); }
// With AVX2, the forward pass and the input gradient of a narrow layer (at most kNhwcDirectChannels
// channels in and out, in whole 8-channel blocks) run oneDNN's NHWC kernels on tfjs's tensors
// directly: at 128x128 and 64x64 the blocked kernels gain less than the two reorders around them
// cost. Measured on an AVX2 EPYC, alternated in one process with the blocked layouts
// (conv_set_nhwc_direct): the default U-Net's training step (batch 16) 1.03x as fast at 1 thread
// and 1.07x at 2, its hflip-TTA prediction 1.08x / 1.11x; the cpu preset's 8-filter model 1.09x /
// 1.10x and 1.14x / 1.10x. A limit of 32, 128 or 256 channels did no better than 64 (one process
// per setting). The weight gradient stays blocked (NHWC was 20-30 % slower there), and so do
// layers with partial blocks (a first layer's 1 or 3 input channels, a 1-channel head): the rule
// covers only what was measured. The NHWC and blocked kernels sum over the same taps and channels
// in the same order: the same bits (a test compares).
constexpr int kNhwcDirectChannels = 64;
bool g_nhwc_direct_enabled = true;
bool nhwc_direct(const ConvGeom& g) {
  return g_nhwc_direct_enabled && !nhwc_backward() && g.C % 8 == 0 && g.CO % 8 == 0 && g.C <= kNhwcDirectChannels && g.CO <= kNhwcDirectChannels;
}
// `md` as NHWC where `direct`, else `md` itself.
memory::desc nhwc_if(bool direct, const memory::desc& md) { return direct ? memory::desc(md.dims(), dt::f32, tag::nhwc) : md; }
// Winograd F(4x4, 3x3) (oneDNN's jit_wino_4x3, AVX-512 only) computes a 3x3 stride-1 convolution
// with 2.25x fewer multiplications, paying for it with tile transforms; it wins where channels
// are wide enough for the transformed products to dominate. oneDNN picks a Winograd schedule by
// the thread count it plans for, and the schedules round differently (measured: the input
// gradient of a 128 -> 256 layer on 8x8 changed bits at 3 and 4 threads). So every Winograd call
// runs in fixed chunks of the batch, from the shape alone, each chunk on one thread by a primitive
// planned for one thread: the bits never depend on the thread count. The rules look at the shape
// only; where oneDNN has no Winograd kernel (AVX2 CPUs, other versions) everything stays direct.
bool g_winograd_enabled = true;
// The weight gradient, in kWinogradWeightGradChunks chunks. Measured on the default U-Net's layers
// (batch 16, an AVX-512 Xeon, reorders from and to NHWC included), in chunks of 4 images: with at
// least 64 input channels 0.6-0.95x the direct time, with 32 or fewer 0.9-1.2x.
bool winograd_candidate(const ConvGeom& g) {
  return g_winograd_enabled && g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.C >= 64 && g.CO >= 32 && g.C % 16 == 0 &&
         g.CO % 16 == 0;
}
// The forward pass and the input gradient, in chunks of kWinogradImages images (at most
// kWeightGradChunks chunks). Measured on the default U-Net's layers, alone (one thread, chunks of
// 8 images, the Xeon VM), Winograd took 0.45-0.75x the direct time from 32 channels in and out on
// 64x64 down to 16x16, 1.2x on 8x8 and 1.2-1.8x with 16 channels on 128x128, and 2-image chunks
// lost most of the gain on 16x16. Inside the training step (tfjs's NHWC in and out) the forward
// pass still lost with 32 output channels on 64x64 (1.04-1.09x); the input gradient with 32
// channels each way won on 64x64 (0.75x) but lost on 28x28 (1.2x), with 64 on one side it won on
// 28x28 (0.8x). Hence: the forward pass from 32 channels in and 64 out; the input gradient from 32
// each way and 64 on one side, or 32 each way from 64x64; both from 16x16.
bool winograd_chunked_candidate(const ConvGeom& g, bool forward) {
  const bool shape = g.KH == 3 && g.KW == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.C % 16 == 0 && g.CO % 16 == 0 && g.OH * g.OW >= 16 * 16;
  const bool wide = forward ? g.C >= 32 && g.CO >= 64 : g.C >= 32 && g.CO >= 32 && (std::max(g.C, g.CO) >= 64 || g.OH * g.OW >= 64 * 64);
  return g_winograd_enabled && shape && wide;
}
constexpr int kWinogradImages = 8;

// Where oneDNN has no Winograd kernel (AVX2 CPUs), the addon's own F(2x2, 3x3) (wino.cc) runs
// the 3x3 stride-1 layers' passes on tfjs's tensors, no reorders. Measured per layer against the
// direct kernels (batch 16, one thread, AVX2 EPYC, 2026-12-04; tfjs's tensors in and out): the
// default U-Net's layers (16 to 256 channels, 128x128 to 8x8) took 0.45-0.95x the direct time in
// all three passes, 0.6x in all (convolutions 708 ms instead of 1,136 per step); 4x4 layers of
// 512 channels 0.9x forward, 0.4x weight gradient. With 8 channels (the cpu preset's 112x112
// layer) the forward pass took 0.86x, the input gradient 1.09x and the weight gradient 1.05x:
// the tile transforms outweigh the saved products, so the backward passes of layers under 16
// channels either way stay direct.
enum class Pass { kForward, kBackwardData, kBackwardWeights };
bool winograd_available();
bool own_winograd(const ConvGeom& g, Pass pass) {
  const bool wide_enough = pass == Pass::kForward || std::min(g.C, g.CO) >= 16;
  return g_winograd_enabled && wide_enough && wino_cpu() && wino_shape(g) && !winograd_available();
}
memory::desc hwio(const ConvGeom& g) { return {{g.CO, g.C, g.KH, g.KW}, dt::f32, tag::hwio}; }
memory::desc weights_any(const ConvGeom& g) { return {{g.CO, g.C, g.KH, g.KW}, dt::f32, tag::any}; }

// A tensor as the user (tfjs) lays it out, and as the primitive wants it. When the two differ the
// operand has a tensor in the primitive's layout, placed in an arena for each call, and a reorder
// in the needed direction. With `own_scratchpad` the reorder takes its scratchpad from the operand
// (oneDNN's user mode), so the operand can run on any thread, concurrently with other operands.
struct Operand {
  memory user;
  memory inner;
  bool reordered = false;
  dnnl::reorder reorder;
  memory scratchpad;

  void init(const memory::desc& user_md, const memory::desc& want, bool is_input, bool own_scratchpad = false) {
    user = memory(user_md, cpu_engine(), DNNL_MEMORY_NONE);
    if (want == user_md) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(want, cpu_engine(), DNNL_MEMORY_NONE);
    primitive_attr attr;
    if (own_scratchpad) attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    auto pd = is_input ? dnnl::reorder::primitive_desc(user, inner, attr) : dnnl::reorder::primitive_desc(inner, user, attr);
    reorder = dnnl::reorder(pd);
    if (own_scratchpad) scratchpad = memory(pd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  }
  // The same operand for another chunk: its own scratchpad, `like`'s reorder primitive (a
  // primitive in user scratchpad mode runs on several threads at once), nothing created.
  void init_like(const Operand& like) {
    user = memory(like.user.get_desc(), cpu_engine(), DNNL_MEMORY_NONE);
    if (!like.reordered) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(like.inner.get_desc(), cpu_engine(), DNNL_MEMORY_NONE);
    reorder = like.reorder;
    if (like.scratchpad) scratchpad = memory(like.scratchpad.get_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  }
  // The arena bytes a call needs: the primitive-layout tensor and the reorder's scratchpad.
  size_t arena_bytes() const {
    if (!reordered) return 0;
    return round_up64(inner.get_desc().get_size()) + (scratchpad ? round_up64(scratchpad.get_desc().get_size()) : 0);
  }
  // Puts them at `cursor` and moves the cursor past them.
  void place(char*& cursor) {
    if (!reordered) return;
    inner.set_data_handle(cursor);
    cursor += round_up64(inner.get_desc().get_size());
    if (scratchpad) {
      scratchpad.set_data_handle(cursor);
      cursor += round_up64(scratchpad.get_desc().get_size());
    }
  }
  void bind(void* p) { user.set_data_handle(p); }
  void to_inner(dnnl::stream& s = cpu_stream()) { run(s, user, inner); }
  void to_user(dnnl::stream& s = cpu_stream()) { run(s, inner, user); }

 private:
  void run(dnnl::stream& s, memory& from, memory& to) {
    if (!reordered) return;
    std::unordered_map<int, memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
    reorder.execute(s, args);
  }
};

struct Entry {
  virtual ~Entry() = default;
  // Bytes held between calls (what a call needs only while it runs is in the arenas).
  virtual size_t bytes() const { return 0; }
  bool winograd = false;
  // Its activations are tfjs's NHWC tensors themselves (nhwc_direct), no reorders.
  bool nhwc_direct = false;
};

struct ConvFwd : Entry {
  dnnl::convolution_forward prim;
  Operand src, weights, bias, dst;
  bool has_bias = false;
};

struct ConvBwdData : Entry {
  dnnl::convolution_backward_data prim;
  Operand diff_dst, weights, diff_src;
};

// One chunk of the batch: a primitive planned for one thread, with its own stream; its operands'
// copies, its scratchpad and `extra_bytes` more (a weight-gradient chunk's partial gradient) in
// its slot's arena, so chunks run concurrently on any threads.
struct Chunk : Entry {
  dnnl::primitive prim;
  memory scratchpad;
  dnnl::stream stream{cpu_engine()};
  size_t extra_bytes = 0;
  char* extra = nullptr;
  // The operands it uses, in arena order.
  virtual std::vector<Operand*> operands() = 0;
  size_t arena_bytes() {
    size_t n = round_up64(scratchpad.get_desc().get_size()) + round_up64(extra_bytes);
    for (Operand* o : operands()) n += o->arena_bytes();
    return n;
  }
  void place(char* cursor) {
    for (Operand* o : operands()) o->place(cursor);
    scratchpad.set_data_handle(cursor);
    extra = cursor + round_up64(scratchpad.get_desc().get_size());
  }
  // `like`'s primitive and reorders (a chunk of the same shape in another slot; a primitive in
  // user scratchpad mode runs on several threads at once) with memories of its own: nothing created.
  void share(Chunk& like) {
    prim = like.prim;
    winograd = like.winograd;
    extra_bytes = like.extra_bytes;
    std::vector<Operand*> mine = operands(), theirs = like.operands();
    for (size_t i = 0; i < mine.size(); i++) mine[i]->init_like(*theirs[i]);
    scratchpad = memory(like.scratchpad.get_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  }
};

// A chunk of conv_backward_weights; its partial gradient is `extra`.
struct ConvBwdWeightsChunk : Chunk {
  Operand src, diff_dst, diff_weights;
  std::vector<Operand*> operands() override { return {&src, &diff_dst, &diff_weights}; }
  float* partial() const { return reinterpret_cast<float*>(extra); }
};

// A chunk of a Winograd forward or input-gradient call. `in` is the source (forward) or the output
// gradient (input gradient), `out` the output or the input gradient. `winograd` false: oneDNN
// refused Winograd for this geometry (a post-op it lacks), and the call runs direct.
struct WinogradChunk : Chunk {
  Operand in, weights, bias, out;
  bool has_bias = false;
  std::vector<Operand*> operands() override {
    if (has_bias) return {&in, &weights, &bias, &out};
    return {&in, &weights, &out};
  }
};

// Direct forward and backward-data calls run one at a time: one arena. Chunks (of a weight
// gradient, or of a Winograd forward or input gradient) run concurrently: one arena per chunk
// slot, shared by the three kinds, which never run at the same time.
Arena& call_arena() {
  static Arena a;
  return a;
}
Arena& chunk_arena(int slot);

std::unordered_map<std::string, std::unique_ptr<Entry>>& cache() {
  static std::unordered_map<std::string, std::unique_ptr<Entry>> c;
  return c;
}

// A cache key: the op, the thread count the primitive was created for, the geometry and extras.
std::string key_of(const char* op, const ConvGeom& g, int extra0 = 0, float extra1 = 0.f, int nthreads = threads()) {
  std::ostringstream k;
  k << op << ':' << nthreads;
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

dnnl::convolution_forward::primitive_desc fwd_pd(const ConvGeom& g, prop_kind prop, bool bias, const primitive_attr& attr,
                                                 algorithm alg = algorithm::convolution_direct) {
  memory::desc b_md({g.CO}, dt::f32, tag::any);
  const bool direct = alg == algorithm::convolution_direct && nhwc_direct(g);
  return conv_fwd_pd(cpu_engine(), prop, alg, nhwc_if(direct, any4(g.B, g.C, g.H, g.W)), weights_any(g), bias ? &b_md : nullptr,
                     nhwc_if(direct, any4(g.B, g.CO, g.OH, g.OW)), strides(g), dilates(g), pad_l(g), pad_r(g), attr);
}

// Whether this oneDNN has a Winograd kernel for this CPU: a wide layer's descriptor, tried once.
bool winograd_available() {
  static const bool available = [] {
    ConvGeom g{16, 16, 16, 64, 3, 3, 64, 16, 16, 1, 1, 1, 1, 1, 1, 1, 1};
    try {
      fwd_pd(g, prop_kind::forward_training, false, primitive_attr(), algorithm::convolution_winograd);
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return available;
}

// The Winograd forward descriptor (the weight gradient's hint) where the rule picks Winograd and
// oneDNN has the kernel, else none.
bool winograd_hint(const ConvGeom& g, dnnl::convolution_forward::primitive_desc& out) {
  if (!winograd_candidate(g)) return false;
  try {
    out = fwd_pd(g, prop_kind::forward_training, false, primitive_attr(), algorithm::convolution_winograd);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

// The post-op of a fused activation (abi.h's activation codes); none for linear.
primitive_attr fused_activation(int act, float alpha) {
  primitive_attr attr;
  if (act == activation::kLinear) return attr;
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
  return attr;
}

ConvFwd& conv_fwd_entry(const ConvGeom& g, bool has_bias, int act, float alpha) {
  auto& c = cache();
  std::string key = key_of("fwd", g, act * 2 + (has_bias ? 1 : 0), alpha);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvFwd&>(*it->second);
  CreationTimer timer;
  auto pd = fwd_pd(g, prop_kind::forward_inference, has_bias, fused_activation(act, alpha));
  auto e = std::make_unique<ConvFwd>();
  e->prim = dnnl::convolution_forward(pd);
  e->src.init(nhwc(g.B, g.C, g.H, g.W), pd.src_desc(), true);
  e->weights.init(hwio(g), pd.weights_desc(), true);
  e->has_bias = has_bias;
  if (has_bias) e->bias.init(memory::desc({g.CO}, dt::f32, tag::x), pd.bias_desc(), true);
  e->dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.dst_desc(), false);
  e->nhwc_direct = !e->src.reordered && !e->dst.reordered && nhwc_direct(g);
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

ConvBwdData& conv_bwd_data_entry(const ConvGeom& g) {
  auto& c = cache();
  std::string key = key_of("bwd_data", g);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvBwdData&>(*it->second);
  CreationTimer timer;
  auto hint = fwd_pd(g, prop_kind::forward_training, false, primitive_attr());
  const bool direct = nhwc_direct(g);
  auto pd = conv_bwd_data_pd(cpu_engine(), algorithm::convolution_direct, nhwc_if(direct, act_bwd(g.B, g.C, g.H, g.W)), weights_any(g),
                             nhwc_if(direct, act_bwd(g.B, g.CO, g.OH, g.OW)), strides(g), dilates(g), pad_l(g), pad_r(g), hint);
  auto e = std::make_unique<ConvBwdData>();
  e->prim = dnnl::convolution_backward_data(pd);
  e->diff_dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.diff_dst_desc(), true);
  e->weights.init(hwio(g), pd.weights_desc(), true);
  e->diff_src.init(nhwc(g.B, g.C, g.H, g.W), pd.diff_src_desc(), false);
  e->nhwc_direct = !e->diff_dst.reordered && !e->diff_src.reordered && direct;
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

// Primitives created while this is alive plan their work for one thread.
struct SingleThreadedPlan {
  int saved = threads();
  SingleThreadedPlan() { set_threads(1); }
  ~SingleThreadedPlan() { set_threads(saved); }
};

// Backward weights sums over the batch; oneDNN splits that sum between its threads, so its
// rounding would depend on the thread count (and the kill -9 resume and cache keys on the core
// split). Instead the batch is cut into at most this many fixed chunks, each chunk's gradient is
// computed on one thread by a primitive planned for one thread, and the partial gradients are
// added in chunk order: the same bits at any thread count, up to this many threads busy.
constexpr int kWeightGradChunks = 8;
// Winograd's weight gradient needs more images per chunk to pay for its transforms (in chunks of
// 2 images it did not win). The default U-Net's training step against direct convolutions only
// (one process, 12 interleaved rounds, medians), Winograd weight gradients in 2 chunks: 1.057x as
// fast at 1 and at 2 threads. With Winograd in every pass, 4 chunks against 2 measured 1.18x /
// 1.17x at 1 thread and 1.07x / 1.15x at 2. Each chunk slot's Winograd scratchpad holds the
// transformed weights (up to 28 MB for a 256 -> 256 layer), so 2 chunks also hold half the
// memory of 4; a fold process rarely has more than 2 threads (the pipeline splits the cores
// between folds), and on more the other convolutions still use them all.
constexpr int kWinogradWeightGradChunks = 2;

Arena& chunk_arena(int slot) {
  static Arena a[kWeightGradChunks];
  return a[slot];
}

// A chunk entry's cache key: the op, the chunk's geometry (planned for one thread), extras, its slot.
std::string chunk_key(const char* op, const ConvGeom& g, int extra0, float extra1, int slot) { return key_of(op, g, extra0, extra1, 1) + '#' + std::to_string(slot); }

// The entry of the same chunk in another slot (the same key but for the slot), or none. A new slot
// shares its primitives: a call creates up to kWeightGradChunks slots per geometry, and creating
// each slot's own convolution and reorders was most of a fold's first-epoch set-up.
Chunk* same_chunk_in_another_slot(const char* op, const ConvGeom& g, int extra0, float extra1, int slot) {
  for (int other = 0; other < kWeightGradChunks; other++) {
    if (other == slot) continue;
    auto it = cache().find(chunk_key(op, g, extra0, extra1, other));
    if (it != cache().end()) return static_cast<Chunk*>(it->second.get());
  }
  return nullptr;
}

// Where each of `chunks` fixed chunks of a batch of `batch` starts, and the batch's end: from the
// shape alone, never from the thread count.
std::vector<int> chunk_starts(int batch, int chunks) {
  std::vector<int> first(chunks + 1);
  for (int k = 0; k <= chunks; k++) first[k] = static_cast<int>(static_cast<long>(batch) * k / chunks);
  return first;
}

ConvBwdWeightsChunk& conv_bwd_weights_chunk_entry(const ConvGeom& g, int slot) {
  auto& c = cache();
  std::string key = chunk_key("bwd_weights_chunk", g, 0, 0.f, slot);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<ConvBwdWeightsChunk&>(*it->second);
  CreationTimer timer;
  auto e = std::make_unique<ConvBwdWeightsChunk>();
  if (Chunk* like = same_chunk_in_another_slot("bwd_weights_chunk", g, 0, 0.f, slot)) {
    e->share(*like);
    auto& ref = *e;
    c.emplace(key, std::move(e));
    return ref;
  }
  SingleThreadedPlan plan;
  primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_forward::primitive_desc wino_hint;
  if (winograd_hint(g, wino_hint)) {
    try {
      pd = conv_bwd_weights_pd(cpu_engine(), algorithm::convolution_winograd, any4(g.B, g.C, g.H, g.W), weights_any(g), any4(g.B, g.CO, g.OH, g.OW),
                               strides(g), dilates(g), pad_l(g), pad_r(g), wino_hint, attr);
      e->winograd = true;
    } catch (const dnnl::error&) {
    }
  }
  if (!e->winograd) {
    auto hint = fwd_pd(g, prop_kind::forward_training, false, primitive_attr());
    pd = conv_bwd_weights_pd(cpu_engine(), algorithm::convolution_direct, act_bwd(g.B, g.C, g.H, g.W), weights_any(g), act_bwd(g.B, g.CO, g.OH, g.OW),
                             strides(g), dilates(g), pad_l(g), pad_r(g), hint, attr);
  }
  e->prim = dnnl::convolution_backward_weights(pd);
  e->src.init(nhwc(g.B, g.C, g.H, g.W), pd.src_desc(), true, true);
  e->diff_dst.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.diff_dst_desc(), true, true);
  e->diff_weights.init(hwio(g), pd.diff_weights_desc(), false, true);
  e->scratchpad = memory(pd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  e->extra_bytes = conv_filter_size(g) * sizeof(float);
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}


void* mutable_ptr(const float* p) { return const_cast<float*>(p); }

WinogradChunk& winograd_chunk_entry(bool forward, const ConvGeom& g, bool has_bias, int act, float alpha, int slot) {
  auto& c = cache();
  const char* op = forward ? "fwd_wino_chunk" : "bwd_data_wino_chunk";
  const int extra = act * 2 + (has_bias ? 1 : 0);
  std::string key = chunk_key(op, g, extra, alpha, slot);
  auto it = c.find(key);
  if (it != c.end()) return static_cast<WinogradChunk&>(*it->second);
  CreationTimer timer;
  auto e = std::make_unique<WinogradChunk>();
  e->has_bias = has_bias;
  if (Chunk* like = same_chunk_in_another_slot(op, g, extra, alpha, slot)) {
    if (like->winograd) e->share(*like);
    auto& ref = *e;
    c.emplace(key, std::move(e));
    return ref;
  }
  SingleThreadedPlan plan;
  try {
    primitive_attr attr = forward ? fused_activation(act, alpha) : primitive_attr();
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    auto fwd = fwd_pd(g, prop_kind::forward_training, forward && has_bias, attr, algorithm::convolution_winograd);
    if (forward) {
      e->prim = dnnl::convolution_forward(fwd);
      e->in.init(nhwc(g.B, g.C, g.H, g.W), fwd.src_desc(), true, true);
      e->weights.init(hwio(g), fwd.weights_desc(), true, true);
      if (has_bias) e->bias.init(memory::desc({g.CO}, dt::f32, tag::x), fwd.bias_desc(), true, true);
      e->out.init(nhwc(g.B, g.CO, g.OH, g.OW), fwd.dst_desc(), false, true);
      e->scratchpad = memory(fwd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
    } else {
      auto pd = conv_bwd_data_pd(cpu_engine(), algorithm::convolution_winograd, any4(g.B, g.C, g.H, g.W), weights_any(g), any4(g.B, g.CO, g.OH, g.OW),
                                 strides(g), dilates(g), pad_l(g), pad_r(g), fwd, attr);
      e->prim = dnnl::convolution_backward_data(pd);
      e->in.init(nhwc(g.B, g.CO, g.OH, g.OW), pd.diff_dst_desc(), true, true);
      e->weights.init(hwio(g), pd.weights_desc(), true, true);
      e->out.init(nhwc(g.B, g.C, g.H, g.W), pd.diff_src_desc(), false, true);
      e->scratchpad = memory(pd.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
    }
    e->winograd = true;
  } catch (const dnnl::error&) {
    e->winograd = false;
  }
  auto& ref = *e;
  c.emplace(key, std::move(e));
  return ref;
}

// Runs a forward (in = x, out = y) or input-gradient (in = dy, out = dx) call as Winograd in fixed
// chunks of the batch where the rule picks Winograd; false (nothing written) where it does not.
bool run_winograd_chunks(bool forward, const ConvGeom& g, int act, float alpha, const float* in, const float* w, const float* bias, float* out) {
  if (!winograd_chunked_candidate(g, forward) || !winograd_available()) return false;
  const int chunks = std::min(kWeightGradChunks, (g.B + kWinogradImages - 1) / kWinogradImages);
  const std::vector<int> first = chunk_starts(g.B, chunks);
  std::vector<WinogradChunk*> entries(chunks);
  for (int k = 0; k < chunks; k++) {
    ConvGeom part = g;
    part.B = first[k + 1] - first[k];
    entries[k] = &winograd_chunk_entry(forward, part, bias != nullptr, act, alpha, k);
    if (!entries[k]->winograd) return false;
  }
  const size_t x_image = size_t(g.H) * g.W * g.C, y_image = size_t(g.OH) * g.OW * g.CO;
  const size_t in_image = forward ? x_image : y_image, out_image = forward ? y_image : x_image;
  for (int k = 0; k < chunks; k++) entries[k]->place(chunk_arena(k).reserve(entries[k]->arena_bytes()));
  // The weights in Winograd's domain once for all chunks that take the same layout (all but an
  // uneven last chunk, if any): the transform is per weight, the same at any thread count.
  std::vector<bool> shared(chunks, false);
  entries[0]->weights.bind(mutable_ptr(w));
  entries[0]->weights.to_inner();
  shared[0] = true;
  for (int k = 1; k < chunks; k++) {
    if (entries[k]->weights.inner.get_desc() != entries[0]->weights.inner.get_desc()) continue;
    entries[k]->weights.inner.set_data_handle(entries[0]->weights.inner.get_data_handle());
    shared[k] = true;
  }
#pragma omp parallel for schedule(static) num_threads(std::min(threads(), chunks))
  for (int k = 0; k < chunks; k++) {
    WinogradChunk& e = *entries[k];
    e.in.bind(mutable_ptr(in + first[k] * in_image));
    e.weights.bind(mutable_ptr(w));
    if (e.has_bias) e.bias.bind(mutable_ptr(bias));
    e.out.bind(out + first[k] * out_image);
    e.in.to_inner(e.stream);
    if (!shared[k]) e.weights.to_inner(e.stream);
    if (e.has_bias) e.bias.to_inner(e.stream);
    std::unordered_map<int, memory> args{{DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_SCRATCHPAD, e.scratchpad}};
    if (forward) {
      args.emplace(DNNL_ARG_SRC, e.in.inner);
      args.emplace(DNNL_ARG_DST, e.out.inner);
      if (e.has_bias) args.emplace(DNNL_ARG_BIAS, e.bias.inner);
    } else {
      args.emplace(DNNL_ARG_DIFF_DST, e.in.inner);
      args.emplace(DNNL_ARG_DIFF_SRC, e.out.inner);
    }
    e.prim.execute(e.stream, args);
    e.out.to_user(e.stream);
    e.stream.wait();
  }
  return true;
}


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
  if ((act == activation::kLinear || act == activation::kRelu) && own_winograd(g, Pass::kForward)) return wino_forward(g, act, x, w, bias, y);
  if (run_winograd_chunks(true, g, act, alpha, x, w, bias, y)) return;
  const bool has_bias = bias != nullptr;
  ConvFwd& e = conv_fwd_entry(g, has_bias, act, alpha);
  e.src.bind(mutable_ptr(x));
  e.weights.bind(mutable_ptr(w));
  if (has_bias) e.bias.bind(mutable_ptr(bias));
  e.dst.bind(y);
  char* cursor = call_arena().reserve(e.src.arena_bytes() + e.weights.arena_bytes() + e.bias.arena_bytes() + e.dst.arena_bytes());
  e.src.place(cursor);
  e.weights.place(cursor);
  e.bias.place(cursor);
  e.dst.place(cursor);
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
  if (own_winograd(g, Pass::kBackwardData)) return wino_backward_data(g, dy, w, dx);
  if (run_winograd_chunks(false, g, activation::kLinear, 0.f, dy, w, nullptr, dx)) return;
  ConvBwdData& e = conv_bwd_data_entry(g);
  e.diff_dst.bind(mutable_ptr(dy));
  e.weights.bind(mutable_ptr(w));
  e.diff_src.bind(dx);
  char* cursor = call_arena().reserve(e.diff_dst.arena_bytes() + e.weights.arena_bytes() + e.diff_src.arena_bytes());
  e.diff_dst.place(cursor);
  e.weights.place(cursor);
  e.diff_src.place(cursor);
  e.diff_dst.to_inner();
  e.weights.to_inner();
  e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_WEIGHTS, e.weights.inner}, {DNNL_ARG_DIFF_SRC, e.diff_src.inner}});
  e.diff_src.to_user();
  cpu_stream().wait();
}

void conv_backward_weights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  if (own_winograd(g, Pass::kBackwardWeights)) return wino_backward_weights(g, x, dy, dw);
  // The chunking depends on the shape and the CPU, never on the thread count.
  const bool wino = winograd_candidate(g) && winograd_available();
  const int chunks = std::min(g.B, wino ? kWinogradWeightGradChunks : kWeightGradChunks);
  std::vector<ConvBwdWeightsChunk*> entries(chunks);
  const std::vector<int> first = chunk_starts(g.B, chunks);
  for (int k = 0; k < chunks; k++) {
    ConvGeom part = g;
    part.B = first[k + 1] - first[k];
    entries[k] = &conv_bwd_weights_chunk_entry(part, k);
  }
  const size_t in_image = size_t(g.H) * g.W * g.C, out_image = size_t(g.OH) * g.OW * g.CO, n = conv_filter_size(g);
  for (int k = 0; k < chunks; k++) entries[k]->place(chunk_arena(k).reserve(entries[k]->arena_bytes()));
#pragma omp parallel for schedule(static) num_threads(std::min(threads(), chunks))
  for (int k = 0; k < chunks; k++) {
    ConvBwdWeightsChunk& e = *entries[k];
    e.src.bind(mutable_ptr(x + first[k] * in_image));
    e.diff_dst.bind(mutable_ptr(dy + first[k] * out_image));
    e.diff_weights.bind(e.partial());
    e.src.to_inner(e.stream);
    e.diff_dst.to_inner(e.stream);
    e.prim.execute(e.stream, {{DNNL_ARG_SRC, e.src.inner}, {DNNL_ARG_DIFF_DST, e.diff_dst.inner}, {DNNL_ARG_DIFF_WEIGHTS, e.diff_weights.inner}, {DNNL_ARG_SCRATCHPAD, e.scratchpad}});
    e.diff_weights.to_user(e.stream);
    e.stream.wait();
  }
  // dw = ((p0 + p1) + p2) + ...: the partial gradients in chunk order, whatever thread made them.
#pragma omp parallel for schedule(static) if (n >= (1 << 14))
  for (long i = 0; i < static_cast<long>(n); i++) {
    float s = entries[0]->partial()[i];
    for (int k = 1; k < chunks; k++) s += entries[k]->partial()[i];
    dw[i] = s;
  }
}

ConvCacheStats conv_cache_stats() {
  size_t bytes = 0, winograd = 0, direct = 0;
  for (auto& [k, e] : cache()) {
    bytes += e->bytes();
    winograd += e->winograd ? 1 : 0;
    direct += e->nhwc_direct ? 1 : 0;
  }
  bytes += call_arena().size();
  for (int k = 0; k < kWeightGradChunks; k++) bytes += chunk_arena(k).size();
  bytes += wino_scratch_bytes();
  return {cache().size(), bytes, g_arena_bytes_ever_allocated, g_creations, g_create_seconds, winograd, direct, wino_calls()};
}

void conv_cache_clear() {
  cache().clear();
  call_arena().release();
  for (int k = 0; k < kWeightGradChunks; k++) chunk_arena(k).release();
  wino_release();
}

void conv_set_winograd(bool enabled) {
  if (enabled == g_winograd_enabled) return;
  g_winograd_enabled = enabled;
  conv_cache_clear();
}

void conv_set_nhwc_direct(bool enabled) {
  if (enabled == g_nhwc_direct_enabled) return;
  g_nhwc_direct_enabled = enabled;
  conv_cache_clear();
}

OnednnInfo onednn_info() {
  const dnnl_version_t* v = dnnl_version();
  const auto isa = dnnl_get_effective_cpu_isa();
  return {v->major, v->minor, v->patch, DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR, DNNL_VERSION_PATCH, isa >= dnnl_cpu_isa_avx2, isa >= dnnl_cpu_isa_avx512_core, winograd_available(),
          wino_cpu() && !winograd_available()};
}

}  // namespace tgs
