// procaudit --clean-up: undoes what procaudit runs killed with SIGKILL left behind, without
// starting a capture. Every live start does the same first; this is for an administrator after
// an OOM kill (or a test run's set-up) who wants the host's audit state and accounting back now.
#pragma once

#include <cstdio>

namespace procaudit {

// Cleans up after killed live captures (their rules, the dead audit pid, the settings they
// changed) and killed live accounting (accounting on into their file). Each run cleaned up after
// is named on err, then one summary line goes to out. Returns the exit status: 0, or 1 when a
// part could not be done (one line each on err, naming what is missing).
int CleanUpKilledRuns(std::FILE* out, std::FILE* err);

}  // namespace procaudit
