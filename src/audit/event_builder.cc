#include "audit/event_builder.h"

#include <libaudit.h>

#include <vector>

#include "audit/file_calls.h"
#include "audit/file_event_builder.h"
#include "audit/record_parser.h"
#include "audit/syscall_record.h"
#include "proc/text_fields.h"

namespace procaudit::audit {
namespace {

// x86_64 and i386 numbers are stable ABI and by far the most common, so they skip the
// table lookup; other architectures go through libaudit's names.
std::optional<ProcessSyscall> ClassifyByName(std::string_view name) {
  if (name == "execve") return ProcessSyscall::kExecve;
  if (name == "execveat") return ProcessSyscall::kExecveat;
  if (name == "fork") return ProcessSyscall::kFork;
  if (name == "vfork") return ProcessSyscall::kVfork;
  if (name == "clone") return ProcessSyscall::kClone;
  if (name == "clone3") return ProcessSyscall::kClone3;
  if (name == "exit") return ProcessSyscall::kExit;
  if (name == "exit_group") return ProcessSyscall::kExitGroup;
  return std::nullopt;
}

std::optional<ProcessSyscall> Classify(uint32_t elf, int64_t nr) {
  if (elf == kElfX86_64) {
    switch (nr) {
      case 59: return ProcessSyscall::kExecve;
      case 322: return ProcessSyscall::kExecveat;
      case 57: return ProcessSyscall::kFork;
      case 58: return ProcessSyscall::kVfork;
      case 56: return ProcessSyscall::kClone;
      case 435: return ProcessSyscall::kClone3;
      case 60: return ProcessSyscall::kExit;
      case 231: return ProcessSyscall::kExitGroup;
      default: return std::nullopt;
    }
  }
  if (elf == kElfI386) {
    switch (nr) {
      case 11: return ProcessSyscall::kExecve;
      case 358: return ProcessSyscall::kExecveat;
      case 2: return ProcessSyscall::kFork;
      case 190: return ProcessSyscall::kVfork;
      case 120: return ProcessSyscall::kClone;
      case 435: return ProcessSyscall::kClone3;
      case 1: return ProcessSyscall::kExit;
      case 252: return ProcessSyscall::kExitGroup;
      default: return std::nullopt;
    }
  }
  const int machine = audit_elf_to_machine(elf);
  if (machine < 0) return std::nullopt;
  const char* name = audit_syscall_to_name(static_cast<int>(nr), machine);
  return name ? ClassifyByName(name) : std::nullopt;
}

// The arguments of one exec, gathered over several EXECVE records. The kernel writes
// argc, then aN="..." (or hex) for short arguments and aN_len=L aN[0]=.. aN[1]=.. for long ones.
class ArgvCollector {
 public:
  void Add(std::string_view body) {
    FieldIterator it(body);
    std::string_view name, v;
    while (it.Next(name, v)) {
      if (name == "argc") {
        size_t argc = 0;
        if (ParseInt(v, argc) && argc <= kMaxArgs) {
          argv_.resize(argc);
          state_.assign(argc, Arg{});
          have_argc_ = true;
        } else {
          broken_ = "argc=" + std::string(v) + " is not a count";
        }
        continue;
      }
      if (name.size() < 2 || name[0] != 'a' || !have_argc_) continue;
      AddArg(name.substr(1), v);
    }
  }

  // The arguments, or nullopt with *error set when one is missing or cut short.
  std::optional<std::vector<std::string>> Take(std::string* error) {
    if (!have_argc_) return std::nullopt;
    for (size_t i = 0; i < argv_.size() && broken_.empty(); ++i) {
      const Arg& a = state_[i];
      if (!a.seen) broken_ = "argument a" + std::to_string(i) + " is missing";
      else if (a.expected_len >= 0 && a.logged_len != a.expected_len)
        broken_ = "argument a" + std::to_string(i) + " is cut short";
    }
    if (!broken_.empty()) {
      *error = "EXECVE: " + broken_;
      return std::nullopt;
    }
    return std::move(argv_);
  }

 private:
  static constexpr size_t kMaxArgs = 1 << 20;  // more than any kernel accepts
  struct Arg {
    bool seen = false;
    int64_t expected_len = -1;  // from aN_len, for chunked arguments: logged characters
    int64_t logged_len = 0;     // characters of the chunks as logged (hex digits count twice)
    int next_chunk = 0;
  };

