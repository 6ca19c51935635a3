#include "shell/clean_up.h"

#include <cstdint>
#include <exception>
#include <set>
#include <string>

#include "acct/live_acct.h"
#include "netlink/live_capture.h"

namespace procaudit {

int CleanUpKilledRuns(std::FILE* out, std::FILE* err) {
  std::set<int32_t> pids;  // a killed run may have left both a capture and accounting
  size_t stray_rules = 0;
  int status = 0;
  // Each part on its own: a kernel without audit still has accounting to put back.
  try {
    const netlink::KilledCaptures killed = netlink::CleanUpKilledCaptures();
    pids.insert(killed.pids.begin(), killed.pids.end());
    stray_rules = killed.stray_rules;
  } catch (const std::exception& e) {
    std::fprintf(err, "procaudit: %s\n", e.what());
    status = 1;
  }
  try {
    for (const int32_t pid : acct::CleanUpKilledAcct()) pids.insert(pid);
  } catch (const std::exception& e) {
    std::fprintf(err, "procaudit: cleaning up process accounting: %s\n", e.what());
    status = 1;
  }
  if (pids.empty() && stray_rules == 0) {
    if (status == 0) std::fputs("nothing to clean up: no killed procaudit run left anything\n", out);
    return status;
  }
  std::string what;
  for (const int32_t pid : pids) what += (what.empty() ? "" : ", ") + std::to_string(pid);
  if (!pids.empty()) what = "killed procaudit pid" + std::string(pids.size() == 1 ? " " : "s ") + what;
  if (stray_rules > 0) {
    what += (what.empty() ? "" : "; ") + std::to_string(stray_rules) + " stray procaudit rule" +
            (stray_rules == 1 ? "" : "s") + " removed";
  }
  std::fprintf(out, "cleaned up: %s\n", what.c_str());
  return status;
}

}  // namespace procaudit
