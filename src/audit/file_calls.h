// The file syscalls file_events knows, and where each keeps its arguments: which one is a
// directory descriptor, the open flags, the mode, the new owner. Static data, so the builder
// and the resolver never switch on syscall names.
#pragma once

#include <cstdint>
#include <string_view>

#include "audit/file_event.h"

namespace procaudit::audit {

struct FileCall {
  // How the call's names map to file_events' path and target.
  enum class Shape : uint8_t {
    kOne,      // one name: path
    kTwo,      // rename, link: the old name first, then the new one
    kSymlink,  // symlink: the link's text (not a path), then the new link
    kFd,       // no name: a descriptor (ftruncate, fchmod, fchown)
  };
  static constexpr int8_t kNone = -1;
  static constexpr int8_t kFromOpenat2Record = -2;  // flags and mode: the OPENAT2 record
  static constexpr int8_t kCreatFlags = -3;          // creat: O_CREAT|O_WRONLY|O_TRUNC

  const char* name;  // libaudit's name for the syscall
  FileOperation operation;  // refined for opens (flags) and unlinkat (AT_REMOVEDIR)
  Shape shape;
  int8_t dirfd = kNone;      // argument index of the first name's directory descriptor
  int8_t dirfd2 = kNone;     // of the second name (renameat, linkat: new; symlinkat: the link)
  int8_t flags = kNone;      // argument index of the open flags
  int8_t mode = kNone;       // of the mode
  int8_t owner = kNone;      // of the new uid (the gid is the next one)
  int8_t fd = kNone;         // of the descriptor (Shape::kFd)
  int8_t at_flags = kNone;   // of unlinkat's flags (AT_REMOVEDIR)
};

// The file call of syscall nr on arch elf (an AUDIT_ARCH value), or null when file_events does
// not cover it. Any thread.
const FileCall* ClassifyFileCall(uint32_t elf, int64_t nr);

// The file call named name (libaudit's name: "openat"), or null. The durable store keeps calls
// by name (store/file_event_codec.h). Any thread.
const FileCall* FindFileCall(std::string_view name);

// The value of argument i (0..3) of a SYSCALL record; 0 for other indexes.
uint64_t SyscallArg(const SyscallRecord& rec, int i);

// Whether a directory-descriptor argument is AT_FDCWD (-100): only its low 32 bits count, the
// kernel takes an int.
inline bool IsAtFdCwd(uint64_t arg) { return static_cast<uint32_t>(arg) == 0xffffff9cU; }

}  // namespace procaudit::audit
