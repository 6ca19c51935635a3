#include "netlink/audit_rules.h"

#include <libaudit.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace procaudit::netlink {
namespace {

// Field types whose value is a length into buf rather than a number (the kernel's
// audit_data_to_entry unpacks a string for exactly these).
bool IsStringField(uint32_t field) {
  switch (field) {
    case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN:
    case AUDIT_SUBJ_CLR: case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE:
    case AUDIT_OBJ_LEV_LOW: case AUDIT_OBJ_LEV_HIGH: case AUDIT_WATCH: case AUDIT_DIR:
    case AUDIT_FILTERKEY: case AUDIT_EXE:
      return true;
    default:
      return false;
  }
}

constexpr const char* kProcessSyscalls[] = {"execve", "execveat", "fork",      "vfork",
                                            "clone",  "clone3",   "exit",      "exit_group"};
// The file_events syscalls (issue: file_events): recorded only when asked for.
constexpr const char* kFileSyscalls[] = {
    "open",   "openat", "openat2", "creat",   "rename",    "renameat", "renameat2", "unlink",
    "unlinkat", "link", "linkat",  "symlink", "symlinkat", "truncate", "ftruncate", "chmod",
    "fchmod", "fchmodat"};

}  // namespace

Rule::Rule(uint32_t action) : bytes_(sizeof(audit_rule_data), 0) {
  data().flags = AUDIT_FILTER_EXIT;
  data().action = action;
}

Rule Rule::FromKernel(const void* data, size_t size) {
  Rule rule;
  if (size < sizeof(audit_rule_data)) return Rule::Invalid();
  audit_rule_data header;
  std::memcpy(&header, data, sizeof header);
  if (header.field_count > AUDIT_MAX_FIELDS || header.buflen > size - sizeof header) {
    return Rule::Invalid();
  }
  rule.bytes_.assign(static_cast<const unsigned char*>(data),
                     static_cast<const unsigned char*>(data) + sizeof header + header.buflen);
  return rule;
}

Rule Rule::Invalid() {
  Rule rule;
  rule.bytes_.clear();
  return rule;
}

void Rule::AddSyscall(int nr) {
  if (nr < 0 || nr >= AUDIT_BITMASK_SIZE * 32) return;
  data().mask[AUDIT_WORD(nr)] |= AUDIT_BIT(nr);
}

bool Rule::HasSyscall(int nr) const {
  if (nr < 0 || nr >= AUDIT_BITMASK_SIZE * 32) return false;
  return data().mask[AUDIT_WORD(nr)] & AUDIT_BIT(nr);
}

void Rule::AddField(uint32_t field, uint32_t value) {
  audit_rule_data& d = data();
  if (d.field_count >= AUDIT_MAX_FIELDS) return;
  d.fields[d.field_count] = field;
  d.values[d.field_count] = value;
  d.fieldflags[d.field_count] = AUDIT_EQUAL;
  ++d.field_count;
}

void Rule::AddKey(std::string_view key) {
  if (data().field_count >= AUDIT_MAX_FIELDS) return;
  AddField(AUDIT_FILTERKEY, static_cast<uint32_t>(key.size()));
  bytes_.insert(bytes_.end(), key.begin(), key.end());
  data().buflen += static_cast<uint32_t>(key.size());
}

std::vector<std::string> Rule::Keys() const {
  std::vector<std::string> keys;
  const audit_rule_data& d = data();
  size_t offset = 0;
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (!IsStringField(d.fields[i])) continue;
    const size_t len = d.values[i];
    if (offset + len > d.buflen) break;  // malformed: stop rather than read past buf
    if (d.fields[i] == AUDIT_FILTERKEY) {
      std::string_view all(d.buf + offset, len);
      while (true) {
        const size_t sep = all.find(static_cast<char>(AUDIT_KEY_SEPARATOR));
        keys.emplace_back(all.substr(0, sep));
        if (sep == std::string_view::npos) break;
        all.remove_prefix(sep + 1);
      }
    }
    offset += len;
  }
  return keys;
}

