// src/proc/cgroup_parser.h: /proc/<pid>/cgroup and container ids in cgroup paths.
#include "proc/cgroup_parser.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace procaudit {
namespace {

// A 64-hex container id, as docker, containerd, CRI-O and podman use.
constexpr char kId[] = "3f4e5a9c1b2d7e8f60718293a4b5c6d7e8f9012345678901234567890abcdef1";
constexpr char kOtherId[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string S(const char* a, const std::string& b = "", const char* c = "") {
  return std::string(a) + b + c;
}

// --- ContainerIdFromCgroupPath --------------------------------------------------------

TEST(ContainerIdFromCgroupPathTest, DockerScopeUnderSystemdDriver) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/system.slice/docker-", kId, ".scope")), kId);
}

TEST(ContainerIdFromCgroupPathTest, DockerCgroupfsDriverBareId) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/docker/", kId)), kId);
}

TEST(ContainerIdFromCgroupPathTest, KubepodsCgroupfsDriverPodThenContainer) {
  EXPECT_EQ(ContainerIdFromCgroupPath(
                S("/kubepods/burstable/pod8c3f5d2e-6a7b-4c1d-9e0f-123456789abc/", kId)),
            kId);
}

TEST(ContainerIdFromCgroupPathTest, KubepodsSystemdDriverCriContainerdScope) {
  EXPECT_EQ(ContainerIdFromCgroupPath(
                S("/kubepods.slice/kubepods-burstable.slice/"
                  "kubepods-burstable-pod8c3f5d2e_6a7b_4c1d_9e0f_123456789abc.slice/"
                  "cri-containerd-",
                  kId, ".scope")),
            kId);
}

TEST(ContainerIdFromCgroupPathTest, CriContainerdScope) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/system.slice/cri-containerd-", kId, ".scope")), kId);
}

TEST(ContainerIdFromCgroupPathTest, CrioScope) {
  EXPECT_EQ(ContainerIdFromCgroupPath(
                S("/kubepods.slice/kubepods-besteffort.slice/"
                  "kubepods-besteffort-pod1a2b3c4d_0000_1111_2222_333344445555.slice/crio-",
                  kId, ".scope")),
            kId);
}

TEST(ContainerIdFromCgroupPathTest, PodmanLibpodScope) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S(
                "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-", kId, ".scope")),
            kId);
}

TEST(ContainerIdFromCgroupPathTest, PodmanContainerSubgroupUnderLibpodScope) {
  // cgroup v2 podman puts the container's processes in a "container" child cgroup.
  EXPECT_EQ(ContainerIdFromCgroupPath(
                S("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-", kId,
                  ".scope/container")),
            kId);
}

TEST(ContainerIdFromCgroupPathTest, PathSeenFromAnotherCgroupNamespaceWithDotDot) {
  // A process outside the reader's cgroup namespace shows a path relative to it.
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/../../system.slice/docker-", kId, ".scope")), kId);
}

TEST(ContainerIdFromCgroupPathTest, PodmanConmonScopeIsNotTheContainer) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/machine.slice/libpod-conmon-", kId, ".scope")), "");
}

TEST(ContainerIdFromCgroupPathTest, PlainContainerdScope) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/system.slice/containerd-", kId, ".scope")), kId);
}

TEST(ContainerIdFromCgroupPathTest, LxcNameAfterLxcComponent) {
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxc/web01"), "web01");
}

TEST(ContainerIdFromCgroupPathTest, LxcNameKeptWhenDeeperComponentsFollow) {
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxc/web01/system.slice/cron.service"), "web01");
}

TEST(ContainerIdFromCgroupPathTest, LxcPayloadName) {
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxc.payload.web01/init.scope"), "web01");
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxc.payload.db-2"), "db-2");
}

TEST(ContainerIdFromCgroupPathTest, InnermostIdWins) {
  // Docker inside an LXC container, and docker-in-docker.
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/lxc.payload.web01/system.slice/docker-", kId, ".scope")),
            kId);
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/docker/", kOtherId, "/docker/") + kId), kId);
}

