#include "proc/fdinfo_parser.h"

#include "proc/text_fields.h"

namespace procaudit {

FdInfoFields ParseFdInfo(std::string_view text) {
  FdInfoFields f;
  // The four common lines come first; the rest (eventfd counts, inotify watches,
  // epoll targets, lock lines) is type-specific and not needed here.
  for (std::string_view line : Lines(text)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (key == "pos") {
      int64_t v;
      if (ParseInt(value, v)) f.pos = v;
    } else if (key == "flags") {
      uint64_t v;
      if (ParseInt(value, v, 8)) f.flags = v;
    } else if (key == "mnt_id") {
      int64_t v;
      if (ParseInt(value, v)) f.mnt_id = v;
    } else if (key == "ino") {
      uint64_t v;
      if (ParseInt(value, v)) f.ino = v;
      break;  // last of the common lines
    }
  }
  return f;
}

}  // namespace procaudit
