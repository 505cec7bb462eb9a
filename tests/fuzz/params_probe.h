// Runs every Params accessor (include/ihome/http/params.h) on a few field
// names, as the handlers do, and checks what each promises of its result.
#pragma once

#include "fuzz.h"
#include "ihome/core/date.h"
#include "ihome/core/text.h"
#include "ihome/http/params.h"

namespace fuzz {

inline void probe_params(const ihome::Params& p) {
  static const char* const kNames[] = {"a", "b", "mobile", "title", "price", "id", "sd", "facility", ""};
  for (const char* name : kNames) {
    (void)p.has(name);
    if (auto t = p.text(name, 1, 16)) {
      auto n = ihome::utf8_length(*t);
      FUZZ_CHECK(n && *n >= 1 && *n <= 16);
      FUZZ_CHECK(!ihome::has_control_chars(*t));
      FUZZ_CHECK(ihome::trim(*t).size() == t->size());
    } else {
      FUZZ_CHECK(t.error().code == ihome::Errno::kParamErr);
    }
    if (auto s = p.secret(name, 6, 64)) FUZZ_CHECK(ihome::utf8_length(*s).value_or(0) >= 6);
    if (auto m = p.mobile(name)) FUZZ_CHECK(ihome::is_mobile(*m));
    if (auto c = p.code_id(name)) FUZZ_CHECK(ihome::is_code_id(*c));
    if (auto d = p.digits(name, 4)) FUZZ_CHECK(d->size() == 4);
    if (auto i = p.integer(name, -5, 1000)) FUZZ_CHECK(*i >= -5 && *i <= 1000);
    if (auto i = p.integer_or(name, 1, 9, 7)) FUZZ_CHECK(*i >= 1 && *i <= 9);
    (void)p.text_or(name, 0, 8, "x");
    if (auto f = p.money(name, 1, 100000000)) FUZZ_CHECK(*f >= 1 && *f <= 100000000);
    (void)p.money_or(name, 0, 100, 5);
    if (auto d = p.date(name)) FUZZ_CHECK(ihome::parse_date(ihome::format_date(*d)) == *d);
    if (auto l = p.integer_list(name, 1, 100)) {
      for (size_t k = 0; k < l->size(); ++k) {
        FUZZ_CHECK((*l)[k] >= 1 && (*l)[k] <= 100);
        if (k > 0) FUZZ_CHECK((*l)[k - 1] < (*l)[k]);
      }
    }
  }
}

}  // namespace fuzz
