// Parsers for the small per-pid files: cmdline, syscall, io. Pure functions over text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {

// /proc/<pid>/cmdline: NUL-separated argv. Exact bytes, empty arguments kept. A
// process that rewrote its argv area (nginx: "master process ...") may have no
// NULs at all; that is one argument.
std::vector<std::string> SplitCmdline(std::string_view text);

// argv joined with single spaces, as ps prints it.
std::string JoinArgv(const std::vector<std::string>& argv);

// /proc/<pid>/syscall: "running", "-1 sp pc" (blocked, not in a syscall) or
// "nr a0 a1 a2 a3 a4 a5 sp pc".
struct SyscallState {
  enum Kind { kRunning, kNotInSyscall, kInSyscall } kind = kRunning;
  int64_t nr = -1;  // valid when kind == kInSyscall
};
std::optional<SyscallState> ParseSyscallFile(std::string_view text);

// /proc/<pid>/io: bytes the process made the storage layer fetch and send.
struct IoFields {
  std::optional<int64_t> read_bytes, write_bytes;
};
IoFields ParseIo(std::string_view text);

}  // namespace procaudit
