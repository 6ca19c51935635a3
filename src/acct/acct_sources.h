// Which accounting file the acct tables read when a query names none, for one connection.
//
//   session file   `procaudit --acct-file FILE`
//   live           when live accounting is allowed (`live` set): the file the kernel writes now,
//                  procaudit's own (turned on with acct(2)) or the one accounting was already
//                  writing to (src/acct/live_acct.h); started on first use
//   Debian default /var/log/account/pacct, the acct package's file, when present
//
// Files are read at query time (they only grow), so there is nothing to cache. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "acct/acct_file.h"

namespace procaudit::acct {

inline constexpr const char* kDebianAcctFile = "/var/log/account/pacct";

class AcctSources {
 public:
  // Set when live accounting is allowed: starts (or joins) it and returns the file accounting
  // writes to, and a lease that keeps it running. Throws std::runtime_error with one line.
  struct Live {
    std::string path;
    std::shared_ptr<const void> lease;
  };
  std::function<Live()> live;
  // Called with one line when a read skipped bytes. Default: stderr.
  std::function<void(const std::string&)> warn;
  // The default file, when present (tests point it elsewhere).
  std::string default_file = kDebianAcctFile;

  void SetSessionFile(std::string path);
  // The file to read: the session's, else live accounting's (started now if need be), else
  // the default when it exists. Throws std::runtime_error with one line when there is none.
  std::string SessionFile();
  // The same, but nullopt where SessionFile throws for want of a file (a live start that fails
  // still throws).
  std::optional<std::string> FindSessionFile();
  // The session's or the running live file, without starting anything; nullopt when none.
  std::optional<std::string> CurrentFile() const;

  // Reads path (from offset) and reports its warning once per new count of skipped bytes.
  AcctFile Read(const std::string& path, uint64_t offset = 0);

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> session_;
  std::optional<Live> live_;
  std::string last_warning_;
};

}  // namespace procaudit::acct