TEST(ContainerIdFromCgroupPathTest, NoContainerGivesEmpty) {
  EXPECT_EQ(ContainerIdFromCgroupPath("/"), "");
  EXPECT_EQ(ContainerIdFromCgroupPath(""), "");
  EXPECT_EQ(ContainerIdFromCgroupPath("/user.slice/user-1000.slice/session-3.scope"), "");
  EXPECT_EQ(ContainerIdFromCgroupPath("/system.slice/sshd.service"), "");
  EXPECT_EQ(ContainerIdFromCgroupPath("/init.scope"), "");
}

TEST(ContainerIdFromCgroupPathTest, ThirtyTwoHexIsNotAContainerId) {
  // This machine's sandbox: a 32-hex cgroup name that is not a container runtime's.
  EXPECT_EQ(ContainerIdFromCgroupPath("/process_api/cc12ecf0cf5871997be42c0af044668e"), "");
}

TEST(ContainerIdFromCgroupPathTest, SixtyThreeHexIsNotAccepted) {
  const std::string id63 = std::string(kId).substr(1);
  ASSERT_EQ(id63.size(), 63u);
  EXPECT_EQ(ContainerIdFromCgroupPath("/docker/" + id63), "");
  EXPECT_EQ(ContainerIdFromCgroupPath("/system.slice/docker-" + id63 + ".scope"), "");
}

TEST(ContainerIdFromCgroupPathTest, SixtyFiveHexIsNotAccepted) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("/docker/", kId, "0")), "");
}

TEST(ContainerIdFromCgroupPathTest, UppercaseHexIsNotAccepted) {
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ContainerIdFromCgroupPath("/docker/" + upper), "");
}

TEST(ContainerIdFromCgroupPathTest, NonHexCharacterIsNotAccepted) {
  std::string bad = kId;
  bad[10] = 'g';
  EXPECT_EQ(ContainerIdFromCgroupPath("/docker/" + bad), "");
}

TEST(ContainerIdFromCgroupPathTest, RepeatedAndTrailingSlashes) {
  EXPECT_EQ(ContainerIdFromCgroupPath(S("//docker//", kId, "/")), kId);
}

TEST(ContainerIdFromCgroupPathTest, ComponentNamedLikeLxcButLongerIsNotLxc) {
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxcfoo/web01"), "");
  EXPECT_EQ(ContainerIdFromCgroupPath("/lxc.monitor.web01"), "");
}

// --- ParseCgroup ----------------------------------------------------------------------

TEST(ParseCgroupTest, CgroupV2OnlyDockerScope) {
  const CgroupInfo info = ParseCgroup(S("0::/system.slice/docker-", kId, ".scope\n"));
  EXPECT_EQ(info.path, S("/system.slice/docker-", kId, ".scope"));
  EXPECT_EQ(info.container_id, kId);
}

TEST(ParseCgroupTest, CgroupV2OnlyHostProcess) {
  const CgroupInfo info = ParseCgroup("0::/user.slice/user-1000.slice/session-3.scope\n");
  EXPECT_EQ(info.path, "/user.slice/user-1000.slice/session-3.scope");
  EXPECT_EQ(info.container_id, "");
}

TEST(ParseCgroupTest, HybridFromThisMachineUnifiedRootFallsBackToFirstV1Path) {
  // Captured: /proc/self/cgroup on the machine that wrote these tests.
  const CgroupInfo info = ParseCgroup(
      "9:name=systemd:/\n"
      "8:pids:/\n"
      "7:blkio:/\n"
      "6:freezer:/\n"
      "5:devices:/\n"
      "4:memory:/process_api/cc12ecf0cf5871997be42c0af044668e\n"
      "3:cpuset:/\n"
      "2:cpuacct:/\n"
      "1:cpu:/\n"
      "0::/\n");
  EXPECT_EQ(info.path, "/process_api/cc12ecf0cf5871997be42c0af044668e");
  EXPECT_EQ(info.container_id, "");
}

