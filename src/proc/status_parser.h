// Parser for /proc/<pid>/status. Pure function over text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace procaudit {

struct StatusFields {
  // Tgid: the process a thread belongs to. /proc/<tid> opens for any thread, so a
  // lookup by pid must check Tgid == pid before calling it a process.
  std::optional<int64_t> tgid;
  // Uid:/Gid: lines: real, effective, saved, filesystem.
  std::optional<int64_t> uid, euid, suid, fsuid;
  std::optional<int64_t> gid, egid, sgid, fsgid;
  // NSpid: the pid in each nested pid namespace, outermost (host) first.
  std::vector<int64_t> ns_pids;
  std::optional<int64_t> vm_size_bytes, vm_rss_bytes, vm_lck_bytes;
};

// Lines it does not know are ignored, so newer kernels' additions are harmless.
StatusFields ParseStatus(std::string_view text);

}  // namespace procaudit
