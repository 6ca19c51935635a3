#include "shell/authorizer.h"

#include <algorithm>
#include <span>
#include <string_view>

namespace procaudit {
namespace {

// Functions that load code or read and write files by name.
constexpr std::string_view kDeniedFunctions[] = {"load_extension", "readfile", "writefile", "edit",
                                                 "fts3_tokenizer"};

// PRAGMAs that only describe the schema or check it, with or without their argument.
constexpr std::string_view kReadingPragmas[] = {
    "collation_list",   "compile_options", "database_list", "foreign_key_check",
    "foreign_key_list", "function_list",   "index_info",    "index_list",
    "index_xinfo",      "integrity_check", "module_list",   "pragma_list",
    "quick_check",      "table_info",      "table_list",    "table_xinfo"};
// PRAGMAs that act when named alone: the others, named without a value, read their setting.
constexpr std::string_view kActingPragmas[] = {"incremental_vacuum", "optimize", "shrink_memory",
                                               "wal_checkpoint"};

bool EqualsIgnoringCase(std::string_view name, std::string_view want) {
  return name.size() == want.size() &&
         std::equal(name.begin(), name.end(), want.begin(),
                    [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b; });
}

bool OneOf(const char* name, std::span<const std::string_view> names) {
  return name != nullptr && std::any_of(names.begin(), names.end(), [&](std::string_view n) {
           return EqualsIgnoringCase(name, n);
         });
}

int DaemonPolicy(int action, const char* arg1, const char* arg2) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    case SQLITE_UPDATE:
      // The first use of an eponymous virtual table (procaudit's tables, json_each, pragma_*)
      // has its sqlite3_declare_vtab authorized as an UPDATE of sqlite_master's columns. A real
      // one is refused by SQLite without PRAGMA writable_schema (denied here), and is not a
      // read-only statement either.
      return arg1 != nullptr && EqualsIgnoringCase(arg1, "sqlite_master") ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_PRAGMA:
      if (OneOf(arg1, kReadingPragmas)) return SQLITE_OK;
      return arg2 == nullptr && !OneOf(arg1, kActingPragmas) ? SQLITE_OK : SQLITE_DENY;
    default:  // writes, schema changes, ATTACH, DETACH, transactions, ANALYZE...
      return SQLITE_DENY;
  }
}

int OnAuthorize(void* policy, int action, const char* arg1, const char* arg2, const char*,
                const char*) {
  return Authorize(*static_cast<const StatementPolicy*>(policy), action, arg1, arg2);
}

}  // namespace

int Authorize(StatementPolicy policy, int action, const char* arg1, const char* arg2) {
  if (action == SQLITE_FUNCTION && OneOf(arg2, kDeniedFunctions)) return SQLITE_DENY;
  if (policy == StatementPolicy::kShell) return SQLITE_OK;
  return DaemonPolicy(action, arg1, arg2);
}

void InstallAuthorizer(sqlite3* db, StatementPolicy policy) {
  static constexpr StatementPolicy kPolicies[] = {StatementPolicy::kShell,
                                                  StatementPolicy::kDaemon};
  const StatementPolicy* p = policy == StatementPolicy::kShell ? &kPolicies[0] : &kPolicies[1];
  sqlite3_enable_load_extension(db, 0);  // the C API and load_extension() both
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_set_authorizer(db, OnAuthorize, const_cast<StatementPolicy*>(p));
}

}  // namespace procaudit