TEST(ParseCgroupTest, HybridUnifiedPathPreferredOverV1) {
  const CgroupInfo info = ParseCgroup(
      "12:cpu,cpuacct:/system.slice/cron.service\n"
      "1:name=systemd:/system.slice/cron.service\n"
      "0::/system.slice/cron.service/sub\n");
  EXPECT_EQ(info.path, "/system.slice/cron.service/sub");
}

TEST(ParseCgroupTest, HybridDockerIdFoundInV1HierarchiesOnly) {
  const CgroupInfo info =
      ParseCgroup(S("12:memory:/docker/", kId, "\n") + S("11:pids:/docker/", kId, "\n") + "0::/\n");
  EXPECT_EQ(info.path, S("/docker/", kId));
  EXPECT_EQ(info.container_id, kId);
}

TEST(ParseCgroupTest, AllRootGivesSlash) {
  const CgroupInfo info = ParseCgroup("2:cpu:/\n1:name=systemd:/\n0::/\n");
  EXPECT_EQ(info.path, "/");
  EXPECT_EQ(info.container_id, "");
}

TEST(ParseCgroupTest, EmptyTextGivesSlash) {
  const CgroupInfo info = ParseCgroup("");
  EXPECT_EQ(info.path, "/");
  EXPECT_EQ(info.container_id, "");
}

TEST(ParseCgroupTest, V1OnlyFirstNonRootHierarchyWins) {
  const CgroupInfo info = ParseCgroup(
      "3:cpuset:/\n"
      "2:memory:/user.slice/a\n"
      "1:name=systemd:/user.slice/b\n");
  EXPECT_EQ(info.path, "/user.slice/a");
}

TEST(ParseCgroupTest, PathContainingColonIsKeptWhole) {
  const CgroupInfo info = ParseCgroup(S("0::/system.slice/a:b/docker-", kId, ".scope\n"));
  EXPECT_EQ(info.path, S("/system.slice/a:b/docker-", kId, ".scope"));
  EXPECT_EQ(info.container_id, kId);
}

TEST(ParseCgroupTest, V1PathContainingColonIsKeptWhole) {
  const CgroupInfo info = ParseCgroup("1:name=systemd:/weird:name/x\n0::/\n");
  EXPECT_EQ(info.path, "/weird:name/x");
}

TEST(ParseCgroupTest, KubepodsCgroupfsV2) {
  const CgroupInfo info =
      ParseCgroup(S("0::/kubepods/burstable/pod8c3f5d2e-6a7b-4c1d-9e0f-123456789abc/", kId, "\n"));
  EXPECT_EQ(info.container_id, kId);
  EXPECT_EQ(info.path, S("/kubepods/burstable/pod8c3f5d2e-6a7b-4c1d-9e0f-123456789abc/", kId));
}

TEST(ParseCgroupTest, LxcContainerV2) {
  const CgroupInfo info = ParseCgroup("0::/lxc.payload.web01/system.slice/cron.service\n");
  EXPECT_EQ(info.container_id, "web01");
  EXPECT_EQ(info.path, "/lxc.payload.web01/system.slice/cron.service");
}

TEST(ParseCgroupTest, MalformedLinesAreSkipped) {
  const CgroupInfo info = ParseCgroup(
      "garbage\n"
      "1:only-one-colon\n"
      "\n" +
      S("0::/docker/", kId, "\n"));
  EXPECT_EQ(info.path, S("/docker/", kId));
  EXPECT_EQ(info.container_id, kId);
}

TEST(ParseCgroupTest, NoTrailingNewline) {
  const CgroupInfo info = ParseCgroup("0::/system.slice/sshd.service");
  EXPECT_EQ(info.path, "/system.slice/sshd.service");
}

}  // namespace
}  // namespace procaudit
