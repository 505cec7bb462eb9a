// PaymentProvider: the interface between the order life cycle and whoever
// moves the money (API.md "Payments", ARCHITECTURE.md "The third release").
//   sandbox  our own /pay.html: development only, moves no money
//   alipay   支付宝开放平台 over RSA2-signed HTTPS (src/pay/alipay.cpp)
// The ledger (include/ihome/store/payments.h) decides; a provider only
// talks.  Every call may block on the network for at most its timeout, and
// each is idempotent on the provider's side (out_trade_no, out_request_no).
// One per process (worker or job), made from the config on first use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ihome/core/config.h"
#include "ihome/core/result.h"

namespace ihome {

struct PayOrder {
  std::string out_trade_no;
  int64_t amount = 0;  // fen
  std::string subject; // the house's title
  int64_t pay_by = 0;  // unix seconds
  bool mobile = false; // a phone's browser (wap pay) or a desktop's (page pay)
};

// What the provider knows of a payment.
struct TradeState {
  bool paid = false;          // TRADE_SUCCESS or TRADE_FINISHED
  bool exists = false;        // the provider has heard of it at all
  std::string trade_no;       // the provider's number, once paid
  int64_t amount = 0;         // fen, once paid
  std::string status;         // the provider's word, for the log
};

struct RefundOrder {
  std::string out_trade_no;
  std::string out_request_no;
  int64_t amount = 0;  // fen
  std::string reason;
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  virtual std::string_view name() const = 0;
  // Where the payer's browser goes.  THIRDERR when it cannot be made.
  virtual Result<std::string> pay_url(const PayOrder& order) = 0;
  // Asks about a payment whose notification may have been lost.
  virtual Result<TradeState> query(std::string_view out_trade_no) = 0;
  // Refunds; OK once the provider holds the refund (asking again with the
  // same out_request_no refunds nothing more).  THIRDERR otherwise.
  virtual Status refund(const RefundOrder& refund) = 0;
};

// The provider `config.payment_provider` names: nullptr for "none".
Result<std::unique_ptr<PaymentProvider>> make_payment_provider(const Config& config);

}  // namespace ihome
