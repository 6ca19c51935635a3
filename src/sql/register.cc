// procaudit_register(): puts every table on a connection.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acct/live_acct.h"
#include "procaudit.h"
#include "netlink/live_capture.h"
#include "sql/register.h"
#include "sql/sqlite_api.h"
#include "sql/table_context.h"
#include "tables/tables.h"

// The routine table through which all of procaudit calls SQLite (see sqlite_api.h).
SQLITE_EXTENSION_INIT1

namespace {

using RegisterFn = int (*)(sqlite3*, std::shared_ptr<const procaudit::TableContext>);

constexpr RegisterFn kTables[] = {
    procaudit::RegisterProcessTree,        procaudit::RegisterOpenFiles,
    procaudit::RegisterProcesses,          procaudit::RegisterProcessOpenFiles,
    procaudit::RegisterProcessOpenSockets, procaudit::RegisterProcessEvents,
    procaudit::RegisterFileEvents,         procaudit::RegisterAuditStatus,
    procaudit::RegisterAcctExits,          procaudit::RegisterProcessLifecycle,
};

// PROCAUDIT_WATCH's file watches into live, or one line saying why not. The extension has no
// way to add rules beside another audit pid owner (the shell's --audit-rules add), so watches
// need a mode that may own the audit pid.
std::string ConfigureWatches(const char* text, procaudit::netlink::LiveOptions& live) {
  std::string error;
  std::optional<std::vector<procaudit::netlink::FileWatch>> watches =
      procaudit::netlink::ParseFileWatches(text, error);
  if (!watches) return error;
  if (watches->empty()) return "";
  if (live.mode == procaudit::netlink::AuditMode::kOff) {
    return "file watches install kernel rules for the live capture, which the audit mode off "
           "turns off";
  }
  if (live.mode == procaudit::netlink::AuditMode::kMulticast) {
    return "file watches need procaudit's own rules, which the multicast audit mode never adds";
  }
  live.watches = std::move(*watches);
  return "";
}

}  // namespace

namespace procaudit {

int RegisterTables(sqlite3* db, const sqlite3_api_routines* api,
                   std::shared_ptr<const TableContext> context, char** err) {
  SQLITE_EXTENSION_INIT2(api);
  for (RegisterFn fn : kTables) {
    if (const int rc = fn(db, context); rc != SQLITE_OK) {
      if (err) *err = sqlite3_mprintf("procaudit: %s", sqlite3_errmsg(db));
      return rc;
    }
  }
  return SQLITE_OK;
}

}  // namespace procaudit

extern "C" int procaudit_register(sqlite3* db, const sqlite3_api_routines* api,
                                  const procaudit_options* options, char** pzErrMsg) {
  SQLITE_EXTENSION_INIT2(api);  // before the first sqlite3_* call below
  try {
    auto ctx = std::make_shared<procaudit::TableContext>();
    if (options != nullptr && options->proc_root != nullptr) ctx->proc_root = options->proc_root;
    procaudit::netlink::LiveOptions live;
    live.exclude_self = false;  // the host program's own children are the user's to see
    if (options != nullptr && options->audit_mode != nullptr) {
      const auto mode = procaudit::netlink::ParseAuditMode(options->audit_mode);
      if (!mode) {
        if (pzErrMsg) {
          *pzErrMsg = sqlite3_mprintf("procaudit: audit mode '%s' is not auto, unicast, multicast or off",
                                      options->audit_mode);
        }
        return SQLITE_ERROR;
      }
      live.mode = *mode;
    }
    if (const char* watch = std::getenv("PROCAUDIT_WATCH")) {
      std::string error = ConfigureWatches(watch, live);
      if (!error.empty()) {
        if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("procaudit: PROCAUDIT_WATCH: %s", error.c_str());
        return SQLITE_ERROR;
      }
    }
    if (live.mode != procaudit::netlink::AuditMode::kOff) {
      const size_t capacity = ctx->events->capacity;
      ctx->events->live = [live, capacity] { return procaudit::netlink::StartLiveCapture(live, capacity); };
      // Live accounting goes with live capture, unless PROCAUDIT_ACCT=off (see procaudit.h).
      const char* acct = std::getenv("PROCAUDIT_ACCT");
      if (acct == nullptr || std::string_view(acct) != "off") {
        ctx->acct->live = [] {
          std::shared_ptr<const procaudit::acct::LiveAcctInfo> lease = procaudit::acct::StartLiveAcct();
          return procaudit::acct::AcctSources::Live{lease->path, lease};
        };
      }
    }
    return procaudit::RegisterTables(db, api, std::move(ctx), pzErrMsg);
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

extern "C" const char* procaudit_version(void) { return PROCAUDIT_VERSION; }
