// Houses repository, listing management: edit, online/offline, delete an
// image, choose the cover (declared in include/ihome/store/houses.h).
// Each is one IMMEDIATE transaction that checks the owner first, so a
// booking (src/store/orders.cpp, also IMMEDIATE) sees a house wholly before
// or wholly after an edit.
#include "ihome/store/houses.h"

namespace ihome {

namespace {

constexpr const char* kNotOwner = "只有房东可以管理此房屋";

Status touch(Db& db, int64_t house_id) {
  auto stmt = db.prepare("UPDATE houses SET updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, house_id);
  return stmt->run();
}

}  // namespace

Status Houses::update(int64_t house_id, int64_t user_id, const HouseChanges& c) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  Status s = check_owner(house_id, user_id, kNotOwner);
  if (!s.ok()) return s;

  if (c.min_days || c.max_days) {
    auto days = db_.prepare("SELECT min_days, max_days FROM houses WHERE id = ?1");
    if (!days) return days.take_error();
    days->bind(1, house_id);
    auto row = days->step();
    if (!row) return row.take_error();
    int64_t min_days = c.min_days.value_or(days->int64(0));
    int64_t max_days = c.max_days.value_or(days->int64(1));
    if (max_days != 0 && max_days < min_days)
      return param_error(c.max_days ? "参数错误：max_days（小于最少天数）" : "参数错误：min_days（大于最多天数）");
  }

  // One statement: a field not sent binds NULL and keeps its value.
  auto update = db_.prepare(
      "UPDATE houses SET title = COALESCE(?2, title), price = COALESCE(?3, price), "
      "area_id = COALESCE(?4, area_id), address = COALESCE(?5, address), "
      "room_count = COALESCE(?6, room_count), acreage = COALESCE(?7, acreage), "
      "unit = COALESCE(?8, unit), capacity = COALESCE(?9, capacity), beds = COALESCE(?10, beds), "
      "deposit = COALESCE(?11, deposit), min_days = COALESCE(?12, min_days), "
      "max_days = COALESCE(?13, max_days), "
      "weekend_price = CASE WHEN ?14 IS NULL THEN weekend_price ELSE NULLIF(?14, 0) END, "
      "cleaning_fee = COALESCE(?15, cleaning_fee), weekly_discount = COALESCE(?16, weekly_discount), "
      "monthly_discount = COALESCE(?17, monthly_discount), updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!update) return update.take_error();
  update->bind(1, house_id);
  auto text = [&](int i, const std::optional<std::string>& v) {
    if (v) update->bind(i, *v);
    else update->bind_null(i);
  };
  auto number = [&](int i, const std::optional<int64_t>& v) {
    if (v) update->bind(i, *v);
    else update->bind_null(i);
  };
  text(2, c.title);
  number(3, c.price);
  number(4, c.area_id);
  text(5, c.address);
  number(6, c.room_count);
  number(7, c.acreage);
  text(8, c.unit);
  number(9, c.capacity);
  text(10, c.beds);
  number(11, c.deposit);
  number(12, c.min_days);
  number(13, c.max_days);
  number(14, c.weekend_price);
  number(15, c.cleaning_fee);
  number(16, c.weekly_discount);
  number(17, c.monthly_discount);
  s = update->run();
  if (!s.ok()) return s;

  if (c.facilities) {
    auto clear = db_.prepare("DELETE FROM house_facilities WHERE house_id = ?1");
    if (!clear) return clear.take_error();
    clear->bind(1, house_id);
    s = clear->run();
    if (!s.ok()) return s;
    for (int64_t facility : *c.facilities) {
      auto f = db_.prepare("INSERT OR IGNORE INTO house_facilities (house_id, facility_id) VALUES (?1, ?2)");
      if (!f) return f.take_error();
      f->bind(1, house_id).bind(2, facility);
      s = f->run();
      if (!s.ok()) return s;
    }
  }
  return tx->commit();
}

Status Houses::set_status(int64_t house_id, int64_t user_id, std::string_view status) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  Status s = check_owner(house_id, user_id, kNotOwner);
  if (!s.ok()) return s;
  auto update = db_.prepare(
      "UPDATE houses SET status = ?2, updated_at = datetime('now', 'localtime') WHERE id = ?1");
  if (!update) return update.take_error();
  update->bind(1, house_id).bind(2, status);
  s = update->run();
  if (!s.ok()) return s;
  return tx->commit();
}

Result<ImageDeleted> Houses::delete_image(int64_t house_id, int64_t user_id, const std::string& file) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  Status s = check_owner(house_id, user_id, kNotOwner);
  if (!s.ok()) return s.take_error();
  auto remove = db_.prepare("DELETE FROM house_images WHERE house_id = ?1 AND file = ?2");
  if (!remove) return remove.take_error();
  remove->bind(1, house_id).bind(2, file);
  s = remove->run();
  if (!s.ok()) return s.take_error();
  if (db_.changes() == 0) return Error{Errno::kNoData, "图片不存在", 200, 0};
  // The oldest remaining image becomes the cover (NULL when none is left).
  auto cover = db_.prepare(
      "UPDATE houses SET index_image = (SELECT file FROM house_images WHERE house_id = ?1 ORDER BY id LIMIT 1), "
      "updated_at = datetime('now', 'localtime') WHERE id = ?1 AND index_image IS ?2");
  if (!cover) return cover.take_error();
  cover->bind(1, house_id).bind(2, file);
  s = cover->run();
  if (!s.ok()) return s.take_error();
  ImageDeleted deleted{db_.changes() > 0};
  if (!deleted.cover_changed) {
    s = touch(db_, house_id);
    if (!s.ok()) return s.take_error();
  }
  s = tx->commit();
  if (!s.ok()) return s.take_error();
  return deleted;
}

Status Houses::set_cover(int64_t house_id, int64_t user_id, const std::string& file) {
  auto tx = Transaction::begin(db_);
  if (!tx) return tx.take_error();
  Status s = check_owner(house_id, user_id, kNotOwner);
  if (!s.ok()) return s;
  auto cover = db_.prepare(
      "UPDATE houses SET index_image = ?2, updated_at = datetime('now', 'localtime') WHERE id = ?1 "
      "AND EXISTS (SELECT 1 FROM house_images WHERE house_id = ?1 AND file = ?2)");
  if (!cover) return cover.take_error();
  cover->bind(1, house_id).bind(2, file);
  s = cover->run();
  if (!s.ok()) return s;
  if (db_.changes() == 0) return Error{Errno::kNoData, "图片不存在", 200, 0};
  return tx->commit();
}

}  // namespace ihome
