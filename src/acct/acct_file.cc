#include "acct/acct_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace procaudit::acct {
namespace {

// How many leading slots must hold no valid record before a file is judged not to be v3.
constexpr size_t kProbeSlots = 16;

[[noreturn]] void Fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("acct file " + path + ": " + why);
}

}  // namespace

AcctFile AcctFile::Open(const std::string& path, uint64_t offset) {
  if (offset % kRecordSize != 0) Fail(path, "offset is not a multiple of 64");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    Fail(path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(path, "not a regular file");
  }
  AcctFile f;
  f.path_ = path;
  f.offset_ = offset;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > offset) {
    const size_t want = static_cast<size_t>(size - offset);
    f.buffer_ = std::make_unique_for_overwrite<uint8_t[]>(want);
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, f.buffer_.get() + got, want - got,
                                static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        ::close(fd);
        Fail(path, std::strerror(err));
      }
      if (n == 0) break;  // truncated since fstat: what is there is what there is
      got += static_cast<size_t>(n);
    }
    f.data_ = f.buffer_.get();
    f.size_ = got;
  }
  ::close(fd);
  f.Scan(offset == 0);
  return f;
}

AcctFile AcctFile::FromBytes(std::span<const uint8_t> bytes, const std::string& name) {
  AcctFile f;
  f.path_ = name;
  f.data_ = bytes.data();
  f.size_ = bytes.size();
  f.Scan(true);
  return f;
}

void AcctFile::Scan(bool first_read) {
  const size_t n = slots();
  stats_.tail_bytes = size_ % kRecordSize;
  // The common case, a clean file, costs one pass and no index.
  size_t i = 0;
  while (i < n && IsValidRecord(Slot(i))) ++i;
  if (i == n) {
    stats_.records = n;
    return;
  }
  valid_.reserve(n);
  for (size_t j = 0; j < i; ++j) valid_.push_back(static_cast<uint32_t>(j));
  for (; i < n; ++i) {
    if (IsValidRecord(Slot(i))) {
      valid_.push_back(static_cast<uint32_t>(i));
    } else {
      if (stats_.first_corrupt < 0) stats_.first_corrupt = static_cast<int64_t>(offset_ + i * kRecordSize);
      ++stats_.corrupt;
    }
  }
  stats_.records = valid_.size();
  if (first_read && n > 0) {
    const size_t probe = std::min(n, kProbeSlots);
    bool any = false;
    for (size_t j = 0; j < probe && !any; ++j) any = IsValidRecord(Slot(j));
    if (!any) {
      const unsigned version = Slot(0)[1] & 0x7f;
      const bool big_endian = Slot(0)[1] & 0x80;
      Fail(path_, "not a BSD process accounting v3 file (the first record has version " +
                      std::to_string(version) + (big_endian ? ", big-endian" : "") +
                      "; procaudit reads native v3, what Linux writes)");
    }
  }
}

std::pair<size_t, size_t> AcctFile::RecordsInSlots(size_t slot_lo, size_t slot_hi) const {
  slot_hi = std::min(slot_hi, slots());
  slot_lo = std::min(slot_lo, slot_hi);
  if (all_valid()) return {slot_lo, slot_hi};
  const auto lo = std::lower_bound(valid_.begin(), valid_.end(), slot_lo);
  const auto hi = std::lower_bound(lo, valid_.end(), slot_hi);
  return {static_cast<size_t>(lo - valid_.begin()), static_cast<size_t>(hi - valid_.begin())};
}

std::string AcctFile::Warning(bool count_tail) const {
  const uint64_t tail = count_tail ? stats_.tail_bytes : 0;
  if (stats_.corrupt == 0 && tail == 0) return {};
  std::string w = "acct file " + path_ + ":";
  if (stats_.corrupt) {
    w += " skipped " + std::to_string(stats_.corrupt) + " corrupt record" +
         (stats_.corrupt == 1 ? "" : "s") + " (first at byte " +
         std::to_string(stats_.first_corrupt) + ")";
  }
  if (tail) {
    w += std::string(stats_.corrupt ? ";" : "") + " ignored a " + std::to_string(tail) +
         "-byte partial record at the end";
  }
  return w;
}

}  // namespace procaudit::acct
