#include "linux/errno_name.h"

#include <string.h>

namespace procaudit {

std::optional<std::string> SyscallErrorName(int64_t status) {
  if (status >= 0 || status <= -4096) return std::nullopt;
  const char* name = strerrorname_np(static_cast<int>(-status));
  return name ? std::string(name) : "errno " + std::to_string(-status);
}

}  // namespace procaudit
