#include "tables/event_scan.h"

#include <cmath>

namespace procaudit {
namespace {

enum Plan : int {
  kLog = 1 << kPidPlanBits,
  kTimeGe = kLog << 1,
  kTimeLe = kLog << 2,
  kEidGe = kLog << 3,
  kEidLe = kLog << 4,
};

bool IsLowerBound(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE ||
         op == SQLITE_INDEX_CONSTRAINT_EQ;
}
bool IsUpperBound(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE ||
         op == SQLITE_INDEX_CONSTRAINT_EQ;
}

// The bound a constraint value gives, in the column's unit times scale, as a half-open
// [lo, hi) range on integers: time > 5.5 means time_ms >= 6000.
int64_t LowerBound(sqlite3_value* v, unsigned char op, int64_t scale) {
  const double d = sqlite3_value_double(v);
  if (op == SQLITE_INDEX_CONSTRAINT_GT) return static_cast<int64_t>(std::floor(d) + 1) * scale;
  return static_cast<int64_t>(std::ceil(d)) * scale;
}
int64_t UpperBoundExclusive(sqlite3_value* v, unsigned char op, int64_t scale) {
  const double d = sqlite3_value_double(v);
  if (op == SQLITE_INDEX_CONSTRAINT_LT) return static_cast<int64_t>(std::ceil(d)) * scale;
  return static_cast<int64_t>(std::floor(d) + 1) * scale;
}

// Operator codes in idxNum, 2 bits per bound: lower 0 >=, 1 >, 2 = (both bounds); upper 0 <=, 1 <.
constexpr int kTimeGeOpShift = 12, kTimeLeOpShift = 14, kEidGeOpShift = 16, kEidLeOpShift = 18;
int EncodeOp(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_GT: return 1;
    case SQLITE_INDEX_CONSTRAINT_EQ: return 2;
    case SQLITE_INDEX_CONSTRAINT_LT: return 1;
    default: return 0;  // GE, LE
  }
}
int DecodeOp(int idx, int shift, bool lower) {
  const int code = (idx >> shift) & 3;
  if (lower) return code == 1 ? SQLITE_INDEX_CONSTRAINT_GT
                    : code == 2 ? SQLITE_INDEX_CONSTRAINT_EQ : SQLITE_INDEX_CONSTRAINT_GE;
  return code == 1 ? SQLITE_INDEX_CONSTRAINT_LT : SQLITE_INDEX_CONSTRAINT_LE;
}
bool IsEq(int idx, int shift) { return ((idx >> shift) & 3) == 2; }

bool IsNumeric(sqlite3_value* v) {
  const int t = sqlite3_value_numeric_type(v);
  return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}

}  // namespace

int PlanEventScan(sqlite3_index_info* info, const EventColumns& columns, const char** plan_name) {
  int next_argv = 1;
  int idx = 0;
  const EqConstraint log = FindEqConstraint(info, columns.log_file);
  if (log.unusable && log.index < 0) return SQLITE_CONSTRAINT;
  if (log.index >= 0) {
    info->aConstraintUsage[log.index].argvIndex = next_argv++;
    info->aConstraintUsage[log.index].omit = 1;
    idx |= kLog;
  }
  const int pid_bits = PlanOnPid(info, columns.pid, next_argv, plan_name);
  if (pid_bits) ++next_argv;
  idx |= pid_bits;
  // A bound's operator rides in idxNum too: (bit, shift of its op code).
  auto take_bound = [&](int column, bool lower, int bit, int shift) {
    for (int i = 0; i < info->nConstraint; ++i) {
      const auto& c = info->aConstraint[i];
      if (!c.usable || c.iColumn != column || info->aConstraintUsage[i].argvIndex) continue;
      if (lower ? !IsLowerBound(c.op) : !IsUpperBound(c.op)) continue;
      info->aConstraintUsage[i].argvIndex = next_argv++;
      idx |= bit | EncodeOp(c.op) << shift;
      return;
    }
  };
  take_bound(columns.time, true, kTimeGe, kTimeGeOpShift);
  if (!IsEq(idx, kTimeGeOpShift)) take_bound(columns.time, false, kTimeLe, kTimeLeOpShift);
  take_bound(columns.eid, true, kEidGe, kEidGeOpShift);
  if (!IsEq(idx, kEidGeOpShift)) take_bound(columns.eid, false, kEidLe, kEidLeOpShift);
  double cost = 1e6;
  if (pid_bits) {
    cost = 100;
  } else if (idx & (kEidGe | kEidLe | kTimeGe | kTimeLe)) {
    cost = 1e4;
    *plan_name = (idx & (kEidGe | kEidLe)) ? "eid range" : "time range";
  } else {
    *plan_name = (idx & kLog) ? "replay" : "scan";
  }
  info->estimatedCost = cost;
  info->estimatedRows = static_cast<sqlite3_int64>(cost);
  info->idxNum = idx;
  // Rows come out in eid order.
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == columns.eid && !info->aOrderBy[0].desc) {
    info->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

bool PlansLogArgument(const FilterArgs& args) { return args.idx_num & kLog; }

EventBounds ReadEventBounds(const FilterArgs& args) {
  EventBounds b;
  size_t a = (PlansLogArgument(args) ? 1 : 0) + ((args.idx_num & (kPidEq | kPidIn)) ? 1 : 0);
  auto bound = [&](int bit, int shift, bool lower, int64_t scale, int64_t& lo, int64_t& hi) {
    if (!(args.idx_num & bit)) return;
    sqlite3_value* v = args.argv[a++];
    if (!IsNumeric(v)) {
      b.empty = sqlite3_value_type(v) == SQLITE_NULL;  // x > NULL is never true
      return;  // a text bound: leave it to SQLite's check
    }
    const int op = DecodeOp(args.idx_num, shift, lower);
    if (lower) {
      lo = std::max(lo, LowerBound(v, static_cast<unsigned char>(op), scale));
      if (op == SQLITE_INDEX_CONSTRAINT_EQ) {
        hi = std::min(hi, UpperBoundExclusive(v, SQLITE_INDEX_CONSTRAINT_LE, scale));
      }
    } else {
      hi = std::min(hi, UpperBoundExclusive(v, static_cast<unsigned char>(op), scale));
    }
  };
  bound(kTimeGe, kTimeGeOpShift, true, 1000, b.time_lo, b.time_hi);
  bound(kTimeLe, kTimeLeOpShift, false, 1000, b.time_lo, b.time_hi);
  bound(kEidGe, kEidGeOpShift, true, 1, b.eid_lo, b.eid_hi);
  bound(kEidLe, kEidLeOpShift, false, 1, b.eid_lo, b.eid_hi);
  return b;
}

}  // namespace procaudit
