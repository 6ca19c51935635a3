// Google Benchmark over the durable store (src/store/): the write path the daemon's store
// thread runs every second, and the load path a restart runs, on real process_events rows
// written to a real disk.
//
//   build/bench/store_bench [--exec-log=PATH] [--storm-log=PATH] [--dir=DIR] [--rows=N]
//                           [benchmark flags, e.g. --benchmark_filter=Append]
//
// The rows come from replaying audit logs once, through the real pipeline:
//   exec   --exec-log (/var/tmp/procaudit-bench/big-exec.log, bench/ring_memory.py): the
//          recorded storm's exec events repeated to 1,000,000: exec rows only, the widest rows
//          (path, cmdline, argv, cwd, parent's path and cmdline)
//   storm  --storm-log (/var/tmp/procaudit-bench/storm.log, bench/record_storm.py): the storm
//          as recorded, forks, execs and exits (a third of the rows are execs), cycled through
// When neither log is there (no root to record one), the fixture logs of tests/fixtures/audit
// stand in, as the source "fixtures" (its context line names the files).
//
// The store files go to --dir (/var/tmp/procaudit-bench/store-bench): /var/tmp, not /tmp, as
// /tmp may be tmpfs; the context line "store_fs" names the file system.
//
// Benchmarks (time is manual: only EventDb's work counts, not the copying of rows into the ring
// that stands in for the pipeline):
//   BM_StoreAppend/SOURCE          --rows rows (1,000,000) into a fresh store, one Append (one
//                                  transaction) per 20,000 rows: what the store thread writes
//                                  each second at 20,000 rows/s. items_per_second: rows/s.
//   BM_StoreAppendWhileFilling/SOURCE  a writer thread fills the ring at the rate that carries
//                                  20,000 execs/s, while the store thread takes a snapshot and
//                                  Appends it once a second, as StoreWriter does; 10 batches.
//   BM_StoreLoad/SOURCE/cold:C     EventDb::Open + LoadInto of a 1,000,000-row store into empty
//                                  rings (a restart); cold:1 drops the file from the page cache
//                                  first (posix_fadvise), cold:0 reads it from the cache.
//   BM_StoreRetention/SOURCE/percent:P  ApplyRetention by size deleting the oldest P% of that
//                                  store (a copy): the minute's pause of the store thread.
// Counters: bytes_per_event (the file after a final checkpoint, main file + WAL, over its rows),
// batch_ms_median and batch_ms_max, cpu_us_per_event (Append's CPU time, this thread's: the
// rest of its time is waiting for the disk), wal_peak_MB (the WAL's largest size after a batch),
// execs_per_second (rows/s times the share of exec rows), busy (Append time over wall time),
// unstored (rows the ring evicted before a batch took them: must be 0).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/event_ring.h"
#include "audit/event_store.h"
#include "audit/file_event_row.h"
#include "store/event_db.h"

