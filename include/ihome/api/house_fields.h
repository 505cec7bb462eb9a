// The fields of a house as publishing (house/newhouse) and editing
// (house/edit) take them: one parser with newhouse's rules for both, so a
// field is never valid in one and refused by the other.
#pragma once

#include <string>

#include "ihome/core/result.h"
#include "ihome/http/params.h"
#include "ihome/store/houses.h"

namespace ihome {

struct ParsedHouse {
  HouseChanges fields;
  std::string area_field;  // "district" or its alias "area_id", as sent
};

// `partial` (edit): only the fields present are parsed, at least one must
// be; otherwise (publish) the required fields must be present and the
// optional ones get their defaults.  PARAMERR naming the field.
Result<ParsedHouse> parse_house_fields(const Params& p, bool partial);

// Area and facility ids present in `h` must be in the catalog (PARAMERR).
Status check_house_catalog(Houses& houses, const ParsedHouse& h);

}  // namespace ihome
