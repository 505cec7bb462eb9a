// Shared pieces of the fuzz targets (tests/fuzz/<target>.cpp): each target
// defines LLVMFuzzerTestOneInput, built two ways — with clang's libFuzzer
// and ASan/UBSan for `make fuzz`, and with the project's compiler and
// replay.cpp's main() for `make test`, which feeds every corpus file once.
// FUZZ_CHECK is the targets' own invariant check: it aborts (a finding) in
// both builds, unlike assert, which -DNDEBUG could silence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

namespace fuzz {

inline std::string_view bytes(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits at the first `sep`: {before, after}; all of `s` and "" when absent.
inline std::pair<std::string_view, std::string_view> split_once(std::string_view s, char sep) {
  size_t at = s.find(sep);
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

// Lines separated by '\n' (the last one may be empty).
inline std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    auto [line, rest] = split_once(s, '\n');
    out.push_back(line);
    if (line.size() == s.size()) break;
    s = rest;
  }
  return out;
}

}  // namespace fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
