// The errno name of a failed system call, as file_events shows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace procaudit {

// glibc's name for the error a syscall returned ("ENOENT" for -2); "errno N" for one glibc does
// not know; nullopt when status is not an error (0 or more, or below -4095: a pointer).
std::optional<std::string> SyscallErrorName(int64_t status);

}  // namespace procaudit
