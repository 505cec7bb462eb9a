// Real-name verification: the PRC resident identity number's format checks
// (GB 11643, ISO 7064 MOD 11-2), its masked form, and its protection at rest
// (secretbox + keyed BLAKE2b, keys derived from a 32-byte master key file).
// See include/ihome/auth/real_name.h.
#include "ihome/auth/real_name.h"
#include "ihome/core/date.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>

namespace ihome {
namespace {

constexpr size_t kIdCardLength = 18;
constexpr size_t kMasterKeyBytes = 32;
constexpr int kEarliestBirthYear = 1900;

static_assert(kMasterKeyBytes == crypto_kdf_KEYBYTES);
static_assert(sizeof(RealNameKeys::box_key) == crypto_secretbox_KEYBYTES);
static_assert(sizeof(RealNameKeys::hash_key) >= crypto_generichash_KEYBYTES_MIN &&
              sizeof(RealNameKeys::hash_key) <= crypto_generichash_KEYBYTES_MAX);

// crypto_kdf contexts are exactly crypto_kdf_CONTEXTBYTES (8) characters.
// Changing a context or a subkey id changes the derived key, which would make
// every stored id card unreadable and every stored digest unmatchable.
constexpr char kBoxContext[] = "idcardbx";
constexpr char kHashContext[] = "idcardhs";
constexpr uint64_t kBoxSubkeyId = 1;
constexpr uint64_t kHashSubkeyId = 2;
static_assert(sizeof kBoxContext - 1 == crypto_kdf_CONTEXTBYTES);
static_assert(sizeof kHashContext - 1 == crypto_kdf_CONTEXTBYTES);

constexpr size_t kDigestBytes = 32;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The value of the decimal digits s[pos, pos + n); the caller has checked
// that they are digits.
int digits_value(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// Today's local date as YYYYMMDD; 0 when the clock cannot be read, which makes
// every birth date "in the future" (fail closed).
int today_yyyymmdd() {
  time_t now = unix_now();
  tm local{};
  if (localtime_r(&now, &local) == nullptr) return 0;
  return (local.tm_year + 1900) * 10000 + (local.tm_mon + 1) * 100 + local.tm_mday;
}

// ISO 7064 MOD 11-2 over the first 17 digits (which must be digits).
char check_character(std::string_view id) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

Error server_error(std::string message) {
  return Error{Errno::kServerErr, std::move(message), 500, 0};
}

// "<what> <path>: <strerror(errno)>"; errno is read before anything can change it.
Error file_error(const char* what, const std::string& path) {
  int saved = errno;
  return server_error(std::string(what) + " " + path + ": " + strerror(saved));
}

// Owns a file descriptor; closes it once.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Holds the master key and wipes it when it goes out of scope, whatever path
// the function takes.
struct MasterKey {
  unsigned char bytes[kMasterKeyBytes];
  MasterKey() = default;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  ~MasterKey() { sodium_memzero(bytes, sizeof bytes); }
};

// Reads exactly `n` bytes unless the file ends first; returns the count read,
// or -1 on an error.
ssize_t read_full(int fd, unsigned char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

bool write_full(int fd, const unsigned char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, buf + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return true;
}

// Opens and reads the key file at `path` into `key`; `*missing` tells a file
// that does not exist from the other errors.  The checks run on the opened
// descriptor (fstat), not on the name, so the file checked is the file read.
Status read_key_file(const std::string& path, MasterKey& key, bool* missing) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  *missing = !fd.valid() && errno == ENOENT;
  if (!fd.valid()) return file_error("cannot open key file", path);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return file_error("cannot stat key file", path);
  if (!S_ISREG(st.st_mode)) return server_error("key file " + path + " is not a regular file");
  // A key others can read is a key others may have copied: refuse rather
  // than chmod it silently, so the operator finds out.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    return server_error("key file " + path +
                        " is accessible by group or others (chmod 600 it)");
  if (st.st_size != static_cast<off_t>(kMasterKeyBytes))
    return server_error("key file " + path + " must hold exactly " +
                        std::to_string(kMasterKeyBytes) + " bytes, it holds " +
                        std::to_string(st.st_size));
  ssize_t got = read_full(fd.get(), key.bytes, sizeof key.bytes);
  if (got < 0) return file_error("cannot read key file", path);
  unsigned char extra;
  ssize_t more = read_full(fd.get(), &extra, 1);
  if (more < 0) return file_error("cannot read key file", path);
  // The size changed between fstat and read: someone is writing it.
  if (got != static_cast<ssize_t>(kMasterKeyBytes) || more != 0)
    return server_error("key file " + path + " changed while being read");
  return Status::OK();
}

// Makes the directory entries created in `path`'s directory durable.
Status sync_parent_directory(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  FileDescriptor fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return file_error("cannot open key file directory", dir);
  if (fsync(fd.get()) != 0) return file_error("cannot sync key file directory", dir);
  return Status::OK();
}

// Creates the key file with fresh random bytes.  Written to a private
// temporary file first (O_EXCL, 0600, fsync) so the key file is never seen
// half-written; then published with link(), not rename(): rename would
// replace a key file another process created in the meantime, and the keys
// that process already uses would no longer match the file.  link() fails
// with EEXIST instead, and the caller reads the file that won.
Status create_key_file(const std::string& path, const MasterKey* given = nullptr) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  int raw = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0 && errno == EEXIST) {
    // Left behind by a process that crashed with our pid (a container's pid 1
    // restarting, say): it was never published, so nothing depends on it.
    if (unlink(tmp.c_str()) != 0) return file_error("cannot remove stale", tmp);
    raw = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (raw < 0) return file_error("cannot create key file", tmp);
  Status written = [&]() -> Status {
    FileDescriptor fd(raw);
    MasterKey key;
    if (given)
      memcpy(key.bytes, given->bytes, sizeof key.bytes);
    else
      randombytes_buf(key.bytes, sizeof key.bytes);
    if (!write_full(fd.get(), key.bytes, sizeof key.bytes))
      return file_error("cannot write key file", tmp);
    if (fsync(fd.get()) != 0) return file_error("cannot sync key file", tmp);
    return Status::OK();
  }();
  if (!written.ok()) {
    unlink(tmp.c_str());
    return written;
  }
  bool linked = link(tmp.c_str(), path.c_str()) == 0;
  int link_errno = errno;
  unlink(tmp.c_str());
  if (!linked && link_errno != EEXIST) {
    errno = link_errno;
    return file_error("cannot publish key file", path);
  }
  return sync_parent_directory(path);
}

void derive_keys(const MasterKey& master, RealNameKeys& keys) {
  crypto_kdf_derive_from_key(keys.box_key, sizeof keys.box_key, kBoxSubkeyId, kBoxContext,
                             master.bytes);
  crypto_kdf_derive_from_key(keys.hash_key, sizeof keys.hash_key, kHashSubkeyId, kHashContext,
                             master.bytes);
}

}  // namespace

