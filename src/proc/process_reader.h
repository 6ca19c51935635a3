// Reads one process from its /proc/<pid> directory, only the parts asked for.
//
// A query that selects pid and name reads only "stat"; colUsed decides the parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proc/cgroup_parser.h"
#include "proc/pid_files.h"
#include "proc/proc_dir.h"
#include "proc/stat_parser.h"
#include "proc/status_parser.h"

namespace procaudit {

// Bits of a parts mask: each names one file (or link) under /proc/<pid>.
enum ProcessPart : uint32_t {
  kPartStat = 1u << 0,
  kPartStatus = 1u << 1,
  kPartCmdline = 1u << 2,
  kPartExe = 1u << 3,
  kPartCwd = 1u << 4,
  kPartRoot = 1u << 5,
  kPartCgroup = 1u << 6,
  kPartSyscall = 1u << 7,
  kPartWchan = 1u << 8,
  kPartPidNs = 1u << 9,
  kPartIo = 1u << 10,
};

// What was read. A part that was asked for but could not be read (the process
// exited, or the caller lacks permission) stays nullopt: its columns are NULL.
struct ProcessInfo {
  int64_t pid = 0;
  std::optional<StatFields> stat;
  std::optional<StatusFields> status;
  std::optional<std::vector<std::string>> argv;
  std::optional<std::string> exe;  // without the " (deleted)" suffix
  bool exe_deleted = false;
  std::optional<std::string> cwd, root;
  std::optional<CgroupInfo> cgroup;
  std::optional<SyscallState> syscall;
  std::optional<std::string> wchan;
  std::optional<uint64_t> pid_ns;
  std::optional<IoFields> io;
};

// Facts about the host that turn /proc numbers into units: read once per query.
struct HostClock {
  int64_t boot_time = 0;  // epoch seconds, from <root>/stat
  int64_t ticks_per_second = 100;
  int64_t page_size = 4096;

  static HostClock Read(const ProcRoot& root);
  int64_t StartTimeEpoch(uint64_t start_ticks) const {
    return boot_time + static_cast<int64_t>(start_ticks) / ticks_per_second;
  }
  int64_t TicksToMillis(uint64_t ticks) const {
    return static_cast<int64_t>(ticks) * 1000 / ticks_per_second;
  }
};

// scratch is a reusable buffer so a scan of thousands of processes allocates once.
ProcessInfo ReadProcess(const PidDir& dir, uint32_t parts, std::string& scratch);

// True when dir is a process (thread-group leader), not one of its other threads.
// Only needed for lookups by pid: readdir of /proc lists leaders only. True when
// status cannot be read or has no Tgid line (cannot tell).
bool IsThreadGroupLeader(const PidDir& dir, std::string& scratch);

// Removes a trailing " (deleted)" that the kernel appends to links whose target
// was unlinked; returns whether it was there.
bool StripDeletedSuffix(std::string& path);

}  // namespace procaudit
