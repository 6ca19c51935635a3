#include "daemon/log_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "util/unique_fd.h"

namespace procaudit::daemon {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// One log file of the directory, appended to and rotated by size.
class RotatingFile {
 public:
  RotatingFile(int dir_fd, std::string dir, std::string_view name, uint64_t rotate_size,
               uint64_t max_files)
      : dir_fd_(dir_fd),
        path_(std::move(dir) + "/" + std::string(name)),
        name_(name),
        rotate_size_(rotate_size),
        max_files_(max_files) {}

  // Opens (creating) the file; on failure nothing stays open, so that nothing is written on
  // into a file that rotation renamed away or into something that is not ours.
  bool Open(std::string& error) {
    fd_.Reset();
    std::string why;
    UniqueFd fd = OpenChecked(why);
    if (!fd.valid()) {
      error = path_ + ": " + why;
      return false;
    }
    fd_ = std::move(fd);
    return true;
  }

  bool Append(std::string_view line, std::string& error) {
    // After a failed rotation: try again, the failure may have passed (inodes freed).
    if (!fd_.valid() && !Open(error)) return false;
    std::string record(line);
    record += '\n';
    // The size now, not a count kept here: logrotate's copytruncate may have emptied the file.
    struct stat st {};
    if (fstat(fd_.get(), &st) != 0) {
      error = path_ + ": " + ErrnoText(errno);
      return false;
    }
    auto size = static_cast<uint64_t>(st.st_size);
    if (rotate_size_ > 0 && size > 0 && size + record.size() > rotate_size_) {
      if (!Rotate(error)) return false;
      size = 0;
    }
    size_t done = 0;
    while (done < record.size()) {
      const ssize_t n = write(fd_.get(), record.data() + done, record.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : EIO;
        // Whole lines only: a reader must never see half a JSON object glued to the next.
        if (done > 0 && ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
          error = path_ + ": " + ErrnoText(err) +
                  " (and a partial line is left: " + ErrnoText(errno) + ")";
          return false;
        }
        error = path_ + ": " + ErrnoText(err);
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  bool Sync(std::string& error) {
    if (!fd_.valid() && !Open(error)) return false;
    if (fdatasync(fd_.get()) != 0) {
      error = path_ + ": " + ErrnoText(errno);
      return false;
    }
    return true;
  }

 private:
  UniqueFd OpenChecked(std::string& why) const {
    // O_NONBLOCK: a FIFO planted under the name must not hang the daemon; it is refused below.
    UniqueFd fd(openat(
        dir_fd_, name_.c_str(),
        O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600));
    if (!fd.valid()) {
      why = errno == ELOOP ? "is a symbolic link; procaudit does not write through links"
                           : ErrnoText(errno);
      return UniqueFd();
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) {
      why = ErrnoText(errno);
      return UniqueFd();
    }
    if (!S_ISREG(st.st_mode)) {
      why = "not a regular file";
      return UniqueFd();
    }
    if (st.st_uid != geteuid()) {
      why = "owned by uid " + std::to_string(st.st_uid) +
            ", not by this process; procaudit does not log into another user's file";
      return UniqueFd();
    }
    // The umask may have taken bits off at creation, and an older file may have more.
    if (fchmod(fd.get(), 0600) != 0 || fcntl(fd.get(), F_SETFL, O_WRONLY | O_APPEND) != 0) {
      why = ErrnoText(errno);
      return UniqueFd();
    }
    return fd;
  }

  std::string Numbered(uint64_t n) const { return name_ + "." + std::to_string(n); }

  bool Rename(const std::string& from, const std::string& to, std::string& error) const {
    if (renameat(dir_fd_, from.c_str(), dir_fd_, to.c_str()) == 0 || errno == ENOENT) return true;
    error = path_ + ": rotating " + from + " to " + to + ": " + ErrnoText(errno);
    return false;
  }

  bool Rotate(std::string& error) {
    if (max_files_ == 0) {
      if (unlinkat(dir_fd_, name_.c_str(), 0) != 0 && errno != ENOENT) {
        error = path_ + ": rotating: " + ErrnoText(errno);
        return false;
      }
    } else {
      for (uint64_t n = max_files_ - 1; n >= 1; --n) {
        if (!Rename(Numbered(n), Numbered(n + 1), error)) return false;
      }
      if (!Rename(name_, Numbered(1), error)) return false;
    }
    return Open(error);
  }

  int dir_fd_;
  std::string path_;
  std::string name_;
  uint64_t rotate_size_;
  uint64_t max_files_;
  UniqueFd fd_;
};

class FileSink : public LogSink {
 public:
  FileSink(UniqueFd dir_fd, const std::string& dir, uint64_t rotate_size, uint64_t max_files)
      : dir_fd_(std::move(dir_fd)),
        results_(dir_fd_.get(), dir, kResultsLogName, rotate_size, max_files),
        snapshots_(dir_fd_.get(), dir, kSnapshotsLogName, rotate_size, max_files) {}

  bool Open() { return results_.Open(error_) && snapshots_.Open(error_); }

  bool Write(LogKind kind, std::string_view line) override {
    return (kind == LogKind::kResults ? results_ : snapshots_).Append(line, error_);
  }

  bool Flush() override { return results_.Sync(error_) && snapshots_.Sync(error_); }

  const std::string& error() const override { return error_; }

 private:
  UniqueFd dir_fd_;  // rotation renames within the directory that was opened
  RotatingFile results_;
  RotatingFile snapshots_;
  std::string error_;
};

class SyslogSink : public LogSink {
 public:
  SyslogSink() { openlog("procaudit", LOG_PID, LOG_DAEMON); }
  ~SyslogSink() override { closelog(); }

  bool Write(LogKind /*kind*/, std::string_view line) override {
    const int len = static_cast<int>(std::min<size_t>(line.size(), INT_MAX));
    syslog(LOG_INFO, "%.*s", len, line.data());
    return true;  // syslog(3) reports nothing: a message it cannot deliver is dropped
  }
  bool Flush() override { return true; }
  const std::string& error() const override { return error_; }

 private:
  std::string error_;
};

}  // namespace

std::unique_ptr<LogSink> OpenFileSink(const std::string& dir, uint64_t rotate_size,
                                      uint64_t max_files, std::string& error) {
  UniqueFd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    error = dir + ": " + ErrnoText(errno);
    return nullptr;
  }
  auto sink = std::make_unique<FileSink>(std::move(dir_fd), dir, rotate_size, max_files);
  if (!sink->Open()) {
    error = sink->error();
    return nullptr;
  }
  return sink;
}

std::unique_ptr<LogSink> OpenSyslogSink() { return std::make_unique<SyslogSink>(); }

}  // namespace procaudit::daemon
