// Pure parsing of one audit record line, as the kernel formats it and auditd logs it:
//
//   [node=NAME ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): name=value name=value ...[\x1d ENRICHED]
//
// No allocation except when a value must be decoded. Everything here is a function of its text,
// so it is unit-tested and fuzzed without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace procaudit::audit {

struct RecordHeader {
  std::string_view type;  // "SYSCALL", "EXECVE", "UNKNOWN[1334]", ...
  int64_t time_ms = 0;    // kernel timestamp, milliseconds since the epoch
  uint32_t serial = 0;    // the kernel's event serial (wraps at 2^32)
  std::string_view body;  // the fields after "): ", up to the end of the line
};

// Splits the header off a record line. nullopt when the line is not an audit record
// (a comment, a truncated header, binary garbage).
std::optional<RecordHeader> ParseRecordHeader(std::string_view line);

// Iterates over the name=value fields of a record body. Stops at the end of the line or at
// the 0x1d byte that starts auditd's ENRICHED interpretations, which we never trust: the raw
// fields are what the kernel said.
class FieldIterator {
 public:
  explicit FieldIterator(std::string_view body) : rest_(body) {}
  // REQUIRES: nothing. Returns false at the end. raw_value keeps quotes, if any.
  bool Next(std::string_view& name, std::string_view& raw_value);

 private:
  std::string_view rest_;
};

// A field value as the kernel wrote it: "quoted" text is literal; unquoted text in a field
// the kernel may encode (argv, paths, cwd, comm, exe, key, proctitle) is hex of the raw bytes;
// (null) and "(none)" mean absent.
//
// Returns nullopt for an absent value or for hex that does not decode (odd length, non-hex).
std::optional<std::string> DecodeUntrusted(std::string_view raw_value);

// Like DecodeUntrusted, but for a value the caller will append to: returns false when
// raw_value is absent or undecodable.
bool AppendUntrusted(std::string_view raw_value, std::string& out);

// The decoded text is not needed, only whether the value is the absent marker.
inline bool IsAbsentValue(std::string_view raw) {
  return raw.empty() || raw == "(null)" || raw == "(none)";
}

}  // namespace procaudit::audit
