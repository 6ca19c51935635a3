#include "netlink/audit_rules.h"

#include <gtest/gtest.h>
#include <libaudit.h>

#include <cstring>
#include <tuple>
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

TEST(ProcessRules, NeverRecordFileSyscalls) {
  const std::vector<Rule> rules = ProcessRules({.exclude_pid = 0});
  ASSERT_EQ(rules.size(), 2u);
  for (const char* name : {"open", "openat", "unlinkat", "renameat2"}) {
    EXPECT_FALSE(rules[0].HasSyscall(Nr(name))) << name;
    EXPECT_FALSE(rules[1].HasSyscall(Nr(name, "b32"))) << name;
  }
  for (const Rule& r : rules) EXPECT_FALSE(FileWatchOf(r).has_value()) << r.Describe();
}

// The syscalls of the file_events spec, for both arches; i386 adds its 32-bit-uid and
// large-file variants.
constexpr const char* kFileCalls[] = {
    "open",     "openat",    "openat2",  "creat",    "truncate", "ftruncate", "rename",
    "renameat", "renameat2", "unlink",   "unlinkat", "link",     "linkat",    "symlink",
    "symlinkat", "mkdir",    "mkdirat",  "rmdir",    "mknod",    "mknodat",   "chmod",
    "fchmod",   "fchmodat",  "chown",    "fchown",   "lchown",   "fchownat"};

TEST(FileRules, OneRulePerArchWithEveryFileSyscallAndNoNarrowingForAll) {
  const std::vector<Rule> rules = FileRules(FileWatch{});
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].FieldValue(AUDIT_ARCH, 0), static_cast<uint32_t>(AUDIT_ARCH_X86_64));
  EXPECT_EQ(rules[1].FieldValue(AUDIT_ARCH, 0), static_cast<uint32_t>(AUDIT_ARCH_I386));
  for (const Rule& r : rules) {
    EXPECT_EQ(r.data().action, static_cast<uint32_t>(AUDIT_ALWAYS));
    EXPECT_EQ(r.data().flags, static_cast<uint32_t>(AUDIT_FILTER_EXIT));
    EXPECT_EQ(r.data().field_count, 2u) << r.Describe();  // arch and key
    EXPECT_EQ(r.Keys(), std::vector<std::string>{"procaudit"});
    EXPECT_FALSE(r.HasSyscall(Nr("execve")));
  }
  for (const char* name : kFileCalls) {
    EXPECT_TRUE(rules[0].HasSyscall(Nr(name))) << name;
    EXPECT_TRUE(rules[1].HasSyscall(Nr(name, "b32"))) << name;
  }
  for (const char* name : {"chown32", "fchown32", "lchown32", "truncate64", "ftruncate64"}) {
    EXPECT_TRUE(rules[1].HasSyscall(Nr(name, "b32"))) << name;
  }
  // Nothing beyond the list (and fchmodat2, where libaudit knows it): no i386-only names.
  int count = 0;
  for (int nr = 0; nr < AUDIT_BITMASK_SIZE * 32; ++nr) count += rules[0].HasSyscall(nr);
  EXPECT_EQ(count, 27 + (Nr("fchmodat2") >= 0 ? 1 : 0));
  if (Nr("fchmodat2") >= 0) {
    EXPECT_TRUE(rules[0].HasSyscall(Nr("fchmodat2")));
  }
  EXPECT_FALSE(CoversProcessEvents(rules));
}

TEST(FileRules, PidWatchIsANumericEqualityField) {
  const std::vector<Rule> rules = FileRules({FileWatch::Kind::kPid, 8175, {}});
  ASSERT_EQ(rules.size(), 2u);
  for (const Rule& r : rules) {
    EXPECT_EQ(r.FieldValue(AUDIT_PID, 0), 8175u);
    EXPECT_EQ(r.data().buflen, 9u);  // the key alone
    EXPECT_EQ(FileWatchOf(r), (FileWatch{FileWatch::Kind::kPid, 8175, {}}));
    EXPECT_EQ(ExcludedPid(r), 0u);  // pid= on an always-rule watches, it does not exclude
  }
  EXPECT_EQ(rules[0].Describe().find("exit,always arch=c000003e pid=8175 syscalls=2,"), 0u)
      << rules[0].Describe();
}

