#include "daemon/result_log.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <numeric>

namespace procaudit::daemon {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
size_t Utf8SequenceAt(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b0 == 0xED) hi = 0x9F;  // U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

void AppendHexEscape(std::string& out, unsigned char b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0x0F];
}

// A JSON string literal of osquery's escaped text: after EscapeNonPrintable only '"' and '\'
// need JSON escapes.
void AppendJsonString(std::string& out, std::string_view raw) {
  out += '"';
  for (char c : EscapeNonPrintable(raw)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendKey(std::string& out, std::string_view key) {
  AppendJsonString(out, key);
  out += ':';
}

// osquery's row model: one value per column name (the last one wins, as assigning into a
// std::map does), in name order, NULL as "".
void AppendColumns(std::string& out, const Row& row) {
  std::vector<size_t> order(row.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return row[a].first < row[b].first; });
  out += '{';
  bool first = true;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& [column, value] = row[order[k]];
    if (k + 1 < order.size() && row[order[k + 1]].first == column) continue;  // a later one wins
    if (!first) out += ',';
    first = false;
    AppendKey(out, column);
    AppendJsonString(out, value ? std::string_view(*value) : std::string_view());
  }
  out += '}';
}

void AppendStampFields(std::string& out, std::string_view name, const LogStamp& stamp) {
  AppendKey(out, "name");
  AppendJsonString(out, name);
  out += ',';
  AppendKey(out, "hostIdentifier");
  AppendJsonString(out, stamp.host);
  out += ',';
  AppendKey(out, "calendarTime");
  AppendJsonString(out, CalendarTime(stamp.unix_time));
  out += ",\"unixTime\":" + std::to_string(stamp.unix_time);
  out += ",\"epoch\":" + std::to_string(stamp.epoch);
  out += ",\"counter\":" + std::to_string(stamp.counter);
  out += ",\"numerics\":false";
}

}  // namespace

std::string EscapeNonPrintable(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    const auto b = static_cast<unsigned char>(value[i]);
    if (b < 0x20) {
      AppendHexEscape(out, b);
      ++i;
    } else if (b < 0x80) {
      out += value[i];
      ++i;
    } else if (const size_t len = Utf8SequenceAt(value, i); len > 0) {
      out.append(value.substr(i, len));
      i += len;
    } else {
      AppendHexEscape(out, b);
      ++i;
    }
  }
  return out;
}

std::string CalendarTime(int64_t unix_time) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t t = static_cast<time_t>(unix_time);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
      tm.tm_mon > 11) {
    return "";
  }
  // asctime's layout, spelled out: asctime_r is obsolescent and its buffer overflows for
  // five-digit years.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %lld UTC", kDays[tm.tm_wday],
                kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(tm.tm_year) + 1900);
  return buf;
}

std::string FormatDifferentialRow(std::string_view name, const LogStamp& stamp,
                                  std::string_view action, const Row& row) {
  std::string out = "{";
  AppendStampFields(out, name, stamp);
  out += ',';
  AppendKey(out, "columns");
  AppendColumns(out, row);
  out += ',';
  AppendKey(out, "action");
  AppendJsonString(out, action);
  out += '}';
  return out;
}

std::string FormatSnapshot(std::string_view name, const LogStamp& stamp,
                           const std::vector<Row>& rows) {
  std::string out = "{";
  AppendKey(out, "snapshot");
  out += '[';
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) out += ',';
    AppendColumns(out, rows[i]);
  }
  out += "],\"action\":\"snapshot\",";
  AppendStampFields(out, name, stamp);
  out += '}';
  return out;
}

std::vector<std::string> FormatDifferential(std::string_view name, const LogStamp& stamp,
                                            const DiffResult& diff, bool log_removed) {
  std::vector<std::string> lines;
  lines.reserve((log_removed ? diff.removed.size() : 0) + diff.added.size());
  if (log_removed) {
    for (const Row& row : diff.removed) {
      lines.push_back(FormatDifferentialRow(name, stamp, "removed", row));
    }
  }
  for (const Row& row : diff.added) {
    lines.push_back(FormatDifferentialRow(name, stamp, "added", row));
  }
  return lines;
}

}  // namespace procaudit::daemon
