#include "store/event_codec.h"

#include <array>
#include <string_view>

#include "store/codec_columns.h"

namespace procaudit::store {
namespace {

using audit::ProcessEventRow;
using audit::ProcessSyscall;
using audit::StrId;

// The stored columns, in table order. eid is the rowid (INTEGER PRIMARY KEY).
enum Col {
  kEid, kTimeMs, kSerial, kSyscall, kArch, kPid, kPpid, kParent, kNsPid, kPath, kMode, kCmdline,
  kArgv, kArgc, kCwd, kAuid, kUid, kEuid, kGid, kEgid, kSuid, kSgid, kFsuid, kFsgid, kOwnerUid,
  kOwnerGid, kParentPath, kParentCmdline, kSuccess, kStatus, kExitCode, kSignal, kTty,
  kSession, kComm, kKey, kCgroup, kContainerId, kColumns
};

constexpr std::array<codec::Column, kColumns> kStored = {{
    {"eid", "INTEGER PRIMARY KEY"}, {"time_ms", "INTEGER NOT NULL"}, {"serial", "INTEGER"},
    {"syscall", "TEXT NOT NULL"}, {"arch", "TEXT"}, {"pid", "INTEGER NOT NULL"},
    {"ppid", "INTEGER"}, {"parent", "INTEGER"}, {"ns_pid", "INTEGER"}, {"path", "TEXT"},
    {"mode", "TEXT"}, {"cmdline", "TEXT"}, {"argv", "TEXT"}, {"argc", "INTEGER"},
    {"cwd", "TEXT"}, {"auid", "INTEGER"}, {"uid", "INTEGER"}, {"euid", "INTEGER"},
    {"gid", "INTEGER"}, {"egid", "INTEGER"}, {"suid", "INTEGER"}, {"sgid", "INTEGER"},
    {"fsuid", "INTEGER"}, {"fsgid", "INTEGER"}, {"owner_uid", "INTEGER"},
    {"owner_gid", "INTEGER"}, {"parent_path", "TEXT"}, {"parent_cmdline", "TEXT"},
    {"success", "INTEGER"}, {"status", "INTEGER"}, {"exit_code", "INTEGER"},
    {"signal", "INTEGER"}, {"tty", "TEXT"}, {"session", "INTEGER"}, {"comm", "TEXT"},
    {"key", "TEXT"}, {"cgroup", "TEXT"}, {"container_id", "TEXT"},
}};

constexpr std::array<ProcessSyscall, 9> kSyscalls = {
    ProcessSyscall::kExecve, ProcessSyscall::kExecveat, ProcessSyscall::kFork,
    ProcessSyscall::kVfork,  ProcessSyscall::kClone,    ProcessSyscall::kClone3,
    ProcessSyscall::kExit,   ProcessSyscall::kExitGroup, ProcessSyscall::kAnomAbend,
};

// Parameter numbers are 1-based.
int Param(Col c) { return static_cast<int>(c) + 1; }

bool IsNull(sqlite3_stmt* s, Col c) { return codec::IsNull(s, c); }
int64_t Int(sqlite3_stmt* s, Col c) { return sqlite3_column_int64(s, c); }
uint32_t U32(sqlite3_stmt* s, Col c) { return static_cast<uint32_t>(sqlite3_column_int64(s, c)); }
int32_t I32(sqlite3_stmt* s, Col c) { return static_cast<int32_t>(sqlite3_column_int64(s, c)); }

StrId InternText(sqlite3_stmt* s, Col c, audit::EventRing::Writer& w) {
  return codec::InternText(s, c, w);
}

constexpr const char* kTable = "process_events";

}  // namespace

std::string ProcessEventsTableSql() {
  // As the table shows them: derived, so not stored twice.
  return codec::CreateTableSql(
      kTable, kStored,
      "\"time\" INTEGER GENERATED ALWAYS AS (time_ms / 1000) VIRTUAL, "
      "\"cmdline_size\" INTEGER GENERATED ALWAYS AS (length(CAST(cmdline AS BLOB))) VIRTUAL");
}

std::string InsertProcessEventSql() { return codec::InsertSql(kTable, kStored); }

std::string SelectProcessEventsSql() { return codec::SelectSql(kTable, kStored); }

void BindProcessEvent(const audit::EventRing::Reader& r, const ProcessEventRow& e,
                      sqlite3_stmt* s) {
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);  // a NULL for every optional value not bound below
  auto integer = [&](Col c, int64_t v) { sqlite3_bind_int64(s, Param(c), v); };
  auto text = [&](Col c, StrId id) { codec::BindText(s, Param(c), r, id); };
  integer(kEid, e.eid);
  integer(kTimeMs, e.time_ms);
  integer(kSerial, e.serial);
  sqlite3_bind_text(s, Param(kSyscall), audit::ProcessSyscallName(e.syscall), -1, SQLITE_STATIC);
  text(kArch, e.arch);
  integer(kPid, e.pid);
  integer(kPpid, e.ppid);
  if (e.Has(ProcessEventRow::kHasParent)) integer(kParent, e.parent);
  if (const int32_t ns_pid = e.ns_pid.load()) integer(kNsPid, ns_pid);
  text(kPath, e.path);
  if (e.Has(ProcessEventRow::kHasMode)) codec::BindOctal(s, Param(kMode), e.mode);
  text(kCmdline, e.cmdline);
  text(kArgv, e.argv_json);
  if (e.Has(ProcessEventRow::kHasArgc)) integer(kArgc, e.argc);
  text(kCwd, e.cwd);
  integer(kAuid, e.cred.auid);
  integer(kUid, e.cred.uid);
  integer(kEuid, e.cred.euid);
  integer(kGid, e.cred.gid);
  integer(kEgid, e.cred.egid);
  integer(kSuid, e.cred.suid);
  integer(kSgid, e.cred.sgid);
  integer(kFsuid, e.cred.fsuid);
  integer(kFsgid, e.cred.fsgid);
  if (e.Has(ProcessEventRow::kHasOwner)) {
    integer(kOwnerUid, e.owner_uid);
    integer(kOwnerGid, e.owner_gid);
  }
  text(kParentPath, e.parent_path);
  text(kParentCmdline, e.parent_cmdline);
  if (e.Has(ProcessEventRow::kHasResult)) {
    integer(kSuccess, e.Has(ProcessEventRow::kSuccess) ? 1 : 0);
    integer(kStatus, e.status);
  }
  if (e.Has(ProcessEventRow::kHasExitCode)) integer(kExitCode, e.exit_code);
  if (e.Has(ProcessEventRow::kHasSignal)) integer(kSignal, e.signal);
  text(kTty, e.tty);
  integer(kSession, e.ses);
  text(kComm, e.comm);
  text(kKey, e.key);
  text(kCgroup, e.cgroup);
  text(kContainerId, e.container_id);
}

