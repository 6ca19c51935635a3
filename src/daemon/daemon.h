// procaudit --daemon: the live capture and accounting of the shell, kept running; the events
// written to the durable store (src/store/); the config's scheduled queries run at their
// intervals and logged in osquery's result-log format (scheduler.h).
//
// Start-up is all or nothing: a bad config, an unwritable log directory, a store that cannot
// open or a capture that cannot start stop it with one line on stderr and status 1, before
// anything runs (the capture, last, restores what it changed). SIGTERM and SIGINT stop it
// cleanly: the capture stops and restores the kernel's audit state, the last events are
// written to the store, status 0. SIGHUP reloads the config's queries; a config that no longer
// loads is reported and the running one kept.
#pragma once

#include "shell/options.h"

namespace procaudit::daemon {

// REQUIRES: the shell's signals are blocked (BlockShellSignals) and the signal thread takes
// SIGINT, SIGTERM and SIGHUP.
int RunDaemon(const ShellOptions& options);

}  // namespace procaudit::daemon
