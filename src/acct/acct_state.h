// What live accounting changed, kept in a small file beside the live capture's
// (/run/procaudit/acct.PID.state) from before accounting is turned on until it is off again and
// procaudit's accounting file is gone.
//
// A run that exits (normally, by a signal, by an exception) turns accounting off itself and
// removes the file. One killed with SIGKILL cannot: the next start finds its file, sees that the
// process is gone (pid and start time, so a reused pid is not mistaken for it), and turns
// accounting off if it still writes the dead run's file (live_acct.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit::acct {

struct AcctState {
  int32_t pid = 0;
  uint64_t start_time = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  std::string file;         // procaudit's accounting file
  // The file's identity, once it exists (the kernel keeps writing a file that was deleted).
  std::optional<uint64_t> dev, ino;
};

// "key=value" lines. Parse returns nullopt for anything that is not a whole state.
std::string SerializeAcctState(const AcctState& state);
std::optional<AcctState> ParseAcctState(std::string_view text);

// The acct.PID.state files of a directory (the live capture's live.PID.state files beside them
// are src/netlink/capture_state.h's).
class AcctStateDir {
 public:
  explicit AcctStateDir(std::string dir = "/run/procaudit") : dir_(std::move(dir)) {}

  // Writes (atomically: a temporary file renamed) the state of state.pid, creating the
  // directory (0700) if need be. Throws std::runtime_error with one line.
  void Write(const AcctState& state) const;
  void Remove(int32_t pid) const;
  // Every readable state; unreadable or malformed files are skipped (and left alone).
  std::vector<AcctState> ReadAll() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string PathOf(int32_t pid) const;
  std::string dir_;
};

}  // namespace procaudit::acct
