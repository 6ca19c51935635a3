// process_events' rows, and the ring that holds them (row_ring.h has the ring's rules).
#pragma once

#include <atomic>
#include <cstdint>

#include "audit/row_ring.h"
#include "audit/syscall_event.h"

namespace procaudit::audit {

// An int32_t the writer may store after readers can see it: every access is a relaxed atomic
// (std::atomic_ref), copies included, so copying a published row is race-free too.
class LateInt32 {
 public:
  LateInt32() = default;
  LateInt32(const LateInt32& other) : value_(other.load()) {}
  LateInt32& operator=(const LateInt32& other) {
    store(other.load());
    return *this;
  }
  int32_t load() const { return std::atomic_ref<int32_t>(value_).load(std::memory_order_relaxed); }
  void store(int32_t v) { std::atomic_ref<int32_t>(value_).store(v, std::memory_order_relaxed); }

 private:
  alignas(std::atomic_ref<int32_t>::required_alignment) mutable int32_t value_ = 0;
};

// One process_events row. Strings are pool ids (kNull when unknown); 168 bytes a row.
struct ProcessEventRow {
  enum Flag : uint16_t {
    kSuccess = 1 << 0,
    kHasExitCode = 1 << 1,
    kHasMode = 1 << 2,
    kHasOwner = 1 << 3,
    kHasArgc = 1 << 4,
    kHasParent = 1 << 5,
    kHasResult = 1 << 6,  // success and status: not on exit/exit_group, which never return
    kHasSignal = 1 << 7,  // anom_abend: the signal that killed the process
  };
  int64_t eid = 0;
  int64_t time_ms = 0;
  int64_t time_index_ms = 0;  // set by the ring: its time index (row_ring.h)
  int64_t status = 0;
  uint32_t serial = 0;
  int32_t pid = 0;
  int32_t parent = 0;
  int32_t ppid = 0;
  // The pid inside the process's own pid namespace; 0 when unknown or the same as pid
  // (namespace pids start at 1). The one field that may change after the row is published.
  LateInt32 ns_pid;
  int32_t exit_code = 0;
  int32_t signal = 0;
  int32_t argc = 0;
  uint32_t mode = 0, owner_uid = 0, owner_gid = 0;
  Credentials cred;
  uint32_t ses = 0;
  ProcessSyscall syscall = ProcessSyscall::kExecve;
  uint16_t flags = 0;
  StrId arch = 0, path = 0, cwd = 0, cmdline = 0, argv_json = 0, parent_path = 0,
        parent_cmdline = 0, tty = 0, comm = 0, key = 0, cgroup = 0, container_id = 0;

  bool Has(Flag f) const { return flags & f; }
};

using EventRing = RowRing<ProcessEventRow>;

}  // namespace procaudit::audit
