#include "audit/file_calls.h"

#include <libaudit.h>

#include <array>
#include <string_view>
#include <vector>

#include "audit/syscall_record.h"

namespace procaudit::audit {
namespace {

using Op = FileOperation;
using S = FileCall::Shape;
constexpr int8_t N = FileCall::kNone;

// name, operation, shape, dirfd, dirfd2, flags, mode, owner, fd, at_flags
constexpr FileCall kCalls[] = {
    {"open", Op::kOpenRead, S::kOne, N, N, 1, 2, N, N, N},
    {"openat", Op::kOpenRead, S::kOne, 0, N, 2, 3, N, N, N},
    {"openat2", Op::kOpenRead, S::kOne, 0, N, FileCall::kFromOpenat2Record,
     FileCall::kFromOpenat2Record, N, N, N},
    {"creat", Op::kCreate, S::kOne, N, N, FileCall::kCreatFlags, 1, N, N, N},
    {"truncate", Op::kTruncate, S::kOne},
    {"truncate64", Op::kTruncate, S::kOne},
    {"ftruncate", Op::kTruncate, S::kFd, N, N, N, N, N, 0, N},
    {"ftruncate64", Op::kTruncate, S::kFd, N, N, N, N, N, 0, N},
    {"rename", Op::kRename, S::kTwo},
    {"renameat", Op::kRename, S::kTwo, 0, 2},
    {"renameat2", Op::kRename, S::kTwo, 0, 2},
    {"unlink", Op::kUnlink, S::kOne},
    {"unlinkat", Op::kUnlink, S::kOne, 0, N, N, N, N, N, 2},
    {"link", Op::kLink, S::kTwo},
    {"linkat", Op::kLink, S::kTwo, 0, 2},
    {"symlink", Op::kSymlink, S::kSymlink},
    {"symlinkat", Op::kSymlink, S::kSymlink, N, 1},
    {"mkdir", Op::kMkdir, S::kOne, N, N, N, 1},
    {"mkdirat", Op::kMkdir, S::kOne, 0, N, N, 2},
    {"rmdir", Op::kRmdir, S::kOne},
    {"mknod", Op::kCreate, S::kOne, N, N, N, 1},
    {"mknodat", Op::kCreate, S::kOne, 0, N, N, 2},
    {"chmod", Op::kChmod, S::kOne, N, N, N, 1},
    {"fchmod", Op::kChmod, S::kFd, N, N, N, 1, N, 0, N},
    {"fchmodat", Op::kChmod, S::kOne, 0, N, N, 2},
    {"fchmodat2", Op::kChmod, S::kOne, 0, N, N, 2},
    {"chown", Op::kChown, S::kOne, N, N, N, N, 1},
    {"chown32", Op::kChown, S::kOne, N, N, N, N, 1},
    {"lchown", Op::kChown, S::kOne, N, N, N, N, 1},
    {"lchown32", Op::kChown, S::kOne, N, N, N, N, 1},
    {"fchown", Op::kChown, S::kFd, N, N, N, N, 1, 0, N},
    {"fchown32", Op::kChown, S::kFd, N, N, N, N, 1, 0, N},
    {"fchownat", Op::kChown, S::kOne, 0, N, N, N, 2},
};

// Syscall number -> call, for one machine, from libaudit's own tables.
class NumberTable {
 public:
  explicit NumberTable(int machine) {
    for (const FileCall& c : kCalls) {
      const int nr = audit_name_to_syscall(c.name, machine);
      if (nr < 0) continue;  // not on this arch (creat on aarch64, chown32 on x86_64...)
      if (static_cast<size_t>(nr) >= by_nr_.size()) by_nr_.resize(static_cast<size_t>(nr) + 1);
      by_nr_[static_cast<size_t>(nr)] = &c;
    }
  }
  const FileCall* Find(int64_t nr) const {
    return nr >= 0 && static_cast<uint64_t>(nr) < by_nr_.size() ? by_nr_[static_cast<size_t>(nr)]
                                                                : nullptr;
  }

 private:
  std::vector<const FileCall*> by_nr_;
};

}  // namespace

const char* FileOperationName(FileOperation op) {
  switch (op) {
    case FileOperation::kOpenRead: return "open_read";
    case FileOperation::kOpenWrite: return "open_write";
    case FileOperation::kCreate: return "create";
    case FileOperation::kTruncate: return "truncate";
    case FileOperation::kRename: return "rename";
    case FileOperation::kUnlink: return "unlink";
    case FileOperation::kLink: return "link";
    case FileOperation::kSymlink: return "symlink";
    case FileOperation::kMkdir: return "mkdir";
    case FileOperation::kRmdir: return "rmdir";
    case FileOperation::kChmod: return "chmod";
    case FileOperation::kChown: return "chown";
  }
  return "?";
}

const FileCall* ClassifyFileCall(uint32_t elf, int64_t nr) {
  // The two arches almost every log holds get a table each; others look the name up.
  if (elf == kElfX86_64) {
    static const NumberTable x86_64(MACH_86_64);
    return x86_64.Find(nr);
  }
  if (elf == kElfI386) {
    static const NumberTable i386(MACH_X86);
    return i386.Find(nr);
  }
  const int machine = audit_elf_to_machine(elf);
  if (machine < 0 || nr < 0 || nr > INT32_MAX) return nullptr;
  const char* name = audit_syscall_to_name(static_cast<int>(nr), machine);
  return name ? FindFileCall(name) : nullptr;
}

const FileCall* FindFileCall(std::string_view name) {
  for (const FileCall& c : kCalls) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

uint64_t SyscallArg(const SyscallRecord& rec, int i) {
  switch (i) {
    case 0: return rec.a0;
    case 1: return rec.a1;
    case 2: return rec.a2;
    case 3: return rec.a3;
    default: return 0;
  }
}

}  // namespace procaudit::audit
