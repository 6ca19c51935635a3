#include "proc/fd_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>

#include "proc/process_reader.h"
#include "proc/text_fields.h"

namespace procaudit {

std::string_view FdTypeName(FdType type) {
  switch (type) {
    case FdType::kFile: return "file";
    case FdType::kDir: return "dir";
    case FdType::kSocket: return "socket";
    case FdType::kPipe: return "pipe";
    case FdType::kAnonInode: return "anon_inode";
    case FdType::kChar: return "char";
    case FdType::kBlock: return "block";
    case FdType::kOther: return "other";
    case FdType::kUnknown: break;
  }
  return "";
}

FdType FdTypeFromLink(std::string_view target) {
  if (target.starts_with('/')) return FdType::kUnknown;
  if (target.starts_with("socket:[")) return FdType::kSocket;
  if (target.starts_with("pipe:[")) return FdType::kPipe;
  if (target.starts_with("anon_inode:")) return FdType::kAnonInode;
  return FdType::kOther;  // "net:[...]" and other nsfs links, "/dev/..."-less pseudo files
}

FdType FdTypeFromMode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return FdType::kFile;
    case S_IFDIR: return FdType::kDir;
    case S_IFCHR: return FdType::kChar;
    case S_IFBLK: return FdType::kBlock;
    case S_IFIFO: return FdType::kPipe;
    case S_IFSOCK: return FdType::kSocket;
    default: return FdType::kOther;
  }
}

namespace {

// Fills what the stat of the link's target tells: the type of a path, its inode.
void StatTarget(int fd_dir, const char* name, FdEntry& e) {
  struct stat st;
  if (::fstatat(fd_dir, name, &st, 0) != 0) return;
  if (e.type == FdType::kUnknown) e.type = FdTypeFromMode(st.st_mode);
  if (!e.inode) e.inode = st.st_ino;
}

}  // namespace

bool ReadFds(const PidDir& dir, uint32_t parts, std::vector<FdEntry>& out) {
  UniqueFd fd_dir(::openat(dir.fd(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd_dir.valid()) return false;
  UniqueFd info_dir;
  if (parts & kFdPartInfo) {
    info_dir.Reset(::openat(dir.fd(), "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  std::string scratch;
  char name[24];
  for (const int64_t fd : ListNumericEntries(fd_dir.get())) {
    auto [end, ec] = std::to_chars(name, name + sizeof name - 1, fd);
    *end = '\0';
    FdEntry e;
    e.fd = fd;
    // A descriptor closed since readdir is simply not there any more.
    if (!ReadLinkAt(fd_dir.get(), name, e.target)) continue;
    e.type = FdTypeFromLink(e.target);
    if (e.type == FdType::kUnknown) e.deleted = StripDeletedSuffix(e.target);

    if (info_dir.valid() && ReadFileAt(info_dir.get(), name, scratch, ReadMode::kOneShot)) {
      e.info = ParseFdInfo(scratch);
      if (e.info->ino) e.inode = e.info->ino;
    }
    uint64_t link_inode = 0;
    if (!e.inode && (ParseBracketInode(e.target, "socket:", link_inode) ||
                     ParseBracketInode(e.target, "pipe:", link_inode))) {
      e.inode = link_inode;
    }
    const bool need_stat = ((parts & kFdPartType) && e.type == FdType::kUnknown) ||
                           ((parts & kFdPartInode) && !e.inode);
    if (need_stat) StatTarget(fd_dir.get(), name, e);

    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace procaudit
