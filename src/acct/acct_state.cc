#include "acct/acct_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/unique_fd.h"

namespace procaudit::acct {
namespace {

constexpr std::string_view kPrefix = "acct.";
constexpr std::string_view kSuffix = ".state";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string SerializeAcctState(const AcctState& state) {
  std::ostringstream out;
  out << "pid=" << state.pid << '\n' << "start_time=" << state.start_time << '\n';
  out << "file=" << state.file << '\n';
  if (state.dev && state.ino) out << "dev=" << *state.dev << '\n' << "ino=" << *state.ino << '\n';
  return out.str();
}

std::optional<AcctState> ParseAcctState(std::string_view text) {
  AcctState s;
  bool have_pid = false, have_start = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    auto u64 = [&](std::optional<uint64_t>& out) {
      uint64_t v = 0;
      if (!ParseNumber(value, v)) return false;
      out = v;
      return true;
    };
    bool ok = true;
    if (key == "pid")
      ok = have_pid = ParseNumber(value, s.pid) && s.pid > 0;
    else if (key == "start_time")
      ok = have_start = ParseNumber(value, s.start_time);
    else if (key == "file")
      s.file = std::string(value);
    else if (key == "dev")
      ok = u64(s.dev);
    else if (key == "ino")
      ok = u64(s.ino);
    // Unknown keys are tolerated: a newer procaudit may have written more.
    if (!ok) return std::nullopt;
  }
  // A file path is what the clean-up deletes: only an absolute one is taken.
  if (!have_pid || !have_start || !s.file.starts_with('/')) return std::nullopt;
  if (s.dev.has_value() != s.ino.has_value()) return std::nullopt;
  return s;
}

std::string AcctStateDir::PathOf(int32_t pid) const {
  return dir_ + "/" + std::string(kPrefix) + std::to_string(pid) + std::string(kSuffix);
}

void AcctStateDir::Write(const AcctState& state) const {
  if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error("creating " + dir_ + ": " + std::strerror(errno));
  }
  const std::string path = PathOf(state.pid);
  const std::string tmp = path + ".tmp";
  const std::string text = SerializeAcctState(state);
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid() ||
        write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        fsync(fd.get()) != 0) {
      const int err = errno;
      unlink(tmp.c_str());
      throw std::runtime_error("writing " + tmp + ": " + std::strerror(err));
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("writing " + path + ": " + std::strerror(err));
  }
}

void AcctStateDir::Remove(int32_t pid) const { unlink(PathOf(pid).c_str()); }

std::vector<AcctState> AcctStateDir::ReadAll() const {
  std::vector<AcctState> out;
  DIR* d = opendir(dir_.c_str());
  if (!d) return out;
  while (const dirent* e = readdir(d)) {
    const std::string_view name(e->d_name);
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
    std::ifstream in(dir_ + "/" + std::string(name));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto state = ParseAcctState(text)) out.push_back(std::move(*state));
  }
  closedir(d);
  return out;
}

}  // namespace procaudit::acct