  // rest: "N", "N_len" or "N[i]".
  void AddArg(std::string_view rest, std::string_view v) {
    const size_t digits = rest.find_first_not_of("0123456789");
    size_t index = 0;
    if (!ParseInt(rest.substr(0, digits), index)) return;
    if (index >= argv_.size()) {
      broken_ = "argument a" + std::to_string(index) + " beyond argc";
      return;
    }
    Arg& a = state_[index];
    const std::string_view suffix = digits == std::string_view::npos ? "" : rest.substr(digits);
    if (suffix.empty()) {
      a.seen = true;
      if (!AppendUntrusted(v, argv_[index])) broken_ = "undecodable argument";
    } else if (suffix == "_len") {
      if (!ParseInt(v, a.expected_len)) broken_ = "bad argument length";
      a.seen = true;
    } else if (suffix.front() == '[' && suffix.back() == ']') {
      int chunk = -1;
      if (!ParseInt(suffix.substr(1, suffix.size() - 2), chunk) || chunk != a.next_chunk) {
        broken_ = "argument chunks out of order";
        return;
      }
      ++a.next_chunk;
      const bool quoted = v.size() >= 2 && v.front() == '"';
      a.logged_len += static_cast<int64_t>(quoted ? v.size() - 2 : v.size());
      if (!AppendUntrusted(v, argv_[index])) broken_ = "undecodable argument chunk";
    }
  }

