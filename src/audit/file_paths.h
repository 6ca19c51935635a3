// Turns a file event's names into what file_events shows: the operation, and absolute paths.
//
// A name the process passed is absolute, relative to its working directory (the CWD record),
// or, for the *at calls, relative to a directory descriptor. The kernel logs the name as given
// and, for calls that create or remove a name, the directory's inode, but never the path of a
// descriptor: that comes from the same process's audited open of it (FdTarget, kept by the file
// tracker), and is used only where it cannot be wrong in a way the records would show: the
// descriptor must have been opened on a directory, and where the kernel logged the directory's
// inode it must be that one. Otherwise the path is unknown (nullopt), never guessed.
//
// Paths are joined, not canonicalised: "./" and "//" go, ".." stays (a symbolic link would
// make a lexical "a/b/.." wrong).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit/file_event.h"

namespace procaudit::audit {

// What a descriptor refers to, as its audited open showed it.
struct FdTarget {
  std::string path;
  std::optional<uint64_t> inode;
  std::optional<std::string> dev;
  bool directory = false;
};
// The target of descriptor fd of the event's process, or null when unknown.
using FdLookup = std::function<const FdTarget*(int32_t fd)>;

struct ResolvedFile {
  FileOperation operation = FileOperation::kOpenRead;
  const PathItem* item = nullptr;  // the PATH item of path: inode, dev, mode, owner
  const FdTarget* opened = nullptr;  // descriptor calls: what the descriptor's open showed
  std::optional<std::string> path, target, name;
  std::optional<int32_t> fd;  // the directory descriptor of an *at call, or the file's
  std::optional<uint32_t> flags, mode;
  std::optional<uint32_t> new_uid, new_gid;
};

// REQUIRES: ev.call is set. The result's item points into ev.
ResolvedFile ResolveFileEvent(const FileEvent& ev, const FdLookup& fds);

// dir + "/" + name, with "./" and repeated slashes removed; name alone when absolute.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace procaudit::audit
