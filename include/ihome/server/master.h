// Master: owns the FastCGI listening socket, runs the migrations, forks the
// workers and keeps their number up (respawning with backoff), drains them
// on SIGTERM/SIGINT and replaces them with a reloaded config on SIGHUP.
// It never opens the connections workers use.
#pragma once

#include <string>

#include "ihome/core/config.h"

namespace ihome {

// Opens the listening socket named by config.socket: a unix socket path
// (a stale socket file is replaced; mode config.socket_mode) or host:port.
// Returns the fd, or -1 with a logged reason.
int open_listen_socket(const Config& config);

// Runs the master until it is told to stop; returns the exit code.
// `config_path` is re-read on SIGHUP.
int run_master(const std::string& config_path, Config config);

// What run_master checks before it listens (`ihomed --check`): the database
// opens read-write and reads (one error line naming the problem otherwise),
// the migrations apply, the key file and the media dir exist or are created.
// 0 when ihomed can start, 1 (after logging why) when not.  With
// `prebuild_index` (run_master) it also builds the search index the workers
// share; `--check` does not.
int check_startup(const Config& config, bool prebuild_index = false);

}  // namespace ihome
