// Memory-bound float32 kernels of a BatchNorm U-Net's training step: broadcast binary ops,
// reductions over leading or trailing axes, and batch-norm inference/training normalisation.
#pragma once
#include <cstddef>
#include <cstdint>

#include "abi.h"

namespace tgs {

// out[i] = a[i'] op b[i''] where i' and i'' follow each operand's broadcast mode over n elements
// with c channels (the innermost dimension); op is a binary_op code, the modes broadcast codes.
void binary(int op, const float* a, int a_mode, const float* b, int b_mode, float* out, size_t n, size_t c);

// y[j] = scale * sum_i x[i, j] for x viewed as [rows, cols] (a reduction over leading axes).
// The rows are split into a fixed number of blocks, summed in block order, so the result does not
// depend on the thread count.
void reduce_rows(const float* x, float* y, size_t rows, size_t cols, float scale);

// y[i] = scale * sum_j x[i, j] (a reduction over trailing axes).
void reduce_cols(const float* x, float* y, size_t rows, size_t cols, float scale);

// y = (x - mean[ch]) * rsqrt(var[ch] + eps) * gamma[ch] + beta[ch], gamma/beta optional (nullptr);
// with relu, y = relu(that) in the same pass (the same bits as a Relu after it).
void batch_norm(const float* x, const float* mean, const float* var, const float* gamma, const float* beta, float eps, float* y, size_t n, size_t c,
                bool relu = false);

// Concatenation of `parts` tensors viewed as [outer, inner_i] along the inner axis:
// out[r, off_i + j] = part_i[r, j]. split() is the inverse (SplitV). 4-byte elements.
void concat_rows(const float* const* parts, const size_t* inners, size_t n_parts, size_t outer, float* out);
void split_rows(const float* src, size_t outer, float* const* parts, const size_t* inners, size_t n_parts);

// Gradient of y = (x - mean) * s * gamma + beta, s = (var + eps)^-1/2, per channel (c innermost):
//   dx = dy * s * gamma, dmean = -s * gamma * sum(dy), dvar = -1/2 * gamma * s^3 * sum(dy * (x - mean)),
//   dgamma = s * sum(dy * (x - mean)), dbeta = sum(dy)
// in two passes over x and dy (gamma may be nullptr: 1; dgamma then nullptr). Sums as reduce_rows.
void batch_norm_grad(const float* x, const float* dy, const float* mean, const float* var, const float* gamma, float eps,
                     float* dx, float* dmean, float* dvar, float* dgamma, float* dbeta, size_t n, size_t c);

// Batch norm in training, per channel (c innermost) over the n / c rows, N = n / c:
//   mean = (1/N) sum x,  var = (1/N) sum (x - mean)^2  (two passes: no cancellation),
//   y = (x - mean) * s * gamma + beta,  s = (var + eps)^-1/2
// gamma/beta may be nullptr (1, 0). Sums in fixed row blocks, so the bits do not depend on threads.
// With relu, y = relu(y) in the same pass (batch norm then Relu, the same bits, one pass fewer).
void batch_norm_train(const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean, float* var, size_t n, size_t c,
                      bool relu = false);

// Its gradient with the batch statistics differentiated too, in two passes over x and dy
// (xh = (x - mean) * s):
//   dbeta = sum dy,  dgamma = sum dy * xh,  dx = gamma * s * (dy - dbeta / N - xh * dgamma / N)
// dgamma/dbeta may be nullptr (not wanted); gamma/beta may be nullptr (1, 0). With relu (the
// gradient of batch_norm_train with relu), dy is first taken through the Relu, dy * step(y), as
// relu_grad would, with y recomputed from x, gamma and beta exactly as the forward pass computed
// it: the same bits as relu_grad then this, without reading y or writing the intermediate gradient.
void batch_norm_train_grad(const float* x, const float* dy, const float* mean, const float* var, const float* gamma, const float* beta, bool relu, float eps,
                           float* dx, float* dgamma, float* dbeta, size_t n, size_t c);

// y = op(x) elementwise, op a unary_op code.
void unary(int op, const float* x, float* y, size_t n);

// Gradient of Relu as tfjs composes it, dx = dy * step(x) with step(x) = 1 for x > 0, NaN for NaN,
// 0 otherwise: one pass instead of Step then Multiply, the same bits (dy * 0 keeps dy's sign).
void relu_grad(const float* dy, const float* x, float* dx, size_t n);

// Gather of 4-byte elements: x viewed as [outer, axis_dim, inner], out[o, i, :] = x[o, idx[i], :]
// for i < m. Returns false, writing nothing, when an index is outside [0, axis_dim).
bool gather(const float* x, const int* idx, size_t outer, size_t axis_dim, size_t inner, size_t m, float* out);

// out = x repeated `times` times, x of `block` elements (Tile of [1, .., 1, rest] over leading axes).
void repeat_block(const float* x, size_t block, size_t times, float* out);

// Copies a box of x into y, filling the rest of y with `fill` (4-byte elements, rank <= 8, row-major):
// y[offset + q] = x[begin + (reverse ? size - 1 - q : q)] per axis, for 0 <= q < size on every axis.
// Slice is offset 0 and size = y's dims, PadV2 begin 0 and size = x's dims, Reverse x = y = size.
// Exact copies (the bits of x, NaN payloads too), rows split over the threads. The caller checks
// that the box lies inside x and y.
void box_copy(const uint32_t* x, const size_t* x_dims, const size_t* begin, const size_t* size, const uint8_t* reverse, uint32_t* y,
              const size_t* y_dims, const size_t* offset, size_t rank, uint32_t fill);

// TopK (sorted) of float32 rows: row r's k largest of its n values, in descending order, ties in
// ascending index order (tfjs's order, which makes the result unique), with their indices. Rows run
// on the threads. Returns false, writing nothing, when a value is not finite (tfjs's comparator
// has no order for NaN or inf - inf; the stock kernel takes those).
bool top_k(const float* x, size_t rows, size_t n, size_t k, float* values, int32_t* indices);

// Constants of one Adam update, as float32 (tfjs turns each into a float32 scalar tensor).
struct AdamConstants {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float one_minus_acc_beta1, one_minus_acc_beta2;  // 1 - beta^t, from the optimizer's variables
  float epsilon, neg_lr;
};

// One Adam step for n elements, the operations of tfjs's AdamOptimizer in its order, each rounded
// to float32 (no contraction into FMAs), so the bits equal tfjs's:
//   m' = m * beta1 + g * (1 - beta1)            v' = v * beta2 + (g * g) * (1 - beta2)
//   w' = ((m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + eps)) * -lr + w
void adam(const float* w, const float* m, const float* v, const float* g, size_t n, const AdamConstants& k, float* w_out, float* m_out, float* v_out);

}  // namespace tgs
