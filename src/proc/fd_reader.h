// Reads the open descriptors of one process: /proc/<pid>/fd and fdinfo.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proc/fdinfo_parser.h"
#include "proc/net_parser.h"
#include "proc/proc_dir.h"

namespace procaudit {

enum class FdType { kFile, kDir, kSocket, kPipe, kAnonInode, kChar, kBlock, kOther, kUnknown };
std::string_view FdTypeName(FdType type);

// Bits of the parts mask: the link target is always read.
enum FdPart : uint32_t {
  kFdPartInfo = 1u << 0,    // fdinfo/<fd>: pos, flags, mnt_id, ino
  kFdPartType = 1u << 1,   // stat of the target, for file/dir/char/block/fifo
  kFdPartInode = 1u << 2,  // an inode number, by the cheapest source available
};

struct FdEntry {
  int64_t fd = 0;
  std::string target;  // the link text; for paths, without " (deleted)"
  bool deleted = false;
  FdType type = FdType::kUnknown;
  std::optional<FdInfoFields> info;
  std::optional<uint64_t> inode;
  // Set by the caller from a SocketIndex (tables/fd_scan.cc), which owns it.
  const SocketEntry* socket = nullptr;
};

// The type as far as the link text alone tells: sockets, pipes, anon inodes and
// namespace links are recognisable; a path needs a stat (kUnknown).
FdType FdTypeFromLink(std::string_view target);
FdType FdTypeFromMode(mode_t mode);

// Appends one FdEntry per open descriptor of the process, ascending by fd.
// Returns false
// if the fd directory cannot be read (exited, or not permitted).
bool ReadFds(const PidDir& dir, uint32_t parts, std::vector<FdEntry>& out);

}  // namespace procaudit
