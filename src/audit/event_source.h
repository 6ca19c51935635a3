// Where audit records come from. An event source is an engine behind one interface, so the
// pipeline does not care whether it reads log files, an auditd plugin's stdin, netlink or a
// test's canned text.
//
// Thread rules: the constructor runs on the caller's thread (so that errors such as a missing
// file surface there, as a clear message); Run runs on the reader thread and does nothing but
// read and queue.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "audit/chunk_queue.h"
#include "audit/pipeline_stats.h"

namespace procaudit::audit {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Reads until the input ends or stop is requested; the last chunk carries end_of_input.
  // Returns an error message for a read error that ended the input early, else "".
  virtual std::string Run(ChunkQueue& queue, PipelineStats& stats, std::stop_token stop) = 0;
  // Names of the inputs, by Chunk::source, for messages ("audit.log line 12: ...").
  virtual const std::vector<std::string>& names() const = 0;
  // Bytes the source will deliver, when known (files): the progress bar's 100%.
  virtual uint64_t total_bytes() const { return 0; }
  // A live source never ends by itself: the assembler ages events on a timer.
  virtual bool live() const { return false; }
};

// Log files, read in the given order. Throws std::runtime_error naming the path when a file
// cannot be opened. REQUIRES: paths is not empty.
std::unique_ptr<EventSource> OpenFileSource(const std::vector<std::string>& paths);

// A stream of records on a file descriptor: what an auditd plugin with `format = string`
// receives on stdin. Does not own fd.
std::unique_ptr<EventSource> OpenStreamSource(int fd, std::string name);

// Expands a process_events('...') argument into files: whitespace-separated paths or globs; a
// rotated set (audit.log, audit.log.1, ...) is ordered oldest first. Throws std::runtime_error
// naming the pattern when nothing matches.
std::vector<std::string> ExpandLogPaths(const std::string& spec);

}  // namespace procaudit::audit
