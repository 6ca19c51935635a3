#include "proc/status_parser.h"

#include "proc/text_fields.h"

namespace procaudit {
namespace {

void ParseIdLine(std::string_view rest, std::optional<int64_t>* const ids[4]) {
  FieldCursor fields(rest);
  for (int i = 0; i < 4; ++i) {
    int64_t v = 0;
    if (!fields.NextInt(v)) return;
    *ids[i] = v;
  }
}

std::optional<int64_t> ParseKiB(std::string_view rest) {
  FieldCursor fields(rest);
  int64_t v = 0;
  if (!fields.NextInt(v)) return std::nullopt;
  // No kernel prints a size near 2^63 bytes, but a corrupt or forged text (a copied /proc given
  // with --proc-root) may: overflowing would be undefined behaviour, so such a size is absent.
  int64_t bytes = 0;
  if (__builtin_mul_overflow(v, 1024, &bytes)) return std::nullopt;
  return bytes;
}

}  // namespace

StatusFields ParseStatus(std::string_view text) {
  StatusFields s;
  for (std::string_view line : Lines(text)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view rest = line.substr(colon + 1);
    if (key == "Tgid") {
      int64_t v = 0;
      if (ParseInt(Trim(rest), v)) s.tgid = v;
    } else if (key == "Uid") {
      std::optional<int64_t>* ids[4] = {&s.uid, &s.euid, &s.suid, &s.fsuid};
      ParseIdLine(rest, ids);
    } else if (key == "Gid") {
      std::optional<int64_t>* ids[4] = {&s.gid, &s.egid, &s.sgid, &s.fsgid};
      ParseIdLine(rest, ids);
    } else if (key == "NSpid") {
      FieldCursor fields(rest);
      int64_t v = 0;
      while (fields.NextInt(v)) s.ns_pids.push_back(v);
    } else if (key == "VmSize") {
      s.vm_size_bytes = ParseKiB(rest);
    } else if (key == "VmRSS") {
      s.vm_rss_bytes = ParseKiB(rest);
    } else if (key == "VmLck") {
      s.vm_lck_bytes = ParseKiB(rest);
    }
  }
  return s;
}

}  // namespace procaudit
