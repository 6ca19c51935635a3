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
// The file_events syscalls. After the first blank line: what i386's C library calls for chown
// and (large-file) truncate; after the second: fchmodat2 (Linux 6.6), which libaudit may not
// know yet. Names an arch or libaudit does not know are left out.
constexpr const char* kFileSyscalls[] = {
    "open",     "openat",    "openat2",   "creat",    "truncate",   "ftruncate", "rename",
    "renameat", "renameat2", "unlink",    "unlinkat", "link",       "linkat",    "symlink",
    "symlinkat", "mkdir",    "mkdirat",   "rmdir",    "mknod",      "mknodat",   "chmod",
    "fchmod",   "fchmodat",  "chown",     "fchown",   "lchown",     "fchownat",

    "chown32",  "fchown32",  "lchown32",  "truncate64", "ftruncate64",

    "fchmodat2"};

// A syscall only file rules have: how FileWatchOf tells them from other rules of an arch.
int FileRuleMarker(int machine) { return audit_name_to_syscall("openat", machine); }

// An always,exit rule keyed kRuleKey for one arch (machine: libaudit's), with the named
// syscalls it knows; nullopt when it knows none or the machine has no such arch.
std::optional<Rule> ArchRule(const char* bits, const char* const* names, size_t count) {
  const int machine = audit_determine_machine(bits);
  if (machine < 0) return std::nullopt;  // no such arch on this machine (b32 without compat)
  const int elf = audit_machine_to_elf(machine);
  if (elf == 0 || elf == -1) return std::nullopt;  // (AUDIT_ARCH_X86_64 is negative as an int)
  Rule rule(AUDIT_ALWAYS);
  rule.AddField(AUDIT_ARCH, static_cast<uint32_t>(elf));
  int added = 0;
  for (size_t i = 0; i < count; ++i) {
    const int nr = audit_name_to_syscall(names[i], machine);
    if (nr >= 0) {
      rule.AddSyscall(nr);
      ++added;
    }
  }
  if (added == 0) return std::nullopt;
  return rule;
}

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

void Rule::AddField(uint32_t field, uint32_t value, uint32_t op) {
  audit_rule_data& d = data();
  if (d.field_count >= AUDIT_MAX_FIELDS) return;
  d.fields[d.field_count] = field;
  d.values[d.field_count] = value;
  d.fieldflags[d.field_count] = op;
  ++d.field_count;
}

void Rule::AddStringField(uint32_t field, std::string_view text) {
  if (data().field_count >= AUDIT_MAX_FIELDS) return;
  AddField(field, static_cast<uint32_t>(text.size()));
  bytes_.insert(bytes_.end(), text.begin(), text.end());  // may move data(): written after
  data().buflen += static_cast<uint32_t>(text.size());
}

void Rule::ForEachField(const FieldFn& fn) const {
  const audit_rule_data& d = data();
  size_t offset = 0;
  for (uint32_t i = 0; i < d.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    if (!IsStringField(d.fields[i])) {
      fn(d.fields[i], d.fieldflags[i], d.values[i], {});
      continue;
    }
    const size_t len = d.values[i];
    if (offset + len > d.buflen) break;  // malformed: stop rather than read past buf
    fn(d.fields[i], d.fieldflags[i], d.values[i], std::string_view(d.buf + offset, len));
    offset += len;
  }
}

