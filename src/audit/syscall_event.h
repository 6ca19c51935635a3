// One process-related syscall event, decoded from its records. The event builder makes these
// from text; the process tracker consumes them. Plain values, no references into buffers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace procaudit::audit {

enum class ProcessSyscall : uint8_t {
  kExecve,
  kExecveat,
  kFork,
  kVfork,
  kClone,
  kClone3,
  kExit,
  kExitGroup,
  // Not a syscall: an ANOM_ABEND record, which the kernel logs (rules or not) when a signal
  // whose default action dumps core kills a process. No exit syscall follows: it is the end.
  kAnomAbend,
};

const char* ProcessSyscallName(ProcessSyscall s);
inline bool IsExec(ProcessSyscall s) {
  return s == ProcessSyscall::kExecve || s == ProcessSyscall::kExecveat;
}
inline bool IsBirth(ProcessSyscall s) {
  return s == ProcessSyscall::kFork || s == ProcessSyscall::kVfork || s == ProcessSyscall::kClone ||
         s == ProcessSyscall::kClone3;
}

// The credentials of the SYSCALL record, all present in every kernel's record.
struct Credentials {
  uint32_t auid = 0, uid = 0, gid = 0, euid = 0, suid = 0, fsuid = 0, egid = 0, sgid = 0,
           fsgid = 0;
};

// The fields of a SYSCALL record, which every syscall event starts with.
struct SyscallRecord {
  int64_t time_ms = 0;
  uint32_t serial = 0;
  std::string arch;  // libaudit's machine name: "x86_64", "i386", "aarch64"...
  // exit and exit_group never return: their records have no success= and no exit= field.
  bool has_result = false;
  bool success = false;
  int64_t exit = 0;  // the syscall's return value
  // The first four arguments, as the kernel logs them (a0: clone flags, exit status; on
  // anom_abend: the signal). Registers: an int argument's upper bits are not meaningful.
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int32_t pid = 0;   // host tgid of the caller
  int32_t ppid = 0;  // host pid of the caller's parent (0 on anom_abend: not logged)
  int32_t items_announced = -1;  // the items field: names the kernel counted; -1 if absent
  Credentials cred;
  uint32_t ses = 0;
  std::optional<std::string> tty;
  std::optional<std::string> comm;
  std::optional<std::string> exe;
  std::optional<std::string> key;
};

struct SyscallEvent : SyscallRecord {
  ProcessSyscall syscall = ProcessSyscall::kExecve;

  // EXECVE: the arguments, exactly. nullopt when the records did not carry all of them.
  std::optional<std::vector<std::string>> argv;
  std::optional<std::string> cwd;
  // PATH item 0 of an exec: the file named to execve, whose inode the kernel opened.
  std::optional<uint32_t> exe_mode;
  std::optional<uint32_t> exe_ouid;
  std::optional<uint32_t> exe_ogid;
  // PROCTITLE: the caller's command line, NUL-separated, at most 128 bytes (kernel limit).
  std::optional<std::string> proctitle;
};

}  // namespace procaudit::audit
