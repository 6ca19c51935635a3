// One file syscall event, decoded from its records: the SYSCALL record's fields, the CWD, the
// PATH items and openat2's OPENAT2 record. Plain values; the event builder makes these from text
// and the file tracker turns them into file_events rows (resolving names to absolute paths).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/syscall_event.h"

namespace procaudit::audit {

// What a file syscall did, whatever the syscall (the file_events operation column).
enum class FileOperation : uint8_t {
  kOpenRead,
  kOpenWrite,
  kCreate,
  kTruncate,
  kRename,
  kUnlink,
  kLink,
  kSymlink,
  kMkdir,
  kRmdir,
  kChmod,
  kChown,
};
const char* FileOperationName(FileOperation op);

struct FileCall;  // file_calls.h: how one syscall's arguments and PATH items are laid out

// One PATH record. The kernel logs one per name the syscall looked up: the object itself
// (NORMAL, CREATE, DELETE; UNKNOWN when the lookup failed or, for symlink, the link's text)
// and the directories a name was created or removed in (PARENT).
struct PathItem {
  enum class Type : uint8_t { kNormal, kParent, kCreate, kDelete, kUnknown };
  int32_t index = 0;
  Type type = Type::kUnknown;
  std::optional<std::string> name;  // decoded; nullopt for name=(null)
  std::optional<uint64_t> inode;
  std::optional<std::string> dev;  // "fe:00", as logged
  std::optional<uint32_t> mode, ouid, ogid;
};

struct FileEvent : SyscallRecord {
  const FileCall* call = nullptr;   // never null in a built event
  std::optional<std::string> cwd;   // the CWD record
  std::vector<PathItem> items;      // by index, 0..items-1
  // openat2 passes its flags in a struct; the kernel logs them in an OPENAT2 record.
  std::optional<uint64_t> openat2_flags, openat2_mode;
};

}  // namespace procaudit::audit
