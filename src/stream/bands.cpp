// Band-by-band filtering (see bands.h). Bands run in parallel, each on one thread from read to
// write, rather than each band on every thread: a band's compute is short, and an OpenMP team
// that waits at its barriers for a member the I/O has pushed off its core loses more than it
// gains (measured: 2 threads per band on 2 cores was slower than 1). So:
//
//   worker (threads + 1 of them, at most `threads` computing at once):
//     take the next band b
//     read turn b:   window = the halo rows the last window left in the ring + new rows read;
//                    the ring keeps this window's tail for band b+1
//     compute:       result = filter(window), single-threaded
//     write turn b:  rows [r0, r1) of result to the writer
//
// Reads and writes happen in band order (each has its turn), so sequential readers and writers
// work, and while one band is read or written the others compute.
#include "stream/bands.h"

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "convkit/error.h"
#include "convkit/plan.h"

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

  // Fills `w` with virtual rows [v0, v1): the rows the ring holds are copied, the rest read.
  // Then the ring keeps the rows from v_next on (the next window's first row).
  void fill(Window& w, std::int64_t v0, std::int64_t v1, std::int64_t v_next) {
    copy_rows(w, v0, v1, &ring_, true);
    copy_rows(ring_, std::max(v_next, v0), v1, &w, false);
  }

 private:
  // Rows [v0, v1) into `dst` (reallocated if too small): from `src` where it has them, the
  // others from the reader when `read`.
  void copy_rows(Window& dst, std::int64_t v0, std::int64_t v1, const Window* src, bool read) {
    const std::int64_t rb = layout_.row_bytes();
    if (dst.buffer.numel() == 0 || dst.buffer.dim(0) < v1 - v0) {
      const auto shape = layout_.band_shape(std::max<std::int64_t>(v1 - v0, 1));
      dst.buffer = Tensor(layout_.dtype, std::span<const std::int64_t>(shape));
    }
    auto* base = static_cast<char*>(dst.buffer.data());
    for (std::int64_t v = v0; v < v1;) {
      if (src && v >= src->v0 && v < src->v1) {
        const std::int64_t n = std::min(v1, src->v1) - v;
        std::memmove(base + (v - v0) * rb,
                     static_cast<const char*>(src->buffer.data()) + (v - src->v0) * rb,
                     std::size_t(n * rb));
        v += n;
        continue;
      }
      std::int64_t end = v1;
      if (src && src->v0 > v) end = std::min(end, src->v0);
      const std::int64_t physical = ((v % h_) + h_) % h_;
      const std::int64_t n = std::min(end - v, h_ - physical);
      if (!read) break;  // (the ring only ever takes rows the window has)
      in_.read_rows(physical, rows_of(dst.buffer.view(), v - v0, n));
      v += n;
    }
    dst.v0 = v0, dst.v1 = v1;
  }

  io::RowReader& in_;
  const io::RowLayout& layout_;
  Reach reach_;
  const BandOptions& o_;
  std::int64_t h_;
  Window ring_;
};

// convkit's thread count while bands compute single-threaded; restored on the way out.
class ThreadsFor {
 public:
  explicit ThreadsFor(int n) : saved_(get_num_threads()) { set_num_threads(n); }
  ~ThreadsFor() { set_num_threads(saved_); }

 private:
  int saved_;
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
  const std::int64_t bands = (h + step - 1) / step;
  const int threads = std::max(1, get_num_threads());
  const int workers = int(std::min<std::int64_t>(threads + 1, bands));
  ThreadsFor one(1);

  Runner runner(in, reach, options);
  std::mutex mutex;
  std::condition_variable turn;
  std::int64_t next_band = 0, read_turn = 0, write_turn = 0;
  int computing = 0;
  std::exception_ptr error;

  // Waits until `ready` or a worker failed; false when one failed.
  auto wait_for = [&](std::unique_lock<std::mutex>& lock, auto ready) {
    turn.wait(lock, [&] { return error || ready(); });
    return !error;
  };
  auto worker = [&] {
    Window window;
    Tensor result;
    for (;;) {
      std::int64_t b;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (error || next_band >= bands) return;
        b = next_band++;
      }
      const std::int64_t r0 = b * step, r1 = std::min(h, r0 + step);
      try {
        const auto [v0, v1] = runner.window_of(r0, r1);
        {
          std::unique_lock<std::mutex> lock(mutex);
          if (!wait_for(lock, [&] { return read_turn == b; })) return;
        }
        const std::int64_t v_next = r1 < h ? runner.window_of(r1, std::min(h, r1 + step)).first : v1;
        runner.fill(window, v0, v1, v_next);
        {
          std::unique_lock<std::mutex> lock(mutex);
          ++read_turn;
          turn.notify_all();
          if (!wait_for(lock, [&] { return computing < threads; })) return;
          ++computing;
        }
        struct Done {
          std::mutex& m;
          std::condition_variable& cv;
          int& n;
          ~Done() {
            std::lock_guard<std::mutex> lock(m);
            --n;
            cv.notify_all();
          }
        };
        {
          Done done{mutex, turn, computing};
          result = filter(rows_of(window.buffer.cview(), 0, v1 - v0));
        }
        const std::int64_t m = v1 - v0;
        if (result.rank() != int(out_layout.band_shape(m).size()) || result.dim(0) != m ||
            result.dtype() != out_layout.dtype)
          detail::fail("stream", "the band filter returned ", result.geometry().shape_string(),
                       " ", dtype_name(result.dtype()), " for a window of ", m, " rows");
        {
          std::unique_lock<std::mutex> lock(mutex);
          if (!wait_for(lock, [&] { return write_turn == b; })) return;
        }
        out.write_rows(rows_of(result.cview(), r0 - v0, r1 - r0));
        if (options.progress) options.progress(r1, h);
        std::lock_guard<std::mutex> lock(mutex);
        ++write_turn;
        turn.notify_all();
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        turn.notify_all();
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace convkit::stream
