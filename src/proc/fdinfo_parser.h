// Parser for /proc/<pid>/fdinfo/<fd>. Pure function over text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace procaudit {

struct FdInfoFields {
  std::optional<int64_t> pos;
  std::optional<uint64_t> flags;  // printed in octal by the kernel
  std::optional<int64_t> mnt_id;
  std::optional<uint64_t> ino;  // kernels >= 5.14
};

FdInfoFields ParseFdInfo(std::string_view text);

}  // namespace procaudit
