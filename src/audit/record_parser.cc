#include "audit/record_parser.h"

#include <cstdint>

#include "proc/text_fields.h"

namespace procaudit::audit {
namespace {

constexpr char kEnrichedSeparator = '\x1d';

// The ends of a token: a space, the ENRICHED separator, the end of the line. A plain loop:
// string_view::find_first_of with a set calls memchr once per character, the hottest spot
// of a replay.
size_t TokenEnd(std::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == kEnrichedSeparator || c == '\n') return i;
  }
  return std::string_view::npos;
}

// The first '=' of a name, or the end of the token when there is none.
size_t NameEnd(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=' || c == ' ' || c == kEnrichedSeparator || c == '\n') return i;
  }
  return std::string_view::npos;
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<RecordHeader> ParseRecordHeader(std::string_view line) {
  if (line.starts_with("node=")) {
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    line.remove_prefix(space + 1);
  }
  if (!line.starts_with("type=")) return std::nullopt;
  line.remove_prefix(5);
  const size_t type_end = line.find(' ');
  if (type_end == 0 || type_end == std::string_view::npos) return std::nullopt;
  RecordHeader h;
  h.type = line.substr(0, type_end);
  line.remove_prefix(type_end + 1);
  if (!line.starts_with("msg=audit(")) return std::nullopt;
  line.remove_prefix(10);
  const size_t close = line.find("):");
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view stamp = line.substr(0, close);
  const size_t dot = stamp.find('.');
  const size_t colon = stamp.find(':');
  if (dot == std::string_view::npos || colon == std::string_view::npos || colon < dot) {
    return std::nullopt;
  }
  int64_t seconds = 0;
  uint32_t millis = 0;
  const std::string_view ms_text = stamp.substr(dot + 1, colon - dot - 1);
  // Seconds beyond what milliseconds in 64 bits can hold are not a kernel timestamp.
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000 - 1;
  if (!ParseInt(stamp.substr(0, dot), seconds) || seconds < 0 || seconds > kMaxSeconds ||
      ms_text.size() != 3 ||
      !ParseInt(ms_text, millis) || !ParseInt(stamp.substr(colon + 1), h.serial)) {
    return std::nullopt;
  }
  h.time_ms = seconds * 1000 + millis;
  line.remove_prefix(close + 2);
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  h.body = line;
  return h;
}

bool FieldIterator::Next(std::string_view& name, std::string_view& raw_value) {
  while (true) {
    const size_t b = rest_.find_first_not_of(' ');
    if (b == std::string_view::npos || rest_[b] == kEnrichedSeparator || rest_[b] == '\n') {
      rest_ = {};
      return false;
    }
    rest_.remove_prefix(b);
    const size_t eq = NameEnd(rest_);
    if (eq == std::string_view::npos || rest_[eq] != '=') {
      // A bare word (no '='): not a field. Skip it.
      const size_t e = TokenEnd(rest_, 0);
      rest_.remove_prefix(e == std::string_view::npos ? rest_.size() : e);
      continue;
    }
    name = rest_.substr(0, eq);
    rest_.remove_prefix(eq + 1);
    size_t end;
    if (!rest_.empty() && (rest_[0] == '\'' || rest_[0] == '"')) {
      // Quoted values run to the closing quote: user records' msg='...' contains spaces.
      const size_t close = rest_.find(rest_[0], 1);
      end = close == std::string_view::npos ? TokenEnd(rest_, 0) : close + 1;
    } else {
      end = TokenEnd(rest_, 0);
    }
    if (end == std::string_view::npos) end = rest_.size();
    raw_value = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return true;
  }
}

bool AppendUntrusted(std::string_view raw, std::string& out) {
  if (IsAbsentValue(raw)) return false;
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    out.append(raw.substr(1, raw.size() - 2));
    return true;
  }
  if (raw.size() % 2 != 0) return false;
  const size_t start = out.size();
  out.reserve(start + raw.size() / 2);
  for (size_t i = 0; i < raw.size(); i += 2) {
    const int hi = HexNibble(raw[i]);
    const int lo = HexNibble(raw[i + 1]);
    if (hi < 0 || lo < 0) {
      out.resize(start);
      return false;
    }
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

std::optional<std::string> DecodeUntrusted(std::string_view raw) {
  std::string out;
  if (!AppendUntrusted(raw, out)) return std::nullopt;
  return out;
}

}  // namespace procaudit::audit