namespace {

namespace audit = procaudit::audit;
namespace store = procaudit::store;
using Clock = std::chrono::steady_clock;

constexpr int64_t kBatchRows = 20'000;  // one second of the target: 20,000 execs/s
constexpr double kTargetExecsPerS = 20'000;

struct Options {
  std::string exec_log = "/var/tmp/procaudit-bench/big-exec.log";
  std::string storm_log = "/var/tmp/procaudit-bench/storm.log";
  std::string dir = "/var/tmp/procaudit-bench/store-bench";
  int64_t rows = 1'000'000;
};
Options options;

// The replayed rows of one source, read through a snapshot of its ring.
struct Source {
  std::string name;
  std::string description;
  std::shared_ptr<audit::EventStore> events;
  std::unique_ptr<audit::EventRing::Reader> rows;
  double exec_share = 0;  // execve and execveat rows over all rows
};

// ---- Rows into a ring, as the pipeline puts them there ------------------------------------

constexpr audit::StrId audit::ProcessEventRow::*kTextFields[] = {
    &audit::ProcessEventRow::arch,        &audit::ProcessEventRow::path,
    &audit::ProcessEventRow::cwd,         &audit::ProcessEventRow::cmdline,
    &audit::ProcessEventRow::argv_json,   &audit::ProcessEventRow::parent_path,
    &audit::ProcessEventRow::parent_cmdline, &audit::ProcessEventRow::tty,
    &audit::ProcessEventRow::comm,        &audit::ProcessEventRow::key,
    &audit::ProcessEventRow::cgroup,      &audit::ProcessEventRow::container_id,
};

// Appends row n of the source (cycling) to w, its strings interned in w's pool.
void AppendSourceRow(const Source& source, int64_t n, audit::EventRing::Writer& w) {
  const audit::EventRing::Reader& r = *source.rows;
  const int64_t count = r.end_eid() - r.first_eid();
  audit::ProcessEventRow row = r.Row(r.first_eid() + n % count);
  for (audit::StrId audit::ProcessEventRow::*field : kTextFields) {
    const auto text = r.Text(row.*field);
    row.*field = text ? w.Intern(*text) : procaudit::StringPool::kNull;
  }
  w.Append(row);
}

// ---- Files ---------------------------------------------------------------------------------

void RemoveStore(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix);
  }
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// Checkpoints the WAL into the main file from a second connection (the EventDb keeps its own
// open), as the daemon's store would be after a quiet moment, and returns main file + WAL.
int64_t CheckpointedBytes(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  return FileSize(path) + FileSize(path + "-wal");
}

// "ext4 /dev/vda on /": the mount holding dir, from /proc/self/mountinfo (longest prefix).
std::string FileSystemOf(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, best_point, best;
  const std::string canonical = std::filesystem::weakly_canonical(dir).string() + "/";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point, field;
    fields >> id >> parent >> devno >> root >> point;
    while (fields >> field && field != "-") {
    }
    std::string type, device;
    fields >> type >> device;
    const std::string prefix = point == "/" ? "/" : point + "/";
    if (canonical.starts_with(prefix) && point.size() >= best_point.size()) {
      best_point = point;
      best = type + " " + device + " on " + point;
    }
  }
  return best.empty() ? "unknown" : best;
}

// This thread's CPU time, to tell Append's computing from its waiting for the disk.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---- The write path ------------------------------------------------------------------------

// --rows rows in batches of 20,000, one Append each, into a fresh store.
void BM_StoreAppend(benchmark::State& state, const Source* source) {
  const std::string path = options.dir + "/append-" + source->name + ".db";
  RemoveStore(path);
  std::unique_ptr<store::EventDb> db = store::EventDb::Open(path);
  audit::EventRing ring(4 * kBatchRows);  // the daemon's is larger; 4 batches never evict here
  audit::FileRing files(1);
  int64_t n = 0, written = 0, wal_peak = 0;
  double cpu_s = 0;
  std::vector<double> batch_ms;
  for (auto _ : state) {
    ring.Write([&](audit::EventRing::Writer& w) {
      for (int64_t i = 0; i < kBatchRows; ++i) AppendSourceRow(*source, n++, w);
    });
    const audit::EventRing::Reader reader(ring);
    const double cpu0 = ThreadCpuSeconds();
    const auto t0 = Clock::now();
    const int64_t rows = db->Append(reader, audit::FileRing::Reader(files));
    const std::chrono::duration<double> took = Clock::now() - t0;
    cpu_s += ThreadCpuSeconds() - cpu0;
    if (rows != kBatchRows) {
      state.SkipWithError(("Append: " + db->error()).c_str());
      break;
    }
    state.SetIterationTime(took.count());
    batch_ms.push_back(took.count() * 1e3);
    written += rows;
    wal_peak = std::max(wal_peak, FileSize(path + "-wal"));
  }
  const int64_t bytes = CheckpointedBytes(path);
  const store::EventDb::Usage usage = db->usage();
  state.SetItemsProcessed(written);
  state.counters["rows"] = static_cast<double>(usage.rows);
  state.counters["bytes_per_event"] = static_cast<double>(bytes) / static_cast<double>(written);
  state.counters["page_bytes_per_event"] =
      static_cast<double>(usage.bytes) / static_cast<double>(usage.rows);
  state.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["wal_peak_MB"] = static_cast<double>(wal_peak) / 1e6;
  state.counters["batch_ms_median"] = Median(batch_ms);
  state.counters["batch_ms_max"] = *std::max_element(batch_ms.begin(), batch_ms.end());
  state.counters["cpu_us_per_event"] = cpu_s * 1e6 / static_cast<double>(written);
  state.counters["execs_per_second"] = benchmark::Counter(
      static_cast<double>(written) * source->exec_share, benchmark::Counter::kIsRate);
  state.counters["exec_share"] = source->exec_share;
}

