// Band-by-band filtering (see bands.h). The pipeline, one band per step:
//
//   read thread:   window b+1 = halo rows copied from window b + new rows from the reader
//   this thread:   result b   = filter(window b)
//   write thread:  rows [r0, r1) of result b-1 ... then of result b
//
// Two window buffers alternate; a result is kept until its write has finished.
#include "stream/bands.h"

#include <algorithm>
#include <cstring>
#include <future>
#include <vector>

#include "convkit/error.h"

namespace convkit::stream {

namespace {

// Rows [first, first + rows) of a view (any strides; the rows are axis 0).
ConstTensorView rows_of(ConstTensorView base, std::int64_t first, std::int64_t rows) {
  Geometry g = base.geometry();
  g.shape[0] = rows;
  return ConstTensorView(static_cast<const char*>(base.data()) +
                             first * base.stride(0) * std::int64_t(dtype_size(base.dtype())),
                         base.dtype(), g);
}
TensorView rows_of(TensorView base, std::int64_t first, std::int64_t rows) {
  const ConstTensorView c = rows_of(ConstTensorView(base), first, rows);
  return TensorView(const_cast<void*>(c.data()), c.dtype(), c.geometry());
}

struct Window {
  Tensor buffer;
  std::int64_t v0 = 0, v1 = 0;  // virtual rows held (may be < 0 or >= H when wrapping)
};

class Runner {
 public:
  Runner(io::RowReader& in, const Reach& reach, const BandOptions& o)
      : in_(in), layout_(in.layout()), reach_(reach), o_(o), h_(layout_.height) {}

  // The window of output band [r0, r1).
  std::pair<std::int64_t, std::int64_t> window_of(std::int64_t r0, std::int64_t r1) const {
    if (o_.wrap) return {r0 - reach_.above, r1 + reach_.below};
    return {r0 - std::min(reach_.above, r0), r1 + std::min(reach_.below, h_ - r1)};
  }

  // Fills `w` with virtual rows [v0, v1): rows `prev` holds are copied, the rest read.
  void fill(Window& w, std::int64_t v0, std::int64_t v1, const Window* prev) {
    const std::int64_t rb = layout_.row_bytes();
    if (w.buffer.numel() == 0 || w.buffer.dim(0) < v1 - v0) {
      const auto shape = layout_.band_shape(v1 - v0);
      w.buffer = Tensor(layout_.dtype, std::span<const std::int64_t>(shape));
    }
    w.v0 = v0, w.v1 = v1;
    auto* base = static_cast<char*>(w.buffer.data());
    for (std::int64_t v = v0; v < v1;) {
      if (prev && v >= prev->v0 && v < prev->v1) {
        const std::int64_t n = std::min(v1, prev->v1) - v;
        std::memcpy(base + (v - v0) * rb,
                    static_cast<const char*>(prev->buffer.data()) + (v - prev->v0) * rb,
                    std::size_t(n * rb));
        v += n;
        continue;
      }
      std::int64_t end = v1;
      if (prev && prev->v0 > v) end = std::min(end, prev->v0);
      const std::int64_t physical = ((v % h_) + h_) % h_;
      const std::int64_t n = std::min(end - v, h_ - physical);
      in_.read_rows(physical, rows_of(w.buffer.view(), v - v0, n));
      v += n;
    }
  }

 private:
  io::RowReader& in_;
  const io::RowLayout& layout_;
  Reach reach_;
  const BandOptions& o_;
  std::int64_t h_;
};

}  // namespace

std::string banding_problem(const io::RowReader& in, Reach reach, const BandOptions& options) {
  if (reach.above < 0 || reach.below < 0) return "the filter's reach is negative";
  if (options.band_rows < 1) return "the band height must be at least 1 row";
  if (!options.wrap) return "";
  if (!in.random_access())
    return "a periodic (wrap) border needs the last rows first, and this file reads top to "
           "bottom only";
  if (in.layout().height < std::max(reach.above, reach.below))
    return "the image is shorter than the filter's reach";
  return "";
}

std::int64_t band_rows_for(const io::RowLayout& in, const io::RowLayout& out, Reach reach,
                           double temp_bytes_per_sample, std::int64_t budget_bytes,
                           std::int64_t min_rows) {
  const double samples = double(out.width) * double(std::max<std::int64_t>(out.channels, 1));
  // Two windows and two results per row, and the filter's temporaries.
  const double per_row = 2.0 * double(in.row_bytes()) + 2.0 * double(out.row_bytes()) +
                         temp_bytes_per_sample * samples;
  const double halo = double(reach.above + reach.below) * per_row;
  const double rows = (double(budget_bytes) - halo) / per_row;
  const std::int64_t r = rows >= double(in.height) ? in.height : std::int64_t(std::max(rows, 0.0));
  return std::clamp<std::int64_t>(r, std::min(min_rows, in.height), std::max<std::int64_t>(in.height, 1));
}

void run(io::RowReader& in, io::RowWriter& out, const io::RowLayout& out_layout, Reach reach,
         const BandFilter& filter, const BandOptions& options) {
  if (std::string why = banding_problem(in, reach, options); !why.empty())
    detail::fail("stream", why);
  const io::RowLayout& layout = in.layout();
  if (out_layout.height != layout.height || out_layout.width != layout.width)
    detail::fail("stream", "the output layout ", out_layout.height, "x", out_layout.width,
                 " differs from the input's ", layout.height, "x", layout.width);
  const std::int64_t h = layout.height, step = options.band_rows;
  if (h == 0) return;
  Runner runner(in, reach, options);
  Window windows[2];
  Tensor results[2];
  std::future<void> reading, writing;
  // Whatever happens, no thread may outlive the buffers it uses.
  struct Join {
    std::future<void>*a, *b;
    ~Join() {
      if (a->valid()) a->wait();
      if (b->valid()) b->wait();
    }
  } join{&reading, &writing};

  auto [v0, v1] = runner.window_of(0, std::min(step, h));
  runner.fill(windows[0], v0, v1, nullptr);
  for (std::int64_t r0 = 0, b = 0; r0 < h; r0 += step, ++b) {
    const std::int64_t r1 = std::min(h, r0 + step);
    Window& now = windows[b % 2];
    if (r1 < h) {
      const auto [n0, n1] = runner.window_of(r1, std::min(h, r1 + step));
      reading = std::async(std::launch::async, [&runner, &next = windows[(b + 1) % 2], &now,
                                                n0 = n0, n1 = n1] { runner.fill(next, n0, n1, &now); });
    }
    const std::int64_t m = now.v1 - now.v0;
    Tensor& result = results[b % 2];
    if (writing.valid()) writing.get();  // result b-2 (this buffer) is written
    result = filter(rows_of(now.buffer.cview(), 0, m));
    if (result.rank() != int(out_layout.band_shape(m).size()) || result.dim(0) != m ||
        result.dtype() != out_layout.dtype)
      detail::fail("stream", "the band filter returned ", result.geometry().shape_string(), " ",
                   dtype_name(result.dtype()), " for a window of ", m, " rows");
    const ConstTensorView kept = rows_of(result.cview(), r0 - now.v0, r1 - r0);
    writing = std::async(std::launch::async, [&out, kept, &options, r1, h] {
      out.write_rows(kept);
      if (options.progress) options.progress(r1, h);
    });
    if (reading.valid()) reading.get();
  }
  writing.get();
}

}  // namespace convkit::stream