bool is_valid_id_card(std::string_view id) {
  if (id.size() != kIdCardLength) return false;
  for (size_t i = 0; i < 17; ++i)
    if (!is_digit(id[i])) return false;
  // GB/T 2260 area codes begin with 1..8 (the region); 0 and 9 are unused.
  if (id[0] < '1' || id[0] > '8') return false;

  int year = digits_value(id, 6, 4);
  int month = digits_value(id, 10, 2);
  int day = digits_value(id, 12, 2);
  if (year < kEarliestBirthYear) return false;
  if (month < 1 || month > 12) return false;
  if (day < 1 || day > days_in_month(year, month)) return false;
  if (year * 10000 + month * 100 + day > today_yyyymmdd()) return false;

  char last = id[17] == 'x' ? 'X' : id[17];
  return last == check_character(id);
}

std::string normalize_id_card(std::string_view id) {
  std::string out(id);
  if (!out.empty() && out.back() == 'x') out.back() = 'X';
  return out;
}

std::string mask_id_card(std::string_view id) {
  constexpr size_t kHead = 3;
  constexpr size_t kTail = 4;
  // Too short to show 3 + 4 characters and still hide one.
  if (id.size() <= kHead + kTail) return std::string(id.size(), '*');
  std::string out(id);
  for (size_t i = kHead; i < id.size() - kTail; ++i) out[i] = '*';
  return out;
}

Result<RealNameKeys> load_or_create_key_file(const std::string& path) {
  MasterKey master;
  bool missing = false;
  Status read = read_key_file(path, master, &missing);
  if (missing) {
    Status created = create_key_file(path);
    if (!created.ok()) return created.take_error();
    // Read back what was published: ours, or the one another process linked
    // first.
    read = read_key_file(path, master, &missing);
  }
  if (!read.ok()) return read.take_error();
  RealNameKeys keys{};
  derive_keys(master, keys);
  return keys;
}

Result<std::optional<RealNameKeys>> load_key_file(const std::string& path) {
  MasterKey master;
  bool missing = false;
  Status read = read_key_file(path, master, &missing);
  if (missing) return std::optional<RealNameKeys>();
  if (!read.ok()) return read.take_error();
  RealNameKeys keys{};
  derive_keys(master, keys);
  return std::optional<RealNameKeys>(keys);
}

Status copy_key_file(const std::string& from, const std::string& to) {
  MasterKey master;
  bool missing = false;
  Status read = read_key_file(from, master, &missing);
  if (!read.ok()) return read;
  // create_key_file links: a `to` that exists already stays as it is.
  return create_key_file(to, &master);
}

Status create_fresh_key_file(const std::string& path) { return create_key_file(path); }

Status replace_key_file(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) return file_error("cannot rename key file", from);
  return sync_parent_directory(to);
}

Status remove_key_file(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return file_error("cannot remove key file", path);
  return sync_parent_directory(path);
}

std::string seal_id_card(const RealNameKeys& keys, std::string_view plain) {
  std::string sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  // A random 24-byte nonce never repeats in practice, so one key can seal any
  // number of ids.
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), out,
                        keys.box_key);
  return sealed;
}

Result<std::string> open_id_card(const RealNameKeys& keys, std::string_view sealed) {
  // Deliberately vague: the reason is for the logs, not for the client.
  const Error failure = server_error("stored id card does not decrypt");
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return failure;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t cipher_size = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(cipher_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 in + crypto_secretbox_NONCEBYTES, cipher_size, in,
                                 keys.box_key) != 0)
    return failure;
  return plain;
}

std::string id_card_digest(const RealNameKeys& keys, std::string_view id) {
  const std::string normalized = normalize_id_card(id);
  unsigned char digest[kDigestBytes];
  crypto_generichash(digest, sizeof digest,
                     reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(),
                     keys.hash_key, sizeof keys.hash_key);
  char hex[kDigestBytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, kDigestBytes * 2);
}

}  // namespace ihome
