// Keyword search: see include/ihome/store/keyword.h.
//
// houses_fts (sql/005_guests.sql) holds each house's title, address and area
// name under the trigram tokenizer, kept current by triggers on houses.  A
// keyword of >= 3 code points is one quoted phrase: its trigrams in a row,
// i.e. a substring of one column (case-folded).  A shorter keyword has no
// trigram, so it is looked for with instr() over the same columns, ASCII
// lowered on both sides: no LIKE, so % and _ need no escaping.
#include "ihome/store/keyword.h"

namespace ihome {

std::string fts_phrase(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

const char* keyword_condition(const Keyword& keyword) {
  if (keyword.code_points >= kTrigramMin)
    return "AND h.id IN (SELECT rowid FROM houses_fts WHERE houses_fts MATCH ?7) ";
  return "AND h.id IN (SELECT rowid FROM houses_fts WHERE instr(lower(title), ?7) > 0 "
         "OR instr(lower(address), ?7) > 0 OR instr(lower(area), ?7) > 0) ";
}

void bind_keyword(Stmt& stmt, int param, const Keyword& keyword) {
  if (keyword.code_points >= kTrigramMin) stmt.bind(param, fts_phrase(keyword.text));
  else stmt.bind(param, ascii_lower(keyword.text));
}

Result<std::vector<int64_t>> keyword_house_ids(Db& db, const Keyword& keyword) {
  auto s = db.prepare(std::string("SELECT h.id FROM houses h WHERE 1 ") + keyword_condition(keyword) +
                      "ORDER BY h.id");
  if (!s) return s.take_error();
  bind_keyword(*s, kKeywordParam, keyword);
  std::vector<int64_t> ids;
  Status done = s->each([&](const Stmt& row) { ids.push_back(row.int64(0)); });
  if (!done.ok()) return done.take_error();
  return ids;
}

}  // namespace ihome
