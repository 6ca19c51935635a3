#include "acct/accounting_writes_to.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "acct/acct_record.h"
#include "util/unique_fd.h"

namespace procaudit::acct {
namespace {

std::runtime_error Failure(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

// The bytes of fd from offset to its end.
std::vector<uint8_t> ReadFrom(int fd, uint64_t offset, const std::string& path) {
  std::vector<uint8_t> bytes;
  uint8_t buf[64 * kRecordSize];
  while (true) {
    const ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset + bytes.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure("reading " + path);
    if (n == 0) return bytes;
    bytes.insert(bytes.end(), buf, buf + n);
  }
}

}  // namespace

bool HoldsRecordOf(std::span<const uint8_t> bytes, pid_t pid) {
  for (size_t off = 0; off + kRecordSize <= bytes.size(); off += kRecordSize) {
    const std::span<const uint8_t, kRecordSize> slot(bytes.data() + off, kRecordSize);
    if (IsValidRecord(slot) && RecordPid(slot) == static_cast<uint32_t>(pid)) return true;
  }
  return false;
}

bool AccountingWritesTo(const std::string& path, uint64_t dev, uint64_t ino) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    throw Failure("opening " + path);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) throw Failure("reading " + path);
  if (st.st_dev != dev || st.st_ino != ino) return false;
  const uint64_t start = static_cast<uint64_t>(st.st_size) / kRecordSize * kRecordSize;
  const pid_t child = fork();
  if (child < 0) throw Failure("checking process accounting: fork");
  if (child == 0) _exit(0);
  // ECHILD: another thread reaped it, or SIGCHLD is ignored; either way it has exited.
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  return HoldsRecordOf(ReadFrom(fd.get(), start, path), child);
}

}  // namespace procaudit::acct
