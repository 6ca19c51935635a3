// One BSD process accounting record, version 3 (struct acct_v3 in <linux/acct.h>): what the
// kernel writes when a process (a whole thread group) exits, signal deaths included.
//
// Pure functions over the record's 64 bytes; no file, no kernel. Times the kernel keeps in
// AHZ ticks (1/100 s) are decoded to seconds; comp_t (3-bit base-8 exponent, 13-bit mantissa)
// to integers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace procaudit::acct {

inline constexpr size_t kRecordSize = 64;
inline constexpr uint8_t kVersion3 = 3;

// ac_flag bits.
enum AcctFlag : uint8_t {
  kAfork = 0x01,  // forked but did not exec
  kAsu = 0x02,    // used super-user privileges
  kAcore = 0x08,  // dumped core
  kAxsig = 0x10,  // killed by a signal
};

struct AcctRecord {
  uint8_t flags = 0;
  uint16_t tty = 0;        // old_encode_dev(): major << 8 | minor; 0 for none
  uint32_t exitcode = 0;   // the wait status (as waitpid(2) gives it)
  uint32_t uid = 0, gid = 0;
  uint32_t pid = 0, ppid = 0;  // host pids (the namespace of the accounting file's owner)
  uint32_t btime = 0;          // start, seconds since the epoch (whole seconds)
  double elapsed = 0;          // seconds
  double user_time = 0, system_time = 0;  // seconds of CPU
  uint64_t mem_kb = 0;   // average memory use (virtual size), KiB
  uint64_t io_chars = 0, rw_blocks = 0;  // always 0 on Linux, kept for completeness
  uint64_t minflt = 0, majflt = 0, swaps = 0;
  char comm[16] = {};  // the command name, NUL-padded (not always NUL-terminated)

  std::string_view Comm() const;
  // The decoded wait status: exit code when the process exited, signal when one killed it.
  std::optional<int> ExitCode() const;
  std::optional<int> Signal() const;
  bool CoreDumped() const;
  // The end, seconds since the epoch: btime + elapsed (btime is truncated to the second).
  double EndTime() const { return btime + elapsed; }
};

// comp_t: value = mantissa << (3 * exponent).
uint64_t DecodeCompT(uint16_t c);

// Whether 64 bytes look like a native-endian v3 record: version 3 and no unknown flag bits.
bool IsValidRecord(std::span<const uint8_t, kRecordSize> bytes);

// Decodes a record; nullopt when !IsValidRecord.
std::optional<AcctRecord> DecodeRecord(std::span<const uint8_t, kRecordSize> bytes);

// Fast single-field readers for scans that touch one column (no full decode).
uint32_t RecordPid(std::span<const uint8_t, kRecordSize> bytes);
uint32_t RecordExitcode(std::span<const uint8_t, kRecordSize> bytes);
uint8_t RecordFlags(std::span<const uint8_t, kRecordSize> bytes);

// The signal a wait status names, or nullopt when the process exited normally.
std::optional<int> WaitSignal(uint32_t status);
std::optional<int> WaitExitCode(uint32_t status);

// "SIGKILL" for 9, nullptr for a number that names no signal.
const char* SignalName(int signal);

}  // namespace procaudit::acct
