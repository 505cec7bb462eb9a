// ihomed --rotate-key: see include/ihome/server/rotate_key.h.
#include "ihome/server/rotate_key.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "ihome/auth/key_rotation.h"
#include "ihome/core/log.h"
#include "ihome/store/db.h"

namespace ihome {

namespace {

// True when something accepts connections on `socket` (a unix socket path,
// or host:port as in Config::socket).
bool someone_listens(const std::string& socket_name) {
  size_t colon = socket_name.rfind(':');
  bool tcp = socket_name[0] != '/' && socket_name[0] != '.' && colon != std::string::npos;
  if (!tcp) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    if (socket_name.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, socket_name.c_str(), socket_name.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool alive = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (fd >= 0) ::close(fd);
    return alive;
  }
  std::string host = socket_name.substr(0, colon), port = socket_name.substr(colon + 1);
  struct addrinfo hints {}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.empty() ? "127.0.0.1" : host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    return false;
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool alive = fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (fd >= 0) ::close(fd);
  freeaddrinfo(res);
  return alive;
}

}  // namespace

int rotate_key_command(const Config& config) {
  if (!config.socket.empty() && someone_listens(config.socket)) {
    log_error("rotate-key: ihomed is running (it answers on " + config.socket +
              "): stop it first, its workers keep the key in memory");
    return 1;
  }
  auto db = Db::open(config.db, config.db_busy_timeout_ms);
  if (!db) return 1;
  auto done = rotate_real_name_key(**db, config.secret_key_file);
  if (!done) {
    log_error("rotate-key: " + std::string(done.error().text()));
    return 1;
  }
  std::printf("rotated %s: %lld id card(s) re-encrypted%s\n", config.secret_key_file.c_str(),
              static_cast<long long>(done->rows),
              done->resumed ? " (finished an interrupted rotation)" : "");
  return 0;
}

}  // namespace ihome
