// Settling money with the provider: what a worker does after a confirmation
// or a cancellation, and what the job process (src/server/jobs.cpp) does on
// every tick.  Each step reads the ledger, talks to the provider, then
// records the answer in its own transaction, so a process killed between
// any two lines redoes at most a call the provider treats as the same one
// (an out_request_no refunds once; a query changes nothing).
#pragma once

#include <cstdint>

#include "ihome/core/config.h"
#include "ihome/core/result.h"
#include "ihome/pay/provider.h"
#include "ihome/store/db.h"
#include "ihome/store/payments.h"

namespace ihome {

// The wait before the next try of a refund that failed `attempts` times:
// first_s, then doubling, at most max_s.
int64_t refund_backoff(int64_t attempts, int64_t first_s, int64_t max_s);

// Asks the provider for refund `refund_id` once (nothing when it is DONE
// already) and records DONE or the failure with its next try.  The Status
// is the ledger's; a provider failure is recorded, not returned.
Status attempt_refund(Db& db, PaymentProvider& provider, const Config& config, int64_t refund_id, int64_t now);

// The provider says `out_trade_no` was paid: confirm it in the ledger, then
// ask for the refund right away when the order could not take the money.
Result<Confirmation> settle_paid(Db& db, PaymentProvider& provider, const Config& config,
                                 std::string_view out_trade_no, std::string_view trade_no, int64_t amount,
                                 int64_t now);

// Asks the provider about one open payment; confirms it when paid.
Status reconcile_payment(Db& db, PaymentProvider& provider, const Config& config, const PaymentRow& payment,
                         int64_t now);

struct JobTick {
  int64_t moved = 0;      // orders whose expiry or check-out was stored
  int64_t queried = 0;    // open payments asked about
  int64_t refunds = 0;    // refunds tried
  int64_t closed = 0;     // payments given up
};
// One pass of the periodic work.  `provider` may be null (provider none).
Result<JobTick> run_jobs_once(Db& db, PaymentProvider* provider, const Config& config, int64_t now, int64_t today);

}  // namespace ihome
