// Keyword search over houses (API.md house/list `q`): which houses have the
// keyword in their title, address or area name.  The SQL path of the search
// (src/store/houses.cpp) splices keyword_condition() into its statement; an
// in-memory search index can ask keyword_house_ids() for the same set.
// Keywords are always bound, never spliced: the condition texts are fixed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ihome/core/result.h"
#include "ihome/store/db.h"

namespace ihome {

// A validated keyword (trimmed, 1-32 code points, no control characters).
struct Keyword {
  std::string text;        // as the user typed it
  size_t code_points = 0;  // length of `text`
};

// Keywords of at least this many code points go through the trigram index;
// shorter ones through the bigram index (a trigram index cannot find them).
constexpr size_t kTrigramMin = 3;

// `text` as one FTS5 phrase: wrapped in double quotes, inner quotes doubled,
// so that *, NEAR(, AND, ^, : and every other FTS5 operator are literal.
std::string fts_phrase(std::string_view text);
// `text` with ASCII letters lowered (SQLite's lower() folds only those too).
std::string ascii_lower(std::string_view text);
// The house_bigrams query of a 1-2 code point keyword: its lowered UTF-8 in
// hex, quoted; a prefix query (`"E5B1AF"*`) for one code point.
std::string bigram_query(std::string_view text);

// "AND h.id IN (houses matching ?7)" for a statement's WHERE; pick the text
// with the keyword, then bind_keyword() the same parameter.  `as_filter`
// writes "+h.id": SQLite then drives the statement from its other terms
// and ORDER BY index, and uses the match set only as a filter.
const char* keyword_condition(const Keyword& keyword, bool as_filter = false);
void bind_keyword(Stmt& stmt, int param, const Keyword& keyword);
// The parameter number keyword_condition() uses.
constexpr int kKeywordParam = 7;

// Ids of every house matching `keyword`, ascending, online or not (the
// caller applies its other filters).  Costs O(matches): an in-memory index
// should keep the set per keyword until a house is published or edited.
Result<std::vector<int64_t>> keyword_house_ids(Db& db, const Keyword& keyword);

}  // namespace ihome
