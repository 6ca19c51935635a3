#include "lifecycle/lifecycle_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

namespace procaudit::lifecycle {
namespace {

using audit::ProcessEventRow;
using audit::ProcessSyscall;

Image ImageOf(const ProcessEventRow& e) {
  return Image{e.time_ms, e.path, e.cmdline, e.argv_json, e.cwd};
}

class Builder {
 public:
  Builder(const Options& options, int64_t audit_start_ms)
      : options_(options), audit_start_ms_(audit_start_ms) {}

  void AddRow(const ProcessEventRow& e, int64_t eid) {
    if (audit::IsBirth(e.syscall)) {
      if (e.Has(ProcessEventRow::kHasResult) && !e.Has(ProcessEventRow::kSuccess)) {
        Seen(e, eid);  // a failed fork: the caller's row
        return;
      }
      Born(e, eid);
      return;
    }
    Instance& p = Seen(e, eid);
    if (audit::IsExec(e.syscall)) {
      if (e.Has(ProcessEventRow::kSuccess)) {
        p.execs.push_back(ImageOf(e));
        p.uid = e.cred.uid;
        p.euid = e.cred.euid;
        p.auid = e.cred.auid;
        if (e.comm) p.comm = e.comm;
      }
    } else if (e.syscall == ProcessSyscall::kExitGroup) {
      End(p, e, eid, EndSource::kExitGroup);
      if (e.Has(ProcessEventRow::kHasExitCode)) p.exit_code = e.exit_code;
    } else if (e.syscall == ProcessSyscall::kAnomAbend) {
      End(p, e, eid, EndSource::kAnomAbend);
      if (e.Has(ProcessEventRow::kHasSignal)) p.signal = e.signal;
    }
  }

  void AddRecord(const acct::AcctRecord& r, size_t index) {
    const int32_t pid = static_cast<int32_t>(r.pid);
    const int64_t start_ms = int64_t{r.btime} * 1000;
    const int64_t end_ms = start_ms + static_cast<int64_t>(std::llround(r.elapsed * 1000));
    Instance* best = nullptr;
    int64_t best_distance = INT64_MAX;
    if (auto it = by_pid_.find(pid); it != by_pid_.end()) {
      for (size_t i : it->second) {
        Instance& p = instances_[i];
        if (p.acct) continue;
        const std::optional<int64_t> distance = Fit(p, start_ms, end_ms);
        if (distance && *distance < best_distance) {
          best = &p;
          best_distance = *distance;
        }
      }
    }
    if (best == nullptr) {
      if (start_ms + options_.slack_ms < audit_start_ms_) return;  // before the audit trace
      acct_only_.push_back(Instance{});
      best = &acct_only_.back();
      best->pid = pid;
      best->start_ms = start_ms;
      best->first_seen_ms = best->last_seen_ms = start_ms;
      best->start_source = "acct";
      best->ppid = static_cast<int32_t>(r.ppid);
      best->uid = r.uid;
    }
    Instance& p = *best;
    p.acct = index;
    p.acct_record = r;
    if (p.end == EndSource::kNone) {
      p.end = EndSource::kAcct;
      // elapsed is exact to 1/100 s, btime only to the second: from audit's exact start, the
      // end is as exact as elapsed.
      p.end_ms = p.start_ms ? *p.start_ms + (end_ms - start_ms) : end_ms;
    }
    if (!p.start_ms) p.start_ms = start_ms;
    // The wait status is the whole truth about how it ended; exit_group's code agrees with it.
    if (!p.exit_code && !p.signal) {
      p.exit_code = r.ExitCode();
      p.signal = r.Signal();
    }
    p.core_dumped = p.core_dumped || r.CoreDumped();
  }

  std::vector<Instance> Finish() {
    // Unmatched accounting records: a parent found in the trace gives parent_path, and a
    // process that never exec'd runs its parent's image.
    for (Instance& p : acct_only_) {
      if (const Instance* parent = AliveAt(*p.ppid, *p.start_ms)) {
        const Image& img = ImageAt(*parent, *p.start_ms);
        p.parent_path = img.path;
        p.parent_cmdline = img.cmdline;
        if (p.acct_record && (p.acct_record->flags & acct::kAfork)) {
          p.inherited = img;
          p.inherited.time_ms = *p.start_ms;
        }
      }
    }
    std::vector<Instance> out = std::move(instances_);
    out.insert(out.end(), std::make_move_iterator(acct_only_.begin()),
               std::make_move_iterator(acct_only_.end()));
    if (options_.running) {
      for (Instance& p : out) {
        if (p.end == EndSource::kNone && options_.running(p.pid, p.start_ms, p.first_seen_ms)) {
          p.end = EndSource::kRunning;
        }
      }
    }
    return out;
  }

 private:
  // How well a record starting at start_ms and ending at end_ms fits p: a distance (smaller is
  // better), or nullopt when it cannot be p's.
  std::optional<int64_t> Fit(const Instance& p, int64_t start_ms, int64_t end_ms) const {
    const int64_t slack = options_.slack_ms;
    int64_t distance;
    if (p.start_ms) {
      distance = std::llabs(*p.start_ms - start_ms);
      if (distance > slack) return std::nullopt;
    } else {
      if (start_ms > p.first_seen_ms + slack) return std::nullopt;  // started after we saw it
      distance = p.first_seen_ms - start_ms;  // the nearest start before first sight wins
    }
    if (end_ms + slack < p.last_seen_ms) return std::nullopt;  // ended before its last row
    if (p.end_ms && p.end != EndSource::kAcct && std::llabs(*p.end_ms - end_ms) > slack) {
      return std::nullopt;
    }
    return distance;
  }

