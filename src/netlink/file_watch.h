// What file activity the live capture asks the kernel to report (file_events): --watch-all,
// --watch-pid, --watch-exe, --watch-dir, and PROCAUDIT_WATCH in the extension.
//
// The kernel only reports a file syscall when a rule asks for it, and open() is the hottest
// call there is, so live capture installs no file rules unless told to, and each watch narrows
// them with one field the kernel checks before it builds a record (-F pid=, -F exe=, -F dir=).
// Several watches are alternatives: a call is reported when any of them matches.
//
// Making a watch checks it against this host, once, before anything is installed: the process
// must run, the executable's directory and the watched directory must exist (the kernel refuses
// a rule whose path it cannot resolve). Paths are stored resolved (realpath): the kernel compares
// the inode it resolved, and a symbolic link named as --watch-exe would never match.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit::netlink {

struct FileWatch {
  enum class Kind {
    kAll,  // every process (procaudit's own calls excepted)
    kPid,  // one process, all its threads; not its children (-F pid=)
    kExe,  // every process running one executable (-F exe=)
    kDir,  // every call on a path under one directory, at any depth (-F dir=, a tree watch);
           // the kernel matches the inodes a call reached, so not an open of a missing name
  };
  Kind kind = Kind::kAll;
  uint32_t pid = 0;  // kPid
  std::string path;  // kExe, kDir: absolute and resolved

  // "all", "pid=1234", "exe=/usr/bin/curl", "dir=/etc": PROCAUDIT_WATCH's syntax.
  std::string ToString() const;
  bool operator==(const FileWatch&) const = default;
};

// A watch of kind for value (ignored for kAll), checked on this host. Returns nullopt and sets
// error to one sentence without the option's name (the caller prefixes it).
std::optional<FileWatch> MakeFileWatch(FileWatch::Kind kind, std::string_view value,
                                       std::string& error);

// PROCAUDIT_WATCH (and the daemon's configuration): watches separated by spaces, each `all`,
// `pid=PID`, `exe=PATH` or `dir=DIR`, e.g. "pid=1234 exe=/usr/bin/curl dir=/etc". A path with a
// space cannot be given this way. Returns nullopt and one line in error; "" gives no watches.
std::optional<std::vector<FileWatch>> ParseFileWatches(std::string_view text, std::string& error);

// Appends watch unless the list already has it; `all` replaces every other watch and makes
// later ones redundant (a call any of them would report, `all` reports).
void AddFileWatch(std::vector<FileWatch>& watches, FileWatch watch);

// The watches in PROCAUDIT_WATCH's syntax, separated by spaces.
std::string FileWatchesToString(const std::vector<FileWatch>& watches);

}  // namespace procaudit::netlink
