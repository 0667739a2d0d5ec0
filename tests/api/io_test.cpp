// File I/O: .npy, PNG and Netpbm round trips, hand-made files for the cases our own writer never
// produces (Fortran order, big-endian, ASCII Netpbm), and kernel text parsing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <complex>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "io/image.h"
#include "io/kernel_text.h"
#include "io/npy.h"

#include "temp_dir.h"

namespace convkit::io {
namespace {

namespace fs = std::filesystem;

using IoTest = test::TempDirTest;

// Distinct, exactly representable values in every dtype (small enough for u8).
void fill_pattern(Tensor& t) {
  visit_dtype(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    auto* p = static_cast<T*>(t.data());
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, std::complex<float>> ||
                    std::is_same_v<T, std::complex<double>>)
        p[i] = T(typename T::value_type(i % 97), typename T::value_type(-(i % 13)));
      else
        p[i] = T((i * 7 + 3) % 251);
    }
  });
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.rank(), b.rank());
  for (int i = 0; i < a.rank(); ++i) ASSERT_EQ(a.dim(i), b.dim(i)) << "axis " << i;
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * dtype_size(a.dtype())));
}

std::string npy_file(const std::string& header_dict, const std::string& data) {
  std::string header = header_dict;
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  return out + header + data;
}

TEST_F(IoTest, NpyRoundTripsEveryDtypeAndRank) {
  const DType dtypes[] = {DType::u8,  DType::u16, DType::i16, DType::i32,
                          DType::f32, DType::f64, DType::c64, DType::c128};
  const std::vector<std::vector<std::int64_t>> shapes = {{7}, {3, 5}, {2, 3, 4}, {0, 3}};
  for (DType dt : dtypes) {
    for (const auto& shape : shapes) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " rank " + std::to_string(shape.size()));
      Tensor t(dt, std::span<const std::int64_t>(shape));
      fill_pattern(t);
      write_npy(path("a.npy"), t);
      expect_same(read_npy(path("a.npy")), t);
      // The header is padded so the data starts 64-byte aligned, as NumPy writes it.
      EXPECT_EQ(0u, (fs::file_size(path("a.npy")) - t.numel() * dtype_size(dt)) % 64);
    }
  }
}

TEST_F(IoTest, NpyWritesNegativeStrideViewsInLogicalOrder) {
  Tensor t(DType::f32, {3, 4});
  fill_pattern(t);
  const float* base = t.data_as<float>();
  // Rows reversed and every other column: strides (-4, 2) starting at the last row.
  const std::int64_t shape[] = {3, 2}, strides[] = {-4, 2};
  ConstTensorView view(base + 8, DType::f32, shape, strides);
  write_npy(path("v.npy"), view);
  Tensor back = read_npy(path("v.npy"));
  ASSERT_EQ(back.rank(), 2);
  ASSERT_EQ(back.dim(0), 3);
  ASSERT_EQ(back.dim(1), 2);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_EQ(back.data_as<float>()[i * 2 + j], base[(2 - i) * 4 + 2 * j]) << i << "," << j;
}

TEST_F(IoTest, NpyReadsFortranOrderAndBigEndian) {
  // np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3)): stored column by column.
  std::string data;
  for (int v : {0, 3, 1, 4, 2, 5}) data += std::string{0, 0, 0, char(v)};
  write_bytes("f.npy",
              npy_file("{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }", data));
  Tensor t = read_npy(path("f.npy"));
  ASSERT_EQ(t.dtype(), DType::i32);
  ASSERT_EQ(t.dim(0), 2);
  ASSERT_EQ(t.dim(1), 3);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data_as<std::int32_t>()[i], i);
}

TEST_F(IoTest, NpyRejectsUnsupportedAndBrokenFiles) {
  write_bytes("i8.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                                 std::string(16, '\0')));
  try {
    read_npy(path("i8.npy"));
    FAIL() << "int64 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'<i8'"), std::string::npos) << e.what();
  }
  write_bytes("short.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }",
                                    std::string(16, '\0')));
  EXPECT_THROW(read_npy(path("short.npy")), IoError);
  write_bytes("rec.npy", npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                  "'shape': (1,), }",
                                  std::string(4, '\0')));
  EXPECT_THROW(read_npy(path("rec.npy")), Error);
  write_bytes("text.npy", "hello, world");
  EXPECT_THROW(read_npy(path("text.npy")), Error);
  try {
    read_npy(path("missing.npy"));
    FAIL() << "missing file accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.npy"), std::string::npos) << e.what();
  }
}

TEST_F(IoTest, PngRoundTrips8And16BitWithEveryChannelCount) {
  for (DType dt : {DType::u8, DType::u16}) {
    for (std::int64_t c : {1, 2, 3, 4}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " C=" + std::to_string(c));
      Tensor t = c == 1 ? Tensor(dt, {5, 7}) : Tensor(dt, {5, 7, c});
      fill_pattern(t);
      if (dt == DType::u16) t.data_as<std::uint16_t>()[0] = 0xABCD;  // catches a missing swap
      write_image(path("img.png"), t);
      expect_same(read_image(path("img.png")), t);
    }
  }
}

TEST_F(IoTest, PngExtensionIsCaseInsensitiveAndHxWx1IsGray) {
  Tensor t(DType::u8, {4, 6, 1});
  fill_pattern(t);
  write_image(path("UPPER.PNG"), t);
  Tensor back = read_image(path("UPPER.PNG"));
  ASSERT_EQ(back.rank(), 2);
  EXPECT_EQ(0, std::memcmp(back.data(), t.data(), 24));
}

