#include "proc/proc_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace procaudit {

bool ReadFileAt(int dirfd, const char* name, std::string& out) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return false;
  // Most proc files fit in one page; grow for long cmdlines, status, net tables.
  out.resize(4096);
  size_t used = 0;
  while (true) {
    if (used == out.size()) out.resize(out.size() * 2);
    const ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.clear();
      return false;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return true;
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
  std::vector<int64_t> pids;
  // A second descriptor: closedir() closes the one fdopendir() takes.
  const int dup = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return pids;
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    ::close(dup);
    return pids;
  }
  while (const dirent* ent = ::readdir(dir)) {
    const char* name = ent->d_name;
    if (*name < '1' || *name > '9') continue;
    int64_t pid = 0;
    const char* end = name + std::char_traits<char>::length(name);
    auto [p, ec] = std::from_chars(name, end, pid);
    if (ec == std::errc() && p == end) pids.push_back(pid);
  }
  ::closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

bool ProcRoot::ReadFile(const char* name, std::string& out) const {
  return ReadFileAt(fd_.get(), name, out);
}

PidDir::PidDir(const ProcRoot& root, int64_t pid) : pid_(pid) {
  char name[24];
  auto [end, ec] = std::to_chars(name, name + sizeof name - 1, pid);
  *end = '\0';
  if (pid > 0) fd_.Reset(::openat(root.fd(), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

bool PidDir::ReadFile(const char* name, std::string& out) const {
  return ReadFileAt(fd_.get(), name, out);
}

bool PidDir::ReadLink(const char* name, std::string& out) const {
  return ReadLinkAt(fd_.get(), name, out);
}

}  // namespace procaudit
