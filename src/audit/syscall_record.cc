#include "audit/syscall_record.h"

#include <libaudit.h>

#include "audit/record_parser.h"
#include "proc/text_fields.h"

namespace procaudit::audit {
namespace {

std::optional<std::string> Decode(std::string_view raw) { return DecodeUntrusted(raw); }

// Several keys on one rule are logged hex-encoded and separated by 0x01.
std::optional<std::string> DecodeKey(std::string_view raw) {
  std::optional<std::string> key = DecodeUntrusted(raw);
  if (key) {
    for (char& c : *key) {
      if (c == '\x01') c = ',';
    }
  }
  return key;
}

}  // namespace

bool ParseSyscallRecord(std::string_view body, SyscallRecord& ev, uint32_t& elf, int64_t& nr) {
  constexpr unsigned kArch = 1, kNr = 2, kPid = 4, kPpid = 8;
  unsigned seen = 0;
  FieldIterator it(body);
  std::string_view name;
  std::string_view raw;
  while (it.Next(name, raw)) {
    const bool encodable = name == "exe" || name == "comm" || name == "key";
    const std::string_view v = encodable ? raw : Bare(raw);
    switch (name.size() > 0 ? name[0] : 0) {
      case 'a':
        if (name == "arch") seen |= ParseInt(v, elf, 16) ? kArch : 0u;
        else if (name == "a0") ParseInt(v, ev.a0, 16);
        else if (name == "a1") ParseInt(v, ev.a1, 16);
        else if (name == "a2") ParseInt(v, ev.a2, 16);
        else if (name == "a3") ParseInt(v, ev.a3, 16);
        else if (name == "auid") ParseInt(v, ev.cred.auid);
        break;
      case 's':
        if (name == "syscall") seen |= ParseInt(v, nr) ? kNr : 0u;
        else if (name == "success") {
          ev.has_result = true;
          ev.success = v == "yes";
        }
        else if (name == "suid") ParseInt(v, ev.cred.suid);
        else if (name == "sgid") ParseInt(v, ev.cred.sgid);
        else if (name == "ses") ParseInt(v, ev.ses);
        break;
      case 'e':
        if (name == "exit") ParseInt(v, ev.exit);
        else if (name == "euid") ParseInt(v, ev.cred.euid);
        else if (name == "egid") ParseInt(v, ev.cred.egid);
        else if (name == "exe") ev.exe = Decode(v);
        break;
      case 'i':
        if (name == "items" && !ParseInt(v, ev.items_announced)) ev.items_announced = -1;
        break;
      case 'p':
        if (name == "pid") seen |= ParseInt(v, ev.pid) ? kPid : 0u;
        else if (name == "ppid") seen |= ParseInt(v, ev.ppid) ? kPpid : 0u;
        break;
      case 'u':
        if (name == "uid") ParseInt(v, ev.cred.uid);
        break;
      case 'g':
        if (name == "gid") ParseInt(v, ev.cred.gid);
        break;
      case 'f':
        if (name == "fsuid") ParseInt(v, ev.cred.fsuid);
        else if (name == "fsgid") ParseInt(v, ev.cred.fsgid);
        break;
      case 't':
        if (name == "tty" && !IsAbsentValue(v)) ev.tty = std::string(v);
        break;
      case 'c':
        if (name == "comm") ev.comm = Decode(v);
        break;
      case 'k':
        if (name == "key") ev.key = DecodeKey(v);
        break;
      default:
        break;
    }
  }
  return seen == (kArch | kNr | kPid | kPpid);
}

std::string ArchName(uint32_t elf) {
  if (elf == kElfX86_64) return "x86_64";
  if (elf == kElfI386) return "i386";
  const int machine = audit_elf_to_machine(elf);
  const char* name = machine < 0 ? nullptr : audit_machine_to_name(machine);
  return name ? name : "unknown";
}

}  // namespace procaudit::audit
