// Fuzzes the reassembly of an exec's argv from its EXECVE records (event_builder's argv
// collector: argc, aN="..." or hex, aN_len with aN[i] chunks, over several records), reached
// directly through BuildAuditEvent behind a fixed, valid execve SYSCALL record. The first byte
// picks how the rest is used:
//   - odd: the rest is an argv (NUL-separated). It is logged as the kernel logs it (hex when an
//     argument has a byte outside '!'..'~' or a '"', long arguments in chunks, the fields
//     spread over several records, chunk and record sizes taken from the first byte) and must
//     come back exactly, without an error.
//   - even: each line of the rest is the body of one EXECVE record, anything at all. The event
//     must build, and an argv comes back only without an error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event_builder.h"

using namespace procaudit::audit;

namespace {

constexpr std::string_view kSyscall =
    "type=SYSCALL msg=audit(1700000000.000:7): arch=c000003e syscall=59 success=yes exit=0 "
    "a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
    "sgid=0 fsgid=0 tty=(none) ses=1 comm=\"x\" exe=\"/bin/x\" key=(null)";
constexpr std::string_view kExecveHeader = "type=EXECVE msg=audit(1700000000.000:7): ";

// Mirrors the kernel's audit_string_contains_control(): such an argument is logged as hex.
bool NeedsHex(std::string_view arg) {
  for (char c : arg) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '"' || b < 0x21 || b > 0x7e) return true;
  }
  return false;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// The argv as the kernel would log it: a list of EXECVE record lines.
std::vector<std::string> LogArgv(const std::vector<std::string>& argv, size_t chunk,
                                 size_t record) {
  std::vector<std::string> lines{std::string(kExecveHeader) +
                                 "argc=" + std::to_string(argv.size())};
  auto add = [&](const std::string& field) {
    if (lines.back().size() > record) lines.push_back(std::string(kExecveHeader));
    lines.back() += " " + field;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string n = "a" + std::to_string(i);
    const bool hex = NeedsHex(argv[i]);
    const std::string logged = hex ? Hex(argv[i]) : argv[i];
    if (logged.size() <= chunk) {
      add(n + "=" + (hex ? logged : "\"" + logged + "\""));
      continue;
    }
    // Chunks of hex split whole bytes; aN_len counts the characters logged, quotes aside.
    const size_t step = hex ? (chunk + 1) / 2 * 2 : chunk;
    add(n + "_len=" + std::to_string(logged.size()));
    for (size_t off = 0, k = 0; off < logged.size(); off += step, ++k) {
      const std::string part = logged.substr(off, step);
      add(n + "[" + std::to_string(k) + "]=" + (hex ? part : "\"" + part + "\""));
    }
  }
  return lines;
}

BuildResult Build(const std::vector<std::string>& execve_lines, SyscallEvent& ev,
                  std::string& error) {
  std::vector<std::string_view> records{kSyscall};
  for (const std::string& line : execve_lines) records.push_back(line);
  FileEvent file;
  return BuildAuditEvent(records, &ev, &file, &error);
}

void RoundTrip(uint8_t sizes, std::string_view rest) {
  std::vector<std::string> argv;
  if (!rest.empty()) {
    while (true) {
      const size_t nul = rest.find('\0');
      argv.emplace_back(rest.substr(0, nul));
      if (nul == std::string_view::npos) break;
      rest.remove_prefix(nul + 1);
    }
  }
  const size_t chunk = 1 + (sizes >> 1) % 32;     // 1..32 characters a chunk
  const size_t record = 40 + (sizes >> 6) * 100;  // a new record after 40..340 characters
  SyscallEvent ev;
  std::string error;
  if (Build(LogArgv(argv, chunk, record), ev, error) != BuildResult::kProcessEvent)
    __builtin_trap();
  if (!error.empty() || !ev.argv || *ev.argv != argv) __builtin_trap();
}

void RawRecords(std::string_view rest) {
  std::vector<std::string> lines;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    lines.push_back(std::string(kExecveHeader) + std::string(rest.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  SyscallEvent ev;
  std::string error;
  if (Build(lines, ev, error) != BuildResult::kProcessEvent) __builtin_trap();
  if (ev.argv && !error.empty()) __builtin_trap();
  if (!error.empty() && !error.starts_with("EXECVE: ")) __builtin_trap();
  if (ev.argv) (void)JoinCmdline(*ev.argv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    RoundTrip(data[0], rest);
  } else {
    RawRecords(rest);
  }
  return 0;
}
