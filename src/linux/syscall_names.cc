#include "linux/syscall_names.h"

#include <libaudit.h>

#include <climits>

namespace procaudit {

std::string_view SyscallName(int64_t nr, SyscallArch arch) {
  if (nr < 0 || nr > INT_MAX) return {};
  const int machine = arch == SyscallArch::kI386 ? MACH_X86 : MACH_86_64;
  const char* name = audit_syscall_to_name(static_cast<int>(nr), machine);
  return name ? std::string_view(name) : std::string_view();
}

}  // namespace procaudit
