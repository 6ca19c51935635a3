// procaudit --follow: the SQL runs in rounds as events arrive, each round printing its rows.
//
// A round moves the follow window (sql/follow_window.h) of every event store read so far to the
// events that arrived since the previous round, then runs every statement. So a round prints
// only new rows, and an aggregate (count(*), GROUP BY) gives one result per round, over that
// round's events. The first round runs at once over what the ring already holds (for the live
// capture, what arrived since it started); the next whenever a store read so far has grown.
// Growth is polled every 150 ms: reading a ring's end is cheap, so an idle follow costs next to
// no CPU, and a row is printed within 150 ms of reaching the ring.
//
// Output: headers once, at the first round; --json writes one object per line, flushed after
// every row; the other modes flush after every round; table mode prints as list, tree mode draws
// each round's rows as a tree of their own (see MakeFollowPrinter).
//
// The follow ends on SIGINT, SIGTERM or SIGHUP (the first one; a second exits at once), when
// the session's source ends (the input of --audit-stdin; after a last round), or when standard
// output is closed.
#pragma once

#include "shell/options.h"
#include "shell/shell.h"

namespace procaudit {

// Runs options.sql in rounds on shell until the follow ends; returns the exit status: 0 when
// stopped by a signal or the end of the source, 1 when the live capture cannot start, a
// statement fails or the source failed, 128 + SIGPIPE when standard output was closed.
// Prints its errors on stderr, one line each.
// REQUIRES: the signal thread runs (shell/signals.h); options.follow.
int Follow(Shell& shell, const ShellOptions& options);

}  // namespace procaudit
