// Google Benchmark over the inner loops of the audit pipeline, on real records copied from
// a storm log recorded by bench/record_storm.py (Debian 12, kernel 6.18, auditd 3.0.9, RAW),
// and, for file events, from a log of the file_events fixture probe (same system).
//
//   build/bench/audit_bench [--benchmark_filter=Build]
//
// Per-event costs to keep in mind: the assembler runs ParseRecordHeader once per line (to
// screen it) and BuildSyscallEvent once per event (which parses every header again and the
// fields of the records it uses); the tracker interns path, cwd, cmdline, argv and comm per
// row. An exec event of the storm is 7 records, a clone or exit_group event 2; a storm of
// 20,000 /bin/true is 60,000 events and 220,000 records. An open is 4 records (SYSCALL,
// CWD, PATH, PROCTITLE): an open storm of 200,000 is 800,000 records.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/event_builder.h"
#include "audit/event_ring.h"
#include "audit/file_paths.h"
#include "audit/pipeline_stats.h"
#include "audit/process_tracker.h"
#include "audit/record_parser.h"
#include "util/string_pool.h"

namespace {

using procaudit::StringPool;
namespace audit = procaudit::audit;

// ---- Records copied verbatim from the recorded storm.log ------------------------------
// 64504: exec_storm forks (glibc's fork is clone); 64505: the child execs /bin/true;
// 64506: it exits. 116998: cmake run by make, recorded alongside: 10 arguments, one of them
// hex-encoded, and a hex proctitle.

// serial 64504
constexpr std::string_view kStormClone[] = {
    R"PA(type=SYSCALL msg=audit(1795256485.100:64504): arch=c000003e syscall=56 success=yes exit=472 a0=1200011 a1=0 a2=0 a3=7f81fe5baa10 items=0 ppid=321 pid=401 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="exec_storm" exe="/tmp/bench/b/bench/exec_storm" key="procaudit_bench")PA",
    R"PA(type=PROCTITLE msg=audit(1795256485.100:64504): proctitle=2F746D702F62656E63682F622F62656E63682F657865635F73746F726D002D2D636F756E74003230303030002D2D70617573652D75730030)PA",
};

// serial 64505
constexpr std::string_view kStormExecve[] = {
    R"PA(type=SYSCALL msg=audit(1795256485.100:64505): arch=c000003e syscall=59 success=yes exit=0 a0=5561cfc47080 a1=7ffc5eb4cc50 a2=7ffc5eb4cdf8 a3=7f81fe5d06a0 items=2 ppid=401 pid=472 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="true" exe="/usr/bin/true" key="procaudit_bench")PA",
    R"PA(type=BPRM_FCAPS msg=audit(1795256485.100:64505): fver=0 fp=0 fi=0 fe=0 old_pp=000001fffeffffff old_pi=0 old_pe=000001fffeffffff old_pa=0 pp=000001fffeffffff pi=0 pe=000001fffeffffff pa=0 frootid=0)PA",
    R"PA(type=EXECVE msg=audit(1795256485.100:64505): argc=1 a0="true")PA",
    R"PA(type=CWD msg=audit(1795256485.100:64505): cwd="/work/main")PA",
    R"PA(type=PATH msg=audit(1795256485.100:64505): item=0 name="/bin/true" inode=248139 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PATH msg=audit(1795256485.100:64505): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=332383 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PROCTITLE msg=audit(1795256485.100:64505): proctitle="true")PA",
};

// serial 64506
constexpr std::string_view kStormExitGroup[] = {
    R"PA(type=SYSCALL msg=audit(1795256485.100:64506): arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=7fff3a1adf40 items=0 ppid=401 pid=472 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="true" exe="/usr/bin/true" key="procaudit_bench")PA",
    R"PA(type=PROCTITLE msg=audit(1795256485.100:64506): proctitle="true")PA",
};

// serial 116998
constexpr std::string_view kCmakeExecve[] = {
    R"PA(type=SYSCALL msg=audit(1795256499.560:116998): arch=c000003e syscall=59 success=yes exit=0 a0=563dde797c68 a1=563dde797e88 a2=563dde798058 a3=8 items=2 ppid=17770 pid=17772 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cmake" exe="/usr/bin/cmake" key="procaudit_bench")PA",
    R"PA(type=BPRM_FCAPS msg=audit(1795256499.560:116998): fver=0 fp=0 fi=0 fe=0 old_pp=000001fffeffffff old_pi=0 old_pe=000001fffeffffff old_pa=0 pp=000001fffeffffff pi=0 pe=000001fffeffffff pa=0 frootid=0)PA",
    R"PA(type=EXECVE msg=audit(1795256499.560:116998): argc=10 a0="/usr/bin/cmake" a1="-E" a2="cmake_depends" a3=556E6978204D616B6566696C6573 a4="/work/main" a5="/work/main" a6="/tmp/me/b" a7="/tmp/me/b" a8="/tmp/me/b/CMakeFiles/table_specs.dir/DependInfo.cmake" a9="--color=")PA",
    R"PA(type=CWD msg=audit(1795256499.560:116998): cwd="/tmp/me/b")PA",
    R"PA(type=PATH msg=audit(1795256499.560:116998): item=0 name="/usr/bin/cmake" inode=247196 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PATH msg=audit(1795256499.560:116998): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=332383 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PROCTITLE msg=audit(1795256499.560:116998): proctitle=2F7573722F62696E2F636D616B65002D4500636D616B655F646570656E647300556E6978204D616B6566696C6573002F776F726B2F6D61696E002F776F726B2F6D61696E002F746D702F6D652F62002F746D702F6D652F62002F746D702F6D652F622F434D616B6546696C65732F7461626C655F73706563732E6469722F4465)PA",
};

