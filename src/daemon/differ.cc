#include "daemon/differ.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <unordered_map>

namespace procaudit::daemon {
namespace {

void AppendField(std::string& out, std::string_view bytes) {
  out += std::to_string(bytes.size());
  out += ':';
  out.append(bytes);
}

// The row as osquery would key it: its columns by name, one value per name (the last), NULL as
// "", each field length-prefixed so that no two different rows share a key.
std::string RowKey(const Row& row) {
  std::vector<size_t> order(row.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return row[a].first < row[b].first; });
  std::string key;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& [column, value] = row[order[k]];
    if (k + 1 < order.size() && row[order[k + 1]].first == column) continue;
    AppendField(key, column);
    AppendField(key, value ? std::string_view(*value) : std::string_view());
  }
  return key;
}

// Reads the decimal count at text[pos] up to the delimiter; no sign, no leading zeros but "0".
std::optional<size_t> ReadCount(std::string_view text, size_t& pos, char delimiter) {
  const size_t end = text.find(delimiter, pos);
  if (end == std::string_view::npos || end == pos || end - pos > 12) return std::nullopt;
  if (text[pos] == '0' && end - pos > 1) return std::nullopt;
  size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) return std::nullopt;
  pos = end + 1;
  return value;
}

std::optional<std::string> ReadField(std::string_view text, size_t& pos) {
  const auto len = ReadCount(text, pos, ':');
  if (!len || *len > text.size() - pos) return std::nullopt;
  std::string out(text.substr(pos, *len));
  pos += *len;
  return out;
}

constexpr std::string_view kResultsMagic = "PR1";

}  // namespace

DiffResult DiffRows(const std::vector<Row>& previous, const std::vector<Row>& current) {
  std::unordered_map<std::string, size_t> unmatched;  // previous rows not yet seen again
  unmatched.reserve(previous.size());
  std::vector<std::string> previous_keys;
  previous_keys.reserve(previous.size());
  for (const Row& row : previous) {
    previous_keys.push_back(RowKey(row));
    ++unmatched[previous_keys.back()];
  }
  DiffResult diff;
  for (const Row& row : current) {
    const auto it = unmatched.find(RowKey(row));
    if (it != unmatched.end() && it->second > 0) {
      --it->second;
    } else {
      diff.added.push_back(row);
    }
  }
  for (size_t i = 0; i < previous.size(); ++i) {
    size_t& left = unmatched[previous_keys[i]];
    if (left > 0) {
      --left;
      diff.removed.push_back(previous[i]);
    }
  }
  return diff;
}

// "PR1", then per row "R" COUNT ";" and per column NAMELEN ":" NAME, then "=" LEN ":" VALUE or
// "!" for NULL.
std::string SerializeResults(const std::vector<Row>& rows) {
  std::string out(kResultsMagic);
  for (const Row& row : rows) {
    out += 'R';
    out += std::to_string(row.size());
    out += ';';
    for (const auto& [column, value] : row) {
      AppendField(out, column);
      if (value) {
        out += '=';
        AppendField(out, *value);
      } else {
        out += '!';
      }
    }
  }
  return out;
}

std::optional<std::vector<Row>> ParseResults(std::string_view text) {
  if (!text.starts_with(kResultsMagic)) return std::nullopt;
  size_t pos = kResultsMagic.size();
  std::vector<Row> rows;
  while (pos < text.size()) {
    if (text[pos++] != 'R') return std::nullopt;
    const auto columns = ReadCount(text, pos, ';');
    // Each column takes at least three bytes ("0:!"): a count beyond that is corrupt, and
    // checking it first keeps a corrupt count from reserving gigabytes.
    if (!columns || *columns > (text.size() - pos) / 3) return std::nullopt;
    Row row;
    row.reserve(*columns);
    for (size_t c = 0; c < *columns; ++c) {
      auto name = ReadField(text, pos);
      if (!name || pos >= text.size()) return std::nullopt;
      const char tag = text[pos++];
      if (tag == '!') {
        row.emplace_back(std::move(*name), std::nullopt);
      } else if (tag == '=') {
        auto value = ReadField(text, pos);
        if (!value) return std::nullopt;
        row.emplace_back(std::move(*name), std::move(*value));
      } else {
        return std::nullopt;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace procaudit::daemon
