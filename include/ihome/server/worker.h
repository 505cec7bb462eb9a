// Worker: one prefork worker process.  Opens its own memcached and SQLite
// connections (after fork), then answers FastCGI requests on the inherited
// listening socket until SIGTERM, finishing the request in hand first.
// It dies with its master (PR_SET_PDEATHSIG), so no orphan keeps the socket.
#pragma once

#include <sys/types.h>

#include "ihome/core/config.h"

namespace ihome {

// Runs in the child right after fork; returns the process exit code.
int run_worker(int listen_fd, const Config& config, pid_t master_pid);
// Whether workers forked from now on skip the start-up sweep of stale upload
// temp files (the master swept the media dir just before forking them).
void set_uploads_swept(bool swept);

}  // namespace ihome
