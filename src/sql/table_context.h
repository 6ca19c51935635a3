// What every table of one connection shares: the options it was registered with, and the
// audit event sources (a session source, cached replays of log files).
#pragma once

#include <memory>
#include <string>

#include "audit/event_store.h"

namespace procaudit {

struct TableContext {
  std::string proc_root = "/proc";
  // Shared, not const: replays are cached here. EventSources is thread-safe.
  std::shared_ptr<audit::EventSources> events = std::make_shared<audit::EventSources>();
};

}  // namespace procaudit
