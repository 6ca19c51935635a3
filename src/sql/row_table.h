// The shared scaffolding of procaudit's eponymous, read-only virtual tables.
//
// A table module supplies only what differs between tables, in the order SQLite
// calls it:
//
//   struct MyTable {
//     static constexpr const char* kSchema = spec::my_table::kSchema;
//     struct Scan { ... };   // the rows xFilter produced, and the filter arguments
//     // Chooses a plan. Returns SQLITE_OK or SQLITE_CONSTRAINT (the plan cannot
//     // work). *plan_name names the plan in EXPLAIN QUERY PLAN.
//     static int BestIndex(sqlite3_index_info* info, const char** plan_name);
//     // Produces the rows; may throw (reported as the statement's error).
//     static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan);
//     static size_t RowCount(const Scan& scan);
//     static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out);
//   };
//   RegisterTable<MyTable>(db, "my_table", context);
//
// Everything else is here once: the tables are eponymous (no CREATE VIRTUAL TABLE
// needed), SQLITE_VTAB_DIRECTONLY (a view or trigger in an untrusted database file
// cannot make them read host state), and no C++ exception crosses into SQLite.
//
// The columns a statement uses (colUsed) travel from xBestIndex to xFilter in
// idxStr, as "<plan_name> cols=<hex mask>", so Filter can skip work for unused
// columns. Rows are materialized by Filter; xNext walks them.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <span>
#include <string_view>

#include "sql/sqlite_api.h"
#include "sql/table_context.h"
#include "sql/vtab_error.h"

namespace procaudit {

struct FilterArgs {
  int idx_num = 0;
  uint64_t col_used = ~uint64_t{0};
  std::span<sqlite3_value*> argv;

  // Whether the statement reads column c. Bit 63 stands for every column >= 63.
  bool Uses(int c) const { return (col_used >> (c < 63 ? c : 63)) & 1; }
};

template <class Impl>
class RowTable {
 public:
  static const sqlite3_module* Module() { return &kModule; }

 private:
  struct VTab : sqlite3_vtab {
    std::shared_ptr<const TableContext> context;
  };
  struct Cursor : sqlite3_vtab_cursor {
    typename Impl::Scan scan;
    size_t row = 0;
  };

  static int Connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out,
                     char** err) {
    int rc = sqlite3_declare_vtab(db, Impl::kSchema);
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("procaudit: bad generated schema: %s", sqlite3_errmsg(db));
      return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
    auto* vtab = new (std::nothrow) VTab();
    if (vtab == nullptr) return SQLITE_NOMEM;
    vtab->context = *static_cast<std::shared_ptr<const TableContext>*>(aux);
    *out = vtab;
    return SQLITE_OK;
  }

  static int Disconnect(sqlite3_vtab* vtab) {
    delete static_cast<VTab*>(vtab);
    return SQLITE_OK;
  }

  static int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
    const char* plan_name = "scan";
    const int rc = Impl::BestIndex(info, &plan_name);
    if (rc != SQLITE_OK) return rc;
    info->idxStr =
        sqlite3_mprintf("%s cols=%llx", plan_name, static_cast<unsigned long long>(info->colUsed));
    if (info->idxStr == nullptr) return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    return SQLITE_OK;
  }

  static int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    auto* cursor = new (std::nothrow) Cursor();
    if (cursor == nullptr) return SQLITE_NOMEM;
    *out = cursor;
    return SQLITE_OK;
  }

  static int Close(sqlite3_vtab_cursor* cursor) {
    delete static_cast<Cursor*>(cursor);
    return SQLITE_OK;
  }

  static uint64_t ColUsedFromIdxStr(const char* idx_str) {
    const char* cols = idx_str ? std::strstr(idx_str, "cols=") : nullptr;
    return cols ? std::strtoull(cols + 5, nullptr, 16) : ~uint64_t{0};
  }

  static int Filter(sqlite3_vtab_cursor* base, int idx_num, const char* idx_str, int argc,
                    sqlite3_value** argv) {
    auto* cursor = static_cast<Cursor*>(base);
    auto* vtab = static_cast<VTab*>(base->pVtab);
    FilterArgs args{idx_num, ColUsedFromIdxStr(idx_str), {argv, static_cast<size_t>(argc)}};
    try {
      cursor->scan = typename Impl::Scan();
      cursor->row = 0;
      Impl::Filter(*vtab->context, args, cursor->scan);
      return SQLITE_OK;
    } catch (const std::bad_alloc&) {
      return SQLITE_NOMEM;
    } catch (const std::exception& e) {
      SetVtabError(vtab, "%s", e.what());
      return SQLITE_ERROR;
    }
  }

  static int Next(sqlite3_vtab_cursor* base) {
    ++static_cast<Cursor*>(base)->row;
    return SQLITE_OK;
  }

  static int Eof(sqlite3_vtab_cursor* base) {
    auto* cursor = static_cast<Cursor*>(base);
    return cursor->row >= Impl::RowCount(cursor->scan);
  }

  static int Column(sqlite3_vtab_cursor* base, sqlite3_context* out, int column) {
    auto* cursor = static_cast<Cursor*>(base);
    try {
      Impl::Column(cursor->scan, cursor->row, column, out);
      return SQLITE_OK;
    } catch (const std::bad_alloc&) {
      sqlite3_result_error_nomem(out);
      return SQLITE_NOMEM;
    }
  }

  static int Rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
    *rowid = static_cast<sqlite3_int64>(static_cast<Cursor*>(base)->row);
    return SQLITE_OK;
  }

  static constexpr sqlite3_module MakeModule() {
    sqlite3_module m{};  // every method not set here stays null: a read-only table
    m.iVersion = 0;
    m.xCreate = nullptr;  // eponymous-only: the table exists on every connection
    m.xConnect = Connect;
    m.xBestIndex = BestIndex;
    m.xDisconnect = Disconnect;
    m.xOpen = Open;
    m.xClose = Close;
    m.xFilter = Filter;
    m.xNext = Next;
    m.xEof = Eof;
    m.xColumn = Column;
    m.xRowid = Rowid;
    return m;
  }
  static constexpr sqlite3_module kModule = MakeModule();
};

// Registers Impl as the eponymous table `name` on db. Returns an SQLite code.
template <class Impl>
int RegisterTable(sqlite3* db, const char* name, std::shared_ptr<const TableContext> context) {
  auto* aux = new std::shared_ptr<const TableContext>(std::move(context));
  return sqlite3_create_module_v2(db, name, RowTable<Impl>::Module(), aux, [](void* p) {
    delete static_cast<std::shared_ptr<const TableContext>*>(p);
  });
}

// Result helpers: typed values straight from typed fields.
inline void ResultText(sqlite3_context* out, std::string_view s) {
  sqlite3_result_text64(out, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
template <class T>
void ResultOptionalInt(sqlite3_context* out, const T& v) {
  if (v) sqlite3_result_int64(out, static_cast<sqlite3_int64>(*v));
}
template <class T>
void ResultOptionalText(sqlite3_context* out, const T& v) {
  if (v) ResultText(out, *v);
}

}  // namespace procaudit
