#include "daemon/config_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace procaudit::daemon {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "10M" into the digits and the rest.
std::pair<std::string_view, std::string_view> SplitNumber(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  return {text.substr(0, digits), text.substr(digits)};
}

std::optional<uint64_t> Scaled(std::string_view digits, uint64_t unit) {
  const auto n = ParseDigits(digits);
  if (!n || (unit != 0 && *n > std::numeric_limits<uint64_t>::max() / unit)) return std::nullopt;
  return *n * unit;
}

}  // namespace

std::optional<uint64_t> ParseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  const auto [digits, suffix] = SplitNumber(text);
  const std::string unit = Lower(suffix);
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    shift = 30;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  return Scaled(digits, uint64_t{1} << shift);
}

std::optional<uint64_t> ParseAge(std::string_view text) {
  const auto [digits, suffix] = SplitNumber(text);
  const std::string unit = Lower(suffix);
  uint64_t seconds = 0;
  if (unit.empty() || unit == "s") {
    seconds = 1;
  } else if (unit == "m") {
    seconds = 60;
  } else if (unit == "h") {
    seconds = 3600;
  } else if (unit == "d") {
    seconds = 86400;
  } else if (unit == "w") {
    seconds = 7 * 86400;
  } else {
    return std::nullopt;
  }
  return Scaled(digits, seconds);
}

std::optional<std::vector<uint64_t>> ParseVersion(std::string_view text) {
  std::vector<uint64_t> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const auto part = ParseDigits(
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!part) return std::nullopt;
    parts.push_back(*part);
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

bool VersionNewer(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const uint64_t x = i < a.size() ? a[i] : 0;
    const uint64_t y = i < b.size() ? b[i] : 0;
    if (x != y) return x > y;
  }
  return false;
}

bool PlatformRunsHere(std::string_view platforms) {
  bool any_named = false;
  size_t start = 0;
  while (start <= platforms.size()) {
    const size_t comma = std::min(platforms.find(',', start), platforms.size());
    const std::string name = Lower(Trim(platforms.substr(start, comma - start)));
    if (!name.empty()) {
      any_named = true;
      if (name == "linux" || name == "posix" || name == "all" || name == "any") return true;
    }
    start = comma + 1;
  }
  return !any_named;
}

}  // namespace procaudit::daemon
