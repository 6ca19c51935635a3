// libFuzzer target: arbitrary lines as the records of one event, straight into the pure
// event builder (no libauparse grouping in between, so any mix of record types arrives).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/event_builder.h"

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
  std::string error;
  (void)BuildSyscallEvent(lines, &ev, &error);
  return 0;
}