bool Rule::HasKey(std::string_view key) const {
  const std::vector<std::string> keys = Keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool Rule::HasField(uint32_t field) const {
  const audit_rule_data& d = data();
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (d.fields[i] == field) return true;
  }
  return false;
}

uint32_t Rule::FieldValue(uint32_t field, uint32_t fallback) const {
  const audit_rule_data& d = data();
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (d.fields[i] == field && d.fieldflags[i] == AUDIT_EQUAL) return d.values[i];
  }
  return fallback;
}

std::string Rule::Describe() const {
  const audit_rule_data& d = data();
  std::string out = (d.flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT ? "exit" : "list" + std::to_string(d.flags);
  out += d.action == AUDIT_ALWAYS ? ",always" : d.action == AUDIT_NEVER ? ",never" : ",action" + std::to_string(d.action);
  char hex[16];
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (d.fields[i] == AUDIT_ARCH) {
      std::snprintf(hex, sizeof hex, "%x", d.values[i]);
      out += std::string(" arch=") + hex;
    } else if (d.fields[i] == AUDIT_PID) {
      out += " pid=" + std::to_string(d.values[i]);
    }
  }
  std::string calls;
  for (int nr = 0; nr < AUDIT_BITMASK_SIZE * 32; ++nr) {
    if (HasSyscall(nr)) calls += (calls.empty() ? "" : ",") + std::to_string(nr);
  }
  if (calls.size() > 200) calls = "all";
  if (!calls.empty()) out += " syscalls=" + calls;
  for (const std::string& k : Keys()) out += " key=" + k;
  return out;
}

std::vector<Rule> ProcessRules(const RuleSetOptions& options) {
  std::vector<Rule> rules;
  if (options.exclude_pid > 0) {
    Rule never(AUDIT_NEVER);
    // A never-rule with every syscall bit: nothing this process does is recorded.
    for (uint32_t& word : never.data().mask) word = ~0U;
    never.AddField(AUDIT_PID, static_cast<uint32_t>(options.exclude_pid));
    never.AddKey(kRuleKey);
    never.data().flags |= AUDIT_FILTER_PREPEND;
    rules.push_back(std::move(never));
  }
  for (const char* bits : {"b64", "b32"}) {
    const int machine = audit_determine_machine(bits);
    if (machine < 0) continue;  // no such arch on this machine (b32 without compat)
    const int elf = audit_machine_to_elf(machine);
    if (elf == 0 || elf == -1) continue;  // (AUDIT_ARCH_X86_64 is negative as an int)
    Rule rule(AUDIT_ALWAYS);
    rule.AddField(AUDIT_ARCH, static_cast<uint32_t>(elf));
    int added = 0;
    auto add = [&](const char* name) {
      const int nr = audit_name_to_syscall(name, machine);
      if (nr >= 0) {
        rule.AddSyscall(nr);
        ++added;
      }
    };
    for (const char* name : kProcessSyscalls) add(name);
    if (options.file_syscalls) {
      for (const char* name : kFileSyscalls) add(name);
    }
    if (added == 0) continue;
    rule.AddKey(kRuleKey);
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool CoversProcessEvents(const std::vector<Rule>& rules) {
  const int machine = audit_detect_machine();
  const int elf = audit_machine_to_elf(machine);
  const int execve = audit_name_to_syscall("execve", machine);
  const int exit_group = audit_name_to_syscall("exit_group", machine);
  for (const Rule& r : rules) {
    const audit_rule_data& d = r.data();
    if ((d.flags & ~AUDIT_FILTER_PREPEND) != AUDIT_FILTER_EXIT || d.action != AUDIT_ALWAYS) continue;
    if (!r.HasSyscall(execve) || !r.HasSyscall(exit_group)) continue;
    bool narrowing = false;
    for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
      if (d.fields[i] == AUDIT_FILTERKEY) continue;
      if (d.fields[i] == AUDIT_ARCH && d.fieldflags[i] == AUDIT_EQUAL &&
          d.values[i] == static_cast<uint32_t>(elf)) {
        continue;
      }
      narrowing = true;
    }
    if (!narrowing) return true;
  }
  return false;
}

}  // namespace procaudit::netlink
