// One result row of a scheduled query, as the daemon logs and compares it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace procaudit::daemon {

// Column name -> value as text; nullopt is SQL NULL. The order is the query's column order.
// osquery keeps a row as a map from name to string, with NULL as "": the result log and the
// differ follow that model (result_log.h, differ.h), the stored form keeps every detail.
using Row = std::vector<std::pair<std::string, std::optional<std::string>>>;

}  // namespace procaudit::daemon
