// Keyword search: see include/ihome/store/keyword.h.
//
// Two FTS5 indexes (sql/005_guests.sql), kept current by triggers on houses:
// houses_fts holds title, address and area name under the trigram
// tokenizer, so a keyword of >= 3 code points is one quoted phrase — its
// trigrams in a row, i.e. a substring of one column, Latin case folded.
// house_bigrams holds every 2-character window of the ASCII-lowered text
// as a hex token, so a 2-character keyword is one token and a 1-character
// one a token prefix.  Either way the keyword reaches FTS5 only as a quoted
// string or hex digits: no operator, wildcard or quote of it is ever read
// as query syntax.  U+001F ends each column in house_bigrams (sql/009), a
// control character no keyword or house text can hold, so no window a
// keyword can ask for crosses two columns.
#include "ihome/store/keyword.h"

#include "ihome/core/text.h"

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

std::string bigram_query(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned char c : ascii_lower(text)) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  out += '"';
  if (utf8_length(text).value_or(0) == 1) out += '*';
  return out;
}

const char* keyword_condition(const Keyword& keyword, bool as_filter) {
  if (keyword.code_points >= kTrigramMin)
    return as_filter ? "AND +h.id IN (SELECT rowid FROM houses_fts WHERE houses_fts MATCH ?7) "
                     : "AND h.id IN (SELECT rowid FROM houses_fts WHERE houses_fts MATCH ?7) ";
  return as_filter ? "AND +h.id IN (SELECT rowid FROM house_bigrams WHERE house_bigrams MATCH ?7) "
                   : "AND h.id IN (SELECT rowid FROM house_bigrams WHERE house_bigrams MATCH ?7) ";
}

void bind_keyword(Stmt& stmt, int param, const Keyword& keyword) {
  if (keyword.code_points >= kTrigramMin) stmt.bind(param, fts_phrase(keyword.text));
  else stmt.bind(param, bigram_query(keyword.text));
}

Result<std::vector<int64_t>> keyword_house_ids(Db& db, const Keyword& keyword) {
  // The keyword index's rowids as they are, in its own (rowid) order: no
  // join to houses, which at 1M houses cost a primary-key seek per match
  // (200k matches of 朝阳: ~0.5 s of CPU against ~20 ms).  The same ids:
  // the triggers keep both indexes to the houses there are, and a caller
  // (the search index) knows only houses that exist anyway.
  const char* sql = keyword.code_points >= kTrigramMin
                        ? "SELECT rowid FROM houses_fts WHERE houses_fts MATCH ?7 ORDER BY rowid"
                        : "SELECT rowid FROM house_bigrams WHERE house_bigrams MATCH ?7 ORDER BY rowid";
  auto s = db.prepare(sql);
  if (!s) return s.take_error();
  bind_keyword(*s, kKeywordParam, keyword);
  std::vector<int64_t> ids;
  Status done = s->each([&](const Stmt& row) { ids.push_back(row.int64(0)); });
  if (!done.ok()) return done.take_error();
  return ids;
}

}  // namespace ihome
