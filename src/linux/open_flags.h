// Decoding of open(2) flags as the kernel reports them (fdinfo "flags:", audit a1/a2).
#pragma once

#include <cstdint>
#include <string>

namespace procaudit {

// "O_WRONLY|O_APPEND|O_CLOEXEC". The access mode always comes first; bits with no
// name are appended as one octal number so nothing is silently dropped.
std::string DecodeOpenFlags(uint64_t flags);

}  // namespace procaudit
