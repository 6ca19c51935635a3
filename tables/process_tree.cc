// process_tree: every live process in tree order, with depth and ancestry.
//
// Plans (idxNum bits, xFilter arguments in this order):
//   kPidEq / kPidIn   argv[0]: pid = value, or pid IN (list) all at once
//   kRoot             next argv: the hidden `root` argument, process_tree(PID)
// Without either, the whole tree. The root argument is enforced exactly (omit);
// a plan where it is present but unusable returns SQLITE_CONSTRAINT.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "generated/table_specs.h"
#include "linux/syscall_names.h"
#include "proc/process_reader.h"
#include "sql/constraints.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"
#include "util/json.h"

namespace procaudit {
namespace {

namespace col = spec::process_tree;

constexpr int kRoot = 1 << kPidPlanBits;

struct TreeRow {
  ProcessInfo info;
  std::vector<int64_t> ancestry;  // nearest first
};

struct ProcessTree {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::vector<TreeRow> rows;
    std::optional<int64_t> root;
    HostClock clock;
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    const EqConstraint root = FindEqConstraint(info, col::kRoot);
    if (root.unusable && root.index < 0) return SQLITE_CONSTRAINT;
    int idx = PlanOnPid(info, col::kPid, 1, plan_name);
    if (root.index >= 0) {
      info->aConstraintUsage[root.index].argvIndex = idx ? 2 : 1;
      info->aConstraintUsage[root.index].omit = 1;
      idx |= kRoot;
      if (!(idx & (kPidEq | kPidIn))) {
        *plan_name = "root =";
        info->estimatedCost = 1000;
        info->estimatedRows = 100;
      }
    }
    info->idxNum = idx;
    // Rows come out in tree order; claim no ORDER BY.
    return SQLITE_OK;
  }

  // Which files under /proc/<pid> the used columns need. stat is always read:
  // ppid gives the tree order.
  static uint32_t PartsFor(const FilterArgs& a) {
    return kPartStat | PartsForColumns(a, {{{col::kUid, col::kEuid, col::kSuid, col::kGid,
                                             col::kEgid, col::kSgid, col::kNsPid},
                                            kPartStatus},
                                           {{col::kCmdline, col::kArgv}, kPartCmdline},
                                           {{col::kPath, col::kPathDeleted}, kPartExe},
                                           {{col::kCwd}, kPartCwd},
                                           {{col::kRootDir}, kPartRoot},
                                           {{col::kCgroup, col::kContainerId}, kPartCgroup},
                                           {{col::kSyscallNr, col::kSyscall}, kPartSyscall},
                                           {{col::kWchan}, kPartWchan},
                                           {{col::kPidNs}, kPartPidNs}});
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    const ProcRoot root = OpenProcRoot(ctx);
    scan.clock = HostClock::Read(root);
    const uint32_t parts = PartsFor(args);
    std::string scratch;

    if (args.idx_num & kRoot) {
      const int root_arg = (args.idx_num & (kPidEq | kPidIn)) ? 1 : 0;
      const std::vector<int64_t> root_pid = IntegerArgValues(args.argv[root_arg], false);
      if (root_pid.empty()) return;  // process_tree(NULL) or a non-integer: no subtree
      scan.root = root_pid[0];
    }
    if (args.idx_num & (kPidEq | kPidIn)) {
      ReadSelected(root, PidsToScan(root, args), parts, scan, scratch);
      // process_tree(R) WHERE pid = N: N only if it is in R's subtree.
      if (scan.root) {
        std::erase_if(scan.rows, [&](const TreeRow& r) {
          return r.info.pid != *scan.root &&
                 std::find(r.ancestry.begin(), r.ancestry.end(), *scan.root) == r.ancestry.end();
        });
      }
      return;
    }
    ReadTree(root, parts, scan);
  }

