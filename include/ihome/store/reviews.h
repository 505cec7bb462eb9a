// Reviews: the landlord's one reply to a guest's comment (API.md
// "order/reply").  The comment and its rating are written by the order's
// life cycle (Orders::act kComment); the comments are read by
// Houses::detail and Houses::comments.  SQL only.
#pragma once

#include <cstdint>
#include <string>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

class Reviews {
 public:
  explicit Reviews(Db& db) : db_(db) {}

  // Stores `reply` under the order's comment: NODATA (no order), ROLEERR
  // (not the house's owner), DATAERR (not a COMPLETE order with a comment,
  // or replied already).  Returns the house id.
  Result<int64_t> reply(int64_t order_id, int64_t owner, const std::string& reply);

 private:
  Db& db_;
};

}  // namespace ihome
