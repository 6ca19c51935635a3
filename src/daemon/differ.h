// What changed between two runs of a scheduled query, and the stored form of a run's results.
//
// Rows are compared the way osquery compares them: as a map from column name to text, with NULL
// and "" alike and a later column of the same name hiding an earlier one, so the order of the
// columns does not matter. Two rows are the same exactly when the result log would print the
// same "columns" object for them (before escaping).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/row.h"

namespace procaudit::daemon {

struct DiffResult {
  std::vector<Row> added;    // in the order of the current results
  std::vector<Row> removed;  // in the order of the previous results
};

// Multiset difference: a row present twice now and once before is added once; rows present in
// both are neither. Linear in the number of rows (rows are hashed).
DiffResult DiffRows(const std::vector<Row>& previous, const std::vector<Row>& current);

// A run's results as one string for the durable store, and back: every byte of names and values,
// NULL distinct from "", the column order and duplicates kept. The format is versioned
// ("PR1") and stable; ParseResults returns nullopt for anything that is not a whole result set.
std::string SerializeResults(const std::vector<Row>& rows);
std::optional<std::vector<Row>> ParseResults(std::string_view text);

}  // namespace procaudit::daemon
