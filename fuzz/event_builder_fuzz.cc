// libFuzzer target: arbitrary lines as the records of one event, straight into the pure
// event builder (no libauparse grouping in between, so any mix of record types arrives), and
// a file event's names through the path resolver, with every descriptor known as a directory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event_builder.h"
#include "audit/file_paths.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace procaudit::audit;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  SyscallEvent ev;
  FileEvent file;
  std::string error;
  if (BuildAuditEvent(lines, &ev, &file, &error) == BuildResult::kFileEvent) {
    const FdTarget dir{"/fuzz/dir", 1, "fe:00", true};
    const ResolvedFile r = ResolveFileEvent(file, [&](int32_t) { return &dir; });
    if (r.path && (r.path->empty() || r.path->front() != '/')) __builtin_trap();  // not absolute
  }
  return 0;
}
