#include "audit/file_tracker.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "audit/file_calls.h"

namespace procaudit::audit {

FileTracker::FileTracker(FileRing& ring, PipelineStats& stats, Options options)
    : ring_(ring), stats_(stats), options_(options) {}

void FileTracker::Submit(FileEvent&& ev) {
  const uint64_t key = serials_.Unwrap(ev.serial, ev.time_ms);
  const int64_t time_ms = ev.time_ms;
  Held held{key, false, std::move(ev), std::chrono::steady_clock::now()};
  newest_held_time_ms_ = std::max(newest_held_time_ms_, time_ms);
  ++held_pids_[held.ev.pid];
  Hold(key, std::move(held));
}

void FileTracker::ProcessChanged(int32_t pid, uint32_t serial, int64_t time_ms) {
  // Only processes with descriptors known need the marker; the rest would only fill the window.
  if (!fds_.contains(pid) && !held_pids_.contains(pid)) return;
  const uint64_t key = serials_.Unwrap(serial, time_ms);
  Held held{key, true, FileEvent{}, std::chrono::steady_clock::now()};
  held.ev.pid = pid;
  held.ev.serial = serial;
  held.ev.time_ms = time_ms;
  Hold(key, std::move(held));
}

void FileTracker::Hold(uint64_t key, Held&& held) {
  // Events arrive nearly in serial order: append, or insert a little before the end.
  auto at = held_.end();
  if (!held_.empty() && key < held_.back().key) {
    at = std::upper_bound(held_.begin(), held_.end(), key,
                          [](uint64_t k, const Held& h) { return k < h.key; });
  }
  held_.insert(at, std::move(held));
  ReleaseReady();
}

void FileTracker::ReleaseReady() {
  while (!held_.empty() &&
         (held_.size() > options_.max_held ||
          newest_held_time_ms_ - held_.front().ev.time_ms > options_.window_ms)) {
    ReleaseFront();
  }
}

void FileTracker::Flush() {
  while (!held_.empty()) ReleaseFront();
}

void FileTracker::Age(std::chrono::steady_clock::time_point now) {
  const auto window = std::chrono::milliseconds(options_.window_ms);
  while (!held_.empty() && now - held_.front().arrived > window) ReleaseFront();
}

void FileTracker::ReleaseFront() {
  const Held& front = held_.front();
  if (front.process_changed) {
    fds_.erase(front.ev.pid);
  } else {
    Apply(front.ev);
    if (auto it = held_pids_.find(front.ev.pid); it != held_pids_.end() && --it->second == 0) {
      held_pids_.erase(it);
    }
  }
  held_.pop_front();
}

void FileTracker::Apply(const FileEvent& ev) {
  auto known = fds_.find(ev.pid);
  // Another executable under the same pid without an exec in between: a reused pid (the log
  // has no process events), whose descriptors are not the old process's.
  if (known != fds_.end() && ev.exe && known->second.exe != *ev.exe) {
    fds_.erase(known);
    known = fds_.end();
  }
  const FdLookup lookup = [&](int32_t fd) -> const FdTarget* {
    if (known == fds_.end()) return nullptr;
    const auto it = known->second.by_fd.find(fd);
    return it == known->second.by_fd.end() ? nullptr : &it->second;
  };
  const ResolvedFile r = ResolveFileEvent(ev, lookup);
  ring_.Write([&](FileRing::Writer& w) { w.Append(MakeRow(ev, r, w)); });
  stats_.file_events.fetch_add(1, std::memory_order_relaxed);
  Remember(ev, r);
}

// A successful open's descriptor, for later *at calls and descriptor calls of the process.
void FileTracker::Remember(const FileEvent& ev, const ResolvedFile& r) {
  if (ev.call->flags == FileCall::kNone || !ev.success || ev.exit < 0 || ev.exit > INT32_MAX) {
    return;
  }
  const auto fd = static_cast<int32_t>(ev.exit);
  auto it = fds_.find(ev.pid);
  const bool unnamed = r.flags && (*r.flags & O_TMPFILE) == O_TMPFILE;
  if (!r.path || unnamed) {
    // Unknown (or an unnamed O_TMPFILE file): whatever the number meant before, it is gone.
    if (it != fds_.end()) it->second.by_fd.erase(fd);
    return;
  }
  if (it == fds_.end()) {
    if (fds_.size() >= kMaxProcesses) fds_.clear();
    it = fds_.emplace(ev.pid, Descriptors{ev.exe.value_or(""), {}}).first;
  }
  auto& by_fd = it->second.by_fd;
  if (by_fd.size() >= kMaxFdsPerProcess && !by_fd.contains(fd)) return;
  FdTarget& t = by_fd[fd];
  t.path = *r.path;
  t.inode = r.item ? r.item->inode : std::nullopt;
  t.dev = r.item ? r.item->dev : std::nullopt;
  const bool dir_mode = r.item && r.item->mode && S_ISDIR(*r.item->mode);
  t.directory = dir_mode || (r.flags && (*r.flags & O_DIRECTORY) && !(*r.flags & O_CREAT));
}

FileEventRow FileTracker::MakeRow(const FileEvent& ev, const ResolvedFile& r,
                                  FileRing::Writer& w) {
  FileEventRow row;
  row.time_ms = ev.time_ms;
  row.serial = ev.serial;
  row.status = ev.exit;
  row.call = ev.call;
  row.pid = ev.pid;
  row.ppid = ev.ppid;
  row.cred = ev.cred;
  row.ses = ev.ses;
  row.operation = r.operation;
  if (ev.success) row.flags |= FileEventRow::kSuccess;
  row.arch = recent_.arch.Get(ev.arch, w);
  if (ev.tty) row.tty = recent_.tty.Get(*ev.tty, w);
  if (ev.comm) row.comm = recent_.comm.Get(*ev.comm, w);
  if (ev.exe) row.exe = recent_.exe.Get(*ev.exe, w);
  if (ev.key) row.key = recent_.key.Get(*ev.key, w);
  if (ev.cwd) row.cwd = recent_.cwd.Get(*ev.cwd, w);
  if (r.path) row.path = w.Intern(*r.path);
  if (r.target) row.target = w.Intern(*r.target);
  if (r.name) row.name = w.Intern(*r.name);
  if (r.fd) {
    row.fd = *r.fd;
    row.flags |= FileEventRow::kHasFd;
  }
  if (r.flags) {
    row.open_flags = *r.flags;
    row.flags |= FileEventRow::kHasFlags;
  }
  if (r.mode) {
    row.mode = *r.mode;
    row.flags |= FileEventRow::kHasMode;
  }
  if (r.new_uid) {
    row.new_uid = *r.new_uid;
    row.flags |= FileEventRow::kHasNewUid;
  }
  if (r.new_gid) {
    row.new_gid = *r.new_gid;
    row.flags |= FileEventRow::kHasNewGid;
  }
  if (!r.item && r.opened) {  // a descriptor call: the kernel logs no inode, its open did
    if (r.opened->inode) {
      row.inode = *r.opened->inode;
      row.flags |= FileEventRow::kHasInode;
    }
    if (r.opened->dev) row.dev = recent_.dev.Get(*r.opened->dev, w);
  }
  if (const PathItem* item = r.item) {
    if (item->inode) {
      row.inode = *item->inode;
      row.flags |= FileEventRow::kHasInode;
    }
    if (item->dev) row.dev = recent_.dev.Get(*item->dev, w);
    if (item->mode) {
      row.file_mode = *item->mode;
      row.flags |= FileEventRow::kHasFileMode;
    }
    if (item->ouid && item->ogid) {
      row.owner_uid = *item->ouid;
      row.owner_gid = *item->ogid;
      row.flags |= FileEventRow::kHasOwner;
    }
  }
  return row;
}

}  // namespace procaudit::audit
