// The availability index as a file: the raw columns of an index and a
// BLAKE2b-256 of every byte before it (libsodium's crypto_generichash), so
// a start reads what a build made instead of building again (at 1M houses a
// build is seconds of SQL and sorting; reading the file is a fraction of
// one).  LiveIndex::save/restore (live_index.h) say what the file holds and
// when it may be used; these two only move bytes and check them.
//
// A file is written beside its final name and renamed over it once complete
// and synced, so a reader sees a whole old file or a whole new one.  A
// reader refuses a short file, a count larger than the bytes left, and any
// changed byte (the hash); it never allocates more than the file's size.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace ihome {

class IndexFileWriter {
 public:
  // Opens `path`.tmp (mode 0600); ok() false when it cannot.
  explicit IndexFileWriter(std::string path);
  ~IndexFileWriter();
  IndexFileWriter(const IndexFileWriter&) = delete;
  IndexFileWriter& operator=(const IndexFileWriter&) = delete;

  bool ok() const { return fd_ >= 0 && !failed_; }
  void bytes(const void* data, size_t size);
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof v);
  }
  template <typename T>
  void vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    value(static_cast<uint64_t>(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  // Writes the hash, syncs, renames over `path` (and syncs its directory).
  // An empty string on success, else what failed (errno's text).
  std::string commit();

 private:
  void flush();

  std::string path_, tmp_;
  int fd_ = -1;
  bool failed_ = false;
  std::string error_;
  std::vector<unsigned char> buffer_;
  crypto_generichash_state hash_{};
};

class IndexFileReader {
 public:
  // Opens `path`; ok() false when it cannot (missing: missing() true).
  explicit IndexFileReader(const std::string& path);
  ~IndexFileReader();
  IndexFileReader(const IndexFileReader&) = delete;
  IndexFileReader& operator=(const IndexFileReader&) = delete;

  bool ok() const { return fd_ >= 0 && !failed_; }
  bool missing() const { return missing_; }
  bool bytes(void* data, size_t size);
  template <typename T>
  bool value(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return bytes(&v, sizeof v);
  }
  // A vector of at most `max` elements (and never more than the bytes left).
  template <typename T>
  bool vector(std::vector<T>& v, uint64_t max = UINT64_MAX) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t n = 0;
    if (!value(n) || n > max || n > left_ / sizeof(T)) return fail();
    v.resize(static_cast<size_t>(n));
    return bytes(v.data(), static_cast<size_t>(n) * sizeof(T));
  }
  // The file ends here, with the hash of what was read: true when it does.
  bool finish();

 private:
  bool fail() {
    failed_ = true;
    return false;
  }

  int fd_ = -1;
  bool missing_ = false;
  bool failed_ = false;
  uint64_t left_ = 0;  // bytes of the file not read yet
  crypto_generichash_state hash_{};
};

}  // namespace ihome
