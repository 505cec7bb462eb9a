// Sealed id cards for key rotation: see include/ihome/store/sealed_ids.h.
#include "ihome/store/sealed_ids.h"

namespace ihome {

Result<std::vector<SealedIdCard>> SealedIdCards::all() {
  auto stmt = db_.prepare(
      "SELECT id, id_card_sealed FROM users WHERE id_card_sealed IS NOT NULL ORDER BY id");
  if (!stmt) return stmt.take_error();
  std::vector<SealedIdCard> out;
  Status s = stmt->each([&](Stmt& row) { out.push_back({row.int64(0), row.blob(1)}); });
  if (!s.ok()) return s.take_error();
  return out;
}

Status SealedIdCards::rewrite(int64_t user_id, const std::string& sealed, const std::string& digest) {
  auto stmt = db_.prepare(
      "UPDATE users SET id_card_sealed = ?2, id_card_digest = ?3 WHERE id = ?1 AND id_card_sealed IS NOT NULL");
  if (!stmt) return stmt.take_error();
  stmt->bind(1, user_id).bind_blob(2, sealed).bind(3, digest);
  Status s = stmt->run();
  if (!s.ok()) return s;
  if (db_.changes() == 0) return Error{Errno::kNoData, "", 200, 0};
  return Status::OK();
}

}  // namespace ihome
