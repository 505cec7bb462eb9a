// Payment providers: the factory, the sandbox and the crash points; see
// include/ihome/pay/provider.h.  Alipay lives in src/pay/alipay_provider.cpp.
#include "ihome/pay/provider.h"

#include "ihome/pay/alipay_provider.h"

namespace ihome {

namespace {

// The sandbox: the payer confirms on our own /pay.html, which posts
// /api/pay/sandbox/confirm; nothing leaves the machine and no money moves.
// A query learns nothing (the page is the only way to pay), and a refund is
// done as soon as it is asked.
class SandboxProvider : public PaymentProvider {
 public:
  std::string_view name() const override { return "sandbox"; }
  Result<std::string> pay_url(const PayOrder& order) override {
    return "/pay.html?payment=" + order.out_trade_no;
  }
  Result<TradeState> query(std::string_view) override {
    TradeState t;
    t.exists = true;
    t.status = "WAIT_BUYER_PAY";
    return t;
  }
  Status refund(const RefundOrder&) override { return Status::OK(); }
};

}  // namespace

Result<std::unique_ptr<PaymentProvider>> make_payment_provider(const Config& config) {
  if (config.payment_provider == "sandbox") return std::unique_ptr<PaymentProvider>(new SandboxProvider());
  if (config.payment_provider == "alipay") return make_alipay_provider(config);
  return std::unique_ptr<PaymentProvider>();
}

}  // namespace ihome
