// acct_exits: one row per record of a BSD process accounting (v3) file (see the spec).
//
// Plans (idxNum bits; xFilter arguments in this order, each present only with its bit):
//   kFile      the hidden acct_file argument, acct_exits('FILE') (enforced exactly, omit).
//              Without it, the session's file (acct_sources.h).
//   kPidEq/In  pid = value, or pid IN (list): records of other pids are skipped while reading,
//              before SQLite sees them (SQLite still checks the constraint).
// The file is read whole at xFilter (64 bytes a record, read(2), no decoding); columns decode
// their own bytes, so count(*) over a million records touches no field at all.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <tuple>

#include "acct/acct_file.h"
#include "generated/table_specs.h"
#include "sql/constraints.h"
#include "sql/follow_window.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::acct_exits;
using acct::AcctFile;
using acct::AcctRecord;

enum Plan : int { kFile = 1 << kPidPlanBits };

// The terminal name ps gives an old_encode_dev() number (major << 8 | minor).
void ResultTty(sqlite3_context* out, uint16_t dev) {
  if (dev == 0) return;
  const unsigned major = dev >> 8, minor = dev & 0xff;
  char name[32];
  int n;
  if (major >= 136 && major <= 143) {
    n = std::snprintf(name, sizeof name, "pts/%u", (major - 136) * 256 + minor);
  } else if (major == 4 && minor < 64) {
    n = std::snprintf(name, sizeof name, "tty%u", minor);
  } else if (major == 4) {
    n = std::snprintf(name, sizeof name, "ttyS%u", minor - 64);
  } else if (major == 5 && minor == 0) {
    n = std::snprintf(name, sizeof name, "tty");
  } else if (major == 5 && minor == 1) {
    n = std::snprintf(name, sizeof name, "console");
  } else {
    n = std::snprintf(name, sizeof name, "%u:%u", major, minor);
  }
  ResultText(out, std::string_view(name, static_cast<size_t>(n)));
}

struct AcctExits {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::shared_ptr<const AcctFile> file;
    std::vector<uint32_t> records;  // the rows, when a filter or the follow window picked them
    bool listed = false;
    size_t begin = 0, end = 0;  // the rows otherwise: records [begin, end)
    std::string file_arg;

    size_t Record(size_t row) const { return listed ? records[row] : begin + row; }
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    int next_argv = 1;
    int idx = 0;
    const EqConstraint file = FindEqConstraint(info, col::kAcctFile);
    if (file.unusable && file.index < 0) return SQLITE_CONSTRAINT;
    if (file.index >= 0) {
      info->aConstraintUsage[file.index].argvIndex = next_argv++;
      info->aConstraintUsage[file.index].omit = 1;
      idx |= kFile;
    }
    const int pid_bits = PlanOnPid(info, col::kPid, next_argv, plan_name);
    idx |= pid_bits;
    if (!pid_bits) *plan_name = (idx & kFile) ? "file" : "session file";
    info->idxNum = idx;
    info->estimatedCost = pid_bits ? 1e4 : 1e6;
    info->estimatedRows = pid_bits ? 10 : 1'000'000;
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == col::kRecord &&
        !info->aOrderBy[0].desc) {
      info->orderByConsumed = 1;  // rows come out in file order
    }
    return SQLITE_OK;
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    std::string path;
    if (args.idx_num & kFile) {
      sqlite3_value* v = args.argv[0];
      if (sqlite3_value_type(v) != SQLITE_TEXT) {
        throw std::runtime_error("acct_exits(FILE): FILE must be a text path");
      }
      path = reinterpret_cast<const char*>(sqlite3_value_text(v));
      scan.file_arg = path;
    } else {
      path = ctx.acct->SessionFile();
    }
    auto file = std::make_shared<const AcctFile>(ctx.acct->Read(path));
    // The follow window counts slots (what the file's size says), not valid records.
    const EidRange visible =
        VisibleFileRecords(ctx, path, {0, static_cast<int64_t>(file->slots())});
    std::tie(scan.begin, scan.end) = file->RecordsInSlots(static_cast<size_t>(visible.lo),
                                                          static_cast<size_t>(visible.hi));
    if (args.idx_num & (kPidEq | kPidIn)) {
      const size_t pid_arg = (args.idx_num & kFile) ? 1 : 0;
      const std::vector<int64_t> pids = IntegerArgValues(args.argv[pid_arg], args.idx_num & kPidIn);
      scan.listed = true;
      for (size_t i = scan.begin; i < scan.end; ++i) {
        const int64_t pid = acct::RecordPid(file->Record(i));
        if (std::binary_search(pids.begin(), pids.end(), pid)) {
          scan.records.push_back(static_cast<uint32_t>(i));
        }
      }
    }
    scan.file = std::move(file);
  }

  static size_t RowCount(const Scan& scan) {
    return scan.listed ? scan.records.size() : scan.end - scan.begin;
  }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const size_t index = scan.Record(row);
    const auto bytes = scan.file->Record(index);
    auto integer = [&](int64_t v) { sqlite3_result_int64(out, v); };
    // The cheap columns read their bytes; the rest decode the record (a few ns).
    switch (column) {
      case col::kPid: return integer(acct::RecordPid(bytes));
      case col::kSignal:
        if (auto s = acct::WaitSignal(acct::RecordExitcode(bytes))) integer(*s);
        return;
      case col::kExitCode:
        if (auto c = acct::WaitExitCode(acct::RecordExitcode(bytes))) integer(*c);
        return;
      case col::kStatus: return integer(acct::RecordExitcode(bytes));
      case col::kRecord:
        return integer(static_cast<int64_t>(scan.file->SlotOf(index)));
      case col::kAcctFile:
        if (!scan.file_arg.empty()) ResultText(out, scan.file_arg);
        return;
      default: break;
    }
    const std::optional<AcctRecord> r = acct::DecodeRecord(bytes);
    if (!r) return;  // not reached: only valid records are rows
    switch (column) {
      case col::kPpid: return integer(r->ppid);
      case col::kComm: return ResultText(out, r->Comm());
      case col::kUid: return integer(r->uid);
      case col::kGid: return integer(r->gid);
      case col::kTty: return ResultTty(out, r->tty);
      case col::kStartTime: return integer(r->btime);
      case col::kEndTime: return sqlite3_result_double(out, r->EndTime());
      case col::kElapsed: return sqlite3_result_double(out, r->elapsed);
      case col::kUserTime: return sqlite3_result_double(out, r->user_time);
      case col::kSystemTime: return sqlite3_result_double(out, r->system_time);
      case col::kAvgMemKb: return integer(static_cast<int64_t>(r->mem_kb));
      case col::kMinorFaults: return integer(static_cast<int64_t>(r->minflt));
      case col::kMajorFaults: return integer(static_cast<int64_t>(r->majflt));
      case col::kSignalName:
        if (auto s = r->Signal()) {
          if (const char* name = acct::SignalName(*s)) ResultText(out, name);
        }
        return;
      case col::kCoreDumped: return integer(r->CoreDumped() ? 1 : 0);
      case col::kAfork: return integer((r->flags & acct::kAfork) ? 1 : 0);
      case col::kAsu: return integer((r->flags & acct::kAsu) ? 1 : 0);
      case col::kAcore: return integer((r->flags & acct::kAcore) ? 1 : 0);
      case col::kAxsig: return integer((r->flags & acct::kAxsig) ? 1 : 0);
      default: return;
    }
  }
};

}  // namespace

int RegisterAcctExits(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<AcctExits>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