TEST_F(IoTest, NetpbmRoundTrips) {
  for (DType dt : {DType::u8, DType::u16}) {
    Tensor gray(dt, {3, 5}), rgb(dt, {3, 5, 3});
    fill_pattern(gray);
    fill_pattern(rgb);
    if (dt == DType::u16) gray.data_as<std::uint16_t>()[1] = 0x1234;
    write_image(path("g.pgm"), gray);
    write_image(path("c.ppm"), rgb);
    write_image(path("g.pnm"), gray);
    expect_same(read_image(path("g.pgm")), gray);
    expect_same(read_image(path("c.ppm")), rgb);
    expect_same(read_image(path("g.pnm")), gray);
  }
}

TEST_F(IoTest, NetpbmReadsAsciiWithComments) {
  write_bytes("a.pgm", "P2\n# a comment\n3 2\n# another\n1000\n0 1 2\n999 1000 7\n");
  Tensor g = read_image(path("a.pgm"));
  ASSERT_EQ(g.dtype(), DType::u16);
  ASSERT_EQ(g.rank(), 2);
  EXPECT_EQ(g.dim(0), 2);
  EXPECT_EQ(g.dim(1), 3);
  EXPECT_EQ(g.data_as<std::uint16_t>()[4], 1000);
  write_bytes("a.ppm", "P3 1 1 255 10 20 30");
  Tensor c = read_image(path("a.ppm"));
  ASSERT_EQ(c.rank(), 3);
  EXPECT_EQ(c.data_as<std::uint8_t>()[2], 30);
  write_bytes("short.pgm", "P5 4 4 255\n0123");
  EXPECT_THROW(read_image(path("short.pgm")), IoError);
  write_bytes("bits.pgm", "P1 1 1 1");
  EXPECT_THROW(read_image(path("bits.pgm")), Error);
}

TEST_F(IoTest, ImageWritersRefuseWhatTheFormatCannotHold) {
  Tensor f(DType::f32, {4, 4});
  try {
    write_image(path("f.png"), f);
    FAIL() << "f32 PNG written";
  } catch (const Error& e) {
    EXPECT_EQ(e.parameter(), "output");
    EXPECT_NE(std::string(e.what()).find("f32"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path("f.png")));
  EXPECT_THROW(write_image(path("five.png"), Tensor(DType::u8, {2, 2, 5})), Error);
  EXPECT_THROW(write_image(path("rgb.pgm"), Tensor(DType::u8, {2, 2, 3})), Error);
  EXPECT_THROW(write_image(path("x.bmp"), Tensor(DType::u8, {2, 2})), Error);
  EXPECT_THROW(read_image(path("x.bmp")), Error);
  EXPECT_NE(storage_problem("a.png", DType::i16, std::vector<std::int64_t>{2, 2}), "");
  EXPECT_EQ(storage_problem("a.npy", DType::i16, std::vector<std::int64_t>{2, 2}), "");
  EXPECT_THROW(write_image(path("missing_dir/a.png"), Tensor(DType::u8, {2, 2})), IoError);
}

TEST(KernelText, ParsesRowsColumnsNumbersAndFractions) {
  Tensor k = parse_kernel_string("1 2 1; 2 4 2; 1 2 1");
  ASSERT_EQ(k.dtype(), DType::f64);
  ASSERT_EQ(k.dim(0), 3);
  ASSERT_EQ(k.dim(1), 3);
  EXPECT_EQ(k.data_as<double>()[4], 4.0);

  Tensor m = parse_kernel_string("\n-0.5, 1e-3,+2\n 1/16 ,-3/4, 0 ;\n");
  ASSERT_EQ(m.dim(0), 2);
  ASSERT_EQ(m.dim(1), 3);
  const double expect[] = {-0.5, 1e-3, 2, 1.0 / 16, -0.75, 0};
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(m.data_as<double>()[i], expect[i]);

  Tensor row = parse_kernel_string("1 0 -1");
  EXPECT_EQ(row.dim(0), 1);
  EXPECT_EQ(row.dim(1), 3);
}

TEST(KernelText, RejectsBadKernelsNamingTheParameter) {
  for (const char* text : {"", " ; \n ", "1 2; 3", "1 x 2", "1,,2", "1/0", "1 2 1;;2", "--1"}) {
    SCOPED_TRACE(text);
    try {
      parse_kernel_string(text);
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "kernel");
    }
  }
  EXPECT_EQ(parse_kernel_string("1 2;;3 4").dim(0), 2);  // blank rows are skipped
}

TEST_F(IoTest, KernelFilesTextAndNpy) {
  write_bytes("k.txt", "# a Sobel kernel\n-1 0 1  # first row\n-2 0 2\n\n-1 0 1\n");
  Tensor k = read_kernel_file(path("k.txt"));
  ASSERT_EQ(k.dim(0), 3);
  ASSERT_EQ(k.dim(1), 3);
  EXPECT_EQ(k.data_as<double>()[5], 2.0);

  Tensor v(DType::f32, {5});
  fill_pattern(v);
  write_npy(path("v.npy"), v);
  Tensor row = read_kernel_file(path("v.npy"));
  ASSERT_EQ(row.rank(), 2);
  EXPECT_EQ(row.dim(0), 1);
  EXPECT_EQ(row.dim(1), 5);
  EXPECT_EQ(row.dtype(), DType::f32);

  write_npy(path("cube.npy"), Tensor(DType::f32, {2, 2, 2}));
  EXPECT_THROW(read_kernel_file(path("cube.npy")), Error);
  EXPECT_THROW(read_kernel_file(path("absent.txt")), IoError);
}

}  // namespace
}  // namespace convkit::io
