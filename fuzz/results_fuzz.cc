// Fuzzes the stored form of a result set (ParseResults) and the result-log formatters on
// arbitrary bytes. Whatever parses must serialize back to the same bytes and diff to nothing
// against itself; every line formatted from it, and from the raw bytes as a column, must be one
// line of valid JSON (UTF-8), whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/differ.h"
#include "daemon/result_log.h"

using namespace procaudit::daemon;

namespace {

void CheckLine(const std::string& line) {
  if (line.find('\n') != std::string::npos || !nlohmann::json::accept(line)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LogStamp stamp{static_cast<int64_t>(size) * 1000003, "host", 1, 2};
  const Row raw = {{std::string(text), std::string(text)}, {"null", std::nullopt}};
  CheckLine(FormatDifferentialRow(text, stamp, "added", raw));
  CheckLine(FormatSnapshot(text, stamp, {raw, raw}));

  const auto rows = ParseResults(text);
  if (!rows) return 0;
  if (SerializeResults(*rows) != text) __builtin_trap();
  const DiffResult same = DiffRows(*rows, *rows);
  if (!same.added.empty() || !same.removed.empty()) __builtin_trap();
  const DiffResult all = DiffRows({}, *rows);
  if (all.added.size() != rows->size() || !all.removed.empty()) __builtin_trap();
  for (const Row& row : *rows) CheckLine(FormatDifferentialRow("q", stamp, "removed", row));
  CheckLine(FormatSnapshot("q", stamp, *rows));
  return 0;
}
