// Favourites repository: see include/ihome/store/favorites.h.
#include "ihome/store/favorites.h"

#include <string>

namespace ihome {

Result<bool> Favorites::add(int64_t user_id, int64_t house_id, int64_t max_favorites) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  auto house = db_.prepare("SELECT 1 FROM houses WHERE id = ?1");
  if (!house) return house.take_error();
  house->bind(1, house_id);
  auto found = house->step();
  if (!found) return found.take_error();
  if (!*found) return Error{Errno::kNoData, "房屋不存在", 200, 0};

  auto saved = db_.prepare("SELECT 1 FROM favorites WHERE user_id = ?1 AND house_id = ?2");
  if (!saved) return saved.take_error();
  saved->bind(1, user_id).bind(2, house_id);
  auto there = saved->step();
  if (!there) return there.take_error();
  if (*there) return false;  // idempotent: keeps its first created_at

  auto count = db_.prepare("SELECT count(*) FROM favorites WHERE user_id = ?1");
  if (!count) return count.take_error();
  count->bind(1, user_id);
  auto row = count->step();
  if (!row) return row.take_error();
  if (count->int64(0) >= max_favorites)
    return Error{Errno::kDataErr, "最多收藏" + std::to_string(max_favorites) + "个房屋", 200, 0};

  auto insert = db_.prepare("INSERT INTO favorites (user_id, house_id) VALUES (?1, ?2)");
  if (!insert) return insert.take_error();
  insert->bind(1, user_id).bind(2, house_id);
  Status s = insert->run();
  if (!s.ok()) return s.take_error();
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return true;
}

Result<bool> Favorites::remove(int64_t user_id, int64_t house_id) {
  auto del = db_.prepare("DELETE FROM favorites WHERE user_id = ?1 AND house_id = ?2");
  if (!del) return del.take_error();
  del->bind(1, user_id).bind(2, house_id);
  Status s = del->run();
  if (!s.ok()) return s.take_error();
  return db_.changes() > 0;
}

Result<HousePage> Favorites::list(int64_t user_id, int64_t page) {
  HousePage out;
  auto count = db_.prepare("SELECT count(*) FROM favorites WHERE user_id = ?1");
  if (!count) return count.take_error();
  count->bind(1, user_id);
  auto row = count->step();
  if (!row) return row.take_error();
  out.total = count->int64(0);
  if (out.total <= (page - 1) * kPageSize) return out;

  static const std::string sql = house_summary_select() +
                                "JOIN favorites f ON f.house_id = h.id WHERE f.user_id = ?1 "
                                "ORDER BY f.created_at DESC, f.house_id DESC LIMIT ?2 OFFSET ?3";
  auto list = db_.prepare(sql);
  if (!list) return list.take_error();
  list->bind(1, user_id).bind(2, kPageSize).bind(3, (page - 1) * kPageSize);
  Status done = list->each([&](const Stmt& r) { out.houses.push_back(read_house_summary(r)); });
  if (!done.ok()) return done.take_error();
  return out;
}

Result<std::vector<int64_t>> Favorites::ids(int64_t user_id) {
  auto s = db_.prepare(
      "SELECT house_id FROM favorites WHERE user_id = ?1 ORDER BY created_at DESC, house_id DESC");
  if (!s) return s.take_error();
  s->bind(1, user_id);
  std::vector<int64_t> out;
  Status done = s->each([&](const Stmt& r) { out.push_back(r.int64(0)); });
  if (!done.ok()) return done.take_error();
  return out;
}

}  // namespace ihome
