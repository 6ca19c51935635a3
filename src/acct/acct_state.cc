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

#include "util/state_files.h"
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
  WriteStateFile(dir_, PathOf(state.pid), SerializeAcctState(state));
}

void AcctStateDir::Remove(int32_t pid) const { unlink(PathOf(pid).c_str()); }

std::vector<AcctState> AcctStateDir::ReadAll() const {
  std::vector<AcctState> out;
  for (const StateFile& f : ReadStateFiles(dir_, kPrefix, kSuffix)) {
    if (auto state = ParseAcctState(f.text)) out.push_back(std::move(*state));
  }
  return out;
}

}  // namespace procaudit::acct
