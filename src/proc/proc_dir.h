// The seam between procaudit and a proc filesystem.
//
// Every /proc table reads through a ProcRoot, so tests point it at a fixture tree
// and users at a container's /proc or a forensic copy. Each process is opened once
// as a PidDir and all of its files are read relative to that handle (openat), so
// every field comes from the same process even if the pid is reused mid-scan.
//
// Errors are not exceptional here: a process may exit between readdir and open,
// and an unprivileged caller may not read another user's fd/. Reads return false
// and callers leave the affected columns NULL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.h"

namespace procaudit {

class PidDir;

// How a proc file yields its text. kOneShot: files the kernel formats whole on
// each read (single_open seq files: stat, status, fdinfo/N, cgroup, syscall, wchan,
// io, and /proc/stat), where a read shorter than the buffer is the end, and a
// second read to see 0 is a wasted syscall. kStream: everything else (net/*,
// cmdline), read until read() returns 0.
enum class ReadMode { kStream, kOneShot };

class ProcRoot {
 public:
  // Opens the root directory; valid() is false if it cannot be opened.
  explicit ProcRoot(std::string path);

  bool valid() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

  // The pids of all processes (numeric entries of the root), ascending.
  std::vector<int64_t> ListPids() const;

  // Reads a file directly under the root ("stat", "uptime").
  bool ReadFile(const char* name, std::string& out, ReadMode mode = ReadMode::kStream) const;

 private:
  std::string path_;
  UniqueFd fd_;
};

// One open /proc/<pid> directory.
class PidDir {
 public:
  // Check valid(): false when the process is gone or the directory unreadable.
  PidDir(const ProcRoot& root, int64_t pid);

  bool valid() const { return fd_.valid(); }
  int64_t pid() const { return pid_; }
  int fd() const { return fd_.get(); }

  // Reads a whole file below this directory ("stat", "fdinfo/3") into out,
  // replacing its contents. False if it cannot be opened or read.
  bool ReadFile(const char* name, std::string& out, ReadMode mode = ReadMode::kStream) const;
  // readlink of an entry ("exe", "cwd", "fd/3"). False if unreadable.
  bool ReadLink(const char* name, std::string& out) const;

 private:
  int64_t pid_;
  UniqueFd fd_;
};

// Reads a whole file at dirfd/name; shared by ProcRoot, PidDir and the fd scanner.
bool ReadFileAt(int dirfd, const char* name, std::string& out, ReadMode mode = ReadMode::kStream);
// readlinkat into out, growing the buffer for long targets.
bool ReadLinkAt(int dirfd, const char* name, std::string& out);
// The entries of an open directory whose names are decimal numbers (pids, fds),
// ascending. Reads with getdents64 straight from dir_fd, which it leaves at the end.
std::vector<int64_t> ListNumericEntries(int dir_fd);

}  // namespace procaudit
