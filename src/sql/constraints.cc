#include "sql/constraints.h"

#include <algorithm>
#include <cmath>

namespace procaudit {

EqConstraint FindEqConstraint(sqlite3_index_info* info, int column) {
  EqConstraint found;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn != column) continue;
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ && c.op != SQLITE_INDEX_CONSTRAINT_IS) continue;
    if (!c.usable) {
      found.unusable = true;
      continue;
    }
    found.index = i;
    found.unusable = false;
    found.is_in = sqlite3_vtab_in(info, i, 1) != 0;
    return found;
  }
  return found;
}

namespace {

bool AsInteger(sqlite3_value* v, int64_t& out) {
  switch (sqlite3_value_numeric_type(v)) {
    case SQLITE_INTEGER: out = sqlite3_value_int64(v); return true;
    case SQLITE_FLOAT: {
      const double d = sqlite3_value_double(v);
      if (d != std::floor(d) || std::fabs(d) > 9.0e18) return false;
      out = static_cast<int64_t>(d);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::vector<int64_t> IntegerArgValues(sqlite3_value* arg, bool is_in) {
  std::vector<int64_t> values;
  int64_t v = 0;
  if (!is_in) {
    if (AsInteger(arg, v)) values.push_back(v);
    return values;
  }
  sqlite3_value* item = nullptr;
  for (int rc = sqlite3_vtab_in_first(arg, &item); rc == SQLITE_OK && item != nullptr;
       rc = sqlite3_vtab_in_next(arg, &item)) {
    if (AsInteger(item, v)) values.push_back(v);
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace procaudit
