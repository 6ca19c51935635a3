#include "audit/event_store.h"

#include <sys/stat.h>

#include <cstdio>

namespace procaudit::audit {
namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

// The files' identity: a replay is reused only while every file is unchanged.
std::string Identity(const std::vector<std::string>& paths) {
  std::string id;
  for (const std::string& p : paths) {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0) return {};  // let the replay report the error
    id += p + '\0' + std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' +
          std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) + '.' +
          std::to_string(st.st_mtim.tv_nsec) + '\0';
  }
  return id;
}

}  // namespace

std::shared_ptr<EventStore> EventStore::Replay(
    const std::vector<std::string>& paths, size_t capacity,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  auto store = std::make_shared<EventStore>(Join(paths), capacity);
  std::unique_ptr<EventSource> source = OpenFileSource(paths);  // throws, naming the path
  Pipeline pipeline(std::move(source), store->ring_, store->file_ring_, store->stats_);
  const std::string error = pipeline.Wait(progress);
  if (!error.empty()) throw std::runtime_error(error);
  store->final_gaps_ = pipeline.serial_gaps();
  return store;
}

std::shared_ptr<EventStore> EventStore::FromHistory(std::string description, size_t capacity,
                                                    const HistoryLoader& history) {
  auto store = std::make_shared<EventStore>(std::move(description), capacity);
  if (history) history(store->ring_, store->file_ring_);
  return store;
}

std::shared_ptr<EventStore> EventStore::Follow(std::unique_ptr<EventSource> source,
                                               std::string description, size_t capacity,
                                               const HistoryLoader& history) {
  auto store = std::make_shared<EventStore>(std::move(description), capacity);
  if (history) history(store->ring_, store->file_ring_);
  store->Attach(std::move(source));
  return store;
}

void EventStore::Attach(std::unique_ptr<EventSource> source) {
  pipeline_ = std::make_unique<Pipeline>(std::move(source), ring_, file_ring_, stats_);
}

uint64_t EventStore::serial_gaps() const {
  return pipeline_ ? pipeline_->serial_gaps() : final_gaps_;
}

std::string EventStore::Warning() const {
  std::string out;
  const uint64_t bad = stats_.bad_records.load();
  if (bad > 0) {
    out = description_ + ": skipped " + std::to_string(bad) + " bad record" +
          (bad == 1 ? "" : "s") + " (first: " + stats_.first_bad() + ")";
  }
  auto evictions = [&](const char* what, uint64_t evicted, size_t rows) {
    if (evicted == 0) return;
    out += (out.empty() ? description_ + ": " : "; ") + std::to_string(evicted) + " oldest " +
           what + " did not fit in the ring of " + std::to_string(rows) + " and are not shown";
  };
  const EventRing::Usage processes = ring_.usage();
  evictions("events", processes.evicted, processes.rows);
  const FileRing::Usage files = file_ring_.usage();
  evictions("file events", files.evicted, files.rows);
  return out;
}

void EventSources::SetSession(std::shared_ptr<EventStore> store) {
  std::lock_guard lock(mutex_);
  session_ = std::move(store);
}

std::shared_ptr<EventStore> EventSources::Session() {
  std::lock_guard lock(mutex_);
  if (!session_ && live) session_ = live();
  return session_;
}

std::shared_ptr<EventStore> EventSources::CurrentSession() const {
  std::lock_guard lock(mutex_);
  return session_;
}

std::shared_ptr<EventStore> EventSources::ForArgument(const std::string& spec) {
  const std::vector<std::string> paths = ExpandLogPaths(spec);
  const std::string identity = Identity(paths);
  std::lock_guard lock(mutex_);  // one replay at a time; others wait for its result
  if (!identity.empty()) {
    for (auto it = replays_.begin(); it != replays_.end(); ++it) {
      if (it->identity == identity) {
        replays_.splice(replays_.begin(), replays_, it);
        return it->store;
      }
    }
  }
  std::shared_ptr<EventStore> store = EventStore::Replay(paths, capacity, progress);
  if (std::string w = store->Warning(); !w.empty()) {
    if (warn) warn(w);
    else std::fprintf(stderr, "procaudit: warning: %s\n", w.c_str());
  }
  if (!identity.empty()) {
    replays_.push_front(Cached{identity, store});
    if (replays_.size() > kCachedReplays) replays_.pop_back();
  }
  return store;
}

std::vector<std::shared_ptr<EventStore>> EventSources::All() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<EventStore>> out;
  if (session_) out.push_back(session_);
  for (const Cached& c : replays_) out.push_back(c.store);
  return out;
}

}  // namespace procaudit::audit
