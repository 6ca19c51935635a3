#include "acct/acct_record.h"

#include <cstring>
#include <string.h>  // sigabbrev_np

#include <array>
#include <string>

namespace procaudit::acct {
namespace {

// Byte offsets of struct acct_v3's fields (<linux/acct.h>); the layout is the ABI.
enum Offset : size_t {
  kFlag = 0,
  kVersionOff = 1,
  kTty = 2,
  kExitcode = 4,
  kUid = 8,
  kGid = 12,
  kPid = 16,
  kPpid = 20,
  kBtime = 24,
  kEtime = 28,  // a float, in AHZ ticks
  kUtime = 32,  // comp_t from here on, 2 bytes each, in AHZ ticks for the times
  kStime = 34,
  kMem = 36,
  kIo = 38,
  kRw = 40,
  kMinflt = 42,
  kMajflt = 44,
  kSwaps = 46,
  kComm = 48,
};
constexpr double kAhz = 100;  // AHZ: the tick of acct's times, on every architecture
constexpr uint8_t kKnownFlags = kAfork | kAsu | 0x04 /* ACOMPAT */ | kAcore | kAxsig;

template <class T>
T Load(std::span<const uint8_t, kRecordSize> b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

}  // namespace

uint64_t DecodeCompT(uint16_t c) {
  const uint64_t mantissa = c & 0x1fff;
  const unsigned exponent = (c >> 13) & 7;
  return mantissa << (3 * exponent);
}

bool IsValidRecord(std::span<const uint8_t, kRecordSize> b) {
  return b[kVersionOff] == kVersion3 && (b[kFlag] & ~kKnownFlags) == 0;
}

uint32_t RecordPid(std::span<const uint8_t, kRecordSize> b) { return Load<uint32_t>(b, kPid); }
uint32_t RecordExitcode(std::span<const uint8_t, kRecordSize> b) {
  return Load<uint32_t>(b, kExitcode);
}
uint8_t RecordFlags(std::span<const uint8_t, kRecordSize> b) { return b[kFlag]; }

std::optional<AcctRecord> DecodeRecord(std::span<const uint8_t, kRecordSize> b) {
  if (!IsValidRecord(b)) return std::nullopt;
  AcctRecord r;
  r.flags = b[kFlag];
  r.tty = Load<uint16_t>(b, kTty);
  r.exitcode = Load<uint32_t>(b, kExitcode);
  r.uid = Load<uint32_t>(b, kUid);
  r.gid = Load<uint32_t>(b, kGid);
  r.pid = Load<uint32_t>(b, kPid);
  r.ppid = Load<uint32_t>(b, kPpid);
  r.btime = Load<uint32_t>(b, kBtime);
  const float etime = Load<float>(b, kEtime);
  // A corrupt float (NaN, negative, infinite) is no elapsed time at all.
  r.elapsed = (etime >= 0 && etime < 1e15f) ? etime / kAhz : 0;
  r.user_time = DecodeCompT(Load<uint16_t>(b, kUtime)) / kAhz;
  r.system_time = DecodeCompT(Load<uint16_t>(b, kStime)) / kAhz;
  r.mem_kb = DecodeCompT(Load<uint16_t>(b, kMem));
  r.io_chars = DecodeCompT(Load<uint16_t>(b, kIo));
  r.rw_blocks = DecodeCompT(Load<uint16_t>(b, kRw));
  r.minflt = DecodeCompT(Load<uint16_t>(b, kMinflt));
  r.majflt = DecodeCompT(Load<uint16_t>(b, kMajflt));
  r.swaps = DecodeCompT(Load<uint16_t>(b, kSwaps));
  std::memcpy(r.comm, b.data() + kComm, sizeof r.comm);
  return r;
}

std::string_view AcctRecord::Comm() const { return {comm, strnlen(comm, sizeof comm)}; }
std::optional<int> AcctRecord::ExitCode() const { return WaitExitCode(exitcode); }
std::optional<int> AcctRecord::Signal() const { return WaitSignal(exitcode); }
bool AcctRecord::CoreDumped() const { return (flags & kAcore) || (exitcode & 0x80); }

// The wait status as <sys/wait.h> lays it out: exited when the low 7 bits are 0 (code in
// bits 8-15); killed when they hold a signal number (0x7f is "stopped", never an exit).
std::optional<int> WaitSignal(uint32_t status) {
  const int low = status & 0x7f;
  if (low == 0 || low == 0x7f) return std::nullopt;
  return low;
}
std::optional<int> WaitExitCode(uint32_t status) {
  if ((status & 0x7f) != 0) return std::nullopt;
  return static_cast<int>((status >> 8) & 0xff);
}

const char* SignalName(int signal) {
  // glibc's abbreviations without "SIG", made into "SIGKILL" once per number.
  static const std::array<std::string, 65> names = [] {
    std::array<std::string, 65> a;
    for (int s = 1; s < 65; ++s) {
      if (const char* abbrev = sigabbrev_np(s)) a[s] = std::string("SIG") + abbrev;
    }
    return a;
  }();
  if (signal < 1 || signal >= 65 || names[signal].empty()) return nullptr;
  return names[signal].c_str();
}

}  // namespace procaudit::acct
