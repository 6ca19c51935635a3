// What every table of one connection shares: the options it was registered with, the audit
// event sources (a session source, cached replays of log files), and while the shell follows
// (--follow), the window of events the current round may see.
#pragma once

#include <memory>
#include <string>

#include "acct/acct_sources.h"
#include "audit/event_store.h"

namespace procaudit {

class FollowWindow;  // sql/follow_window.h

struct TableContext {
  std::string proc_root = "/proc";
  // Shared, not const: replays are cached here. EventSources is thread-safe.
  std::shared_ptr<audit::EventSources> events = std::make_shared<audit::EventSources>();
  // Which accounting file acct_exits and process_lifecycle read without an argument.
  std::shared_ptr<acct::AcctSources> acct = std::make_shared<acct::AcctSources>();
  // Set only by `procaudit --follow`; event tables read through VisibleEids (follow_window.h).
  std::shared_ptr<FollowWindow> follow;
};

}  // namespace procaudit