std::vector<std::string> Rule::Keys() const {
  std::vector<std::string> keys;
  ForEachField([&](uint32_t field, uint32_t, uint32_t, std::string_view all) {
    if (field != AUDIT_FILTERKEY) return;
    while (true) {
      const size_t sep = all.find(static_cast<char>(AUDIT_KEY_SEPARATOR));
      keys.emplace_back(all.substr(0, sep));
      if (sep == std::string_view::npos) break;
      all.remove_prefix(sep + 1);
    }
  });
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

std::optional<std::string> Rule::FieldText(uint32_t field) const {
  std::optional<std::string> out;
  ForEachField([&](uint32_t f, uint32_t op, uint32_t, std::string_view text) {
    if (!out && f == field && op == AUDIT_EQUAL && IsStringField(f)) out = std::string(text);
  });
  return out;
}

std::string Rule::Describe() const {
  const audit_rule_data& d = data();
  std::string out = (d.flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT ? "exit" : "list" + std::to_string(d.flags);
  out += d.action == AUDIT_ALWAYS ? ",always" : d.action == AUDIT_NEVER ? ",never" : ",action" + std::to_string(d.action);
  std::string fields;
  ForEachField([&](uint32_t field, uint32_t op, uint32_t value, std::string_view text) {
    if (field == AUDIT_FILTERKEY) return;  // keys go last, one by one
    const char* name = audit_field_to_name(static_cast<int>(field));
    const char* symbol = audit_operator_to_symbol(static_cast<int>(op));
    fields += " " + (name ? std::string(name) : "field" + std::to_string(field)) +
              (symbol ? symbol : "?");
    if (IsStringField(field)) {
      fields += text;
    } else if (field == AUDIT_ARCH) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "%x", value);
      fields += hex;
    } else {
      fields += std::to_string(value);
    }
  });
  std::string calls;
  for (int nr = 0; nr < AUDIT_BITMASK_SIZE * 32; ++nr) {
    if (HasSyscall(nr)) calls += (calls.empty() ? "" : ",") + std::to_string(nr);
  }
  if (calls.size() > 200) calls = "all";
  out += fields;  // arch first: every rule of ours adds it first
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
    std::optional<Rule> rule = ArchRule(bits, kProcessSyscalls, std::size(kProcessSyscalls));
    if (!rule) continue;
    rule->AddKey(kRuleKey);
    rules.push_back(std::move(*rule));
  }
  return rules;
}

std::vector<Rule> FileRules(const FileWatch& watch, int32_t not_pid) {
  std::vector<Rule> rules;
  for (const char* bits : {"b64", "b32"}) {
    std::optional<Rule> rule = ArchRule(bits, kFileSyscalls, std::size(kFileSyscalls));
    if (!rule) continue;
    switch (watch.kind) {
      case FileWatch::Kind::kAll: break;
      case FileWatch::Kind::kPid: rule->AddField(AUDIT_PID, watch.pid); break;
      case FileWatch::Kind::kExe: rule->AddStringField(AUDIT_EXE, watch.path); break;
      case FileWatch::Kind::kDir: rule->AddStringField(AUDIT_DIR, watch.path); break;
    }
    if (not_pid > 0) rule->AddField(AUDIT_PID, static_cast<uint32_t>(not_pid), AUDIT_NOT_EQUAL);
    rule->AddKey(kRuleKey);
    rules.push_back(std::move(*rule));
  }
  return rules;
}

std::optional<FileWatch> FileWatchOf(const Rule& rule) {
  const audit_rule_data& d = rule.data();
  if ((d.flags & ~AUDIT_FILTER_PREPEND) != AUDIT_FILTER_EXIT || d.action != AUDIT_ALWAYS ||
      !rule.HasKey(kRuleKey)) {
    return std::nullopt;
  }
  const int machine = audit_elf_to_machine(rule.FieldValue(AUDIT_ARCH, 0));
  if (machine < 0 || !rule.HasSyscall(FileRuleMarker(machine))) return std::nullopt;
  FileWatch watch;
  int narrowing = 0;
  bool other = false;
  rule.ForEachField([&](uint32_t field, uint32_t op, uint32_t value, std::string_view text) {
    if (field == AUDIT_ARCH || field == AUDIT_FILTERKEY) return;
    if (field == AUDIT_PID && op == AUDIT_NOT_EQUAL) return;  // ExcludedPid's
    if (op != AUDIT_EQUAL) {
      other = true;
    } else if (field == AUDIT_PID) {
      watch = FileWatch{FileWatch::Kind::kPid, value, {}};
      ++narrowing;
    } else if (field == AUDIT_EXE || field == AUDIT_DIR) {
      watch = FileWatch{field == AUDIT_EXE ? FileWatch::Kind::kExe : FileWatch::Kind::kDir, 0,
                        std::string(text)};
      ++narrowing;
    } else {
      other = true;
    }
  });
  if (other || narrowing > 1) return std::nullopt;
  return watch;
}

uint32_t ExcludedPid(const Rule& rule) {
  const audit_rule_data& d = rule.data();
  uint32_t pid = 0;
  rule.ForEachField([&](uint32_t field, uint32_t op, uint32_t value, std::string_view) {
    if (field != AUDIT_PID || pid) return;
    if ((d.action == AUDIT_NEVER && op == AUDIT_EQUAL) ||
        (d.action == AUDIT_ALWAYS && op == AUDIT_NOT_EQUAL)) {
      pid = value;
    }
  });
  return pid;
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
