// Fuzzes the decoding of audit field values (record_parser's DecodeUntrusted / AppendUntrusted:
// "quoted" text, hex of the raw bytes, the absent markers) on arbitrary bytes, three ways:
//   - the input as one raw value: what decodes must be the quoted text, or bytes whose hex is
//     the input; what does not must be absent, odd or non-hex, and append nothing;
//   - the input as raw bytes, hex-encoded the way the kernel logs an untrusted value (upper case,
//     and with the case mixed): it must decode back to exactly the input;
//   - the input as a record body: every name=value the field iterator yields lies inside the
//     body and is decoded, and the body goes through the SYSCALL record parser, which decodes
//     exe, comm and key (several keys are hex joined by 0x01).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "audit/record_parser.h"
#include "audit/syscall_record.h"

using namespace procaudit::audit;

namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string Hex(std::string_view bytes, bool mixed_case) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kLower[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    const char* digits = mixed_case && i % 2 ? kLower : kUpper;
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void AsRawValue(std::string_view raw) {
  const std::optional<std::string> decoded = DecodeUntrusted(raw);
  std::string appended = "prefix";
  if (AppendUntrusted(raw, appended) != decoded.has_value()) __builtin_trap();
  const bool quoted = raw.size() >= 2 && raw.front() == '"' && raw.back() == '"';
  if (!decoded) {
    if (appended != "prefix") __builtin_trap();  // a failed append leaves out as it was
    bool bad_hex = raw.size() % 2 != 0;
    for (char c : raw) bad_hex = bad_hex || !IsHexDigit(c);
    if (!IsAbsentValue(raw) && (quoted || !bad_hex)) __builtin_trap();
    return;
  }
  if (appended != "prefix" + *decoded) __builtin_trap();
  if (IsAbsentValue(raw)) __builtin_trap();
  if (quoted) {
    if (*decoded != raw.substr(1, raw.size() - 2)) __builtin_trap();
  } else if (Hex(*decoded, false) != Upper(raw)) {
    __builtin_trap();  // hex: the decoded bytes re-encode to the input
  }
}

void AsRawBytes(std::string_view bytes) {
  if (bytes.empty()) return;  // no hex at all: the absent value
  for (const bool mixed : {false, true}) {
    const std::optional<std::string> back = DecodeUntrusted(Hex(bytes, mixed));
    if (!back || *back != bytes) __builtin_trap();
  }
}

void AsRecordBody(std::string_view body) {
  FieldIterator it(body);
  std::string_view name, raw;
  size_t fields = 0;
  while (it.Next(name, raw)) {
    if (!Inside(name, body) || !Inside(raw, body) || ++fields > body.size()) __builtin_trap();
    (void)DecodeUntrusted(raw);
  }
  SyscallRecord rec;
  uint32_t elf = 0;
  int64_t nr = 0;
  (void)ParseSyscallRecord(body, rec, elf, nr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  AsRawValue(text);
  AsRawBytes(text);
  AsRecordBody(text);
  return 0;
}
