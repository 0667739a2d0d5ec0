#pragma once
// Filtering an image band by band in bounded memory: rows are pulled from an io::RowReader
// and pushed to an io::RowWriter, a band of output rows at a time, each computed from a window
// of input rows that adds the filter's reach above and below (the halo).
//
//   window b   = input rows [r0 - above, r1 + below)    (clipped to the image; wrapped around it
//                                                         for periodic borders)
//   f(window)  = the filter on those rows as if they were an image
//   output     = rows [r0, r1) of f(window)             (the halo's own outputs are dropped)
//
// Output rows in [r0, r1) see only real input rows, so the filter's own border handling at a
// window's edge reaches only dropped rows; at the image's top and bottom the window's edge IS
// the image's edge, so borders come out as in the whole image. With a row-local filter (plans
// made with PlanOptions::band_of_height) the bands together are the whole image's result bit
// for bit. Consecutive windows overlap by above + below rows: those are copied from the last
// window (the halo ring), not read again. Bands run on several threads at once, one thread each
// from read to write (reads and writes in band order), so I/O overlaps computing.

#include <cstdint>
#include <functional>

#include "convkit/tensor.h"
#include "io/rows.h"

namespace convkit::stream {

/// How far the filter reaches: output row y depends on input rows [y - above, y + below].
struct Reach {
  std::int64_t above = 0, below = 0;
};

/// The filter on a window of rows (shaped layout.band_shape(m)): returns the m output rows, of
/// the writer's dtype and row shape. Must be row-local (see the file comment).
using BandFilter = std::function<Tensor(ConstTensorView window)>;

struct BandOptions {
  std::int64_t band_rows = 256;  ///< output rows per band (the last band may be shorter)
  bool wrap = false;  ///< periodic border: rows above the top come from the bottom, and back
  /// Called after each band is written: output rows done so far, of `total`.
  std::function<void(std::int64_t done, std::int64_t total)> progress;
};

/// Why this image cannot be filtered in bands of `options` (empty when it can): a periodic
/// border needs a reader that reads in any order, and an image at least as tall as the reach.
std::string banding_problem(const io::RowReader& in, Reach reach, const BandOptions& options);

/// A band height: the most rows whose estimated cost -- per row two input rows, two output rows
/// and the filter's temporaries (`temp_bytes_per_sample` per sample), the halo rows included --
/// fits `budget_bytes`; at least `min_rows` and at most the image's height. (The CLI passes
/// 64 MiB; with threads + 1 bands in flight and temporaries usually below the estimate, a
/// streamed 32000-wide u8 image peaks near 56 MiB.)
std::int64_t band_rows_for(const io::RowLayout& in, const io::RowLayout& out, Reach reach,
                           double temp_bytes_per_sample, std::int64_t budget_bytes,
                           std::int64_t min_rows = 16);

/// Runs `filter` over the whole image, band by band, writing every row to `out` (top to
/// bottom; the caller calls out.finish()). `out_layout` is the output's (same height and width).
/// Throws what the reader, writer or filter throw, or Error when banding_problem is not empty.
void run(io::RowReader& in, io::RowWriter& out, const io::RowLayout& out_layout, Reach reach,
         const BandFilter& filter, const BandOptions& options);

}  // namespace convkit::stream
