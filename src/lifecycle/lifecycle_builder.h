// Process instances from their two traces: audit's starts, images and ends (process_events
// rows) and accounting's ends (acct v3 records). The join behind process_lifecycle.
//
// Audit rows are taken in eid order (the tracker's serial order): a birth row (fork, vfork,
// clone, clone3) starts an instance of the child's pid; exec rows add images; exit_group and
// anom_abend end it. A pid's first row that is not a birth starts an instance first seen then
// (the process began before the log). A birth of a pid whose instance never ended closes that
// one, end unseen: the pid was reused.
//
// An accounting record then ends the instance of its pid it fits: start within the clock
// slack of the record's start (ac_btime is whole seconds, computed as now minus elapsed, and
// audit stamps come from a 4 ms tick), or first seen after that start, and an end consistent
// with audit's end when there is one. Records come in any order relative to the audit rows.
// A record that fits no instance is a process audit never saw (a fork the rules do not
// cover, lost events): it gets an instance of its own when it started within the audit
// trace (or always, with no audit rows), with its parent's image if it never exec'd (AFORK).
//
// Pure: ring rows and record bytes in, instances out; /proc is asked through a callback.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "acct/acct_file.h"
#include "audit/event_ring.h"

namespace procaudit::lifecycle {

using audit::StrId;

struct Image {
  int64_t time_ms = 0;  // of the exec; of the birth for the inherited image
  StrId path = 0, cmdline = 0, argv_json = 0, cwd = 0;
};

enum class EndSource : uint8_t { kNone, kExitGroup, kAnomAbend, kAcct, kRunning };
const char* EndSourceName(EndSource s);  // nullptr for kNone

struct Instance {
  int32_t pid = 0;
  std::optional<int32_t> ppid;
  StrId parent_path = 0, parent_cmdline = 0;
  // Start: known from a birth row or an accounting record; else only when first seen.
  std::optional<int64_t> start_ms;
  int64_t first_seen_ms = 0, last_seen_ms = 0;
  const char* start_source = nullptr;  // "fork", ... "execve" (first seen), "acct"
  bool born = false;                   // its birth row was seen
  Image inherited;                     // what it started with: its parent's image
  std::vector<Image> execs;            // every successful exec, in order
  std::optional<uint32_t> uid, euid, auid;
  StrId comm = 0;
  int32_t ns_pid = 0;
  std::optional<int64_t> end_ms;
  EndSource end = EndSource::kNone;
  std::optional<int> exit_code, signal;
  bool core_dumped = false;
  int64_t start_eid = 0, end_eid = 0;  // 0: none
  std::optional<size_t> acct;          // the matched record's index in the file
  std::optional<acct::AcctRecord> acct_record;

  const Image& image() const { return execs.empty() ? inherited : execs.back(); }
};

struct Options {
  int64_t slack_ms = 1500;  // clock coarseness tolerated between the two traces
  // Whether pid still runs the instance that started at start_ms (or was first seen at
  // first_seen_ms): ends instances as "running". Unset: never asked.
  std::function<bool(int32_t pid, std::optional<int64_t> start_ms, int64_t first_seen_ms)>
      running;
};

// Which rows or records to use: a list (ascending), or everything in [lo, hi).
struct Selection {
  bool listed = false;
  std::vector<int64_t> items;
  int64_t lo = 0, hi = 0;

  template <class F>
  void ForEach(F&& f) const {
    if (listed) {
      for (int64_t i : items) f(i);
    } else {
      for (int64_t i = lo; i < hi; ++i) f(i);
    }
  }
};

// eids: audit rows within the reader's snapshot (reader null: none). records: indexes of the
// accounting file's records (file null: none). audit_start_ms: the time of the audit trace's
// first row (INT64_MIN when there is none): unmatched records that started before it are left
// out, as processes the trace never covered.
std::vector<Instance> BuildInstances(const audit::EventRing::Reader* reader,
                                     const Selection& eids, const acct::AcctFile* file,
                                     const Selection& records, int64_t audit_start_ms,
                                     const Options& options);

}  // namespace procaudit::lifecycle