  // A few pids: read them, then walk each one's ancestors through their stat files.
  static void ReadSelected(const ProcRoot& root, const std::vector<int64_t>& pids, uint32_t parts,
                           Scan& scan, std::string& scratch) {
    std::unordered_map<int64_t, int64_t> ppid_cache;
    auto ppid_of = [&](int64_t pid) -> std::optional<int64_t> {
      if (auto it = ppid_cache.find(pid); it != ppid_cache.end()) return it->second;
      const PidDir dir(root, pid);
      if (!dir.valid() || !dir.ReadFile("stat", scratch, ReadMode::kOneShot)) return std::nullopt;
      const auto stat = ParseStat(scratch);
      if (!stat) return std::nullopt;
      ppid_cache.emplace(pid, stat->ppid);
      return stat->ppid;
    };
    for (const int64_t pid : pids) {
      const PidDir dir(root, pid);
      if (!dir.valid()) continue;
      TreeRow row{ReadProcess(dir, parts, scratch), {}};
      if (!row.info.stat) continue;  // exited meanwhile
      ppid_cache.emplace(pid, row.info.stat->ppid);
      std::unordered_set<int64_t> seen{pid};
      for (auto up = ppid_of(pid); up && *up > 0 && seen.insert(*up).second; up = ppid_of(*up)) {
        row.ancestry.push_back(*up);
      }
      scan.rows.push_back(std::move(row));
    }
  }

