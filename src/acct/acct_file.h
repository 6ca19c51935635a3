// An accounting file read whole: the records the kernel appended with acct(2), and an account
// of the bytes that are not records.
//
// Like LevelDB's log reader, bad input is skipped and counted, never fatal past the start:
//   - a record that is not a native v3 record (wrong version byte, unknown flag bits) is
//     skipped and counted as corrupt; records are fixed-size, so the next one starts 64 bytes on;
//   - a tail shorter than a record (a write cut short, or the file read while the kernel
//     appends) is counted in bytes and left for the next read.
// A non-empty file whose first records hold no valid one at all is not an accounting v3 file
// (v1/v2, big-endian, or something else): Open throws one line saying so, naming the file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "acct/acct_record.h"

namespace procaudit::acct {

struct ReadStats {
  uint64_t records = 0;        // valid records
  uint64_t corrupt = 0;        // 64-byte slots skipped
  uint64_t tail_bytes = 0;     // bytes after the last whole record
  int64_t first_corrupt = -1;  // byte offset of the first corrupt slot, -1 when none
};

// The bytes of an accounting file from an offset on, read into memory. Not mapped: a file
// truncated while mapped would kill the reader with SIGBUS; read(2) just returns less.
class AcctFile {
 public:
  // Reads path from byte `offset` (a multiple of 64) to its current end. Throws
  // std::runtime_error with one line ("acct file PATH: ...") when it cannot be read or is not
  // a v3 accounting file.
  static AcctFile Open(const std::string& path, uint64_t offset = 0);
  // Reads records from memory (tests, fuzzing); the bytes must outlive the AcctFile.
  static AcctFile FromBytes(std::span<const uint8_t> bytes, const std::string& name);

  AcctFile(AcctFile&&) noexcept = default;
  AcctFile& operator=(AcctFile&&) noexcept = default;

  const std::string& path() const { return path_; }
  const ReadStats& stats() const { return stats_; }
  // The offset just past the last whole record: where the next read of a growing file starts.
  uint64_t end_offset() const { return offset_ + slots() * kRecordSize; }
  // Whole 64-byte slots mapped, valid or not.
  size_t slots() const { return size_ / kRecordSize; }
  std::span<const uint8_t, kRecordSize> Slot(size_t i) const {
    return std::span<const uint8_t, kRecordSize>(data_ + i * kRecordSize, kRecordSize);
  }
  // The slots holding valid records, when some are corrupt; empty when all are valid.
  const std::vector<uint32_t>& valid_slots() const { return valid_; }
  bool all_valid() const { return stats_.corrupt == 0; }
  size_t record_count() const { return all_valid() ? slots() : valid_.size(); }
  std::span<const uint8_t, kRecordSize> Record(size_t i) const {
    return Slot(all_valid() ? i : valid_[i]);
  }
  // The slot number of record i.
  size_t SlotOf(size_t i) const { return all_valid() ? i : valid_[i]; }
  // The records [first, last) whose slots lie in [slot_lo, slot_hi).
  std::pair<size_t, size_t> RecordsInSlots(size_t slot_lo, size_t slot_hi) const;
  // One line for the user when bytes were skipped, else "". A growing file (live accounting)
  // may end in a record being written: leave its tail out with count_tail = false.
  std::string Warning(bool count_tail = true) const;

 private:
  AcctFile() = default;
  void Scan(bool first_read);

  std::string path_;
  std::unique_ptr<uint8_t[]> buffer_;  // the bytes read, for Open
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint64_t offset_ = 0;
  ReadStats stats_;
  std::vector<uint32_t> valid_;
};

}  // namespace procaudit::acct
