#include "store/file_event_codec.h"

#include <array>
#include <string_view>

#include "audit/file_calls.h"
#include "linux/errno_name.h"
#include "linux/open_flags.h"
#include "store/codec_columns.h"

namespace procaudit::store {
namespace {

using audit::FileEventRow;
using audit::FileOperation;
using audit::StrId;

// The stored columns, in table order. eid is the rowid (INTEGER PRIMARY KEY).
enum Col {
  kEid, kTimeMs, kSerial, kSyscall, kOperation, kArch, kPid, kPpid, kExe, kComm, kPath, kTarget,
  kName, kCwd, kFd, kFlags, kOpenFlags, kMode, kNewUid, kNewGid, kSuccess, kStatus, kError,
  kInode, kDev, kFileMode, kOwnerUid, kOwnerGid, kAuid, kUid, kEuid, kGid, kEgid, kFsuid, kFsgid,
  kSession, kTty, kKey, kColumns
};

constexpr std::array<codec::Column, kColumns> kStored = {{
    {"eid", "INTEGER PRIMARY KEY"}, {"time_ms", "INTEGER NOT NULL"}, {"serial", "INTEGER"},
    {"syscall", "TEXT NOT NULL"}, {"operation", "TEXT NOT NULL"}, {"arch", "TEXT"},
    {"pid", "INTEGER NOT NULL"}, {"ppid", "INTEGER"}, {"exe", "TEXT"}, {"comm", "TEXT"},
    {"path", "TEXT"}, {"target", "TEXT"}, {"name", "TEXT"}, {"cwd", "TEXT"}, {"fd", "INTEGER"},
    {"flags", "TEXT"}, {"open_flags", "INTEGER"}, {"mode", "TEXT"}, {"new_uid", "INTEGER"},
    {"new_gid", "INTEGER"}, {"success", "INTEGER NOT NULL"}, {"status", "INTEGER"},
    {"error", "TEXT"}, {"inode", "INTEGER"}, {"dev", "TEXT"}, {"file_mode", "TEXT"},
    {"owner_uid", "INTEGER"}, {"owner_gid", "INTEGER"}, {"auid", "INTEGER"}, {"uid", "INTEGER"},
    {"euid", "INTEGER"}, {"gid", "INTEGER"}, {"egid", "INTEGER"}, {"fsuid", "INTEGER"},
    {"fsgid", "INTEGER"}, {"session", "INTEGER"}, {"tty", "TEXT"}, {"key", "TEXT"},
}};

constexpr std::array<FileOperation, 12> kOperations = {
    FileOperation::kOpenRead, FileOperation::kOpenWrite, FileOperation::kCreate,
    FileOperation::kTruncate, FileOperation::kRename,    FileOperation::kUnlink,
    FileOperation::kLink,     FileOperation::kSymlink,   FileOperation::kMkdir,
    FileOperation::kRmdir,    FileOperation::kChmod,     FileOperation::kChown,
};

constexpr const char* kTable = "file_events";

// Parameter numbers are 1-based.
int Param(Col c) { return static_cast<int>(c) + 1; }

bool IsNull(sqlite3_stmt* s, Col c) { return codec::IsNull(s, c); }
int64_t Int(sqlite3_stmt* s, Col c) { return sqlite3_column_int64(s, c); }
uint32_t U32(sqlite3_stmt* s, Col c) { return static_cast<uint32_t>(sqlite3_column_int64(s, c)); }
int32_t I32(sqlite3_stmt* s, Col c) { return static_cast<int32_t>(sqlite3_column_int64(s, c)); }

std::string_view Text(sqlite3_stmt* s, Col c) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
  return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(s, c)))
              : std::string_view();
}

}  // namespace

std::string FileEventsTableSql() {
  return codec::CreateTableSql(kTable, kStored,
                               "\"time\" INTEGER GENERATED ALWAYS AS (time_ms / 1000) VIRTUAL");
}

std::string InsertFileEventSql() { return codec::InsertSql(kTable, kStored); }

std::string SelectFileEventsSql() { return codec::SelectSql(kTable, kStored); }

