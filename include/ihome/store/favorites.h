// Favourites repository (API.md "Favourites"): the houses a user saved, one
// row per (user, house) in table favorites.  SQL only; src/api/user.cpp
// shapes the JSON.  Adding checks the per-user limit and inserts inside one
// BEGIN IMMEDIATE transaction, so concurrent adds never pass the limit.
#pragma once

#include <cstdint>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"
#include "ihome/store/houses.h"

namespace ihome {

class Favorites {
 public:
  static constexpr int64_t kPageSize = 10;

  explicit Favorites(Db& db) : db_(db) {}

  // Saves `house_id` for `user_id`: NODATA (no such house), DATAERR (the
  // user already has `max_favorites` others).  True when a row was added,
  // false when it was there already.
  Result<bool> add(int64_t user_id, int64_t house_id, int64_t max_favorites);
  // True when a row went away, false when there was none.
  Result<bool> remove(int64_t user_id, int64_t house_id);
  // One page of the user's saved houses, most recently saved first.
  Result<HousePage> list(int64_t user_id, int64_t page);
  // Every saved house id of the user, most recently saved first.
  Result<std::vector<int64_t>> ids(int64_t user_id);

 private:
  Db& db_;
};

}  // namespace ihome
