// Fuzzes the daemon's config parser (ParseDaemonConfig) on arbitrary bytes: osquery's comment
// and continuation rules, the JSON reader with its duplicate and depth checks, and the walk over
// options, schedule and packs. No files are read (an empty base_dir makes a pack path an error).
// Every input must give a config whose queries are runnable, or one error line; a crash, an
// escaping exception or an "internal error" is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/config.h"

using namespace procaudit::daemon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto config = ParseDaemonConfig(text, "fuzz.conf", "", error);
  if (!config) {
    if (!error.starts_with("fuzz.conf: ") || error.find('\n') != std::string::npos ||
        error.starts_with("fuzz.conf: internal error: ")) {
      __builtin_trap();
    }
    return 0;
  }
  for (const ScheduledQuery& q : config->queries) {
    if (q.name.empty() || q.sql.empty() || q.origin != "fuzz.conf") __builtin_trap();
    if (q.interval_s < 1 || q.interval_s > kMaxIntervalSeconds) __builtin_trap();
    // Schedule queries keep their key; pack queries are "pack" DELIMITER PACK DELIMITER NAME.
    if (q.pack.empty() ? !q.discovery.empty() : !q.name.starts_with("pack")) __builtin_trap();
  }
  for (const std::string& note : config->notes) {
    if (!note.starts_with("fuzz.conf: ") || note.find('\n') != std::string::npos) __builtin_trap();
  }
  (void)ResolveHostIdentifier(config->settings);
  return 0;
}
