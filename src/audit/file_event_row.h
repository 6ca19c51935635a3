// file_events' rows, and the ring that holds them (row_ring.h has the ring's rules).
#pragma once

#include <cstdint>

#include "audit/file_event.h"
#include "audit/row_ring.h"

namespace procaudit::audit {

// One file_events row. Strings are pool ids (kNull when unknown); about 150 bytes a row.
struct FileEventRow {
  enum Flag : uint16_t {
    kSuccess = 1 << 0,
    kHasInode = 1 << 1,
    kHasFileMode = 1 << 2,
    kHasOwner = 1 << 3,
    kHasMode = 1 << 4,
    kHasFlags = 1 << 5,
    kHasFd = 1 << 6,
    kHasNewUid = 1 << 7,
    kHasNewGid = 1 << 8,
  };
  int64_t eid = 0;
  int64_t time_ms = 0;
  int64_t time_index_ms = 0;  // set by the ring: its time index (row_ring.h)
  int64_t status = 0;  // the syscall's return value
  uint64_t inode = 0;
  const FileCall* call = nullptr;  // static data (file_calls.h): the syscall's name
  uint32_t serial = 0;
  int32_t pid = 0;
  int32_t ppid = 0;
  int32_t fd = 0;
  uint32_t open_flags = 0, mode = 0, file_mode = 0, owner_uid = 0, owner_gid = 0, new_uid = 0,
           new_gid = 0;
  Credentials cred;
  uint32_t ses = 0;
  FileOperation operation = FileOperation::kOpenRead;
  uint16_t flags = 0;
  StrId arch = 0, path = 0, target = 0, name = 0, cwd = 0, dev = 0, tty = 0, comm = 0, exe = 0,
        key = 0;

  bool Has(Flag f) const { return flags & f; }
};

using FileRing = RowRing<FileEventRow>;

}  // namespace procaudit::audit
