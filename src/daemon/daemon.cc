#include "daemon/daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "acct/live_acct.h"
#include "daemon/config.h"
#include "daemon/log_sink.h"
#include "daemon/privileges.h"
#include "daemon/scheduler.h"
#include "netlink/live_capture.h"
#include "shell/shell.h"
#include "shell/signals.h"
#include "store/event_db.h"
#include "store/store_writer.h"

namespace procaudit::daemon {
namespace {

constexpr const char* kDefaultLoggerPath = "/var/log/procaudit";
constexpr const char* kDefaultStore = "/var/lib/procaudit/events.db";
constexpr uint64_t kDefaultRotateSize = 25 << 20;
constexpr uint64_t kDefaultRotateFiles = 10;

void Log(const std::string& line) {
  std::fprintf(stderr, "procaudit: %s\n", line.c_str());
  std::fflush(stderr);
}

// What the signal thread asks of the main loop.
class Requests {
 public:
  void Post(int signo) {
    std::lock_guard lock(mutex_);
    (signo == SIGHUP ? reload_ : stop_) = true;
    cv_.notify_all();
  }
  // Waits until deadline or a request. Returns {stop, reload}, clearing reload.
  std::pair<bool, bool> WaitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return stop_ || reload_; });
    return {stop_, std::exchange(reload_, false)};
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, reload_ = false;
};

std::unique_ptr<LogSink> OpenSink(const ShellOptions::Daemon& cli, const DaemonSettings& s,
                                  std::string& error) {
  const std::string kind = cli.logger.value_or(s.logger_plugin.value_or("filesystem"));
  if (kind == "syslog") return OpenSyslogSink();
  if (kind != "filesystem") {
    error = "logger_plugin: filesystem or syslog, not '" + kind + "'";
    return nullptr;
  }
  const std::string dir = cli.logger_path.value_or(s.logger_path.value_or(kDefaultLoggerPath));
  return OpenFileSink(dir, s.logger_rotate_size.value_or(kDefaultRotateSize),
                      s.logger_rotate_max_files.value_or(kDefaultRotateFiles), error);
}

// --check-config: every query prepared against procaudit's tables, nothing started.
int CheckConfig(const ShellOptions& options, const DaemonConfig& config) {
  ShellOptions quiet = options;
  quiet.live.mode = netlink::AuditMode::kOff;
  quiet.acct = false;
  Shell shell(quiet, stdout, stderr);
  if (!shell.error().empty()) {
    Log(shell.error());
    return 1;
  }
  std::unique_ptr<LogSink> none;
  Scheduler scheduler({.db = shell.db(), .context = &shell.context(), .sink = none.get(),
                       .store = nullptr, .host_identifier = "", .log = Log});
  const size_t runnable = scheduler.Load(config);
  std::printf("%s: %zu scheduled quer%s, %zu would run\n", options.daemon.config.c_str(),
              config.queries.size(), config.queries.size() == 1 ? "y" : "ies", runnable);
  return 0;
}

}  // namespace

// The config says what SQL runs as root: one that others may write would let them choose.
std::string CheckConfigOwnership(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";  // the loader reports it, naming the file
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return path + ": writable by group or others, who could then choose the SQL the daemon "
                  "runs (chmod go-w " + path + ")";
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return path + ": owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the daemon's user";
  }
  return "";
}

int RunDaemon(const ShellOptions& options) {
  const ShellOptions::Daemon& cli = options.daemon;
  std::string error = CheckConfigOwnership(cli.config);
  if (!error.empty()) {
    Log(error);
    return 1;
  }
  std::optional<DaemonConfig> config = LoadDaemonConfig(cli.config, error);
  if (!config) {
    Log(error);
    return 1;
  }
  for (const std::string& note : config->notes) Log(note);
  const DaemonSettings& settings = config->settings;
  if (cli.check_config) return CheckConfig(options, *config);

  std::unique_ptr<LogSink> sink = OpenSink(cli, settings, error);
  if (!sink) {
    Log(error);
    return 1;
  }
  std::shared_ptr<store::EventDb> store;
  ShellOptions session = options;
  if (!cli.no_store) {
    try {
      store = store::EventDb::Open(cli.store.value_or(settings.store_path.value_or(kDefaultStore)));
      store->SetWriteLog(Log);
    } catch (const std::exception& e) {
      Log(std::string("store: ") + e.what());
      return 1;
    }
    session.live.history = [store](audit::EventRing& processes, audit::FileRing& files) {
      store->LoadInto(processes, files);
    };
  }
  Shell shell(session, stdout, stderr);
  if (!shell.error().empty()) {
    Log(shell.error());
    return 1;
  }
  if (const std::string why = shell.StartLiveAcct(); !why.empty()) {
    Log(why);
    return 1;
  }
  if (options.live.mode != netlink::AuditMode::kOff) {
    if (const std::string why = shell.StartLiveCapture(); !why.empty()) {
      Log("live capture: " + why);
      return 1;
    }
  }
  std::shared_ptr<audit::EventStore> events = shell.context().events->CurrentSession();
  std::unique_ptr<store::StoreWriter> writer;
  if (store && events) {
    store::Retention retention;
    if (settings.store_max_age_s) retention.max_age_s = static_cast<int64_t>(*settings.store_max_age_s);
    if (settings.store_max_bytes) retention.max_bytes = static_cast<int64_t>(*settings.store_max_bytes);
    writer = std::make_unique<store::StoreWriter>(store, events, retention);
  }
  if (const std::string why = DropPrivileges(Log); !why.empty()) {
    Log(why);
    return 1;
  }

  const std::string host = cli.host_identifier.value_or(ResolveHostIdentifier(settings));
  Scheduler scheduler({.db = shell.db(), .context = &shell.context(), .sink = sink.get(),
                       .store = store, .host_identifier = host, .log = Log});
  const size_t running = scheduler.Load(*config);
  Log("daemon started: " + std::to_string(running) + " scheduled quer" +
      (running == 1 ? "y" : "ies") + " from " + cli.config +
      (events ? ", capturing from " + events->description() : ", no live capture") +
      (store ? ", store " + store->path() : ", no store"));

  Requests requests;
  ScopedSignalHandler on_signal([&](int signo) {
    requests.Post(signo);
    return true;
  });
  auto next = std::chrono::steady_clock::now();
  while (true) {
    next = scheduler.RunDue(std::chrono::steady_clock::now());
    const auto [stop, reload] = requests.WaitUntil(next);
    if (stop) break;
    if (!reload) continue;
    std::optional<DaemonConfig> fresh = LoadDaemonConfig(cli.config, error);
    if (!fresh) {
      Log("reload failed, the running config stays: " + error);
      continue;
    }
    for (const std::string& note : fresh->notes) Log(note);
    const size_t n = scheduler.Load(*fresh);
    Log("config reloaded: " + std::to_string(n) + " scheduled quer" + (n == 1 ? "y" : "ies") +
        " (options take effect at the next start)");
  }

  // The capture first, so the last batch holds every event it delivered.
  netlink::StopLiveCapture();
  acct::StopLiveAcct();
  if (writer) writer->Stop();
  const auto s = scheduler.stats();
  Log("daemon stopped: " + std::to_string(s.runs) + " runs, " + std::to_string(s.rows_logged) +
      " rows logged" +
      (writer ? ", " + std::to_string(writer->stats().rows_written) + " events stored" : ""));
  return 0;
}

}  // namespace procaudit::daemon
