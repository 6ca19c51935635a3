#include "netlink/capture_state.h"

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

namespace procaudit::netlink {
namespace {

constexpr std::string_view kPrefix = "live.";
constexpr std::string_view kSuffix = ".state";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

void PutSetting(std::ostringstream& out, const char* name, const std::optional<ChangedSetting>& s) {
  if (s) out << name << "_before=" << s->before << '\n' << name << "_set=" << s->set << '\n';
}

}  // namespace

std::string SerializeState(const CaptureState& state) {
  std::ostringstream out;
  out << "pid=" << state.pid << '\n'
      << "start_time=" << state.start_time << '\n'
      << "mode=" << state.mode << '\n'
      << "took_pid=" << (state.took_pid ? 1 : 0) << '\n';
  PutSetting(out, "enabled", state.enabled);
  PutSetting(out, "backlog_limit", state.backlog_limit);
  PutSetting(out, "backlog_wait_time", state.backlog_wait_time);
  for (const std::string& w : state.watches) out << "watch=" << w << '\n';
  return out.str();
}

std::optional<CaptureState> ParseState(std::string_view text) {
  CaptureState s;
  struct Partial {
    std::optional<uint32_t> before, set;
  } enabled, limit, wait;
  bool have_pid = false, have_start = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    auto u32 = [&](std::optional<uint32_t>& out) {
      uint32_t v = 0;
      if (!ParseNumber(value, v)) return false;
      out = v;
      return true;
    };
    bool ok = true;
    if (key == "pid") ok = have_pid = ParseNumber(value, s.pid) && s.pid > 0;
    else if (key == "start_time") ok = have_start = ParseNumber(value, s.start_time);
    else if (key == "mode") s.mode = std::string(value);
    else if (key == "took_pid") s.took_pid = value == "1";
    else if (key == "enabled_before") ok = u32(enabled.before);
    else if (key == "enabled_set") ok = u32(enabled.set);
    else if (key == "backlog_limit_before") ok = u32(limit.before);
    else if (key == "backlog_limit_set") ok = u32(limit.set);
    else if (key == "backlog_wait_time_before") ok = u32(wait.before);
    else if (key == "backlog_wait_time_set") ok = u32(wait.set);
    else if (key == "watch") s.watches.emplace_back(value);
    // Unknown keys are tolerated: a newer procaudit may have written more.
    if (!ok) return std::nullopt;
  }
  if (!have_pid || !have_start) return std::nullopt;
  auto finish = [](const Partial& p, std::optional<ChangedSetting>& out) {
    if (p.before.has_value() != p.set.has_value()) return false;
    if (p.before) out = ChangedSetting{*p.before, *p.set};
    return true;
  };
  if (!finish(enabled, s.enabled) || !finish(limit, s.backlog_limit) ||
      !finish(wait, s.backlog_wait_time)) {
    return std::nullopt;
  }
  return s;
}

uint64_t ProcessStartTime(int32_t pid, const std::string& proc_root) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields 3 (state), 20 (num_threads) and 22, counted after the command name, which may itself
  // hold spaces and parentheses.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  bool exited = false;
  for (int i = 3; i <= 22 && (fields >> field); ++i) {
    if (i == 3) exited = field == "Z" || field == "X";
    // A zombie has exited; only its parent's wait is missing (or a non-reaping pid 1's). Unless
    // threads it left behind still run: then the process is alive.
    if (i == 20 && exited && field == "1") return 0;
    if (i == 22) {
      uint64_t start = 0;
      return ParseNumber(std::string_view(field), start) ? start : 0;
    }
  }
  return 0;
}

std::string ProcessComm(uint32_t pid, const std::string& proc_root) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

bool StateOwnerAlive(const CaptureState& state, const std::string& proc_root) {
  const uint64_t start = ProcessStartTime(state.pid, proc_root);
  return start != 0 && start == state.start_time;
}

std::string StateDir::PathOf(int32_t pid) const {
  return dir_ + "/" + std::string(kPrefix) + std::to_string(pid) + std::string(kSuffix);
}

void StateDir::Write(const CaptureState& state) const {
  WriteStateFile(dir_, PathOf(state.pid), SerializeState(state));
}

void StateDir::Remove(int32_t pid) const { unlink(PathOf(pid).c_str()); }

std::vector<StateDir::Entry> StateDir::ReadAll() const {
  std::vector<Entry> out;
  for (StateFile& f : ReadStateFiles(dir_, kPrefix, kSuffix)) {
    if (auto state = ParseState(f.text)) out.push_back(Entry{std::move(f.path), *state});
  }
  return out;
}

}  // namespace procaudit::netlink
