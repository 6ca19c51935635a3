// Parsers for /proc/<pid>/stat and the btime line of /proc/stat. Pure functions over text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace procaudit {

// The fields of /proc/<pid>/stat that procaudit uses (proc(5) numbering in comments).
struct StatFields {
  int64_t pid = 0;           // (1)
  std::string comm;          // (2) without the parentheses
  char state = '?';          // (3)
  int64_t ppid = 0;          // (4)
  int64_t pgrp = 0;          // (5)
  int64_t session = 0;       // (6)
  int64_t tty_nr = 0;        // (7)
  uint64_t utime_ticks = 0;  // (14)
  uint64_t stime_ticks = 0;  // (15)
  int64_t nice = 0;          // (19)
  int64_t threads = 0;       // (20)
  uint64_t start_ticks = 0;  // (22) clock ticks after boot
  uint64_t vsize = 0;        // (23) bytes
  int64_t rss_pages = 0;     // (24)
};

// comm may hold spaces and ')' (it is whatever the process named itself), so it
// runs from the first '(' to the *last* ')'. Returns nullopt on malformed text.
std::optional<StatFields> ParseStat(std::string_view text);

// The "btime <epoch seconds>" line of /proc/stat: when the system booted.
std::optional<int64_t> ParseBootTime(std::string_view proc_stat_text);

}  // namespace procaudit
