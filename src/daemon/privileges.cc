#include "daemon/privileges.h"

#include <dirent.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "acct/live_acct.h"
#include "daemon/thread_broadcast.h"
#include "netlink/live_capture.h"

namespace procaudit::daemon {
namespace {

constexpr CapabilitySet Bit(int cap) { return CapabilitySet{1} << cap; }

// what (a literal: building a string could change errno first), and errno's text.
std::string Errno(const char* what) {
  const int err = errno;
  return std::string(what) + ": " + std::strerror(err);
}

using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;

// The capabilities the kernel knows: bits [0, max) of a set.
int MaxCapability() {
  const int max = static_cast<int>(cap_max_bits());
  return max < 64 ? max : 64;
}

CapabilitySet Permitted() {
  CapHandle caps(cap_get_proc(), cap_free);
  if (!caps) throw std::runtime_error(Errno("privileges: reading the process's capabilities"));
  CapabilitySet set = 0;
  for (int cap = 0; cap < MaxCapability(); ++cap) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps.get(), cap, CAP_PERMITTED, &value) == 0 && value == CAP_SET) {
      set |= Bit(cap);
    }
  }
  return set;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Why a thread's credentials are not what the drop made them, or "".
std::string Mismatch(const ThreadCredentials& c, CapabilitySet keep, bool bounding_dropped) {
  auto differs = [](const char* what, CapabilitySet got, CapabilitySet want) {
    return got == want
               ? std::string()
               : std::string(what) + " " + CapabilityNames(got) + ", not " + CapabilityNames(want);
  };
  for (std::string why :
       {differs("effective", c.effective, keep), differs("permitted", c.permitted, keep),
        differs("inheritable", c.inheritable, 0), differs("ambient", c.ambient, 0),
        bounding_dropped ? differs("bounding", c.bounding, keep) : ""}) {
    if (!why.empty()) return why;
  }
  return c.no_new_privs ? "" : "no_new_privs not set";
}

// Every thread's /proc status against what the drop should have left.
void CheckEveryThread(CapabilitySet keep, bool bounding_dropped) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) throw std::runtime_error(Errno("privileges: listing /proc/self/task"));
  std::string problem;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string text = ReadFile(std::string("/proc/self/task/") + e->d_name + "/status");
    if (text.empty()) continue;  // the thread ended
    const std::optional<ThreadCredentials> c = ParseThreadCredentials(text);
    const std::string why =
        c ? Mismatch(*c, keep, bounding_dropped) : "its status has no capability lines";
    if (!why.empty() && problem.empty()) problem = std::string("thread ") + e->d_name + ": " + why;
  }
  closedir(dir);
  if (!problem.empty()) throw std::runtime_error("privileges: after the drop, " + problem);
}

}  // namespace

CapabilitySet CapabilitiesToKeep(const RunningSources& sources) {
  CapabilitySet keep = Bit(CAP_DAC_READ_SEARCH) | Bit(CAP_SYS_PTRACE);
  if (sources.capture) keep |= Bit(CAP_AUDIT_CONTROL);
  if (sources.own_accounting) keep |= Bit(CAP_SYS_PACCT);
  return keep;
}

std::string CapabilityNames(CapabilitySet set) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(set & Bit(cap))) continue;
    char* name = cap_to_name(cap);
    out += (out.empty() ? "" : ",") + std::string(name ? name : std::to_string(cap).c_str());
    cap_free(name);
  }
  return out.empty() ? "none" : out;
}

