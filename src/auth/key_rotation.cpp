// Key rotation: see include/ihome/auth/key_rotation.h.
#include "ihome/auth/key_rotation.h"

#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <optional>
#include <vector>

#include "ihome/auth/real_name.h"
#include "ihome/core/log.h"
#include "ihome/store/sealed_ids.h"

namespace ihome {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Fault injection for the crash tests (tests/ops/rotate_key_test.py):
// IHOME_TEST_ROTATE_CRASH=<step> kills the process at that point, as a
// power cut or `kill -9` would.
void crash_point(const char* step) {
  const char* at = std::getenv("IHOME_TEST_ROTATE_CRASH");
  if (at && std::string(at) == step) raise(SIGKILL);
}

Error rotation_error(const std::string& what) { return Error{Errno::kServerErr, what, 500, 0}; }

Result<RealNameKeys> must_load(const std::string& path) {
  auto keys = load_key_file(path);
  if (!keys) return keys.take_error();
  if (!keys->has_value()) return rotation_error("key file " + path + " does not exist");
  return **keys;
}

}  // namespace

std::string unfinished_key_rotation(const std::string& key_path) {
  if (!exists(key_path + ".new")) return "";
  return "key file " + key_path + ".new exists: a key rotation was interrupted; run "
         "`ihome-admin rotate-key` again to finish it";
}

Result<KeyRotation> rotate_real_name_key(Db& db, const std::string& key_path) {
  const std::string old_path = key_path + ".old";
  const std::string new_path = key_path + ".new";
  KeyRotation report;
  auto current = must_load(key_path);
  if (!current) return current.take_error();

  if (exists(old_path) && !exists(new_path)) {
    // Stopped between 4 and 5: secret.key is the new key already.  Check
    // that it opens every row, then drop the old key.
    auto rows = SealedIdCards(db).all();
    if (!rows) return rows.take_error();
    for (const auto& row : *rows)
      if (!open_id_card(*current, row.sealed))
        return rotation_error("user " + std::to_string(row.user_id) + "'s id card does not open with " +
                              key_path + "; keeping " + old_path);
    Status removed = remove_key_file(old_path);
    if (!removed.ok()) return removed.take_error();
    report.rows = static_cast<int64_t>(rows->size());
    report.resumed = true;
    return report;
  }
  report.resumed = exists(old_path) || exists(new_path);

  // 1 and 2: each kept when an earlier run made it.
  Status s = copy_key_file(key_path, old_path);
  if (!s.ok()) return s.take_error();
  crash_point("old-written");
  s = create_fresh_key_file(new_path);
  if (!s.ok()) return s.take_error();
  crash_point("new-written");
  auto old_keys = must_load(old_path);
  if (!old_keys) return old_keys.take_error();
  auto new_keys = must_load(new_path);
  if (!new_keys) return new_keys.take_error();

  // 3: all or nothing.  A failure of a fresh run (not a resumed one, whose
  // earlier run may have committed under .new) removes the files it made:
  // nothing was committed under them, and ihomed starts again as before.
  auto give_up = [&](Error e) -> Error {
    if (!report.resumed) {
      (void)remove_key_file(new_path);
      (void)remove_key_file(old_path);
    }
    return e;
  };
  {
    auto tx = Transaction::begin(db);
    if (!tx) return give_up(tx.take_error());
    SealedIdCards cards(db);
    auto rows = cards.all();
    if (!rows) return give_up(rows.take_error());
    const RealNameKeys* candidates[] = {&*old_keys, &*current, &*new_keys};
    size_t done = 0;
    for (const auto& row : *rows) {
      std::optional<std::string> plain;
      for (const RealNameKeys* k : candidates) {
        auto opened = open_id_card(*k, row.sealed);
        if (opened) {
          plain = std::move(*opened);
          break;
        }
      }
      if (!plain)
        return give_up(rotation_error("user " + std::to_string(row.user_id) +
                              "'s id card opens with no key (" + old_path + ", " + key_path + ", " +
                              new_path + "): nothing changed"));
      s = cards.rewrite(row.user_id, seal_id_card(*new_keys, *plain), id_card_digest(*new_keys, *plain));
      sodium_memzero(plain->data(), plain->size());
      if (!s.ok()) return give_up(s.take_error());
      if (++done == (rows->size() + 1) / 2) crash_point("mid-transaction");
    }
    report.rows = static_cast<int64_t>(rows->size());
    s = tx->commit();
    if (!s.ok()) return give_up(s.take_error());
  }
  crash_point("committed");
  // 4 and 5.
  s = replace_key_file(new_path, key_path);
  if (!s.ok()) return s.take_error();
  crash_point("renamed");
  s = remove_key_file(old_path);
  if (!s.ok()) return s.take_error();
  return report;
}

}  // namespace ihome
