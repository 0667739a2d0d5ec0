#pragma once
// Small helpers shared by the bench programs (command line, OpenCV build facts).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "report_util.h"

#include <opencv2/core/utility.hpp>

namespace bench {

// OpenCV 4.6 has no API for its thread backend; the build report names it.
inline std::string opencv_parallel_framework() {
  const std::string info = cv::getBuildInformation();
  const std::size_t at = info.find("Parallel framework:");
  if (at == std::string::npos) return "unknown";
  const std::size_t b = info.find_first_not_of(' ', at + 19);
  return info.substr(b, info.find('\n', b) - b);
}

}  // namespace bench
