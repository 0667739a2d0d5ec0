#include "io/kernel_text.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "convkit/error.h"
#include "io/image.h"
#include "io/npy.h"

namespace convkit::io {

bool parse_double(std::string_view s, double* out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) return false;
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

namespace {

// `where` prefixes every message ("" for a command-line string, "'k.txt': " for a file) so the
// user sees which input is wrong.
[[noreturn]] void kernel_fail(const std::string& where, const std::string& message) {
  throw Error("kernel", where + message);
}


double parse_value(std::string_view token, std::size_t row, const std::string& where) {
  auto bad = [&]() {
    kernel_fail(where, "'" + std::string(token) + "' in row " + std::to_string(row) +
                           " is not a number");
  };
  double v = 0;
  if (auto slash = token.find('/'); slash != std::string_view::npos) {
    double num = 0, den = 0;
    if (!parse_double(token.substr(0, slash), &num) || !parse_double(token.substr(slash + 1), &den))
      bad();
    if (den == 0) {
      kernel_fail(where, "'" + std::string(token) + "' in row " + std::to_string(row) +
                             " divides by zero");
    }
    return num / den;
  }
  if (!parse_double(token, &v)) bad();
  return v;
}

std::vector<double> parse_row(std::string_view row, std::size_t row_number,
                              const std::string& where) {
  std::vector<double> values;
  bool after_comma = false;
  std::size_t i = 0;
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  };
  while (true) {
    while (i < row.size() && is_space(row[i])) ++i;
    if (i >= row.size()) break;
    if (row[i] == ',') {
      // "1,,2" or ",1" are almost certainly typos, not a request for a zero.
      if (values.empty() || after_comma)
        kernel_fail(where, "empty value in row " + std::to_string(row_number));
      after_comma = true;
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < row.size() && !is_space(row[i]) && row[i] != ',') ++i;
    values.push_back(parse_value(row.substr(start, i - start), row_number, where));
    after_comma = false;
  }
  return values;
}

Tensor parse_rows(std::string_view text, const std::string& where) {
  std::vector<std::vector<double>> rows;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(";\n", start);
    if (end == std::string_view::npos) end = text.size();
    auto row = parse_row(text.substr(start, end - start), rows.size() + 1, where);
    if (!row.empty()) {
      if (!rows.empty() && row.size() != rows.front().size()) {
        const char* noun = row.size() == 1 ? " value" : " values";
        kernel_fail(where, "row " + std::to_string(rows.size() + 1) + " has " +
                               std::to_string(row.size()) + noun + " but row 1 has " +
                               std::to_string(rows.front().size()) +
                               " (all rows need the same length)");
      }
      rows.push_back(std::move(row));
    }
    start = end + 1;
  }
  if (rows.empty())
    kernel_fail(where, "the kernel is empty (write rows like \"1 2 1; 2 4 2; 1 2 1\")");
  const auto r = std::int64_t(rows.size()), s = std::int64_t(rows.front().size());
  Tensor k(DType::f64, {r, s});
  double* out = k.data_as<double>();
  for (const auto& row : rows) out = std::copy(row.begin(), row.end(), out);
  return k;
}

std::string shape_string(const Tensor& t) { return t.geometry().shape_string(); }

}  // namespace

Tensor parse_kernel_string(const std::string& text) { return parse_rows(text, ""); }

Tensor read_kernel_file(const std::string& path) {
  const std::string where = "'" + path + "': ";
  const FileFormat format = format_of(path);
  if (format == FileFormat::npy) {
    Tensor k = read_npy(path, "kernel");
    if (k.rank() == 2) return k;
    if (k.rank() != 1)
      kernel_fail(where, "a kernel must be 1-D or 2-D, not shape " + shape_string(k));
    Tensor row(k.dtype(), {1, k.dim(0)});
    std::memcpy(row.data(), k.data(), std::size_t(k.numel()) * dtype_size(k.dtype()));
    return row;
  }
  if (format != FileFormat::unknown) {
    Tensor k = read_image(path, "kernel");
    if (k.rank() != 2)
      kernel_fail(where, "a kernel image must be one gray channel, not shape " + shape_string(k));
    return k;
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(where + "cannot open: " + std::strerror(errno));
  std::string text, line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    text += line;
    text += '\n';
  }
  if (in.bad()) throw IoError(where + "read failed");
  return parse_rows(text, where);
}

}  // namespace convkit::io
