#include "sql/follow_window.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "acct/acct_record.h"

namespace procaudit {

int64_t EndEid(const audit::EventStore& store, RingKind kind) {  // an atomic read
  return kind == RingKind::kFile ? store.file_ring().end_eid() : store.ring().end_eid();
}

// The ends are read without the window's lock held: Clip takes that lock inside a ring's
// reader lock, so taking them in the other order here could deadlock behind a waiting writer.
std::vector<std::pair<FollowWindow::RingId, int64_t>> FollowWindow::Ends() const {
  std::vector<std::pair<std::shared_ptr<const audit::EventStore>, RingKind>> rings;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, entry] : stores_) rings.emplace_back(entry.store, key.second);
  }
  std::vector<std::pair<RingId, int64_t>> ends;
  for (const auto& [store, kind] : rings) {
    ends.emplace_back(RingId{store.get(), kind}, EndEid(*store, kind));
  }
  return ends;
}

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The whole records a file holds now; a file that went away keeps its last count.
int64_t RecordsNow(const std::string& path, int64_t fallback) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return fallback;
  return static_cast<int64_t>(st.st_size) / static_cast<int64_t>(acct::kRecordSize);
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> FollowWindow::FileEnds() const {
  std::vector<std::pair<std::string, int64_t>> files;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [path, window] : files_) files.emplace_back(path, window.hi);
  }
  for (auto& [path, end] : files) end = RecordsNow(path, end);
  return files;
}

void FollowWindow::BeginRound() {
  const auto ends = Ends();
  const auto file_ends = FileEnds();
  const int64_t now = NowMs();
  std::lock_guard lock(mutex_);
  for (const auto& [ring, end] : ends) {
    Entry& e = stores_.at(ring);
    if (end > e.window.hi) e.grew_ms = now;
    e.window.lo = e.window.hi;
    e.window.hi = end;
  }
  for (const auto& [path, end] : file_ends) {
    EidRange& w = files_.at(path);
    // A file holding fewer records than the window has seen was truncated (or replaced under
    // its name): what it holds now is new, from its first record. Without this, records
    // appended after a truncation would stay hidden until the file grew past its old length.
    w.lo = end < w.hi ? 0 : w.hi;
    w.hi = end;
  }
  rings_read_.clear();
  files_read_.clear();
  previous_round_ms_ = round_ms_ == 0 ? INT64_MIN : round_ms_;
  round_ms_ = now;
}

bool FollowWindow::HasNewRows() const {
  const auto ends = Ends();
  const auto file_ends = FileEnds();
  std::lock_guard lock(mutex_);
  if (timed_ && NowMs() - round_ms_ >= 1000) return true;
  return std::any_of(ends.begin(), ends.end(),
                     [&](const auto& e) { return e.second > stores_.at(e.first).window.hi; }) ||
         std::any_of(file_ends.begin(), file_ends.end(),
                     [&](const auto& e) { return e.second != files_.at(e.first).hi; });
}

EidRange FollowWindow::ClipFile(const std::string& path, EidRange records) {
  std::lock_guard lock(mutex_);
  auto [it, added] = files_.try_emplace(path, EidRange{INT64_MIN, records.hi});
  files_read_.insert(path);
  const EidRange w = it->second;
  const int64_t lo = std::max(records.lo, w.lo);
  return EidRange{lo, std::max(lo, std::min(records.hi, w.hi))};
}

bool FollowWindow::FirstSight(const std::string& key) {
  std::lock_guard lock(mutex_);
  return seen_keys_.insert(key).second;
}

int64_t FollowWindow::QuietMs(const audit::EventStore* store, RingKind kind) const {
  std::lock_guard lock(mutex_);
  const auto it = stores_.find(RingId{store, kind});
  if (it == stores_.end() || it->second.grew_ms == INT64_MIN) return INT64_MAX;
  return round_ms_ - it->second.grew_ms;
}

std::pair<int64_t, int64_t> FollowWindow::RoundTimes() {
  std::lock_guard lock(mutex_);
  timed_ = true;
  return {previous_round_ms_, round_ms_};
}

EidRange FollowWindow::Clip(const std::shared_ptr<const audit::EventStore>& store, RingKind kind,
                            EidRange ring) {
  std::lock_guard lock(mutex_);
  auto [it, added] =
      stores_.try_emplace(RingId{store.get(), kind},
                          Entry{store, {INT64_MIN, ring.hi}, ring.hi > ring.lo ? round_ms_ : INT64_MIN});
  rings_read_.insert(it->first);
  const EidRange w = it->second.window;
  const int64_t lo = std::max(ring.lo, w.lo);
  return EidRange{lo, std::max(lo, std::min(ring.hi, w.hi))};
}

namespace {
constexpr std::pair<RingKind, const char*> kRingMarks[] = {{RingKind::kProcess, "process"},
                                                           {RingKind::kFile, "file"}};
}  // namespace

FollowWindow::Marks FollowWindow::Seen(const audit::EventStore* store) const {
  std::lock_guard lock(mutex_);
  Marks marks;
  for (const auto& [kind, name] : kRingMarks) {
    const RingId ring{store, kind};
    if (rings_read_.contains(ring)) marks[name] = stores_.at(ring).window.hi;
  }
  for (const std::string& path : files_read_) marks[path] = files_.at(path).hi;
  return marks;
}

void FollowWindow::ResumeAt(const std::shared_ptr<const audit::EventStore>& store,
                            const Marks& marks) {
  std::lock_guard lock(mutex_);
  for (const auto& [mark, value] : marks) {
    bool ring = false;
    for (const auto& [kind, name] : kRingMarks) {
      if (mark == name) {
        stores_[RingId{store.get(), kind}] = Entry{store, {INT64_MIN, value}};
        ring = true;
      }
    }
    if (!ring) files_[mark] = EidRange{INT64_MIN, value};
  }
}

EidRange VisibleEids(const TableContext& ctx, const std::shared_ptr<const audit::EventStore>& store,
                     EidRange ring, RingKind kind) {
  return ctx.follow ? ctx.follow->Clip(store, kind, ring) : ring;
}

EidRange VisibleFileRecords(const TableContext& ctx, const std::string& path, EidRange records) {
  return ctx.follow ? ctx.follow->ClipFile(path, records) : records;
}

}  // namespace procaudit
