// Fuzzes the accounting file reader (AcctFile::FromBytes) and the record decoder on every
// 64-byte slot, valid or not. A file judged not to be v3 throws std::runtime_error by design;
// anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "acct/acct_file.h"
#include "acct/acct_record.h"

namespace {

using namespace procaudit::acct;

void Touch(const AcctRecord& r) {
  // Every accessor a table calls; the sanitizers watch the arithmetic.
  (void)r.Comm();
  (void)r.EndTime();
  if (r.ExitCode() && r.Signal()) __builtin_trap();  // a status is one or the other
  if (auto sig = r.Signal()) (void)SignalName(*sig);
  (void)r.CoreDumped();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  // The decoder alone, on every whole slot, as a reader would see them.
  for (size_t off = 0; off + kRecordSize <= size; off += kRecordSize) {
    const std::span<const uint8_t, kRecordSize> slot(data + off, kRecordSize);
    const auto r = DecodeRecord(slot);
    if (r.has_value() != IsValidRecord(slot)) __builtin_trap();
    if (r) {
      if (r->pid != RecordPid(slot) || r->exitcode != RecordExitcode(slot)) __builtin_trap();
      Touch(*r);
    }
  }
  try {
    const AcctFile f = AcctFile::FromBytes(bytes, "fuzz");
    const ReadStats& s = f.stats();
    if (s.records + s.corrupt != f.slots() || s.tail_bytes >= kRecordSize) __builtin_trap();
    if (f.record_count() != s.records || f.end_offset() + s.tail_bytes != size) __builtin_trap();
    if ((s.corrupt == 0) != (s.first_corrupt < 0)) __builtin_trap();
    for (size_t i = 0; i < f.record_count(); ++i) {
      const auto r = DecodeRecord(f.Record(i));
      if (!r) __builtin_trap();  // Record() gives valid records only
      Touch(*r);
    }
    (void)f.Warning();
    (void)f.Warning(false);
  } catch (const std::runtime_error&) {
    // Not a v3 file: expected for most inputs.
  }
  return 0;
}
