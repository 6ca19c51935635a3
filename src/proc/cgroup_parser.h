// Parser for /proc/<pid>/cgroup, and container ids named by cgroup paths.
#pragma once

#include <string>
#include <string_view>

namespace procaudit {

struct CgroupInfo {
  // The process's cgroup: the unified (v2, "0::") path when it says more than "/",
  // otherwise the first v1 hierarchy path that does, otherwise "/".
  std::string path;
  // A container id found in any hierarchy's path (docker, containerd, CRI-O,
  // podman, kubepods: a 64-hex id; LXC: the container name), or empty.
  std::string container_id;
};

CgroupInfo ParseCgroup(std::string_view text);

// The container id a single cgroup path names, or empty. The innermost one wins.
std::string ContainerIdFromCgroupPath(std::string_view path);

}  // namespace procaudit
