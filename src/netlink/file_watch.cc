#include "netlink/file_watch.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace procaudit::netlink {
namespace {

constexpr uint32_t kPidMaxLimit = 4 * 1024 * 1024;  // the kernel's PID_MAX_LIMIT on 64-bit

std::optional<std::string> RealPath(const std::string& path, std::string& error) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out(resolved);
  std::free(resolved);
  return out;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<FileWatch> PidWatch(std::string_view value, std::string& error) {
  uint32_t pid = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
  if (ec != std::errc() || end != value.data() + value.size() || pid == 0 || pid > kPidMaxLimit) {
    error = "a process id is a positive integer, not '" + std::string(value) + "'";
    return std::nullopt;
  }
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
    error = "no process has pid " + std::to_string(pid) + " (a watched process must be running)";
    return std::nullopt;
  }
  return FileWatch{FileWatch::Kind::kPid, pid, {}};
}

// The kernel watches the executable's directory for the name, so the directory must exist; the
// file need not yet. An existing file is resolved through symbolic links: the kernel compares
// the inode a process runs, and a link's own inode never runs.
std::optional<FileWatch> ExeWatch(const std::string& path, std::string& error) {
  const size_t slash = path.rfind('/');
  const std::string base = path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    error = "'" + path + "' does not name a file";
    return std::nullopt;
  }
  struct stat st;
  std::optional<std::string> resolved;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error = path + " is a directory, not an executable (--watch-dir watches a directory)";
      return std::nullopt;
    }
    resolved = RealPath(path, error);
  } else {
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    if (!IsDirectory(parent)) {
      error = "the directory of " + path + " does not exist (the kernel needs it to watch for " +
              base + ")";
      return std::nullopt;
    }
    resolved = RealPath(parent, error);
    if (resolved) resolved = (*resolved == "/" ? "" : *resolved) + "/" + base;
  }
  if (!resolved) return std::nullopt;
  return FileWatch{FileWatch::Kind::kExe, 0, std::move(*resolved)};
}

std::optional<FileWatch> DirWatch(const std::string& path, std::string& error) {
  std::optional<std::string> resolved = RealPath(path, error);
  if (!resolved) return std::nullopt;
  if (!IsDirectory(*resolved)) {
    error = path + " is not a directory";
    return std::nullopt;
  }
  return FileWatch{FileWatch::Kind::kDir, 0, std::move(*resolved)};
}

std::optional<FileWatch::Kind> KindNamed(std::string_view name) {
  if (name == "pid") return FileWatch::Kind::kPid;
  if (name == "exe") return FileWatch::Kind::kExe;
  if (name == "dir") return FileWatch::Kind::kDir;
  return std::nullopt;
}

}  // namespace

std::string FileWatch::ToString() const {
  switch (kind) {
    case Kind::kAll: return "all";
    case Kind::kPid: return "pid=" + std::to_string(pid);
    case Kind::kExe: return "exe=" + path;
    case Kind::kDir: return "dir=" + path;
  }
  return "?";
}

std::optional<FileWatch> MakeFileWatch(FileWatch::Kind kind, std::string_view value,
                                       std::string& error) {
  if (kind == FileWatch::Kind::kAll) return FileWatch{};
  if (kind == FileWatch::Kind::kPid) return PidWatch(value, error);
  const std::string path(value);
  if (path.empty() || path.front() != '/') {
    error = "needs an absolute path, not '" + path + "'";
    return std::nullopt;
  }
  if (path.size() >= PATH_MAX) {
    error =
        "the path is longer than the kernel accepts (" + std::to_string(PATH_MAX - 1) + " bytes)";
    return std::nullopt;
  }
  std::optional<FileWatch> watch =
      kind == FileWatch::Kind::kExe ? ExeWatch(path, error) : DirWatch(path, error);
  // The state file a capture leaves for its cleanup has one watch per line.
  if (watch && watch->path.find('\n') != std::string::npos) {
    error = "a path with a line break cannot be watched";
    return std::nullopt;
  }
  return watch;
}

std::optional<std::vector<FileWatch>> ParseFileWatches(std::string_view text, std::string& error) {
  std::vector<FileWatch> watches;
  constexpr std::string_view kSpace = " \t\n";
  while (true) {
    const size_t start = text.find_first_not_of(kSpace);
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const std::string_view item = text.substr(0, text.find_first_of(kSpace));
    text.remove_prefix(item.size());
    std::optional<FileWatch> watch;
    if (item == "all") {
      watch = FileWatch{};
    } else {
      const size_t eq = item.find('=');
      const std::optional<FileWatch::Kind> kind =
          eq == std::string_view::npos ? std::nullopt : KindNamed(item.substr(0, eq));
      if (!kind) {
        error = "'" + std::string(item) + "' is not a watch: use all, pid=PID, exe=PATH or dir=DIR";
        return std::nullopt;
      }
      std::string why;
      watch = MakeFileWatch(*kind, item.substr(eq + 1), why);
      if (!watch) {
        error = std::string(item) + ": " + why;
        return std::nullopt;
      }
    }
    AddFileWatch(watches, std::move(*watch));
  }
  return watches;
}

void AddFileWatch(std::vector<FileWatch>& watches, FileWatch watch) {
  const bool have_all = !watches.empty() && watches.front().kind == FileWatch::Kind::kAll;
  if (have_all || std::find(watches.begin(), watches.end(), watch) != watches.end()) return;
  if (watch.kind == FileWatch::Kind::kAll) watches.clear();
  watches.push_back(std::move(watch));
}

std::string FileWatchesToString(const std::vector<FileWatch>& watches) {
  std::string out;
  for (const FileWatch& w : watches) out += (out.empty() ? "" : " ") + w.ToString();
  return out;
}

}  // namespace procaudit::netlink
