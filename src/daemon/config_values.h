// The value syntaxes of a daemon config, as text: intervals, sizes, ages, osquery versions and
// platform lists. Pure; config.cc calls them with what the JSON held and words the errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit::daemon {

// The osquery release whose config and result-log format procaudit implements: osquery 5 is
// the current major release, and the result-log fields procaudit writes ("numerics", "epoch",
// "counter", "action" on snapshots) are all there since 5.0.0. A query or pack whose "version"
// asks for a later osquery is skipped with a note: it may use tables or behaviour that came later.
inline constexpr std::string_view kOsqueryCompatVersion = "5.0.0";

// osquery's limit for a query interval (kMaxQueryInterval): one week.
inline constexpr uint64_t kMaxIntervalSeconds = 604800;

// A string of decimal digits only (no sign, no spaces), within uint64_t.
std::optional<uint64_t> ParseDigits(std::string_view text);

// Bytes: digits with an optional binary suffix K, M, G or T (also KB/KiB, any case): "10M" is
// 10 MiB. nullopt for anything else or an overflow.
std::optional<uint64_t> ParseSize(std::string_view text);

// Seconds: digits with an optional unit s, m, h, d or w: "7d", "12h", "30m". nullopt otherwise.
std::optional<uint64_t> ParseAge(std::string_view text);

// "1.4.5" -> {1, 4, 5}: one or more dot-separated decimal numbers, nothing else.
std::optional<std::vector<uint64_t>> ParseVersion(std::string_view text);
// a > b, comparing numbers left to right, missing parts as 0 ("5" == "5.0.0").
bool VersionNewer(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

// osquery's "platform": a comma list of platform names. True when any of them is one this
// daemon runs on: linux, posix, all or any (or the list is empty). Distribution names
// ("ubuntu", "centos") are not matched: osquery matches them only on those distributions.
bool PlatformRunsHere(std::string_view platforms);

}  // namespace procaudit::daemon
