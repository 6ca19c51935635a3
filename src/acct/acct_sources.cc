#include "acct/acct_sources.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace procaudit::acct {

void AcctSources::SetSessionFile(std::string path) {
  std::lock_guard lock(mutex_);
  session_ = std::move(path);
}

std::string AcctSources::SessionFile() {
  if (std::optional<std::string> path = FindSessionFile()) return *path;
  throw std::runtime_error(
      "no accounting file: name one as acct_exits('/var/log/account/pacct'), start procaudit "
      "with --acct-file FILE, or run it as root for live accounting");
}

std::optional<std::string> AcctSources::FindSessionFile() {
  std::function<Live()> start;
  {
    std::lock_guard lock(mutex_);
    if (session_) return *session_;
    if (live_) return live_->path;
    start = live;
  }
  if (start) {
    Live started = start();  // outside the lock: it may take a moment
    std::lock_guard lock(mutex_);
    if (!live_) live_ = std::move(started);
    return live_->path;
  }
  if (::access(default_file.c_str(), F_OK) == 0) return default_file;
  return std::nullopt;
}

std::optional<std::string> AcctSources::CurrentFile() const {
  std::lock_guard lock(mutex_);
  if (session_) return session_;
  if (live_) return live_->path;
  return std::nullopt;
}

AcctFile AcctSources::Read(const std::string& path, uint64_t offset) {
  AcctFile file = AcctFile::Open(path, offset);
  bool growing;
  {
    std::lock_guard lock(mutex_);
    growing = live_ && live_->path == path;
  }
  std::string w = file.Warning(!growing);
  if (w.empty()) return file;
  {
    std::lock_guard lock(mutex_);
    if (w == last_warning_) return file;
    last_warning_ = w;
  }
  if (warn) {
    warn(w);
  } else {
    std::fprintf(stderr, "procaudit: warning: %s\n", w.c_str());
  }
  return file;
}

}  // namespace procaudit::acct