std::optional<ThreadCredentials> ParseThreadCredentials(std::string_view status) {
  ThreadCredentials c;
  struct Field {
    std::string_view name;
    CapabilitySet* set;
    bool seen = false;
  };
  Field fields[] = {{"CapInh:", &c.inheritable},
                    {"CapPrm:", &c.permitted},
                    {"CapEff:", &c.effective},
                    {"CapBnd:", &c.bounding},
                    {"CapAmb:", &c.ambient}};
  bool nnp_seen = false;
  while (!status.empty()) {
    const size_t nl = status.find('\n');
    std::string_view line = status.substr(0, nl);
    status.remove_prefix(nl == std::string_view::npos ? status.size() : nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon + 1);
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    auto parse = [&](int base, uint64_t& out) {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out, base);
      return ec == std::errc() && end == value.data() + value.size();
    };
    for (Field& f : fields) {
      if (key != f.name) continue;
      uint64_t bits = 0;
      if (!parse(16, bits)) return std::nullopt;
      *f.set = bits;
      f.seen = true;
    }
    if (key == "NoNewPrivs:") {
      uint64_t flag = 0;
      if (!parse(10, flag)) return std::nullopt;
      c.no_new_privs = flag != 0;
      nnp_seen = true;
    }
  }
  for (const Field& f : fields) {
    if (!f.seen) return std::nullopt;
  }
  return nnp_seen ? std::optional(c) : std::nullopt;
}

RunningSources CurrentSources() {
  RunningSources sources;
  if (const std::optional<netlink::LiveInfo> live = netlink::RunningLiveCaptureInfo()) {
    sources.capture = live->mode;
  }
  if (const std::optional<acct::LiveAcctInfo> acct = acct::RunningLiveAcct()) {
    sources.own_accounting = acct->own;
  }
  return sources;
}

std::string DropCapabilities(CapabilitySet keep) {
  const CapabilitySet held = Permitted();
  keep &= held;
  if (held == 0) {
    if (AllThreadsSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1) != 0) {
      throw std::runtime_error(Errno("privileges: setting no_new_privs"));
    }
    CheckEveryThread(0, false);
    return "privileges: kept none (none held); no_new_privs set";
  }
  // The bounding set first: shrinking it needs CAP_SETPCAP, which the last step drops.
  const bool bounding_dropped = (held & Bit(CAP_SETPCAP)) != 0;
  if (bounding_dropped) {
    for (int cap = 0; cap < MaxCapability(); ++cap) {
      if (keep & Bit(cap) || cap_get_bound(cap) != 1) continue;
      if (AllThreadsSyscall(SYS_prctl, PR_CAPBSET_DROP, cap) != 0) {
        const std::string why = std::strerror(errno);
        throw std::runtime_error("privileges: dropping " + CapabilityNames(Bit(cap)) +
                                 " from the bounding set: " + why);
      }
    }
  }
  if (CAP_AMBIENT_SUPPORTED() &&
      AllThreadsSyscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) != 0) {
    throw std::runtime_error(Errno("privileges: clearing the ambient set"));
  }
  if (AllThreadsSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1) != 0) {
    throw std::runtime_error(Errno("privileges: setting no_new_privs"));
  }
  // capset(2), version 3: two 32-bit halves of each set; inheritable empty.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int half = 0; half < 2; ++half) {
    const auto bits = static_cast<uint32_t>(keep >> (32 * half));
    data[half].effective = bits;
    data[half].permitted = bits;
  }
  if (AllThreadsSyscall(SYS_capset, reinterpret_cast<long>(&header),
                        reinterpret_cast<long>(data)) != 0) {
    throw std::runtime_error(Errno("privileges: setting the capabilities kept"));
  }
  CheckEveryThread(keep, bounding_dropped);
  const int dropped = std::popcount(held & ~keep);
  return "privileges: kept " + CapabilityNames(keep) + " in every thread; dropped the other " +
         std::to_string(dropped) + (dropped == 1 ? " capability" : " capabilities") +
         (bounding_dropped ? ", from the bounding set too"
                           : " (bounding set left: no CAP_SETPCAP)") +
         "; no_new_privs set";
}

std::string DropPrivileges(const std::function<void(const std::string&)>& log) {
  try {
    log(DropCapabilities(CapabilitiesToKeep(CurrentSources())));
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace procaudit::daemon