  Instance& Open(const ProcessEventRow& e, int64_t eid, const char* source) {
    instances_.push_back(Instance{});
    Instance& p = instances_.back();
    p.pid = e.pid;
    p.first_seen_ms = p.last_seen_ms = e.time_ms;
    p.start_source = source;
    p.start_eid = eid;
    open_[e.pid] = instances_.size() - 1;
    by_pid_[e.pid].push_back(instances_.size() - 1);
    return p;
  }

  void Born(const ProcessEventRow& e, int64_t eid) {
    Instance* adopted = ChildSeenFirst(e);
    if (!adopted) open_.erase(e.pid);  // an instance still open ended unseen: pid reuse
    Instance& p = adopted ? *adopted : Open(e, eid, nullptr);
    p.born = true;
    p.start_source = audit::ProcessSyscallName(e.syscall);
    p.start_ms = e.time_ms;
    if (e.Has(ProcessEventRow::kHasParent)) p.ppid = e.parent;
    p.parent_path = e.path;  // the caller's image, which the child starts with
    p.parent_cmdline = e.cmdline;
    p.inherited = ImageOf(e);
    p.uid = e.cred.uid;
    p.euid = e.cred.euid;
    p.auid = e.cred.auid;
    p.comm = e.comm;
    p.ns_pid = e.ns_pid.load();
  }

  // The child's own rows may come before its birth row: the kernel numbers a clone's record
  // when the call returns in the parent, after the child's first exec, and a vfork's after the
  // child's exit. Such an instance (of the same parent, first seen close to the birth) is the
  // child's.
  Instance* ChildSeenFirst(const ProcessEventRow& e) {
    auto it = by_pid_.find(e.pid);
    if (it == by_pid_.end()) return nullptr;
    Instance& last = instances_[it->second.back()];
    if (last.born || last.first_seen_ms < e.time_ms - options_.slack_ms) return nullptr;
    if (!e.Has(ProcessEventRow::kHasParent) || last.ppid != e.parent) return nullptr;
    return &last;
  }

  Instance& Seen(const ProcessEventRow& e, int64_t eid) {
    Instance* p;
    if (auto it = open_.find(e.pid); it != open_.end()) {
      p = &instances_[it->second];
    } else {
      p = &Open(e, eid, audit::ProcessSyscallName(e.syscall));
      p->inherited = ImageOf(e);  // what it ran when first seen
      if (audit::IsExec(e.syscall) && e.Has(ProcessEventRow::kSuccess)) p->inherited = Image{};
      p->parent_path = e.parent_path;
      p->parent_cmdline = e.parent_cmdline;
      p->uid = e.cred.uid;
      p->euid = e.cred.euid;
      p->auid = e.cred.auid;
      p->comm = e.comm;
    }
    if (!p->ppid) {
      if (e.Has(ProcessEventRow::kHasParent)) p->ppid = e.parent;
      else if (e.ppid) p->ppid = e.ppid;
    }
    if (!p->ns_pid) p->ns_pid = e.ns_pid.load();
    p->last_seen_ms = e.time_ms;
    return *p;
  }

  void End(Instance& p, const ProcessEventRow& e, int64_t eid, EndSource source) {
    p.end = source;
    p.end_ms = e.time_ms;
    p.end_eid = eid;
    open_.erase(e.pid);
  }

  // The instance of pid that was alive at t_ms, if the trace has one.
  const Instance* AliveAt(int32_t pid, int64_t t_ms) const {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return nullptr;
    const int64_t slack = options_.slack_ms;
    for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
      const Instance& p = instances_[*i];
      const int64_t start = p.start_ms.value_or(INT64_MIN);
      if (start > t_ms + slack) continue;
      if (p.end_ms && *p.end_ms + slack < t_ms) return nullptr;
      return &p;
    }
    return nullptr;
  }

  // The image p ran at t_ms: its last exec before then, else what it started with.
  static const Image& ImageAt(const Instance& p, int64_t t_ms) {
    const Image* img = &p.inherited;
    for (const Image& e : p.execs) {
      if (e.time_ms > t_ms) break;
      img = &e;
    }
    return *img;
  }

  const Options& options_;
  const int64_t audit_start_ms_;
  std::vector<Instance> instances_;
  std::vector<Instance> acct_only_;
  std::unordered_map<int32_t, size_t> open_;                 // pid -> its open instance
  std::unordered_map<int32_t, std::vector<size_t>> by_pid_;  // pid -> its instances, in order
};

}  // namespace

const char* EndSourceName(EndSource s) {
  switch (s) {
    case EndSource::kExitGroup: return "exit_group";
    case EndSource::kAnomAbend: return "anom_abend";
    case EndSource::kAcct: return "acct";
    case EndSource::kRunning: return "running";
    case EndSource::kNone: return nullptr;
  }
  return nullptr;
}

std::vector<Instance> BuildInstances(const audit::EventRing::Reader* reader,
                                     const Selection& eids, const acct::AcctFile* file,
                                     const Selection& records, int64_t audit_start_ms,
                                     const Options& options) {
  Builder b(options, audit_start_ms);
  if (reader) eids.ForEach([&](int64_t eid) { b.AddRow(reader->Row(eid), eid); });
  if (file) {
    records.ForEach([&](int64_t i) {
      if (auto r = acct::DecodeRecord(file->Record(static_cast<size_t>(i)))) {
        b.AddRecord(*r, static_cast<size_t>(i));
      }
    });
  }
  return b.Finish();
}

}  // namespace procaudit::lifecycle
