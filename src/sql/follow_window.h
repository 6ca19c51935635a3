// The follow window: which events a round of `procaudit --follow` may see.
//
// A followed statement runs again and again, in rounds. Each round must print only the events
// that arrived since the previous one, so every event table narrows its eid range to the
// window of the store it reads: [lo, hi), where hi is the store's end when the round began and
// lo the previous round's hi. A store first read during a round shows all it holds, up to its
// end at that moment: the first round prints what is already in the ring. Aggregates therefore
// apply per round: count(*) counts the events of that round.
//
// Eids only grow and rows are appended in eid order, so consecutive windows neither repeat
// nor skip a row (rows evicted from a full ring before their round are lost, and counted by the
// ring). A row corrected in place after its round (a namespace pid learnt later) is not printed
// again.
//
// Accounting files grow too (acct_exits): a file is followed like a store, by record number,
// its end being the whole records it holds now. A file found shorter than before was truncated
// (logrotate's copytruncate, to 0): the next round shows it from its first record, also when it
// has grown again meanwhile. (A file truncated to a shorter non-empty length shows the records
// it kept again; one truncated and grown past its old length between two rounds cannot be told
// from one that only grew.)
//
// process_lifecycle prints a process once, when its end is known; an end seen only in an
// accounting file waits a few seconds, and until audit has caught up with it, for audit's
// records of the same process (RoundTimes), then prints once (FirstSight).
//
// Thread rules: any thread may call; stores are never removed. BeginRound and HasNewRows read
// the rings' ends, so call them outside any EventRing::Reader of the same thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "audit/event_store.h"
#include "sql/table_context.h"

namespace procaudit {

// Which of a store's rings an event table reads: each has its own eids.
enum class RingKind { kProcess, kFile };

struct EidRange {
  int64_t lo = 0;
  int64_t hi = 0;  // exclusive
};

// The end of a store's ring: one past the newest eid.
int64_t EndEid(const audit::EventStore& store, RingKind kind);

class FollowWindow {
 public:
  // Starts a round: in every store read so far, lo = the previous hi, hi = the store's end now.
  void BeginRound();
  // Whether a store read so far has rows past the current round's hi.
  bool HasNewRows() const;
  // The part of ring, the eids [first, end) a reader of store holds, that the current round may
  // see. Registers store on first sight, with everything up to end.
  EidRange Clip(const std::shared_ptr<const audit::EventStore>& store, RingKind kind,
                EidRange ring);
  // The same for an accounting file: records [0, count) read now.
  EidRange ClipFile(const std::string& path, EidRange records);
  // The wall-clock times (ms since the epoch) the previous round and this one began; the
  // previous is INT64_MIN in the first round. A table that asks gets a round at least every
  // second, new rows or not: its rows become due with time.
  std::pair<int64_t, int64_t> RoundTimes();
  // How long, at the current round's start, a store's ring had not grown (ms): since the start of
  // the latest round that found new rows in it. INT64_MAX when it never held any. An idle ring
  // with rows still on their way (held for reordering) grows again within the settling time.
  int64_t QuietMs(const audit::EventStore* store, RingKind kind) const;

  // True the first time key is asked, false after: for rows a table prints once but cannot
  // place in an eid window (process_lifecycle's ends only accounting saw). Keys stay for the
  // window's life.
  bool FirstSight(const std::string& key);

  // The daemon's scheduled event queries are followed too, one window per query, across
  // restarts (src/daemon/scheduler.h): marks say where a window's last round ended, by ring
  // ("process", "file") and by accounting file (its path).
  using Marks = std::map<std::string, int64_t>;
  // The current round's end in every ring of store (may be null) and every file the round
  // has read: empty when the statement read no event table.
  Marks Seen(const audit::EventStore* store) const;
  // Makes store's rings and the files in marks continue from marks at the next BeginRound.
  void ResumeAt(const std::shared_ptr<const audit::EventStore>& store, const Marks& marks);

 private:
  using RingId = std::pair<const audit::EventStore*, RingKind>;
  struct Entry {
    std::shared_ptr<const audit::EventStore> store;  // kept alive while followed
    EidRange window;
    int64_t grew_ms = INT64_MIN;  // the start of the latest round that found it grown
  };
  // Every ring read so far, with its end now.
  std::vector<std::pair<RingId, int64_t>> Ends() const;
  // Every file read so far, with its whole records now.
  std::vector<std::pair<std::string, int64_t>> FileEnds() const;

  mutable std::mutex mutex_;
  std::map<RingId, Entry> stores_;
  std::map<std::string, EidRange> files_;
  // What the current round has read (Clip, ClipFile), for Seen.
  std::set<RingId> rings_read_;
  std::set<std::string> files_read_;
  std::set<std::string> seen_keys_;  // FirstSight's
  bool timed_ = false;
  int64_t previous_round_ms_ = INT64_MIN, round_ms_ = 0;
};

// What an event table reads of store: ring, the eids [first, end) its reader holds, narrowed to
// the follow window when the connection follows (ctx.follow set). For every event table.
EidRange VisibleEids(const TableContext& ctx, const std::shared_ptr<const audit::EventStore>& store,
                     EidRange ring, RingKind kind = RingKind::kProcess);
// The records [lo, hi) of an accounting file a table reads, narrowed likewise.
EidRange VisibleFileRecords(const TableContext& ctx, const std::string& path, EidRange records);

}  // namespace procaudit
