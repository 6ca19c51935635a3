#include "netlink/audit_rules.h"

#include <gtest/gtest.h>
#include <libaudit.h>

#include <cstring>
#include <vector>

namespace procaudit::netlink {
namespace {

int Nr(const char* name, const char* bits = "b64") {
  return audit_name_to_syscall(name, audit_determine_machine(bits));
}

TEST(ProcessRules, OneRulePerArchKeyedProcauditWithEveryProcessSyscall) {
  const std::vector<Rule> rules = ProcessRules({});
  ASSERT_EQ(rules.size(), 2u);  // b64 and b32 on x86_64
  for (const Rule& r : rules) {
    EXPECT_EQ(r.data().action, static_cast<uint32_t>(AUDIT_ALWAYS));
    EXPECT_EQ(r.data().flags, static_cast<uint32_t>(AUDIT_FILTER_EXIT));
    EXPECT_EQ(r.Keys(), std::vector<std::string>{"procaudit"});
    EXPECT_TRUE(r.HasField(AUDIT_ARCH));
  }
  EXPECT_EQ(rules[0].FieldValue(AUDIT_ARCH, 0), static_cast<uint32_t>(AUDIT_ARCH_X86_64));
  EXPECT_EQ(rules[1].FieldValue(AUDIT_ARCH, 0), static_cast<uint32_t>(AUDIT_ARCH_I386));
  for (const char* name : {"execve", "execveat", "fork", "vfork", "clone", "clone3", "exit", "exit_group"}) {
    EXPECT_TRUE(rules[0].HasSyscall(Nr(name))) << name;
    EXPECT_TRUE(rules[1].HasSyscall(Nr(name, "b32"))) << name;
  }
  EXPECT_FALSE(rules[0].HasSyscall(Nr("openat")));
  // i386 numbers are not x86_64's: execve is 11 there, 59 here.
  EXPECT_TRUE(rules[1].HasSyscall(11));
  EXPECT_FALSE(rules[1].HasSyscall(59));
}

TEST(ProcessRules, FileSyscallsOnlyWhenAsked) {
  const std::vector<Rule> rules = ProcessRules({.file_syscalls = true});
  EXPECT_TRUE(rules[0].HasSyscall(Nr("openat")));
  EXPECT_TRUE(rules[0].HasSyscall(Nr("renameat2")));
  EXPECT_TRUE(rules[0].HasSyscall(Nr("execve")));
}

TEST(ProcessRules, NeverRuleForOurPidComesFirstAndPrepends) {
  const std::vector<Rule> rules = ProcessRules({.exclude_pid = 4242});
  ASSERT_EQ(rules.size(), 3u);
  const Rule& never = rules.front();
  EXPECT_EQ(never.data().action, static_cast<uint32_t>(AUDIT_NEVER));
  EXPECT_TRUE(never.data().flags & AUDIT_FILTER_PREPEND);
  EXPECT_EQ(never.FieldValue(AUDIT_PID, 0), 4242u);
  EXPECT_TRUE(never.HasSyscall(Nr("write")));
  EXPECT_TRUE(never.HasKey("procaudit"));
}

TEST(Rule, KernelBytesRoundTripAndCompareExactly) {
  const Rule built = ProcessRules({})[0];
  const Rule listed = Rule::FromKernel(&built.data(), built.size());
  ASSERT_TRUE(listed.valid());
  EXPECT_EQ(listed, built);
  EXPECT_EQ(listed.Describe(), built.Describe());
}

TEST(Rule, FromKernelRejectsShortOrInconsistentBytes) {
  const Rule built = ProcessRules({})[0];
  EXPECT_FALSE(Rule::FromKernel(&built.data(), built.size() - 1).valid());  // buf cut short
  EXPECT_FALSE(Rule::FromKernel(&built.data(), 16).valid());
  Rule bad = built;
  bad.data().field_count = AUDIT_MAX_FIELDS + 1;
  EXPECT_FALSE(Rule::FromKernel(&bad.data(), bad.size()).valid());
}

TEST(Rule, KeysSkipEarlierStringFieldsAndSplitOnTheSeparator) {
  Rule r;
  // A watch path first: its bytes come before the key's in buf.
  r.data().fields[0] = AUDIT_WATCH;
  r.data().values[0] = 4;
  r.data().fieldflags[0] = AUDIT_EQUAL;
  r.data().field_count = 1;
  // Rebuild with buf "/etc" then a two-key field "procaudit\x01other".
  std::vector<unsigned char> bytes(sizeof(audit_rule_data));
  std::memcpy(bytes.data(), &r.data(), sizeof(audit_rule_data));
  auto* d = reinterpret_cast<audit_rule_data*>(bytes.data());
  const std::string keys = std::string("procaudit") + char(AUDIT_KEY_SEPARATOR) + "other";
  d->fields[1] = AUDIT_FILTERKEY;
  d->values[1] = static_cast<uint32_t>(keys.size());
  d->fieldflags[1] = AUDIT_EQUAL;
  d->field_count = 2;
  d->buflen = static_cast<uint32_t>(4 + keys.size());
  const std::string buf = "/etc" + keys;
  bytes.insert(bytes.end(), buf.begin(), buf.end());
  const Rule parsed = Rule::FromKernel(bytes.data(), bytes.size());
  ASSERT_TRUE(parsed.valid());
  EXPECT_EQ(parsed.Keys(), (std::vector<std::string>{"procaudit", "other"}));
  EXPECT_TRUE(parsed.HasKey("procaudit"));
  EXPECT_FALSE(parsed.HasKey("procaud"));  // exact keys, never prefixes
}

TEST(CoversProcessEvents, OnlyUnnarrowedExecveAndExitGroupRulesCount) {
  EXPECT_FALSE(CoversProcessEvents({}));
  EXPECT_TRUE(CoversProcessEvents(ProcessRules({})));
  // Narrowed to one user: misses everybody else.
  Rule narrowed = ProcessRules({})[0];
  narrowed.AddField(AUDIT_UID, 1000);
  EXPECT_FALSE(CoversProcessEvents({narrowed}));
  // Execve alone does not tell how processes end.
  Rule exec_only;
  exec_only.AddSyscall(Nr("execve"));
  EXPECT_FALSE(CoversProcessEvents({exec_only}));
  Rule never = ProcessRules({})[0];
  never.data().action = AUDIT_NEVER;
  EXPECT_FALSE(CoversProcessEvents({never}));
}

}  // namespace
}  // namespace procaudit::netlink
