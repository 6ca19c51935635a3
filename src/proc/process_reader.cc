#include "proc/process_reader.h"

#include <unistd.h>

#include "proc/text_fields.h"

namespace procaudit {

HostClock HostClock::Read(const ProcRoot& root) {
  HostClock clock;
  std::string text;
  if (root.ReadFile("stat", text, ReadMode::kOneShot)) {
    if (auto btime = ParseBootTime(text)) clock.boot_time = *btime;
  }
  if (const long hz = ::sysconf(_SC_CLK_TCK); hz > 0) clock.ticks_per_second = hz;
  if (const long ps = ::sysconf(_SC_PAGESIZE); ps > 0) clock.page_size = ps;
  return clock;
}

bool StripDeletedSuffix(std::string& path) {
  constexpr std::string_view kSuffix = " (deleted)";
  if (!std::string_view(path).ends_with(kSuffix)) return false;
  path.resize(path.size() - kSuffix.size());
  return true;
}

bool IsThreadGroupLeader(const PidDir& dir, std::string& scratch) {
  // status is world-readable on every kernel; if it cannot be read the question
  // cannot be answered, and a process with some NULL columns beats a lost row.
  if (!dir.ReadFile("status", scratch, ReadMode::kOneShot)) return true;
  const StatusFields status = ParseStatus(scratch);
  return !status.tgid || *status.tgid == dir.pid();
}

ProcessInfo ReadProcess(const PidDir& dir, uint32_t parts, std::string& scratch) {
  ProcessInfo p;
  p.pid = dir.pid();
  if ((parts & kPartStat) && dir.ReadFile("stat", scratch, ReadMode::kOneShot)) p.stat = ParseStat(scratch);
  if ((parts & kPartStatus) && dir.ReadFile("status", scratch, ReadMode::kOneShot)) p.status = ParseStatus(scratch);
  if ((parts & kPartCmdline) && dir.ReadFile("cmdline", scratch)) p.argv = SplitCmdline(scratch);
  if ((parts & kPartExe) && dir.ReadLink("exe", scratch)) {
    p.exe_deleted = StripDeletedSuffix(scratch);
    p.exe = scratch;
  }
  if ((parts & kPartCwd) && dir.ReadLink("cwd", scratch)) p.cwd = scratch;
  if ((parts & kPartRoot) && dir.ReadLink("root", scratch)) p.root = scratch;
  if ((parts & kPartCgroup) && dir.ReadFile("cgroup", scratch, ReadMode::kOneShot)) p.cgroup = ParseCgroup(scratch);
  if ((parts & kPartSyscall) && dir.ReadFile("syscall", scratch, ReadMode::kOneShot)) {
    p.syscall = ParseSyscallFile(scratch);
  }
  if ((parts & kPartWchan) && dir.ReadFile("wchan", scratch, ReadMode::kOneShot)) {
    // "0" means not waiting (or hidden from this caller by kptr_restrict).
    if (std::string_view w = Trim(scratch); !w.empty() && w != "0") p.wchan = std::string(w);
  }
  if (parts & kPartPidNs) {
    uint64_t ino = 0;
    if (dir.ReadLink("ns/pid", scratch) && ParseBracketInode(scratch, "pid:", ino)) p.pid_ns = ino;
  }
  if ((parts & kPartIo) && dir.ReadFile("io", scratch, ReadMode::kOneShot)) p.io = ParseIo(scratch);
  return p;
}

}  // namespace procaudit
