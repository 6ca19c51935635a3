#include "proc/proc_dir.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace {

// The record getdents64(2) fills in; glibc does not declare it.
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

}  // namespace

namespace procaudit {

bool ReadFileAt(int dirfd, const char* name, std::string& out, ReadMode mode) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return false;
  // Most proc files fit in one page; grow for long cmdlines, status, net tables.
  // resize() of a buffer reused across calls does not reallocate.
  if (out.size() < 4096) out.resize(4096);
  out.resize(out.capacity());
  size_t used = 0;
  while (true) {
    if (used == out.size()) out.resize(out.size() * 2);
    const size_t room = out.size() - used;
    const ssize_t n = ::read(fd.get(), out.data() + used, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.clear();
      return false;
    }
    used += static_cast<size_t>(n);
    if (n == 0 || (mode == ReadMode::kOneShot && static_cast<size_t>(n) < room)) break;
  }
  out.resize(used);
  return true;
}

std::vector<int64_t> ListNumericEntries(int dir_fd) {
  std::vector<int64_t> ids;
  alignas(8) char buf[32768];
  while (true) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof buf);
    if (n <= 0) break;  // 0: the end; < 0: the directory went away meanwhile
    for (long off = 0; off < n;) {
      const auto* ent = reinterpret_cast<const linux_dirent64*>(buf + off);
      off += ent->d_reclen;
      const char* name = ent->d_name;
      if (*name < '0' || *name > '9') continue;
      int64_t id = 0;
      const char* end = name + std::strlen(name);
      auto [p, ec] = std::from_chars(name, end, id);
      if (ec == std::errc() && p == end) ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool ReadLinkAt(int dirfd, const char* name, std::string& out) {
  size_t cap = 256;
  while (true) {
    out.resize(cap);
    const ssize_t n = ::readlinkat(dirfd, name, out.data(), cap);
    if (n < 0) {
      out.clear();
      return false;
    }
    if (static_cast<size_t>(n) < cap) {
      out.resize(static_cast<size_t>(n));
      return true;
    }
    if (cap >= 65536) {  // PATH_MAX is 4096; anything longer is not a path
      out.resize(static_cast<size_t>(n));
      return true;
    }
    cap *= 4;
  }
}

ProcRoot::ProcRoot(std::string path)
    : path_(std::move(path)), fd_(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

std::vector<int64_t> ProcRoot::ListPids() const {
  // A fresh descriptor per listing: a directory's read position is per open file.
  UniqueFd dir(::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return {};
  std::vector<int64_t> pids = ListNumericEntries(dir.get());
  std::erase(pids, 0);  // not a pid
  return pids;
}

bool ProcRoot::ReadFile(const char* name, std::string& out, ReadMode mode) const {
  return ReadFileAt(fd_.get(), name, out, mode);
}

PidDir::PidDir(const ProcRoot& root, int64_t pid) : pid_(pid) {
  char name[24];
  auto [end, ec] = std::to_chars(name, name + sizeof name - 1, pid);
  *end = '\0';
  if (pid > 0) fd_.Reset(::openat(root.fd(), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

bool PidDir::ReadFile(const char* name, std::string& out, ReadMode mode) const {
  return ReadFileAt(fd_.get(), name, out, mode);
}

bool PidDir::ReadLink(const char* name, std::string& out) const {
  return ReadLinkAt(fd_.get(), name, out);
}

}  // namespace procaudit
