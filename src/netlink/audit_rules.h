// procaudit's kernel audit rules, and the questions we ask of the rules already loaded.
//
// A rule is the kernel's struct audit_rule_data (a fixed header plus a buffer of string
// fields), kept here as an owned byte blob so it can be built, listed, compared and deleted
// exactly: we delete a rule by sending back the very bytes the kernel listed, never by key
// prefix (auditctl -D -k KEY also removes rules whose key only starts with KEY).
//
// Pure functions over bytes: no socket here (audit_netlink.h sends and lists them).
#pragma once

#include <linux/audit.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/file_watch.h"

namespace procaudit::netlink {

inline constexpr std::string_view kRuleKey = "procaudit";

class Rule {
 public:
  // An empty syscall-exit rule with the given action (AUDIT_ALWAYS, AUDIT_NEVER).
  explicit Rule(uint32_t action = AUDIT_ALWAYS);
  // The rule as the kernel listed it. Returns an empty rule (valid() false) when the bytes are
  // not a whole audit_rule_data.
  static Rule FromKernel(const void* data, size_t size);

  bool valid() const { return !bytes_.empty(); }
  const audit_rule_data& data() const { return *reinterpret_cast<const audit_rule_data*>(bytes_.data()); }
  audit_rule_data& data() { return *reinterpret_cast<audit_rule_data*>(bytes_.data()); }
  size_t size() const { return bytes_.size(); }

  void AddSyscall(int nr);
  bool HasSyscall(int nr) const;
  // A numeric field: AUDIT_ARCH, AUDIT_PID... compared with op (AUDIT_EQUAL, AUDIT_NOT_EQUAL).
  void AddField(uint32_t field, uint32_t value, uint32_t op = AUDIT_EQUAL);
  // A string field (AUDIT_EXE, AUDIT_DIR, AUDIT_FILTERKEY...): its value is the string's length
  // and the string goes to the end of buf, after those of the fields before it.
  void AddStringField(uint32_t field, std::string_view text);
  void AddKey(std::string_view key) { AddStringField(AUDIT_FILTERKEY, key); }
  // The keys of the rule (a key field may hold several, separated by AUDIT_KEY_SEPARATOR).
  std::vector<std::string> Keys() const;
  bool HasKey(std::string_view key) const;
  // The value of the first equality field `field`, or fallback.
  uint32_t FieldValue(uint32_t field, uint32_t fallback) const;
  // The text of the first equality string field `field` (AUDIT_EXE, AUDIT_DIR), or nullopt.
  std::optional<std::string> FieldText(uint32_t field) const;
  bool HasField(uint32_t field) const;
  // "exit,always arch=c000003e syscalls=59,322 dir=/etc key=procaudit": for messages and tests.
  std::string Describe() const;

  // Calls fn(field, op, value, text) for each field in order; text is the string of a string
  // field (empty for numeric ones). Stops at a string that runs past buf (malformed).
  using FieldFn = std::function<void(uint32_t field, uint32_t op, uint32_t value,
                                     std::string_view text)>;
  void ForEachField(const FieldFn& fn) const;

  bool operator==(const Rule& other) const { return bytes_ == other.bytes_; }

 private:
  static Rule Invalid();

  std::vector<unsigned char> bytes_;  // an aligned audit_rule_data followed by buflen bytes
};

struct RuleSetOptions {
  int32_t exclude_pid = 0;  // >0: a never-rule first, keeping this process's syscalls out
};

// procaudit's rules, in the order to load them (never-rule first, prepended): for the native
// arch (b64) and the compat arch (b32, when the machine has one), every process syscall
// (execve, execveat, fork, vfork, clone, clone3, exit, exit_group) the arch knows, each
// rule keyed kRuleKey.
std::vector<Rule> ProcessRules(const RuleSetOptions& options);

// The file_events rules of one watch, one per arch (b64, and b32 when the machine has it):
// exit,always on every file syscall the arch knows (open, openat, openat2, creat, truncate,
// ftruncate, rename, renameat, renameat2, unlink, unlinkat, link, linkat, symlink, symlinkat,
// mkdir, mkdirat, rmdir, mknod, mknodat, chmod, fchmod, fchmodat, chown, fchown, lchown,
// fchownat; on i386 also chown32, fchown32, lchown32, truncate64, ftruncate64, which its
// programs call instead; fchmodat2 where libaudit knows it), narrowed by the watch's field (-F pid=, exe=, dir=; none for all),
// keyed kRuleKey. not_pid > 0 adds -F pid!=not_pid, keeping that process's own calls out where
// no never-rule does (multicast).
std::vector<Rule> FileRules(const FileWatch& watch, int32_t not_pid = 0);

// The watch a rule of FileRules was made for, or nullopt for any other rule.
std::optional<FileWatch> FileWatchOf(const Rule& rule);

// The pid a rule keeps out: a never-rule's pid= (ProcessRules' exclude_pid) or an always-rule's
// pid!= (FileRules' not_pid); 0 for other rules. Such a rule belongs to the capture of that pid.
uint32_t ExcludedPid(const Rule& rule);

// Whether the loaded rules record the native arch's execve and exit_group on the exit list for
// every process (a rule with no narrowing fields other than arch and key).
bool CoversProcessEvents(const std::vector<Rule>& rules);

}  // namespace procaudit::netlink
