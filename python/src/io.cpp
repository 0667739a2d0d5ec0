// Image files for convkit._core: convkit::io's readers and writers (NPY, PNG, PNM, JPEG, TIFF,
// WebP, chosen by the extension) behind convkit.imread / convkit.imwrite (python/convkit/_io.py
// checks the keyword options, memory-maps .npy files and writes through a temporary file), and
// the EXIF orientation applied on request (io/orientation.h). File errors become OSError.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <optional>
#include <string>
#include <tuple>

#include "arrays.h"
#include "io/image.h"
#include "io/orientation.h"

namespace convkit::python {

using namespace nb::literals;

void bind_io(nb::module_& m) {
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const IoError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    }
  });
  m.def(
      "imread",
      [](const std::string& path, bool auto_orient) {
        io::ImageMeta meta;
        Tensor t;
        {
          nb::gil_scoped_release release;
          t = io::read_image(path, "path", &meta);
          if (auto_orient && (t.rank() == 2 || t.rank() == 3)) {
            const int orientation = io::read_exif_orientation(path);
            if (orientation != 1) t = io::apply_orientation(t, orientation);
          }
        }
        nb::object resolution = nb::none();
        if (meta.has_resolution)
          resolution = nb::make_tuple(meta.x_resolution, meta.y_resolution, meta.resolution_unit);
        return nb::make_tuple(to_numpy(std::move(t)), resolution);
      },
      "path"_a, "auto_orient"_a = false,
      "The image or array in `path` and its (x, y, unit) resolution or None; auto_orient: "
      "turned as its EXIF orientation says (Pillow's ImageOps.exif_transpose).");
  m.def(
      "imwrite",
      [](const std::string& path, const InArray& array, int quality, bool lossless,
         bool progressive, const std::string& compression, int predictor, bool tiles,
         bool planar, int bigtiff, std::optional<std::tuple<double, double, int>> resolution,
         int png_compression) {
        const ConstTensorView t = view_of(array, "array");
        io::WriteOptions o;
        o.quality = quality;
        o.lossless = lossless;
        o.progressive = progressive;
        o.compression = compression;
        o.predictor = predictor;
        o.tiles = tiles;
        o.planar = planar;
        o.bigtiff = bigtiff;
        o.png_compression = png_compression;
        if (resolution) {
          o.meta.has_resolution = true;
          std::tie(o.meta.x_resolution, o.meta.y_resolution, o.meta.resolution_unit) = *resolution;
        }
        nb::gil_scoped_release release;
        io::write_image(path, t, o);
      },
      "path"_a, "array"_a, "quality"_a = -1, "lossless"_a = false, "progressive"_a = false,
      "compression"_a = "", "predictor"_a = 0, "tiles"_a = false, "planar"_a = false,
      "bigtiff"_a = -1, "resolution"_a = nb::none(), "png_compression"_a = -1,
      "Writes `array` in the format of `path`'s extension (no temporary file: see imwrite).");
}

}  // namespace convkit::python
