// Favourites repository: see include/ihome/store/favorites.h.
#include "ihome/store/favorites.h"

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

  auto list = db_.prepare(
      "SELECT h.id, h.title, h.price, a.name, h.address, h.room_count, h.order_count, "
      "h.index_image, u.avatar, h.created_at "
      "FROM favorites f JOIN houses h ON h.id = f.house_id JOIN areas a ON a.id = h.area_id "
      "JOIN users u ON u.id = h.user_id WHERE f.user_id = ?1 "
      "ORDER BY f.created_at DESC, f.house_id DESC LIMIT ?2 OFFSET ?3");
  if (!list) return list.take_error();
  list->bind(1, user_id).bind(2, kPageSize).bind(3, (page - 1) * kPageSize);
  Status done = list->each([&](const Stmt& r) {
    HouseSummary h;
    h.id = r.int64(0);
    h.title = r.text(1);
    h.price = r.int64(2);
    h.area_name = r.text(3);
    h.address = r.text(4);
    h.room_count = r.int64(5);
    h.order_count = r.int64(6);
    if (!r.is_null(7)) h.image = r.text(7);
    if (!r.is_null(8)) h.owner_avatar = r.text(8);
    h.created_at = r.text(9);
    out.houses.push_back(std::move(h));
  });
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