// ---- File events copied verbatim from a kernel log (the fixture probe, 2026-11-21) ---------
// 2965985: openat(AT_FDCWD, "rel.txt", O_RDONLY), a name relative to the CWD record;
// 2965982: the dynamic loader's openat of libc.so.6 by its absolute path (O_RDONLY|O_CLOEXEC).
// Four records each, as every open of bench/open_storm under --watch-pid.

// serial 2965985
constexpr std::string_view kOpenRelative[] = {
    R"PA(type=SYSCALL msg=audit(1795271162.848:2965985): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=559b3ad08004 a2=0 a3=0 items=1 ppid=9215 pid=9242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="probe" exe="/tmp/me/fx/probe" key="procaudit_test")PA",
    R"PA(type=CWD msg=audit(1795271162.848:2965985): cwd="/tmp/me/fx/d")PA",
    R"PA(type=PATH msg=audit(1795271162.848:2965985): item=0 name="rel.txt" inode=11182110 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PROCTITLE msg=audit(1795271162.848:2965985): proctitle=2F746D702F6D652F66782F70726F6265002F746D702F6D652F66782F64)PA",
};

// serial 2965982
constexpr std::string_view kOpenAbsolute[] = {
    R"PA(type=SYSCALL msg=audit(1795271162.848:2965982): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7fe99b3331e0 a2=80000 a3=0 items=1 ppid=9215 pid=9242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="probe" exe="/tmp/me/fx/probe" key="procaudit_test")PA",
    R"PA(type=CWD msg=audit(1795271162.848:2965982): cwd="/tmp/me/fx")PA",
    R"PA(type=PATH msg=audit(1795271162.848:2965982): item=0 name="/lib/x86_64-linux-gnu/libc.so.6" inode=332835 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0)PA",
    R"PA(type=PROCTITLE msg=audit(1795271162.848:2965982): proctitle=2F746D702F6D652F66782F70726F6265002F746D702F6D652F66782F64)PA",
};

std::vector<std::string_view> Lines(std::span<const std::string_view> records) {
  return {records.begin(), records.end()};
}

// ---- ParseRecordHeader: once per line in the assembler, again in BuildSyscallEvent ------

