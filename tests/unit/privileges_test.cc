// src/daemon/privileges.h: which capabilities the daemon keeps for what it runs, their names,
// and /proc status lines read back. The drop itself is tested end to end
// (tests/e2e/test_privilege.py), as root against the real daemon.
#include "daemon/privileges.h"

#include <gtest/gtest.h>
#include <linux/capability.h>

namespace procaudit::daemon {
namespace {

using netlink::AuditMode;

constexpr CapabilitySet Caps(std::initializer_list<int> caps) {
  CapabilitySet set = 0;
  for (int cap : caps) set |= CapabilitySet{1} << cap;
  return set;
}

TEST(CapabilitiesToKeep, NothingRunningKeepsOnlyWhatProcNeeds) {
  EXPECT_EQ(CapabilitiesToKeep({}), Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE}));
}

TEST(CapabilitiesToKeep, UnicastKeepsAuditControlToRestoreAtTheStop) {
  EXPECT_EQ(CapabilitiesToKeep({.capture = AuditMode::kUnicast}),
            Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_AUDIT_CONTROL}));
}

TEST(CapabilitiesToKeep, MulticastNeedsNoAuditReadOnceBound) {
  const CapabilitySet keep = CapabilitiesToKeep({.capture = AuditMode::kMulticast});
  EXPECT_EQ(keep, Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_AUDIT_CONTROL}));
  EXPECT_FALSE(keep & Caps({CAP_AUDIT_READ}));
}

TEST(CapabilitiesToKeep, OwnAccountingKeepsPacctToTurnItOff) {
  EXPECT_EQ(CapabilitiesToKeep({.capture = AuditMode::kUnicast, .own_accounting = true}),
            Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_AUDIT_CONTROL, CAP_SYS_PACCT}));
  EXPECT_EQ(CapabilitiesToKeep({.capture = std::nullopt, .own_accounting = true}),
            Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_PACCT}));
}

TEST(CapabilitiesToKeep, SharedAccountingIsOnlyReadSoNeedsNothing) {
  EXPECT_EQ(CapabilitiesToKeep({.capture = AuditMode::kMulticast, .own_accounting = false}),
            CapabilitiesToKeep({.capture = AuditMode::kMulticast}));
}

TEST(CapabilitiesToKeep, StartOnlyCapabilitiesAreNeverKept) {
  for (const RunningSources& s : {RunningSources{}, RunningSources{AuditMode::kUnicast, true},
                                  RunningSources{AuditMode::kMulticast, true},
                                  RunningSources{AuditMode::kMulticast, false}}) {
    EXPECT_FALSE(CapabilitiesToKeep(s) &
                 Caps({CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETPCAP, CAP_AUDIT_READ, CAP_DAC_OVERRIDE,
                       CAP_SETUID, CAP_CHOWN, CAP_KILL, CAP_SYS_MODULE}));
  }
}

TEST(CapabilityNames, LibcapNamesLowestFirst) {
  EXPECT_EQ(CapabilityNames(Caps({CAP_AUDIT_CONTROL, CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE})),
            "cap_dac_read_search,cap_sys_ptrace,cap_audit_control");
  EXPECT_EQ(CapabilityNames(0), "none");
}

constexpr const char* kStatus =
    "Name:\tprocaudit\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000040180004\n"
    "CapEff:\t0000000040180004\n"
    "CapBnd:\t0000000040180004\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t0\n";

TEST(ParseThreadCredentials, ReadsEverySet) {
  const std::optional<ThreadCredentials> c = ParseThreadCredentials(kStatus);
  ASSERT_TRUE(c);
  const CapabilitySet want =
      Caps({CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_PACCT, CAP_AUDIT_CONTROL});
  EXPECT_EQ(c->permitted, want);
  EXPECT_EQ(c->effective, want);
  EXPECT_EQ(c->bounding, want);
  EXPECT_EQ(c->inheritable, 0u);
  EXPECT_EQ(c->ambient, 0u);
  EXPECT_TRUE(c->no_new_privs);
}

TEST(ParseThreadCredentials, RootsFullSetAndNoNewPrivsOff) {
  const std::optional<ThreadCredentials> c = ParseThreadCredentials(
      "CapInh:\t0\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0\nNoNewPrivs:\t0\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->effective, 0x1ffffffffffu);
  EXPECT_FALSE(c->no_new_privs);
}

TEST(ParseThreadCredentials, AMissingOrBadLineIsNoAnswer) {
  EXPECT_FALSE(ParseThreadCredentials(""));
  EXPECT_FALSE(
      ParseThreadCredentials("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n"
                             "CapAmb:\t0\n"));  // an old kernel: no NoNewPrivs
  EXPECT_FALSE(
      ParseThreadCredentials("CapInh:\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t0\n"
                             "CapAmb:\t0\nNoNewPrivs:\t0\n"));
}

}  // namespace
}  // namespace procaudit::daemon
