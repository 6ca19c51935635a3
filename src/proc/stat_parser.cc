#include "proc/stat_parser.h"

#include "proc/text_fields.h"

namespace procaudit {

std::optional<StatFields> ParseStat(std::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  StatFields f;
  if (!ParseInt(Trim(text.substr(0, open)), f.pid)) return std::nullopt;
  f.comm = std::string(text.substr(open + 1, close - open - 1));

  FieldCursor fields(text.substr(close + 1));
  // Field numbers as in proc(5); comm was field 2.
  std::string_view state = fields.Next();  // 3
  if (state.size() != 1) return std::nullopt;
  f.state = state[0];
  bool ok = fields.NextInt(f.ppid) && fields.NextInt(f.pgrp) && fields.NextInt(f.session) &&
            fields.NextInt(f.tty_nr);                                         // 4-7
  ok = ok && fields.Skip(6);                                                  // 8-13
  ok = ok && fields.NextInt(f.utime_ticks) && fields.NextInt(f.stime_ticks);  // 14-15
  ok = ok && fields.Skip(3);                                                  // 16-18
  ok = ok && fields.NextInt(f.nice) && fields.NextInt(f.threads);             // 19-20
  ok = ok && fields.Skip(1);                                                  // 21
  ok = ok && fields.NextInt(f.start_ticks) && fields.NextInt(f.vsize) &&
       fields.NextInt(f.rss_pages);  // 22-24
  if (!ok) return std::nullopt;
  return f;
}

std::optional<int64_t> ParseBootTime(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    if (line.starts_with("btime ")) {
      int64_t v = 0;
      if (ParseInt(Trim(line.substr(6)), v)) return v;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace procaudit
