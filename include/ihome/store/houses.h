// Houses repository: houses, their facilities and images, the catalog
// (areas, facilities) and the searches of API.md "Houses".  SQL only; the
// handlers in src/api/house.cpp shape the JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"
#include "ihome/store/keyword.h"

namespace ihome {

struct NamedId {
  int64_t id;
  std::string name;
};

struct NewHouse {
  int64_t user_id = 0;
  int64_t area_id = 0;
  std::string title;
  int64_t price = 0;  // fen
  std::string address;
  int64_t room_count = 1;
  int64_t acreage = 1;
  std::string unit;
  int64_t capacity = 1;
  std::string beds;
  int64_t deposit = 0;  // fen
  int64_t min_days = 1;
  int64_t max_days = 0;
  std::vector<int64_t> facilities;
  // API.md "Pricing"
  int64_t weekend_price = 0;  // fen; 0: none (the base price)
  int64_t cleaning_fee = 0;   // fen
  int64_t weekly_discount = 0;   // percent
  int64_t monthly_discount = 0;  // percent
};

// One row of "my houses" and of the search list.
struct HouseSummary {
  int64_t id = 0;
  std::string title;
  int64_t price = 0;
  std::string area_name;
  std::string address;
  int64_t room_count = 0;
  int64_t order_count = 0;
  std::optional<std::string> image;         // index image file
  std::optional<std::string> owner_avatar;  // avatar file
  std::string created_at;
  std::string status;  // "online" or "offline"
  std::optional<int64_t> stay_total;  // fen: a dated search's quote total (API.md "Pricing")
};

struct HouseComment {
  std::string user_name;
  std::string created_at;
  std::string comment;
};

struct HouseDetail {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string user_name;
  std::optional<std::string> user_avatar;
  std::string title;
  int64_t price = 0;
  std::string address;
  int64_t room_count = 0;
  int64_t acreage = 0;
  std::string unit;
  int64_t capacity = 0;
  std::string beds;
  int64_t deposit = 0;
  int64_t min_days = 1;
  int64_t max_days = 0;
  int64_t order_count = 0;
  int64_t favorite_count = 0;        // users who saved it (API.md Favourites)
  int64_t weekend_price = 0;         // fen; 0: none (API.md "Pricing")
  int64_t cleaning_fee = 0;          // fen
  int64_t weekly_discount = 0;       // percent
  int64_t monthly_discount = 0;      // percent
  std::string status;                // "online" or "offline"
  std::vector<std::string> images;   // files: the cover first, then upload order
  std::vector<int64_t> facilities;   // ascending
  std::vector<HouseComment> comments;  // newest first
};

enum class HouseSort { kNew, kBooking, kPriceInc, kPriceDes };

struct HouseSearch {
  std::optional<int64_t> area_id;
  std::optional<int64_t> start_day;  // day numbers (core/date.h), given together
  std::optional<int64_t> end_day;
  std::optional<Keyword> keyword;    // house/list `q` (store/keyword.h)
  // house/list min_price/max_price, fen a night: the base price, or with
  // dates the stay's average nightly price (quote total / nights).
  std::optional<int64_t> min_price;
  std::optional<int64_t> max_price;
  HouseSort sort = HouseSort::kNew;
  int64_t page = 1;  // 1-based
};

struct HousePage {
  std::vector<HouseSummary> houses;
  int64_t total = 0;  // matches over all pages
};

// The fields house/edit changes: only those set (API.md "house/edit").
struct HouseChanges {
  std::optional<std::string> title;
  std::optional<int64_t> price;  // fen
  std::optional<int64_t> area_id;
  std::optional<std::string> address;
  std::optional<int64_t> room_count;
  std::optional<int64_t> acreage;
  std::optional<std::string> unit;
  std::optional<int64_t> capacity;
  std::optional<std::string> beds;
  std::optional<int64_t> deposit;  // fen
  std::optional<int64_t> min_days;
  std::optional<int64_t> max_days;
  std::optional<std::vector<int64_t>> facilities;  // replaces the set
  std::optional<int64_t> weekend_price;  // fen; 0: none (the base price)
  std::optional<int64_t> cleaning_fee;   // fen
  std::optional<int64_t> weekly_discount;   // percent
  std::optional<int64_t> monthly_discount;  // percent
};

// What deleting a house's image changed.
struct ImageDeleted {
  bool cover_changed = false;  // it was the cover (a new one, or none, now)
};

// What a house's image upload changed.
struct ImageAdded {
  bool became_index = false;  // it is the house's first image
};

// "SELECT <the summary columns> FROM houses h JOIN areas a JOIN users u ":
// append joins and a WHERE; read each row with read_house_summary().
const std::string& house_summary_select();
HouseSummary read_house_summary(const Stmt& row);

class Houses {
 public:
  static constexpr int64_t kPageSize = 10;
  static constexpr int64_t kIndexSize = 5;
  static constexpr int64_t kMaxComments = 30;
  // From this many keyword matches on, a search page walks the sort's index
  // (measured at 100k houses: ~2k matches sort in ~2 ms, ~20k in ~40 ms).
  static constexpr int64_t kKeywordWalkMin = 1000;

  explicit Houses(Db& db) : db_(db) {}

  Result<std::vector<NamedId>> areas();
  Result<std::vector<NamedId>> facilities();

  // Listing management (src/store/house_manage.cpp).  Each runs in one
  // IMMEDIATE transaction and answers NODATA (no such house) or ROLEERR
  // (`user_id` is not the owner) first.
  //
  // Applies the fields set in `changes`; PARAMERR when min_days/max_days
  // would disagree with the stored other one.
  Status update(int64_t house_id, int64_t user_id, const HouseChanges& changes);
  // "online" or "offline".
  Status set_status(int64_t house_id, int64_t user_id, std::string_view status);
  // Deletes the image `file` of the house (NODATA when it has none such);
  // when it was the cover the oldest remaining one becomes the cover.
  Result<ImageDeleted> delete_image(int64_t house_id, int64_t user_id, const std::string& file);
  // Makes the image `file` of the house its cover (index image).
  Status set_cover(int64_t house_id, int64_t user_id, const std::string& file);

  // Inserts a house and its facilities in one transaction.
  Result<int64_t> create(const NewHouse& house);
  // The owner of a house; nullopt when there is no such house.
  Result<std::optional<int64_t>> owner_of(int64_t house_id);
  // OK when `user_id` owns the house; NODATA when there is no such house,
  // ROLEERR with `denied` as its message when someone else owns it.
  Status check_owner(int64_t house_id, int64_t user_id, std::string_view denied);
  // Adds an image file to a house of `user_id`'s: NODATA (no such house),
  // ROLEERR (not the owner), DATAERR (already `max_images`).
  Result<ImageAdded> add_image(int64_t house_id, int64_t user_id, const std::string& file,
                               int64_t max_images);
  Result<std::vector<HouseSummary>> by_owner(int64_t user_id);
  Result<std::optional<HouseDetail>> detail(int64_t house_id);
  // The most booked houses that have an image.
  Result<std::vector<HouseSummary>> top_booked();
  // The summaries of `ids`, in that order (ids that are gone are left out):
  // a page the availability index (src/search/) chose.
  Result<std::vector<HouseSummary>> by_ids(const std::vector<int64_t>& ids);
  // How many houses match `query` (all pages).
  Result<int64_t> count(const HouseSearch& query);
  // One page of matches; `known_total` (a cached count) skips the count.
  Result<HousePage> search(const HouseSearch& query, std::optional<int64_t> known_total = std::nullopt);

 private:
  Db& db_;
};

}  // namespace ihome
