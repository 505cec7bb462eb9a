// SearchSource: the SQL behind the availability index (src/search/):
// what house/list filters and sorts on, the stays holding nights, and the
// change log sql/008_read_path.sql's triggers fill.  SQL only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ihome/core/pricing.h"
#include "ihome/core/result.h"
#include "ihome/store/db.h"
#include "ihome/store/houses.h"

namespace ihome {

struct IndexedHouse {
  int64_t id = 0;
  int64_t area_id = 0;
  int64_t price = 0;
  int64_t order_count = 0;
  int64_t min_days = 1;
  int64_t max_days = 0;
  bool listed = true;  // shown in searches at all: online
  // What a stay costs (API.md "Pricing"): price above is the base price;
  // the date prices are those ending after the index's base day.
  int64_t weekend_price = 0;
  int64_t cleaning_fee = 0;
  int64_t weekly_discount = 0;
  int64_t monthly_discount = 0;
  std::vector<DatePrice> dates;

  PriceTerms terms() const { return {price, weekend_price, cleaning_fee, weekly_discount, monthly_discount}; }
  int64_t rating_sum = 0;  // sk=rating (sql/011_trust.sql)
  int64_t rating_count = 0;
};

// A stay holding nights [start_day, end_day), until unix time `until` (a
// WAIT_PAYMENT order's pay_by; the others hold for good).
struct BusyStay {
  int64_t start_day;
  int64_t end_day;
  int64_t until = INT64_MAX;
};

class SearchSource {
 public:
  explicit SearchSource(Db& db) : db_(db) {}

  // The newest change log entry (0 when none).
  Result<int64_t> last_change();
  // Up to `limit` entries from `seq` down, descending: (seq, house_id).
  Result<std::vector<std::pair<int64_t, int64_t>>> changes_up_to(int64_t seq, int64_t limit);
  // This database's token (sql/013_database_identity.sql), 16 bytes.
  Result<std::string> identity();
  // Up to `limit` entries after `seq`, ascending: (seq, house_id).
  Result<std::vector<std::pair<int64_t, int64_t>>> changes_after(int64_t seq, int64_t limit);
  // Every house, with its stays that end after `base_day` and hold their
  // nights at unix time `now` (and its date prices), house by house.
  Status each_house(int64_t base_day, int64_t now,
                    const std::function<void(const IndexedHouse&, const std::vector<BusyStay>&)>& fn);
  // One house (nullopt when gone) and its stays ending after `base_day`
  // that hold their nights at `now` (and its date prices).
  Result<std::optional<IndexedHouse>> house(int64_t id, int64_t base_day, int64_t now, std::vector<BusyStay>& stays);

 private:
  Db& db_;
};

}  // namespace ihome