  // Every process (or the subtree of scan.root), depth first, siblings by pid.
  static void ReadTree(const ProcRoot& root, uint32_t parts, Scan& scan) {
    // With a root argument, read only stat everywhere, the rest for the subtree.
    std::vector<ProcessInfo> procs =
        ReadProcesses(root, root.ListPids(), scan.root ? kPartStat : parts);
    std::erase_if(procs, [](const ProcessInfo& p) { return !p.stat; });  // exited meanwhile
    std::unordered_map<int64_t, size_t> index;
    for (size_t i = 0; i < procs.size(); ++i) index.emplace(procs[i].pid, i);
    std::unordered_map<int64_t, std::vector<size_t>> children;  // pids ascending
    std::vector<size_t> tops;
    for (size_t i = 0; i < procs.size(); ++i) {
      const int64_t ppid = procs[i].stat->ppid;
      if (ppid > 0 && ppid != procs[i].pid && index.contains(ppid)) {
        children[ppid].push_back(i);
      } else {
        tops.push_back(i);
      }
    }

    std::vector<bool> visited(procs.size(), false);
    auto emit_subtree = [&](size_t top, std::vector<int64_t> ancestry) {
      // Iterative: a deep fork chain must not exhaust the stack.
      std::vector<std::pair<size_t, std::vector<int64_t>>> stack;
      stack.emplace_back(top, std::move(ancestry));
      while (!stack.empty()) {
        auto [i, chain] = std::move(stack.back());
        stack.pop_back();
        if (visited[i]) continue;
        visited[i] = true;
        if (auto it = children.find(procs[i].pid); it != children.end()) {
          std::vector<int64_t> child_chain;
          child_chain.reserve(chain.size() + 1);
          child_chain.push_back(procs[i].pid);
          child_chain.insert(child_chain.end(), chain.begin(), chain.end());
          for (auto c = it->second.rbegin(); c != it->second.rend(); ++c) {
            stack.emplace_back(*c, child_chain);
          }
        }
        scan.rows.push_back(TreeRow{std::move(procs[i]), std::move(chain)});
      }
    };

    if (scan.root) {
      auto it = index.find(*scan.root);
      if (it == index.end()) return;
      std::vector<int64_t> ancestry;  // the root's own ancestors, for absolute depth
      std::unordered_set<int64_t> seen{*scan.root};
      for (int64_t up = procs[it->second].stat->ppid; up > 0 && seen.insert(up).second;) {
        ancestry.push_back(up);
        auto p = index.find(up);
        if (p == index.end()) break;
        up = procs[p->second].stat->ppid;
      }
      emit_subtree(it->second, std::move(ancestry));
      // Now the other parts, for the subtree only.
      std::vector<int64_t> members;
      for (const TreeRow& row : scan.rows) members.push_back(row.info.pid);
      std::vector<ProcessInfo> full = ReadProcesses(root, members, parts & ~kPartStat);
      for (size_t i = 0; i < scan.rows.size(); ++i) {
        full[i].pid = members[i];
        full[i].stat = std::move(scan.rows[i].info.stat);
        scan.rows[i].info = std::move(full[i]);
      }
      return;
    }
    for (size_t top : tops) emit_subtree(top, {});
    // Processes in a parent cycle (a pid reused mid-scan) are reached from nowhere.
    for (size_t i = 0; i < procs.size(); ++i) {
      if (!visited[i]) emit_subtree(i, {});
    }
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const TreeRow& r = scan.rows[row];
    const ProcessInfo& p = r.info;
    const StatFields& st = *p.stat;  // every row has its stat
    const StatusFields* status = p.status ? &*p.status : nullptr;
    switch (column) {
      case col::kPid: sqlite3_result_int64(out, p.pid); break;
      case col::kPpid: sqlite3_result_int64(out, st.ppid); break;
      case col::kName: ResultText(out, st.comm); break;
      case col::kPath: ResultOptionalText(out, p.exe); break;
      case col::kPathDeleted:
        if (p.exe) sqlite3_result_int(out, p.exe_deleted);
        break;
      case col::kCmdline:
        if (p.argv) ResultText(out, JoinArgv(*p.argv));
        break;
      case col::kArgv:
        if (p.argv) ResultText(out, JsonStringArray(*p.argv));
        break;
      case col::kCwd: ResultOptionalText(out, p.cwd); break;
      case col::kRootDir: ResultOptionalText(out, p.root); break;
      case col::kState: ResultText(out, std::string_view(&st.state, 1)); break;
      case col::kUid:
        if (status) ResultOptionalInt(out, status->uid);
        break;
      case col::kEuid:
        if (status) ResultOptionalInt(out, status->euid);
        break;
      case col::kSuid:
        if (status) ResultOptionalInt(out, status->suid);
        break;
      case col::kGid:
        if (status) ResultOptionalInt(out, status->gid);
        break;
      case col::kEgid:
        if (status) ResultOptionalInt(out, status->egid);
        break;
      case col::kSgid:
        if (status) ResultOptionalInt(out, status->sgid);
        break;
      case col::kStartTime:
        sqlite3_result_int64(out, scan.clock.StartTimeEpoch(st.start_ticks));
        break;
      case col::kThreads: sqlite3_result_int64(out, st.threads); break;
      case col::kNice: sqlite3_result_int64(out, st.nice); break;
      case col::kRss: sqlite3_result_int64(out, st.rss_pages * scan.clock.page_size); break;
      case col::kPgid: sqlite3_result_int64(out, st.pgrp); break;
      case col::kSid: sqlite3_result_int64(out, st.session); break;
      case col::kCgroup:
        if (p.cgroup) ResultText(out, p.cgroup->path);
        break;
      case col::kContainerId:
        if (p.cgroup && !p.cgroup->container_id.empty()) ResultText(out, p.cgroup->container_id);
        break;
      case col::kPidNs: ResultOptionalInt(out, p.pid_ns); break;
      case col::kNsPid:
        if (status && !status->ns_pids.empty()) sqlite3_result_int64(out, status->ns_pids.back());
        break;
      case col::kDepth: sqlite3_result_int64(out, static_cast<int64_t>(r.ancestry.size())); break;
      case col::kAncestry: ResultText(out, JsonIntArray(r.ancestry)); break;
      case col::kSyscallNr:
        if (p.syscall && p.syscall->kind == SyscallState::kInSyscall) {
          sqlite3_result_int64(out, p.syscall->nr);
        }
        break;
      case col::kSyscall:
        if (p.syscall && p.syscall->kind == SyscallState::kRunning) {
          ResultText(out, "running");
        } else if (p.syscall && p.syscall->kind == SyscallState::kInSyscall) {
          const std::string_view name = SyscallName(p.syscall->nr);
          if (!name.empty()) ResultText(out, name);
        }
        break;
      case col::kWchan: ResultOptionalText(out, p.wchan); break;
      case col::kRoot: ResultOptionalInt(out, scan.root); break;
      default: break;
    }
  }
};

}  // namespace

int RegisterProcessTree(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<ProcessTree>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