// The daemon's shape: a writer thread fills the ring at the rate that carries 20,000 execs/s
// (in bursts every 10 ms, as records arrive), and this thread is the store thread: once a
// second, a snapshot and one Append of what it holds.
void BM_StoreAppendWhileFilling(benchmark::State& state, const Source* source) {
  const std::string path = options.dir + "/filling-" + source->name + ".db";
  RemoveStore(path);
  std::unique_ptr<store::EventDb> db = store::EventDb::Open(path);
  // A source without execs (a fixture) fills at 20,000 rows/s.
  const double rows_per_s =
      source->exec_share > 0 ? kTargetExecsPerS / source->exec_share : kTargetExecsPerS;
  audit::EventRing ring(static_cast<size_t>(rows_per_s * 4));  // 4 s of rows before eviction
  audit::FileRing files(1);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const auto start = Clock::now();
    int64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::chrono::duration<double> since = Clock::now() - start;
      const auto due = static_cast<int64_t>(since.count() * rows_per_s);
      ring.Write([&](audit::EventRing::Writer& w) {
        while (n < due) AppendSourceRow(*source, n++, w);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  int64_t written = 0;
  double busy_s = 0;
  std::vector<double> batch_ms;
  const auto start = Clock::now();
  auto next = start + std::chrono::seconds(1);
  for (auto _ : state) {
    std::this_thread::sleep_until(next);
    next += std::chrono::seconds(1);
    const auto t0 = Clock::now();
    const audit::EventRing::Reader reader(ring);
    const int64_t rows = db->Append(reader, audit::FileRing::Reader(files));
    const std::chrono::duration<double> took = Clock::now() - t0;
    if (rows < 0) {
      state.SkipWithError(("Append: " + db->error()).c_str());
      break;
    }
    state.SetIterationTime(took.count());
    batch_ms.push_back(took.count() * 1e3);
    busy_s += took.count();
    written += rows;
  }
  const std::chrono::duration<double> wall = Clock::now() - start;
  stop = true;
  writer.join();
  // The last rows, as StoreWriter::Stop writes them; then every row the ring was given must be
  // in the store (none evicted before its batch came).
  db->Append(audit::EventRing::Reader(ring), audit::FileRing::Reader(files));
  const int64_t unstored = (ring.end_eid() - 1) - db->usage().rows;
  const int64_t bytes = CheckpointedBytes(path);
  state.SetItemsProcessed(written);
  state.counters["fill_rows_per_s"] = rows_per_s;
  state.counters["rows_per_batch"] =
      static_cast<double>(written) / static_cast<double>(batch_ms.size());
  state.counters["batch_ms_median"] = Median(batch_ms);
  state.counters["batch_ms_max"] = *std::max_element(batch_ms.begin(), batch_ms.end());
  state.counters["busy"] = busy_s / wall.count();
  state.counters["unstored"] = static_cast<double>(unstored);
  state.counters["bytes_per_event"] =
      static_cast<double>(bytes) / static_cast<double>(ring.end_eid() - 1);
  state.counters["execs_per_second"] = benchmark::Counter(
      static_cast<double>(written) * source->exec_share, benchmark::Counter::kIsRate);
}

// ---- The load path -------------------------------------------------------------------------

// A store of --rows rows of the source, written once per process (outside any timing).
std::string LoadFixture(const Source& source) {
  const std::string path = options.dir + "/load-" + source.name + ".db";
  static std::vector<std::string> made;
  if (std::find(made.begin(), made.end(), path) != made.end()) return path;
  RemoveStore(path);
  {
    std::unique_ptr<store::EventDb> db = store::EventDb::Open(path);
    audit::EventRing ring(4 * kBatchRows);
    audit::FileRing files(1);
    for (int64_t n = 0; n < options.rows;) {
      ring.Write([&](audit::EventRing::Writer& w) {
        for (int64_t i = 0; i < kBatchRows && n < options.rows; ++i) {
          AppendSourceRow(source, n++, w);
        }
      });
      if (db->Append(audit::EventRing::Reader(ring), audit::FileRing::Reader(files)) < 0) {
        throw std::runtime_error(db->error());
      }
    }
  }  // closing the last connection checkpoints the WAL into the file and removes it
  made.push_back(path);
  return path;
}

void DropFromPageCache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void BM_StoreLoad(benchmark::State& state, const Source* source) {
  const bool cold = state.range(0) != 0;
  std::string path;
  try {
    path = LoadFixture(*source);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  int64_t loaded = 0;
  for (auto _ : state) {
    if (cold) DropFromPageCache(path);
    audit::EventRing ring(static_cast<size_t>(options.rows));
    audit::FileRing files(1);
    const auto t0 = Clock::now();
    std::unique_ptr<store::EventDb> db = store::EventDb::Open(path);
    db->LoadInto(ring, files);
    const std::chrono::duration<double> took = Clock::now() - t0;
    state.SetIterationTime(took.count());
    loaded += static_cast<int64_t>(ring.usage().rows);
    db.reset();
  }
  state.SetItemsProcessed(loaded);
  state.counters["rows_loaded"] =
      static_cast<double>(loaded) / static_cast<double>(state.iterations());
  state.counters["file_MB"] = static_cast<double>(FileSize(path)) / 1e6;
}

// ---- Retention -----------------------------------------------------------------------------

// ApplyRetention by size on a copy of the load fixture, its limit set so that arg percent of the
// rows go: at the store's limit, each minute's retention deletes what a minute brought. It holds
// the EventDb's lock throughout, so the store thread's Append waits for it.
void BM_StoreRetention(benchmark::State& state, const Source* source) {
  const double fraction = static_cast<double>(state.range(0)) / 100;
  std::string fixture;
  try {
    fixture = LoadFixture(*source);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::string path = options.dir + "/retention-" + source->name + ".db";
  int64_t deleted = 0, bytes_after = 0;
  for (auto _ : state) {
    RemoveStore(path);
    std::filesystem::copy_file(fixture, path);
    std::unique_ptr<store::EventDb> db = store::EventDb::Open(path);
    store::Retention retention;
    retention.max_age_s = int64_t{1} << 40;  // by size only
    retention.max_bytes =
        static_cast<int64_t>(static_cast<double>(db->usage().bytes) * (1 - fraction));
    const auto t0 = Clock::now();
    const int64_t n = db->ApplyRetention(retention, 0);
    const std::chrono::duration<double> took = Clock::now() - t0;
    if (n < 0) {
      state.SkipWithError(("ApplyRetention: " + db->error()).c_str());
      break;
    }
    state.SetIterationTime(took.count());
    deleted += n;
    db.reset();
    bytes_after = FileSize(path) + FileSize(path + "-wal");
  }
  state.SetItemsProcessed(deleted);
  state.counters["rows_deleted"] =
      static_cast<double>(deleted) / static_cast<double>(state.iterations());
  state.counters["file_MB_after"] = static_cast<double>(bytes_after) / 1e6;
}

// ---- Sources and registration --------------------------------------------------------------

std::unique_ptr<Source> Replay(const std::string& name, const std::vector<std::string>& paths,
                               std::string description) {
  auto source = std::make_unique<Source>();
  source->name = name;
  source->description = std::move(description);
  const auto t0 = Clock::now();
  source->events = audit::EventStore::Replay(paths, 2'000'000, {});
  source->rows = std::make_unique<audit::EventRing::Reader>(source->events->ring());
  const audit::EventRing::Reader& r = *source->rows;
  int64_t execs = 0;
  for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
    const audit::ProcessSyscall s = r.Row(eid).syscall;
    execs += s == audit::ProcessSyscall::kExecve || s == audit::ProcessSyscall::kExecveat;
  }
  const int64_t rows = r.end_eid() - r.first_eid();
  source->exec_share = rows > 0 ? static_cast<double>(execs) / static_cast<double>(rows) : 0;
  const std::chrono::duration<double> took = Clock::now() - t0;
  std::fprintf(stderr, "store_bench: %s: %lld rows (%lld execs) replayed in %.1f s\n",
               name.c_str(), static_cast<long long>(rows), static_cast<long long>(execs),
               took.count());
  if (rows == 0) return nullptr;
  return source;
}

std::vector<std::string> FixtureLogs() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(PROCAUDIT_FIXTURES_AUDIT)) {
    if (entry.path().extension() == ".log") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Register(const Source* source) {
  benchmark::RegisterBenchmark(("BM_StoreAppend/" + source->name).c_str(), BM_StoreAppend, source)
      ->Iterations((options.rows + kBatchRows - 1) / kBatchRows)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_StoreAppendWhileFilling/" + source->name).c_str(),
                               BM_StoreAppendWhileFilling, source)
      ->Iterations(10)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_StoreLoad/" + source->name).c_str(), BM_StoreLoad, source)
      ->ArgName("cold")
      ->Arg(0)
      ->Arg(1)
      ->Iterations(3)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("BM_StoreRetention/" + source->name).c_str(), BM_StoreRetention,
                               source)
      ->ArgName("percent")
      ->Arg(30)
      ->Iterations(2)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

// Takes our flags out of argv, leaving Google Benchmark's. Returns false on a bad one.
bool ParseFlags(int& argc, char** argv) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag, std::string& into) {
      if (!arg.starts_with(flag)) return false;
      into = std::string(arg.substr(flag.size()));
      return true;
    };
    std::string rows;
    if (value("--exec-log=", options.exec_log) || value("--storm-log=", options.storm_log) ||
        value("--dir=", options.dir)) {
      continue;
    }
    if (value("--rows=", rows)) {
      options.rows = std::atoll(rows.c_str());
      if (options.rows <= 0) {
        std::fprintf(stderr, "store_bench: --rows must be positive\n");
        return false;
      }
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!ParseFlags(argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    std::fprintf(stderr, "store_bench: %s: %s\n", options.dir.c_str(), ec.message().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<Source>> sources;
  try {
    const bool have_exec = std::filesystem::exists(options.exec_log);
    const bool have_storm = std::filesystem::exists(options.storm_log);
    if (have_exec) sources.push_back(Replay("exec", {options.exec_log}, options.exec_log));
    if (have_storm) sources.push_back(Replay("storm", {options.storm_log}, options.storm_log));
    if (!have_exec && !have_storm) {
      // No recorded storm here: the fixture logs (a few hundred real rows) stand in.
      const std::vector<std::string> logs = FixtureLogs();
      std::string joined;
      for (const std::string& log : logs) joined += (joined.empty() ? "" : ",") + log;
      sources.push_back(Replay("fixtures", logs, "fixture logs (no storm log): " + joined));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store_bench: %s\n", e.what());
    return 1;
  }
  std::erase(sources, nullptr);
  if (sources.empty()) {
    std::fprintf(stderr, "store_bench: the logs hold no process rows\n");
    return 1;
  }
  benchmark::AddCustomContext("store_dir", options.dir);
  benchmark::AddCustomContext("store_fs", FileSystemOf(options.dir));
  benchmark::AddCustomContext("sqlite", sqlite3_libversion());
  benchmark::AddCustomContext("batch_rows", std::to_string(kBatchRows));
  for (const auto& source : sources) {
    benchmark::AddCustomContext("source_" + source->name, source->description);
    Register(source.get());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
