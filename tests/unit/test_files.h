// Whole-file reads and writes for the unit tests (key files, images, the
// saved search index).
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace ihome::test {

// The file's bytes; "" when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Replaces the file's bytes (creating it).
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace ihome::test
