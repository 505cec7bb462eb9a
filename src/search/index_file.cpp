// The availability index as a file: see include/ihome/search/index_file.h.
#include "ihome/search/index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ihome {

namespace {
constexpr size_t kBuffer = size_t{1} << 20;
constexpr size_t kHashBytes = crypto_generichash_BYTES;  // 32

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool write_all(int fd, const unsigned char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
}  // namespace

IndexFileWriter::IndexFileWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  crypto_generichash_init(&hash_, nullptr, 0, kHashBytes);
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    failed_ = true;
    error_ = std::string("cannot create ") + tmp_ + ": " + strerror(errno);
  }
  buffer_.reserve(kBuffer);
}

IndexFileWriter::~IndexFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());  // not committed
  }
}

void IndexFileWriter::flush() {
  if (failed_ || buffer_.empty()) return;
  if (!write_all(fd_, buffer_.data(), buffer_.size())) {
    failed_ = true;
    error_ = std::string("cannot write ") + tmp_ + ": " + strerror(errno);
  }
  buffer_.clear();
}

void IndexFileWriter::bytes(const void* data, size_t size) {
  if (failed_ || size == 0) return;
  const auto* p = static_cast<const unsigned char*>(data);
  crypto_generichash_update(&hash_, p, size);
  if (buffer_.size() + size <= kBuffer) {
    buffer_.insert(buffer_.end(), p, p + size);
    return;
  }
  flush();
  if (failed_) return;
  if (size >= kBuffer) {
    if (!write_all(fd_, p, size)) {
      failed_ = true;
      error_ = std::string("cannot write ") + tmp_ + ": " + strerror(errno);
    }
    return;
  }
  buffer_.insert(buffer_.end(), p, p + size);
}

std::string IndexFileWriter::commit() {
  if (fd_ < 0) return error_;
  unsigned char digest[kHashBytes];
  crypto_generichash_final(&hash_, digest, sizeof digest);
  buffer_.insert(buffer_.end(), digest, digest + sizeof digest);
  flush();
  if (!failed_ && ::fsync(fd_) != 0) {
    failed_ = true;
    error_ = std::string("cannot sync ") + tmp_ + ": " + strerror(errno);
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && !failed_) {
    failed_ = true;
    error_ = std::string("cannot close ") + tmp_ + ": " + strerror(errno);
  }
  if (!failed_ && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    failed_ = true;
    error_ = std::string("cannot rename ") + tmp_ + ": " + strerror(errno);
  }
  if (failed_) {
    ::unlink(tmp_.c_str());
    return error_;
  }
  // The rename itself survives a power cut once the directory is synced.
  int dir = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

IndexFileReader::IndexFileReader(const std::string& path) {
  crypto_generichash_init(&hash_, nullptr, 0, kHashBytes);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    missing_ = errno == ENOENT;
    failed_ = true;
    return;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < kHashBytes) {
    failed_ = true;
    return;
  }
  left_ = static_cast<uint64_t>(st.st_size) - kHashBytes;  // the hash is not content
}

IndexFileReader::~IndexFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool IndexFileReader::bytes(void* data, size_t size) {
  if (failed_) return false;
  if (size > left_) return fail();
  auto* p = static_cast<unsigned char*>(data);
  size_t got = 0;
  while (got < size) {
    ssize_t r = ::read(fd_, p + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return fail();
    got += static_cast<size_t>(r);
  }
  left_ -= size;
  crypto_generichash_update(&hash_, p, size);
  return true;
}

bool IndexFileReader::finish() {
  if (failed_ || left_ != 0) return fail();
  unsigned char want[kHashBytes], got[kHashBytes];
  crypto_generichash_final(&hash_, want, sizeof want);
  size_t n = 0;
  while (n < sizeof got) {
    ssize_t r = ::read(fd_, got + n, sizeof got - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return fail();
    n += static_cast<size_t>(r);
  }
  char extra;
  if (::read(fd_, &extra, 1) != 0) return fail();  // grew while read
  if (sodium_memcmp(want, got, sizeof want) != 0) return fail();
  return true;
}

}  // namespace ihome
