// Alipay's URLs (API.md "Provider alipay").
#include "ihome/api/app.h"
#include "ihome/api/handler.h"

namespace ihome {

void add_alipay_routes(Router&, Context&) {}

}  // namespace ihome