bool DecodeProcessEvent(sqlite3_stmt* s, audit::EventRing::Writer& w, ProcessEventRow* out,
                        std::string& error) {
  ProcessEventRow e;
  e.eid = Int(s, kEid);
  const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(s, kSyscall));
  const std::string_view syscall = name ? name : "";
  bool known = false;
  for (ProcessSyscall candidate : kSyscalls) {
    if (syscall == audit::ProcessSyscallName(candidate)) {
      e.syscall = candidate;
      known = true;
    }
  }
  if (!known) {
    error = "eid " + std::to_string(e.eid) + ": unknown syscall '" + std::string(syscall) + "'";
    return false;
  }
  e.time_ms = Int(s, kTimeMs);
  e.serial = U32(s, kSerial);
  e.arch = InternText(s, kArch, w);
  e.pid = I32(s, kPid);
  e.ppid = I32(s, kPpid);
  auto flag = [&](ProcessEventRow::Flag f, bool on) {
    if (on) e.flags |= f;
  };
  flag(ProcessEventRow::kHasParent, !IsNull(s, kParent));
  e.parent = I32(s, kParent);
  e.ns_pid.store(I32(s, kNsPid));
  e.path = InternText(s, kPath, w);
  flag(ProcessEventRow::kHasMode, !IsNull(s, kMode));
  e.mode = codec::ColumnOctal(s, kMode);
  e.cmdline = InternText(s, kCmdline, w);
  e.argv_json = InternText(s, kArgv, w);
  flag(ProcessEventRow::kHasArgc, !IsNull(s, kArgc));
  e.argc = I32(s, kArgc);
  e.cwd = InternText(s, kCwd, w);
  e.cred = {.auid = U32(s, kAuid), .uid = U32(s, kUid), .gid = U32(s, kGid),
            .euid = U32(s, kEuid), .suid = U32(s, kSuid), .fsuid = U32(s, kFsuid),
            .egid = U32(s, kEgid), .sgid = U32(s, kSgid), .fsgid = U32(s, kFsgid)};
  flag(ProcessEventRow::kHasOwner, !IsNull(s, kOwnerUid));
  e.owner_uid = U32(s, kOwnerUid);
  e.owner_gid = U32(s, kOwnerGid);
  e.parent_path = InternText(s, kParentPath, w);
  e.parent_cmdline = InternText(s, kParentCmdline, w);
  flag(ProcessEventRow::kHasResult, !IsNull(s, kSuccess));
  flag(ProcessEventRow::kSuccess, Int(s, kSuccess) != 0);
  e.status = Int(s, kStatus);
  flag(ProcessEventRow::kHasExitCode, !IsNull(s, kExitCode));
  e.exit_code = I32(s, kExitCode);
  flag(ProcessEventRow::kHasSignal, !IsNull(s, kSignal));
  e.signal = I32(s, kSignal);
  e.tty = InternText(s, kTty, w);
  e.ses = U32(s, kSession);
  e.comm = InternText(s, kComm, w);
  e.key = InternText(s, kKey, w);
  e.cgroup = InternText(s, kCgroup, w);
  e.container_id = InternText(s, kContainerId, w);
  *out = e;
  return true;
}

}  // namespace procaudit::store
