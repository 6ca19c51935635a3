// System call names, from libaudit's tables (the same names ausearch prints).
#pragma once

#include <cstdint>
#include <string_view>

namespace procaudit {

enum class SyscallArch { kX86_64, kI386 };

// The name of syscall nr, or an empty view when libaudit does not know it.
std::string_view SyscallName(int64_t nr, SyscallArch arch = SyscallArch::kX86_64);

}  // namespace procaudit
