// The assembler: bytes in, process events out. Runs on the assembler thread.
//
// It splits chunks into lines, screens out lines that are not audit records (counted, the
// first one described), feeds the rest to libauparse (AUSOURCE_FEED), which groups records
// into events by serial even when they interleave, and completes events without EOE (auditd's
// log files have none) by type and by a timeout. Each completed event goes to the EventWorker,
// which decodes it and runs the process tracker on a second thread.
//
// Thread rules: everything here belongs to the thread that calls it (the assembler thread);
// the tracker belongs to the worker thread until Finish returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "audit/chunk_queue.h"
#include "audit/event_worker.h"
#include "audit/pipeline_stats.h"
#include "audit/process_tracker.h"

struct opaque;
typedef struct opaque auparse_state_t;

namespace procaudit::audit {

class Assembler {
 public:
  // names: the inputs' names by Chunk::source, for messages.
  // files: where file events go (null: dropped).
  Assembler(ProcessTracker& tracker, PipelineStats& stats, std::vector<std::string> names,
            FileTracker* files = nullptr);
  ~Assembler();
  Assembler(const Assembler&) = delete;
  Assembler& operator=(const Assembler&) = delete;

  void Consume(const Chunk& chunk);
  // Completes events whose records stopped coming (live sources, on a timer).
  void Age(std::chrono::steady_clock::time_point now);
  // Completes everything: the input ended. Throws the worker's error, if any.
  void Finish();

 private:
  enum class Verdict { kFeed, kFeedTrimmed, kSkip };
  static void OnEvent(auparse_state_t* au, int type, void* self);
  void HandleEvent();
  // Whether a line is fed (counting and describing it if not).
  Verdict Screen(std::string_view line);
  void Feed(std::string_view bytes);
  // REQUIRES: Screen(line) accepted it.
  void FeedCopy(std::string_view line);
  std::string Where() const;

  PipelineStats& stats_;
  std::vector<std::string> names_;
  auparse_state_t* au_ = nullptr;
  uint32_t source_ = 0;
  uint64_t line_no_ = 0;
  std::string partial_;     // a line split across chunks
  bool skipping_ = false;   // inside an over-long line, until its newline
  std::string copy_;        // a line fed from a copy: split across chunks, or trimmed
  std::vector<std::string_view> records_;
  std::unordered_set<std::string> known_types_;
  std::unordered_set<std::string> unknown_types_;
  EventWorker worker_;  // last: its thread stops before the rest goes
};

}  // namespace procaudit::audit
