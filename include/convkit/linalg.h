#pragma once
/// \file linalg.h
/// Convolution seen as linear algebra: the geometry of one output cell, the convolution matrix
/// (sparse, CSR), im2col/unfold and col2im/fold, and integral images (summed-area tables).
///
///   using namespace convkit;
///   ConvProblem p;  p.h = 8; p.w = 8; p.r = 3; p.s = 3; p.flip = true;   // 'valid' convolution
///   auto w = linalg::window(p, 0, 0);             // rows 0..2, columns 0..2 of the input
///   auto A = linalg::convolution_matrix(p, kernel);   // A @ vec(x) == vec(conv(x))
///
/// Everything here is plain loops over the ConvProblem's geometry: these are teaching and
/// inverse-problem tools, and the fast paths stay in Plan.

#include <array>
#include <cstdint>
#include <vector>

#include "convkit/nn.h"
#include "convkit/plan.h"
#include "convkit/tensor.h"

namespace convkit::linalg {

/// The input coordinates one output cell reads: tap (r, s) reads input row
/// row0 + r * row_step and column col0 + s * col_step (before the border rule; coordinates
/// outside [0, h) x [0, w) are padding). The one place this geometry is computed.
struct Window {
  std::int64_t row0 = 0, col0 = 0;
  std::int64_t row_step = 1, col_step = 1;  ///< the dilation
  std::int64_t rows = 1, cols = 1;          ///< the kernel's taps r x s
};
/// The window of output cell (out_row, out_col) of `p`; throws convkit::Error if the cell is
/// outside the P x Q output.
Window window(const ConvProblem& p, std::int64_t out_row, std::int64_t out_col);

/// Input rows (axis 0) or columns (axis 1) that no output window reads (inside the image, so
/// not padding): a stride larger than the dilated kernel skips some, 'valid'-style crops none.
std::vector<std::int64_t> unreached(const ConvProblem& p, int axis);

/// A sparse matrix in compressed sparse row form: the arrays of scipy.sparse.csr_matrix, column
/// indices sorted within each row, duplicates summed, no explicit zeros from zero taps.
struct SparseMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<std::int64_t> indptr;   ///< rows + 1 offsets
  std::vector<std::int64_t> indices;  ///< column of each stored entry
  std::vector<double> values;
};

/// How an image is flattened into a vector: row-major (NumPy's ravel) or column-major
/// (MATLAB's X(:), convmtx2's order).
enum class Order : std::uint8_t { row_major, column_major };

/// The matrix A of the single-channel problem `p` (n = c = k = groups = 1; any stride,
/// dilation, padding, border, flip): A @ vec(x) == vec(out) for every H x W image x, with
/// vec in `order`. Rows: P * Q outputs; columns: H * W inputs. Border::constant with a non-zero
/// value is affine, not linear, and is refused. `kernel`: an R x S real array (any dtype).
/// At most R * S entries per row.
SparseMatrix convolution_matrix(const ConvProblem& p, ConstTensorView kernel,
                                Order order = Order::row_major);

/// torch.nn.functional.unfold's geometry: kernel, dilation, padding (zeros, symmetric as in
/// PyTorch, or per side), stride.
struct UnfoldOptions {
  nn::Size2 kernel = 1;
  nn::Size2 dilation = 1;
  nn::Padding padding = 0;  ///< explicit pads only (no 'same'/'valid' strings)
  nn::Size2 stride = 1;
};
/// The number of sliding blocks per axis (L = blocks.h * blocks.w) for an h x w input; throws
/// convkit::Error naming the parameter when there are none.
nn::Size2 unfold_blocks(std::int64_t h, std::int64_t w, const UnfoldOptions& o);
/// im2col: input N x C x H x W (any strides, f32 or f64) to N x (C * kh * kw) x L, row index
/// c * kh * kw + i * kw + j, L row-major over block positions; padding reads zeros. `output`
/// has that shape and the input's dtype (any strides).
void unfold(ConstTensorView input, const UnfoldOptions& o, TensorView output);
Tensor unfold(ConstTensorView input, const UnfoldOptions& o);
/// The N x C x H x W shape fold makes of `input` (N x (C * kh * kw) x L); throws
/// convkit::Error naming the parameter unless L is the number of blocks of an h x w image.
std::array<std::int64_t, 4> fold_shape(ConstTensorView input, std::int64_t h, std::int64_t w,
                                       const UnfoldOptions& o);
/// col2im, the adjoint of unfold: input N x (C * kh * kw) x L to N x C x H x W, overlapping
/// blocks summed, padding dropped. Every element of `output` is written.
void fold(ConstTensorView input, std::int64_t h, std::int64_t w, const UnfoldOptions& o,
          TensorView output);
Tensor fold(ConstTensorView input, std::int64_t h, std::int64_t w, const UnfoldOptions& o);

/// Integral images with cv::integral's layout and depth rules: for an H x W x C image (HW is
/// C = 1), (H+1) x (W+1) x C tables with a zero first row and column:
///   sum[Y][X]    = sum_{y<Y, x<X} src[y][x]
///   sqsum[Y][X]  = sum_{y<Y, x<X} src[y][x]^2
///   tilted[Y][X] = sum_{y<Y, |x-X+1| <= Y-y-1} src[y][x]
/// Depths (OpenCV's combinations): u8 -> sum i32, f32 or f64; u16, i16 -> f64; f32 -> f32 or
/// f64; f64 -> f64; sqsum f64 (or f32, and i32 for u8 with an i32 sum). The tables are OpenCV's
/// bit for bit, float ones included: the same running sums in the same order (the float32 sum
/// alone of a one-channel float32 image in OpenCV's vector-block order, the tilted table by
/// its row-buffer recurrence); an i32 table wraps modulo 2^32 as OpenCV's does when the true
/// sum exceeds it (ask for f64 to avoid that). Exact integer sums run in row chunks on the
/// threads.
struct IntegralOptions {
  DType sum = DType::f64;
  DType sqsum = DType::f64;
  bool with_sqsum = false;
  bool with_tilted = false;
};
struct Integrals {
  Tensor sum, sqsum, tilted;  ///< sqsum / tilted empty unless asked for; tilted has sum's dtype
};
/// The default sum depth for a source dtype (cv::integral's sdepth = -1): u8 -> i32, else f64.
DType integral_default_depth(DType src);
Integrals integral(ConstTensorView src, const IntegralOptions& o);
/// The tables' shape for `src`: (H+1, W+1) or (H+1, W+1, C).
std::vector<std::int64_t> integral_shape(ConstTensorView src);
/// The same into tables you own (contiguous, of that shape; sqsum / tilted ignored unless
/// asked for), e.g. arrays a Python front end allocates.
void integral(ConstTensorView src, const IntegralOptions& o, TensorView sum, TensorView sqsum,
              TensorView tilted);

}  // namespace convkit::linalg