void BindFileEvent(const audit::FileRing::Reader& r, const FileEventRow& e, sqlite3_stmt* s) {
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);  // a NULL for every optional value not bound below
  auto integer = [&](Col c, int64_t v) { sqlite3_bind_int64(s, Param(c), v); };
  auto text = [&](Col c, StrId id) { codec::BindText(s, Param(c), r, id); };
  // Names in static storage are bound in place; values built here are copied.
  auto name = [&](Col c, const char* v) { sqlite3_bind_text(s, Param(c), v, -1, SQLITE_STATIC); };
  auto copied = [&](Col c, const std::string& v) {
    sqlite3_bind_text(s, Param(c), v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  integer(kEid, e.eid);
  integer(kTimeMs, e.time_ms);
  integer(kSerial, e.serial);
  name(kSyscall, e.call->name);  // every row has its call, as the table assumes
  name(kOperation, audit::FileOperationName(e.operation));
  text(kArch, e.arch);
  integer(kPid, e.pid);
  integer(kPpid, e.ppid);
  text(kExe, e.exe);
  text(kComm, e.comm);
  text(kPath, e.path);
  text(kTarget, e.target);
  text(kName, e.name);
  text(kCwd, e.cwd);
  if (e.Has(FileEventRow::kHasFd)) integer(kFd, e.fd);
  if (e.Has(FileEventRow::kHasFlags)) {
    copied(kFlags, DecodeOpenFlags(e.open_flags));
    integer(kOpenFlags, e.open_flags);
  }
  if (e.Has(FileEventRow::kHasMode)) codec::BindOctal(s, Param(kMode), e.mode);
  if (e.Has(FileEventRow::kHasNewUid)) integer(kNewUid, e.new_uid);
  if (e.Has(FileEventRow::kHasNewGid)) integer(kNewGid, e.new_gid);
  const bool success = e.Has(FileEventRow::kSuccess);
  integer(kSuccess, success ? 1 : 0);
  integer(kStatus, e.status);
  if (!success) {
    if (auto error = SyscallErrorName(e.status)) copied(kError, *error);
  }
  if (e.Has(FileEventRow::kHasInode)) integer(kInode, static_cast<int64_t>(e.inode));
  text(kDev, e.dev);
  if (e.Has(FileEventRow::kHasFileMode)) codec::BindOctal(s, Param(kFileMode), e.file_mode);
  if (e.Has(FileEventRow::kHasOwner)) {
    integer(kOwnerUid, e.owner_uid);
    integer(kOwnerGid, e.owner_gid);
  }
  integer(kAuid, e.cred.auid);
  integer(kUid, e.cred.uid);
  integer(kEuid, e.cred.euid);
  integer(kGid, e.cred.gid);
  integer(kEgid, e.cred.egid);
  integer(kFsuid, e.cred.fsuid);
  integer(kFsgid, e.cred.fsgid);
  integer(kSession, e.ses);
  text(kTty, e.tty);
  text(kKey, e.key);
}

bool DecodeFileEvent(sqlite3_stmt* s, audit::FileRing::Writer& w, FileEventRow* out,
                     std::string& error) {
  FileEventRow e;
  e.eid = Int(s, kEid);
  e.call = audit::FindFileCall(Text(s, kSyscall));
  if (!e.call) {
    error = "eid " + std::to_string(e.eid) + ": unknown file syscall '" +
            std::string(Text(s, kSyscall)) + "'";
    return false;
  }
  const std::string_view operation = Text(s, kOperation);
  bool known = false;
  for (FileOperation candidate : kOperations) {
    if (operation == audit::FileOperationName(candidate)) {
      e.operation = candidate;
      known = true;
    }
  }
  if (!known) {
    error = "eid " + std::to_string(e.eid) + ": unknown file operation '" +
            std::string(operation) + "'";
    return false;
  }
  auto flag = [&](FileEventRow::Flag f, bool on) {
    if (on) e.flags |= f;
  };
  e.time_ms = Int(s, kTimeMs);
  e.serial = U32(s, kSerial);
  e.arch = codec::InternText(s, kArch, w);
  e.pid = I32(s, kPid);
  e.ppid = I32(s, kPpid);
  e.exe = codec::InternText(s, kExe, w);
  e.comm = codec::InternText(s, kComm, w);
  e.path = codec::InternText(s, kPath, w);
  e.target = codec::InternText(s, kTarget, w);
  e.name = codec::InternText(s, kName, w);
  e.cwd = codec::InternText(s, kCwd, w);
  flag(FileEventRow::kHasFd, !IsNull(s, kFd));
  e.fd = I32(s, kFd);
  flag(FileEventRow::kHasFlags, !IsNull(s, kOpenFlags));
  e.open_flags = U32(s, kOpenFlags);
  flag(FileEventRow::kHasMode, !IsNull(s, kMode));
  e.mode = codec::ColumnOctal(s, kMode);
  flag(FileEventRow::kHasNewUid, !IsNull(s, kNewUid));
  e.new_uid = U32(s, kNewUid);
  flag(FileEventRow::kHasNewGid, !IsNull(s, kNewGid));
  e.new_gid = U32(s, kNewGid);
  flag(FileEventRow::kSuccess, Int(s, kSuccess) != 0);
  e.status = Int(s, kStatus);
  flag(FileEventRow::kHasInode, !IsNull(s, kInode));
  e.inode = static_cast<uint64_t>(Int(s, kInode));
  e.dev = codec::InternText(s, kDev, w);
  flag(FileEventRow::kHasFileMode, !IsNull(s, kFileMode));
  e.file_mode = codec::ColumnOctal(s, kFileMode);
  flag(FileEventRow::kHasOwner, !IsNull(s, kOwnerUid));
  e.owner_uid = U32(s, kOwnerUid);
  e.owner_gid = U32(s, kOwnerGid);
  e.cred = {.auid = U32(s, kAuid), .uid = U32(s, kUid), .gid = U32(s, kGid),
            .euid = U32(s, kEuid), .fsuid = U32(s, kFsuid), .egid = U32(s, kEgid),
            .fsgid = U32(s, kFsgid)};
  e.ses = U32(s, kSession);
  e.tty = codec::InternText(s, kTty, w);
  e.key = codec::InternText(s, kKey, w);
  *out = e;
  return true;
}

}  // namespace procaudit::store
