#include "proc/pid_files.h"

#include "proc/text_fields.h"

namespace procaudit {

std::vector<std::string> SplitCmdline(std::string_view text) {
  std::vector<std::string> argv;
  if (text.empty()) return argv;  // kernel threads and zombies
  // The area ends with one NUL; a rewritten one may not.
  if (text.back() == '\0') text.remove_suffix(1);
  while (true) {
    const size_t nul = text.find('\0');
    argv.emplace_back(text.substr(0, nul));
    if (nul == std::string_view::npos) break;
    text.remove_prefix(nul + 1);
  }
  return argv;
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) out += ' ';
    out += argv[i];
  }
  return out;
}

std::optional<SyscallState> ParseSyscallFile(std::string_view text) {
  FieldCursor fields(text);
  const std::string_view first = fields.Next();
  if (first == "running") return SyscallState{SyscallState::kRunning, -1};
  int64_t nr = 0;
  if (!ParseInt(first, nr)) return std::nullopt;
  if (nr < 0) return SyscallState{SyscallState::kNotInSyscall, -1};
  return SyscallState{SyscallState::kInSyscall, nr};
}

IoFields ParseIo(std::string_view text) {
  IoFields io;
  for (std::string_view line : Lines(text)) {
    int64_t v = 0;
    if (line.starts_with("read_bytes:") && ParseInt(Trim(line.substr(11)), v)) {
      io.read_bytes = v;
    } else if (line.starts_with("write_bytes:") && ParseInt(Trim(line.substr(12)), v)) {
      io.write_bytes = v;
    }
  }
  return io;
}

}  // namespace procaudit
