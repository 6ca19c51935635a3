// Fuzzes what live capture reads from outside: the state file a killed capture left (ParseState),
// rule bytes the kernel lists (Rule::FromKernel, Keys, Describe, CoversProcessEvents) and
// netlink record payloads (AppendRecordLine). The first byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "netlink/audit_rules.h"
#include "netlink/capture_state.h"
#include "netlink/netlink_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 3;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  using namespace procaudit::netlink;
  switch (which) {
    case 0: {
      if (auto state = ParseState(rest)) {
        // What parses must serialize and parse back to the same state.
        auto again = ParseState(SerializeState(*state));
        if (!again || again->pid != state->pid || again->start_time != state->start_time) __builtin_trap();
      }
      break;
    }
    case 1: {
      // Copied so the rule's bytes are aligned as the kernel's would be.
      const std::string copy(rest);
      const Rule rule = Rule::FromKernel(copy.data(), copy.size());
      if (rule.valid()) {
        (void)rule.Keys();
        (void)rule.Describe();
        (void)CoversProcessEvents({rule});
      }
      break;
    }
    default: {
      std::string out;
      const int type = rest.size() >= 2 ? 1100 + ((static_cast<uint8_t>(rest[0]) << 8 | static_cast<uint8_t>(rest[1])) % 1500) : 1300;
      if (AppendRecordLine(type, rest, out)) {
        // One line, ending in its newline, and nothing else.
        if (out.empty() || out.back() != '\n' || out.find('\n') != out.size() - 1) __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
