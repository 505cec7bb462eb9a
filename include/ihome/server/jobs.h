// The job process: the periodic work of API.md "Payments" — storing the
// moves time makes (EXPIRED at pay_by, WAIT_COMMENT on the check-out day;
// readers see them at once anyway), asking the provider about payments
// whose notification never came, retrying refunds with backoff, closing
// payments nobody paid.  The master forks one (named ihomed-jobs) beside the
// workers and respawns it like them; every step is idempotent and records
// its result in its own transaction, so it may be killed at any line.
#pragma once

#include <sys/types.h>

#include "ihome/core/config.h"

namespace ihome {

// Runs in the child right after fork; returns the process exit code.
int run_jobs(const Config& config, pid_t master_pid);

}  // namespace ihome
