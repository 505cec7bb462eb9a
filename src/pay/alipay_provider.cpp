// The alipay provider: PaymentProvider over src/pay/alipay.cpp.
#include "ihome/pay/provider.h"

namespace ihome {

Result<std::unique_ptr<PaymentProvider>> make_alipay_provider(const Config&) {
  return Error{Errno::kThirdErr, "alipay provider not built yet", 503, 0};
}

}  // namespace ihome
