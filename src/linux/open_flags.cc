#include "linux/open_flags.h"

#include <fcntl.h>

#include <array>
#include <cstdio>
#include <utility>

namespace procaudit {
namespace {

struct FlagName {
  uint64_t bit;
  const char* name;
};

// In the order of the bits, as strace prints them. Two names are composites:
// O_SYNC is __O_SYNC|O_DSYNC and O_TMPFILE is __O_TMPFILE|O_DIRECTORY; each stands
// at the place of its own distinctive bit, and its shared bit is not named twice.
constexpr std::array<FlagName, 17> kFlags{{
    {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},
    {O_ASYNC, "O_ASYNC"},
    {O_DIRECT, "O_DIRECT"},
    {0100000, "O_LARGEFILE"},  // glibc defines O_LARGEFILE as 0 on 64-bit; the kernel sets it
    {O_DIRECTORY, "O_DIRECTORY"},
    {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_NOATIME, "O_NOATIME"},
    {O_CLOEXEC, "O_CLOEXEC"},
    {O_SYNC, "O_SYNC"},
    {O_PATH, "O_PATH"},
    {O_TMPFILE, "O_TMPFILE"},
}};

}  // namespace

std::string DecodeOpenFlags(uint64_t flags) {
  std::string out;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: out = "O_RDONLY"; break;
    case O_WRONLY: out = "O_WRONLY"; break;
    case O_RDWR: out = "O_RDWR"; break;
    default: out = "O_ACCMODE"; break;  // 3: "no access", used by some ioctl-only opens
  }
  uint64_t rest = flags & ~static_cast<uint64_t>(O_ACCMODE);
  const bool sync = (rest & O_SYNC) == O_SYNC;
  const bool tmpfile = (rest & O_TMPFILE) == O_TMPFILE;
  for (const auto& f : kFlags) {
    if ((f.bit == O_DSYNC && sync) || (f.bit == O_DIRECTORY && tmpfile)) continue;
    if ((rest & f.bit) == f.bit) {
      out += '|';
      out += f.name;
      rest &= ~f.bit;
    }
  }
  if (rest != 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "|0%llo", static_cast<unsigned long long>(rest));
    out += buf;
  }
  return out;
}

}  // namespace procaudit