void BM_ParseRecordHeader(benchmark::State& state, std::string_view line) {
  for (auto _ : state) {
    auto h = audit::ParseRecordHeader(line);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line.size()));
}
BENCHMARK_CAPTURE(BM_ParseRecordHeader, syscall, kStormExecve[0]);
BENCHMARK_CAPTURE(BM_ParseRecordHeader, path, kStormExecve[4]);
BENCHMARK_CAPTURE(BM_ParseRecordHeader, proctitle_hex, kCmakeExecve[6]);

// Every record of the storm's execve event: what the assembler's screening costs per event.
void BM_ParseRecordHeader_ExecEvent(benchmark::State& state) {
  for (auto _ : state) {
    for (std::string_view line : kStormExecve) {
      auto h = audit::ParseRecordHeader(line);
      benchmark::DoNotOptimize(h);
    }
  }
  state.SetItemsProcessed(state.iterations());  // events
}
BENCHMARK(BM_ParseRecordHeader_ExecEvent);

// ---- FieldIterator: the field split under every record parse ---------------------------

void BM_FieldIterator(benchmark::State& state, std::string_view line) {
  const std::string_view body = audit::ParseRecordHeader(line)->body;
  for (auto _ : state) {
    audit::FieldIterator it(body);
    std::string_view name, value;
    int n = 0;
    while (it.Next(name, value)) ++n;
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK_CAPTURE(BM_FieldIterator, syscall, kStormExecve[0]);
BENCHMARK_CAPTURE(BM_FieldIterator, path, kStormExecve[4]);

// ---- BuildSyscallEvent: once per event ----------------------------------------------------

void BM_BuildSyscallEvent(benchmark::State& state, std::span<const std::string_view> records) {
  const std::vector<std::string_view> lines = Lines(records);
  std::string error;
  for (auto _ : state) {
    audit::SyscallEvent ev;
    auto r = audit::BuildSyscallEvent(lines, &ev, &error);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(ev);
  }
  state.SetItemsProcessed(state.iterations());  // events
}
BENCHMARK_CAPTURE(BM_BuildSyscallEvent, storm_execve, kStormExecve);
BENCHMARK_CAPTURE(BM_BuildSyscallEvent, storm_clone, kStormClone);
BENCHMARK_CAPTURE(BM_BuildSyscallEvent, storm_exit_group, kStormExitGroup);
BENCHMARK_CAPTURE(BM_BuildSyscallEvent, cmake_execve, kCmakeExecve);

// ---- A file event: BuildAuditEvent, then ResolveFileEvent (the worker and the file tracker) --
// What each open of an open storm costs before the ring: the records parsed into a FileEvent,
// then its operation and absolute path worked out (no descriptor known: AT_FDCWD needs none).

void BM_FileEvent_BuildAndResolve(benchmark::State& state,
                                  std::span<const std::string_view> records) {
  const std::vector<std::string_view> lines = Lines(records);
  const audit::FdLookup no_fds = [](int32_t) -> const audit::FdTarget* { return nullptr; };
  audit::SyscallEvent ev;
  audit::FileEvent file;
  std::string error;
  if (audit::BuildAuditEvent(lines, &ev, &file, &error) != audit::BuildResult::kFileEvent) {
    state.SkipWithError(("not a file event: " + error).c_str());
    return;
  }
  for (auto _ : state) {
    auto r = audit::BuildAuditEvent(lines, &ev, &file, &error);
    const audit::ResolvedFile resolved = audit::ResolveFileEvent(file, no_fds);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(resolved);
  }
  state.SetItemsProcessed(state.iterations());  // events
}
BENCHMARK_CAPTURE(BM_FileEvent_BuildAndResolve, openat_relative, kOpenRelative);
BENCHMARK_CAPTURE(BM_FileEvent_BuildAndResolve, openat_absolute, kOpenAbsolute);

// ---- StringPool::Intern: several times per row ---------------------------------------------

void BM_StringPool_Intern_Repeated(benchmark::State& state, std::string_view s) {
  StringPool pool;
  pool.Intern(s);
  for (auto _ : state) {
    auto id = pool.Intern(s);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK_CAPTURE(BM_StringPool_Intern_Repeated, path, std::string_view("/usr/bin/true"));
BENCHMARK_CAPTURE(BM_StringPool_Intern_Repeated, cmake_cmdline,
                  std::string_view("/usr/bin/cmake -E cmake_depends Unix Makefiles /work/main "
                                   "/work/main /tmp/me/b /tmp/me/b "
                                   "/tmp/me/b/CMakeFiles/table_specs.dir/DependInfo.cmake "
                                   "--color="));

// A path from a std::string built per event, as the tracker does with decoded values.
void BM_StringPool_Intern_RepeatedFromString(benchmark::State& state) {
  StringPool pool;
  pool.Intern("/usr/bin/true");
  for (auto _ : state) {
    std::string decoded("/usr/bin/true");
    auto id = pool.Intern(decoded);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_StringPool_Intern_RepeatedFromString);

// ---- EventRing: the writer's append, alone and while a query reads -------------------------
// A full ring (it evicts one row per append), a row with the strings of an exec. With a
// reader, another thread takes snapshots and reads 1,000 rows of each, as cursors would: the
// append must not wait for it (the time per append may still grow from sharing the CPUs).

void AppendRows(benchmark::State& state, audit::EventRing& ring) {
  int64_t n = 0;
  for (auto _ : state) {
    ring.Write([&](audit::EventRing::Writer& w) {
      audit::ProcessEventRow row;
      row.pid = 1000 + static_cast<int32_t>(n % 30000);
      row.time_ms = n++;
      row.path = w.Intern("/usr/bin/true");
      row.cmdline = w.Intern("/usr/bin/true");
      row.cwd = w.Intern("/tmp");
      w.Append(row);
    });
  }
  state.SetItemsProcessed(state.iterations());  // rows
}

void BM_EventRing_Append(benchmark::State& state) {
  audit::EventRing ring(1 << 18);
  AppendRows(state, ring);
}
BENCHMARK(BM_EventRing_Append);

void BM_EventRing_AppendWhileReading(benchmark::State& state) {
  audit::EventRing ring(1 << 18);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const audit::EventRing::Reader r(ring);
      int64_t sum = 0;
      for (int64_t eid = r.first_eid(); eid < r.end_eid() && eid < r.first_eid() + 1000; ++eid) {
        sum += r.Row(eid).pid;
      }
      benchmark::DoNotOptimize(sum);
    }
  });
  AppendRows(state, ring);
  stop = true;
  reader.join();
}
BENCHMARK(BM_EventRing_AppendWhileReading)->UseRealTime();

// ---- ProcessTracker::Submit: one storm round (clone, execve, exit_group) -------------------
// The three real events, decoded once; each iteration submits them with fresh serials,
// times and pids (pids cycle over 30,000, like the storm's), into a ring that evicts.

void BM_Tracker_StormRound(benchmark::State& state) {
  std::string error;
  audit::SyscallEvent clone, exec, exit_group;
  audit::BuildSyscallEvent(Lines(kStormClone), &clone, &error);
  audit::BuildSyscallEvent(Lines(kStormExecve), &exec, &error);
  audit::BuildSyscallEvent(Lines(kStormExitGroup), &exit_group, &error);
  audit::EventRing ring(1 << 18);
  audit::PipelineStats stats;
  audit::ProcessTracker tracker(ring, stats);
  uint32_t serial = exec.serial;
  int64_t time_ms = exec.time_ms;
  int64_t n = 0;
  for (auto _ : state) {
    const int32_t child = 1000 + static_cast<int32_t>(n++ % 30000);
    audit::SyscallEvent c = clone, e = exec, x = exit_group;
    c.serial = serial++;
    e.serial = serial++;
    x.serial = serial++;
    c.time_ms = e.time_ms = x.time_ms = time_ms++;
    c.exit = child;
    e.pid = x.pid = child;
    tracker.Submit(std::move(c));
    tracker.Submit(std::move(e));
    tracker.Submit(std::move(x));
  }
  tracker.Flush();
  state.SetItemsProcessed(state.iterations());  // rounds (3 events, 3 rows)
}
BENCHMARK(BM_Tracker_StormRound);

}  // namespace
