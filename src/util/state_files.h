// Small state files under a directory such as /run/procaudit/: written atomically (a temporary
// file, fsync'd, renamed), read back by name pattern. What a process leaves so that the next
// run can undo a machine-wide change it could not undo itself (live capture, live accounting).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace procaudit {

// Writes text to path (mode 0600) atomically, creating dir (0700) if missing. Throws
// std::runtime_error with one line.
void WriteStateFile(const std::string& dir, const std::string& path, std::string_view text);

struct StateFile {
  std::string path;
  std::string text;
};
// The files of dir named PREFIX...SUFFIX, with their contents; none when dir is unreadable.
std::vector<StateFile> ReadStateFiles(const std::string& dir, std::string_view prefix,
                                      std::string_view suffix);

}  // namespace procaudit
