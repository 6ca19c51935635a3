#include "proc/cgroup_parser.h"

#include <algorithm>
#include <array>

#include "proc/text_fields.h"

namespace procaudit {
namespace {

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Runtime prefixes of systemd scope units: docker-<id>.scope, cri-containerd-<id>.scope...
constexpr std::array<std::string_view, 5> kScopePrefixes = {"docker-", "cri-containerd-", "crio-",
                                                            "libpod-", "containerd-"};

std::string_view StripScope(std::string_view component) {
  if (component.ends_with(".scope")) component.remove_suffix(6);
  for (std::string_view prefix : kScopePrefixes) {
    if (component.starts_with(prefix)) return component.substr(prefix.size());
  }
  return component;
}

}  // namespace

std::string ContainerIdFromCgroupPath(std::string_view path) {
  std::string found;
  std::string_view previous;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (component.empty()) continue;
    const std::string_view id = StripScope(component);
    if (IsHex64(id)) {
      found = id;
    } else if (previous == "lxc") {
      found = component;  // /lxc/<name>
    } else if (component.starts_with("lxc.payload.")) {
      found = component.substr(12);  // /lxc.payload.<name>
    }
    previous = component;
  }
  return found;
}

CgroupInfo ParseCgroup(std::string_view text) {
  CgroupInfo info;
  std::string_view unified, first_v1;
  for (std::string_view line : Lines(text)) {
    // hierarchy-ID:controller-list:path; the path itself may contain ':'.
    const size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, c1);
    const std::string_view path = line.substr(c2 + 1);
    if (id == "0" && line.substr(c1 + 1, c2 - c1 - 1).empty()) {
      unified = path;
    } else if (first_v1.empty() && path != "/") {
      first_v1 = path;
    }
    if (std::string cid = ContainerIdFromCgroupPath(path); !cid.empty()) info.container_id = cid;
  }
  if (!unified.empty() && unified != "/") {
    info.path = unified;
  } else if (!first_v1.empty()) {
    info.path = first_v1;
  } else {
    info.path = unified.empty() ? "/" : unified;
  }
  return info;
}

}  // namespace procaudit