  std::vector<std::string> argv_;
  std::vector<Arg> state_;
  bool have_argc_ = false;
  std::string broken_;
};

// Only PATH item 0 of an exec is used; the kernel writes item= first, so the others are
// skipped without parsing their fields.
bool IsItemZero(std::string_view body) {
  const size_t b = body.find_first_not_of(' ');
  return b != std::string_view::npos && body.substr(b).starts_with("item=0 ");
}

void ParsePathRecord(std::string_view body, SyscallEvent& ev) {
  FieldIterator it(body);
  std::string_view name, v;
  std::optional<uint32_t> mode, ouid, ogid;
  bool item0 = false;
  while (it.Next(name, v)) {
    v = Bare(v);
    if (name == "item") item0 = v == "0";
    else if (name == "mode") mode = ParseInt(v, mode.emplace(), 8) ? mode : std::nullopt;
    else if (name == "ouid") ouid = ParseInt(v, ouid.emplace()) ? ouid : std::nullopt;
    else if (name == "ogid") ogid = ParseInt(v, ogid.emplace()) ? ogid : std::nullopt;
  }
  if (item0) {
    ev.exe_mode = mode;
    ev.exe_ouid = ouid;
    ev.exe_ogid = ogid;
  }
}

std::optional<std::string> SingleField(std::string_view body, std::string_view wanted) {
  FieldIterator it(body);
  std::string_view name, v;
  while (it.Next(name, v)) {
    if (name == wanted) return DecodeUntrusted(v);
  }
  return std::nullopt;
}

// ANOM_ABEND: "auid= uid= gid= ses= [subj=] pid= comm= exe= sig= res=". Returns false when
// pid or sig is missing.
bool ParseAnomAbend(const RecordHeader& h, SyscallEvent& ev) {
  ev.time_ms = h.time_ms;
  ev.serial = h.serial;
  ev.syscall = ProcessSyscall::kAnomAbend;
  bool have_pid = false, have_sig = false;
  FieldIterator it(h.body);
  std::string_view name, raw;
  while (it.Next(name, raw)) {
    const bool encodable = name == "exe" || name == "comm";
    const std::string_view v = encodable ? raw : Bare(raw);
    if (name == "pid") have_pid = ParseInt(v, ev.pid) && ev.pid > 0;
    else if (name == "sig") have_sig = ParseInt(v, ev.a0) && ev.a0 > 0 && ev.a0 < 65;
    else if (name == "auid") ParseInt(v, ev.cred.auid);
    else if (name == "uid") ParseInt(v, ev.cred.uid);
    else if (name == "gid") ParseInt(v, ev.cred.gid);
    else if (name == "ses") ParseInt(v, ev.ses);
    else if (name == "comm") ev.comm = DecodeUntrusted(v);
    else if (name == "exe") ev.exe = DecodeUntrusted(v);
  }
  return have_pid && have_sig;
}

}  // namespace

const char* ProcessSyscallName(ProcessSyscall s) {
  switch (s) {
    case ProcessSyscall::kExecve: return "execve";
    case ProcessSyscall::kExecveat: return "execveat";
    case ProcessSyscall::kFork: return "fork";
    case ProcessSyscall::kVfork: return "vfork";
    case ProcessSyscall::kClone: return "clone";
    case ProcessSyscall::kClone3: return "clone3";
    case ProcessSyscall::kExit: return "exit";
    case ProcessSyscall::kExitGroup: return "exit_group";
    case ProcessSyscall::kAnomAbend: return "anom_abend";
  }
  return "?";
}

BuildResult BuildAuditEvent(std::span<const std::string_view> records, SyscallEvent* out,
                            FileEvent* file, std::string* error) {
  error->clear();
  // Each header once; the SYSCALL record decides whether this is ours at all.
  thread_local std::vector<RecordHeader> headers;
  headers.clear();
  const RecordHeader* syscall_header = nullptr;
  for (std::string_view line : records) {
    if (std::optional<RecordHeader> h = ParseRecordHeader(line)) headers.push_back(*h);
  }
  for (const RecordHeader& h : headers) {
    if (h.type == "SYSCALL") {
      syscall_header = &h;
      break;
    }
  }
  if (!syscall_header) {
    for (const RecordHeader& h : headers) {
      if (h.type != "ANOM_ABEND") continue;
      *out = SyscallEvent{};
      if (ParseAnomAbend(h, *out)) return BuildResult::kProcessEvent;
      *error = "ANOM_ABEND record without pid or sig";
      return BuildResult::kMalformed;
    }
    return BuildResult::kOtherEvent;
  }

  // Built in place: the caller's event is reused from one event to the next.
  SyscallEvent& ev = *out;
  ev = SyscallEvent{};
  uint32_t elf = 0;
  int64_t nr = -1;
  ev.time_ms = syscall_header->time_ms;
  ev.serial = syscall_header->serial;
  if (!ParseSyscallRecord(syscall_header->body, ev, elf, nr)) {
    *error = "SYSCALL record without arch, syscall, pid or ppid";
    return BuildResult::kMalformed;
  }
  const std::optional<ProcessSyscall> kind = Classify(elf, nr);
  if (!kind) {
    const FileCall* call = ClassifyFileCall(elf, nr);
    if (!call) return BuildResult::kOtherEvent;
    static_cast<SyscallRecord&>(*file) = std::move(ev);
    file->arch = ArchName(elf);
    file->call = call;
    file->openat2_flags.reset();
    file->openat2_mode.reset();
    return CompleteFileEvent(headers, *file, error) ? BuildResult::kFileEvent
                                                    : BuildResult::kMalformed;
  }
  ev.syscall = *kind;
  ev.arch = ArchName(elf);

  ArgvCollector argv;
  bool saw_execve = false;
  for (const RecordHeader& h : headers) {
    if (h.type == "EXECVE") {
      saw_execve = true;
      argv.Add(h.body);
    } else if (h.type == "CWD") {
      ev.cwd = SingleField(h.body, "cwd");
    } else if (h.type == "PATH" && IsExec(ev.syscall) && IsItemZero(h.body)) {
      ParsePathRecord(h.body, ev);
    } else if (h.type == "PROCTITLE" && !(IsExec(ev.syscall) && ev.success)) {
      // A successful exec's arguments come from EXECVE (its PROCTITLE may still be the old
      // image's); a failed one keeps the caller's, which PROCTITLE shows.
      ev.proctitle = SingleField(h.body, "proctitle");
    }
  }
  if (saw_execve) ev.argv = argv.Take(error);
  return BuildResult::kProcessEvent;
}

BuildResult BuildSyscallEvent(std::span<const std::string_view> records, SyscallEvent* out,
                              std::string* error) {
  thread_local FileEvent unused;
  const BuildResult r = BuildAuditEvent(records, out, &unused, error);
  return r == BuildResult::kFileEvent ? BuildResult::kOtherEvent : r;
}

std::string JoinCmdline(std::span<const std::string> argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) out.push_back(' ');
    out.append(argv[i]);
  }
  return out;
}

}  // namespace procaudit::audit
