// Reviews: see include/ihome/store/reviews.h.
#include "ihome/store/reviews.h"

namespace ihome {

Result<int64_t> Reviews::reply(int64_t order_id, int64_t owner, const std::string& reply) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto load = db_.prepare(
      "SELECT o.house_id, h.user_id, o.status = 'COMPLETE' AND o.comment IS NOT NULL, o.reply IS NOT NULL "
      "FROM orders o JOIN houses h ON h.id = o.house_id WHERE o.id = ?1");
  if (!load) return load.take_error();
  load->bind(1, order_id);
  auto row = load->step();
  if (!row) return row.take_error();
  if (!*row) return Error{Errno::kNoData, "订单不存在", 200, 0};
  int64_t house_id = load->int64(0);
  if (load->int64(1) != owner) return Error{Errno::kRoleErr, "只有房东可以回复评价", 200, 0};
  if (load->int64(2) == 0) return Error{Errno::kDataErr, "该订单还没有评价", 200, 0};
  if (load->int64(3) != 0) return Error{Errno::kDataErr, "已回复过该评价", 200, 0};
  // updated_at stays: it is the comment's time, which orders the comments.
  auto update = db_.prepare(
      "UPDATE orders SET reply = ?2, reply_at = datetime('now', 'localtime') WHERE id = ?1 AND reply IS NULL");
  if (!update) return update.take_error();
  update->bind(1, order_id).bind(2, reply);
  Status s = update->run();
  if (!s.ok()) return s.take_error();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return house_id;
}

}  // namespace ihome
