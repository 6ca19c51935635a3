// What a live capture changed in the kernel's audit settings, kept in a small file under
// /run/procaudit/ from before the first change until everything is restored.
//
// A capture that exits (normally, by a signal, by an exception) restores the settings itself
// and removes its file. One killed with SIGKILL cannot: the next start finds its file, sees
// that the process is gone (pid and start time, so a reused pid is not mistaken for it), and
// puts back each setting the dead capture changed, unless somebody changed it again since.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit::netlink {

// One kernel setting: what it was, and what the capture set it to.
struct ChangedSetting {
  uint32_t before = 0;
  uint32_t set = 0;
};

struct CaptureState {
  int32_t pid = 0;
  uint64_t start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  std::string mode;         // "unicast" or "multicast"
  bool took_pid = false;    // registered as the audit pid
  std::optional<ChangedSetting> enabled, backlog_limit, backlog_wait_time;
  // The file watches whose rules the capture installs (FileWatch::ToString): while it runs,
  // another start leaves those rules alone; once it is gone, they are stale.
  std::vector<std::string> watches;
};

// "key=value" lines. Parse returns nullopt for anything that is not a whole state.
std::string SerializeState(const CaptureState& state);
std::optional<CaptureState> ParseState(std::string_view text);

// The start time of pid from /proc, or 0 when the process is gone. A zombie is gone: it exited
// (a killed run whose parent has not reaped it yet has left everything to clean up).
uint64_t ProcessStartTime(int32_t pid, const std::string& proc_root = "/proc");
// The command name of pid from /proc (comm), or "" when the process is gone.
std::string ProcessComm(uint32_t pid, const std::string& proc_root = "/proc");
// Whether the capture that wrote state still runs.
bool StateOwnerAlive(const CaptureState& state, const std::string& proc_root = "/proc");

// The state files of a directory.
class StateDir {
 public:
  explicit StateDir(std::string dir = "/run/procaudit") : dir_(std::move(dir)) {}

  // Writes (atomically: a temporary file renamed) the state of state.pid. Throws with one line.
  void Write(const CaptureState& state) const;
  void Remove(int32_t pid) const;
  struct Entry {
    std::string path;
    CaptureState state;
  };
  // Every readable state; unreadable or malformed files are skipped (and left alone).
  std::vector<Entry> ReadAll() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string PathOf(int32_t pid) const;
  std::string dir_;
};

}  // namespace procaudit::netlink
