// The SYSCALL record, which every syscall event (process or file) starts with: parsed once,
// then the event builder decides by the syscall number what kind of event it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/syscall_event.h"

namespace procaudit::audit {

// Fills rec from a SYSCALL record's body, and elf and nr with its arch and syscall fields.
// Returns false when a field every kernel writes (arch, syscall, pid, ppid) is missing.
bool ParseSyscallRecord(std::string_view body, SyscallRecord& rec, uint32_t& elf, int64_t& nr);

// libaudit's machine name of an AUDIT_ARCH value: "x86_64", "i386", ...; "unknown".
std::string ArchName(uint32_t elf);

// Some producers quote fields the kernel leaves bare (success="yes", tty="(none)").
inline std::string_view Bare(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

inline constexpr uint32_t kElfX86_64 = 0xc000003e;
inline constexpr uint32_t kElfI386 = 0x40000003;

}  // namespace procaudit::audit
