// The alipay provider: PaymentProvider over the protocol module
// (include/ihome/pay/alipay.h).  Made once per process from the config;
// a key that cannot be read fails here, so ihomed --check and the start
// say so before any payment is attempted.
#include "ihome/pay/alipay_provider.h"

#include "ihome/core/log.h"

namespace ihome {

namespace {

class AlipayProvider : public PaymentProvider {
 public:
  explicit AlipayProvider(std::unique_ptr<Alipay> alipay) : alipay_(std::move(alipay)) {}
  std::string_view name() const override { return "alipay"; }

  Result<std::string> pay_url(const PayOrder& order) override {
    AlipayPayRequest r;
    r.out_trade_no = order.out_trade_no;
    r.amount_fen = order.amount;
    r.subject = order.subject;
    r.time_expire = alipay_time(order.pay_by);
    r.mobile = order.mobile;
    return alipay_->pay_url(r);
  }

  Result<TradeState> query(std::string_view out_trade_no) override {
    auto trade = alipay_->query(std::string(out_trade_no));
    if (!trade) return trade.take_error();
    TradeState t;
    t.exists = trade->found;
    t.paid = trade->found && trade->paid();
    t.trade_no = trade->trade_no;
    t.amount = trade->total_amount_fen;
    t.status = trade->found ? trade->trade_status : "TRADE_NOT_EXIST";
    return t;
  }

  Status refund(const RefundOrder& refund) override {
    auto done = alipay_->refund(refund.out_trade_no, refund.out_request_no, refund.amount, refund.reason);
    if (!done) return done.take_error();
    return Status::OK();
  }

  const Alipay& alipay() const { return *alipay_; }

 private:
  std::unique_ptr<Alipay> alipay_;
};

}  // namespace

Result<std::unique_ptr<Alipay>> make_alipay(const Config& config) {
  if (config.alipay_app_id.empty() || config.alipay_private_key_file.empty() ||
      config.alipay_public_key_file.empty() || config.public_url.empty())
    return Error{Errno::kThirdErr,
                 "payment_provider = alipay needs alipay_app_id, alipay_private_key_file, "
                 "alipay_public_key_file and public_url",
                 503, 0};
  AlipayConfig c;
  c.app_id = config.alipay_app_id;
  c.private_key_file = config.alipay_private_key_file;
  c.public_key_file = config.alipay_public_key_file;
  c.gateway = config.alipay_gateway;
  c.ca_file = config.alipay_ca_file;
  c.public_url = config.public_url;
  return Alipay::create(c);
}

Result<std::unique_ptr<PaymentProvider>> make_alipay_provider(const Config& config) {
  auto alipay = make_alipay(config);
  if (!alipay) return alipay.take_error();
  return std::unique_ptr<PaymentProvider>(new AlipayProvider(std::move(alipay.value())));
}

}  // namespace ihome
