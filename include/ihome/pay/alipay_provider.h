// The alipay payment provider (src/pay/alipay_provider.cpp) and the Alipay
// protocol object made from ihomed's config, for the notify and return
// handlers that verify what Alipay sends (src/api/pay_alipay.cpp).
#pragma once

#include <memory>

#include "ihome/core/config.h"
#include "ihome/core/result.h"
#include "ihome/pay/alipay.h"
#include "ihome/pay/provider.h"

namespace ihome {

// THIRDERR naming what is missing, or the key that cannot be read.
Result<std::unique_ptr<Alipay>> make_alipay(const Config& config);
Result<std::unique_ptr<PaymentProvider>> make_alipay_provider(const Config& config);

}  // namespace ihome