TEST(FileRules, ExeAndDirAreStringFieldsWhoseTextPrecedesTheKeyInBuf) {
  for (const auto& [kind, field, name] :
       {std::tuple{FileWatch::Kind::kExe, uint32_t{AUDIT_EXE}, "exe"},
        std::tuple{FileWatch::Kind::kDir, uint32_t{AUDIT_DIR}, "dir"}}) {
    const std::string path = "/usr/lib/some dir";  // a space is just a byte to the kernel
    const FileWatch watch{kind, 0, path};
    const Rule r = FileRules(watch)[0];
    const audit_rule_data& d = r.data();
    ASSERT_EQ(d.field_count, 3u);
    EXPECT_EQ(d.fields[1], field);
    EXPECT_EQ(d.fieldflags[1], static_cast<uint32_t>(AUDIT_EQUAL));
    EXPECT_EQ(d.values[1], path.size());  // a string field's value is its length
    EXPECT_EQ(d.fields[2], static_cast<uint32_t>(AUDIT_FILTERKEY));
    EXPECT_EQ(d.values[2], 9u);
    EXPECT_EQ(d.buflen, path.size() + 9);
    EXPECT_EQ(r.size(), sizeof(audit_rule_data) + d.buflen);
    EXPECT_EQ(std::string(d.buf, d.buflen), path + "procaudit");
    EXPECT_EQ(r.Keys(), std::vector<std::string>{"procaudit"});
    EXPECT_EQ(r.FieldText(field), path);
    EXPECT_EQ(r.FieldText(AUDIT_FILTERKEY), "procaudit");
    EXPECT_EQ(FileWatchOf(r), watch);
    EXPECT_NE(r.Describe().find(std::string(" ") + name + "=" + path + " syscalls="),
              std::string::npos)
        << r.Describe();
    EXPECT_EQ(r.Describe().substr(r.Describe().size() - 14), " key=procaudit");
    // What the kernel lists back is these bytes (checked against the real kernel by
    // tests/e2e/test_watch_rules.py): the round trip keeps every field.
    const Rule listed = Rule::FromKernel(&d, r.size());
    ASSERT_TRUE(listed.valid());
    EXPECT_EQ(listed, r);
    EXPECT_EQ(FileWatchOf(listed), watch);
  }
}

TEST(FileRules, NotPidExcludesACaptureOfItsOwnCalls) {
  const std::vector<Rule> rules = FileRules({FileWatch::Kind::kDir, 0, "/etc"}, 4242);
  for (const Rule& r : rules) {
    EXPECT_EQ(ExcludedPid(r), 4242u);
    EXPECT_EQ(r.FieldValue(AUDIT_PID, 0), 0u);  // not an equality
    EXPECT_EQ(FileWatchOf(r), (FileWatch{FileWatch::Kind::kDir, 0, "/etc"}));
    EXPECT_NE(r.Describe().find(" dir=/etc pid!=4242 syscalls="), std::string::npos)
        << r.Describe();
    EXPECT_TRUE(r.HasKey("procaudit"));
  }
  // The watched pid and the excluded one side by side.
  const Rule both = FileRules({FileWatch::Kind::kPid, 7, {}}, 4242)[0];
  EXPECT_EQ(ExcludedPid(both), 4242u);
  EXPECT_EQ(FileWatchOf(both), (FileWatch{FileWatch::Kind::kPid, 7, {}}));
}

TEST(FileWatchOf, OnlyOurFileRulesWithOneNarrowingField) {
  Rule unkeyed(AUDIT_ALWAYS);
  unkeyed.AddField(AUDIT_ARCH, AUDIT_ARCH_X86_64);
  unkeyed.AddSyscall(Nr("openat"));
  EXPECT_FALSE(FileWatchOf(unkeyed).has_value());
  unkeyed.AddKey("procaudit");
  EXPECT_EQ(FileWatchOf(unkeyed), FileWatch{});
  Rule by_uid = unkeyed;
  by_uid.AddField(AUDIT_UID, 1000);  // somebody's own rule under our key: not a watch of ours
  EXPECT_FALSE(FileWatchOf(by_uid).has_value());
  Rule never = FileRules(FileWatch{})[0];
  never.data().action = AUDIT_NEVER;
  EXPECT_FALSE(FileWatchOf(never).has_value());
  EXPECT_FALSE(FileWatchOf(ProcessRules({.exclude_pid = 9})[0]).has_value());  // the never-rule
}

TEST(ExcludedPid, NeverRulesPidAndAlwaysRulesPidNotEqual) {
  const std::vector<Rule> rules = ProcessRules({.exclude_pid = 4242});
  EXPECT_EQ(ExcludedPid(rules[0]), 4242u);
  EXPECT_EQ(ExcludedPid(rules[1]), 0u);
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
  EXPECT_EQ(parsed.FieldText(AUDIT_WATCH), "/etc");
  EXPECT_NE(parsed.Describe().find(" path=/etc"), std::string::npos) << parsed.Describe();
}

TEST(Rule, AStringFieldRunningPastBufStopsTheWalk) {
  Rule r = FileRules({FileWatch::Kind::kExe, 0, "/usr/bin/curl"})[0];
  r.data().values[1] = 1000;  // longer than buf
  EXPECT_EQ(r.Keys(), std::vector<std::string>{});
  EXPECT_EQ(r.FieldText(AUDIT_EXE), std::nullopt);
  EXPECT_FALSE(r.HasKey("procaudit"));
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
