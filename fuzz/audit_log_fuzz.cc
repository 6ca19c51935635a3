// libFuzzer target: arbitrary bytes as an audit log, through the whole assembler (line
// screening, libauparse feed, event builder, both trackers, both rings), in two chunks split where the
// input says. Must never crash, hang or trip a sanitizer; rows may be anything.
#include <cstddef>
#include <cstdint>
#include <string>

#include "audit/assembler.h"
#include "audit/event_ring.h"
#include "audit/file_tracker.h"
#include "audit/process_tracker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace procaudit::audit;
  if (size < 1) return 0;
  const size_t split = size > 1 ? data[0] % size : 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  EventRing ring(4096);
  PipelineStats stats;
  ProcessTracker tracker(ring, stats);
  FileRing file_ring(4096);
  FileTracker files(file_ring, stats);
  Assembler assembler(tracker, stats, {"fuzz"}, &files);
  Chunk first{bytes.substr(0, split), 0, false, false};
  Chunk second{bytes.substr(std::min(split, bytes.size())), 0, true, true};
  assembler.Consume(first);
  assembler.Consume(second);
  EventRing::Reader reader(ring);
  for (int64_t eid = reader.first_eid(); eid < reader.end_eid(); ++eid) {
    const ProcessEventRow& row = reader.Row(eid);
    (void)reader.Text(row.argv_json);
    (void)reader.Text(row.path);
  }
  FileRing::Reader file_reader(file_ring);
  for (int64_t eid = file_reader.first_eid(); eid < file_reader.end_eid(); ++eid) {
    (void)file_reader.Text(file_reader.Row(eid).path);
  }
  return 0;
}
