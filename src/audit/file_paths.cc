#include "audit/file_paths.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <vector>

#include "audit/file_calls.h"

namespace procaudit::audit {
namespace {

constexpr uint32_t kCreatFlags = O_CREAT | O_WRONLY | O_TRUNC;
constexpr uint32_t kTmpFile = __O_TMPFILE & ~O_DIRECTORY;  // the bit O_TMPFILE adds
constexpr uint32_t kAtRemoveDir = AT_REMOVEDIR;

// Appends the segments of name to out (which holds a path without a trailing slash, or is
// empty), dropping empty and "." segments.
void AppendSegments(std::string& out, std::string_view name) {
  while (!name.empty()) {
    const size_t slash = name.find('/');
    const std::string_view seg = name.substr(0, slash);
    if (!seg.empty() && seg != ".") {
      out.push_back('/');
      out.append(seg);
    }
    if (slash == std::string_view::npos) break;
    name.remove_prefix(slash + 1);
  }
}

bool SameInode(const PathItem& item, const FdTarget& t) {
  return item.inode && t.inode && *item.inode == *t.inode && item.dev == t.dev;
}

class Resolver {
 public:
  Resolver(const FileEvent& ev, const FdLookup& fds) : ev_(ev), fds_(fds) {
    for (const PathItem& it : ev.items) {
      (it.type == PathItem::Type::kParent ? parents_ : objects_).push_back(&it);
    }
  }

  ResolvedFile Run() {
    const FileCall& call = *ev_.call;
    ResolvedFile r;
    r.operation = call.operation;
    switch (call.shape) {
      case FileCall::Shape::kOne:
        if (!objects_.empty()) Primary(r, *objects_[0], call.dirfd);
        else NoteDirFd(r, call.dirfd);
        break;
      case FileCall::Shape::kTwo: {
        const PathItem* old_name = objects_.size() > 0 ? objects_[0] : nullptr;
        const PathItem* new_name = objects_.size() > 1 ? objects_[1] : nullptr;
        if (call.operation == FileOperation::kRename) {
          if (old_name) Primary(r, *old_name, call.dirfd);
          if (new_name) r.target = Absolute(*new_name, call.dirfd2, r.fd ? nullptr : &r.fd);
        } else {  // link: path is the new link, target the file it links to
          if (new_name) Primary(r, *new_name, call.dirfd2);
          if (old_name) r.target = Absolute(*old_name, call.dirfd, r.fd ? nullptr : &r.fd);
        }
        break;
      }
      case FileCall::Shape::kSymlink:
        // The link's text comes first (an UNKNOWN item: never looked up), then the new link.
        if (!objects_.empty()) r.target = objects_[0]->name;
        if (objects_.size() > 1) Primary(r, *objects_[1], call.dirfd2);
        break;
      case FileCall::Shape::kFd: {
        const int32_t fd = static_cast<int32_t>(SyscallArg(ev_, call.fd));
        r.fd = fd;
        const PathItem* item = objects_.empty() ? nullptr : objects_[0];
        if (const FdTarget* t = fds_(fd); t && (!item || !item->inode || SameInode(*item, *t))) {
          r.path = t->path;
          r.opened = t;
        }
        r.item = item;
        break;
      }
    }
    Arguments(r);
    return r;
  }

 private:
  void Primary(ResolvedFile& r, const PathItem& item, int8_t dirfd_arg) {
    r.item = &item;
    r.name = item.name;
    r.path = Absolute(item, dirfd_arg, &r.fd);
  }

  void NoteDirFd(ResolvedFile& r, int8_t dirfd_arg) const {
    if (dirfd_arg == FileCall::kNone) return;
    const uint64_t arg = SyscallArg(ev_, dirfd_arg);
    if (!IsAtFdCwd(arg)) r.fd = static_cast<int32_t>(arg);
  }

  std::optional<std::string> Absolute(const PathItem& item, int8_t dirfd_arg,
                                      std::optional<int32_t>* fd_out) const {
    if (!item.name || item.name->empty()) return std::nullopt;
    const std::string& name = *item.name;
    const uint64_t arg = dirfd_arg == FileCall::kNone ? 0 : SyscallArg(ev_, dirfd_arg);
    const bool via_fd = dirfd_arg != FileCall::kNone && !IsAtFdCwd(arg);
    if (via_fd && fd_out) *fd_out = static_cast<int32_t>(arg);
    if (name.front() == '/') return JoinPath("", name);
    if (!via_fd) {
      if (!ev_.cwd) return std::nullopt;
      return JoinPath(*ev_.cwd, name);
    }
    const FdTarget* t = fds_(static_cast<int32_t>(arg));
    if (!t || !t->directory) return std::nullopt;
    // The kernel logs the inode of the directory a name is created or removed in. For a name
    // of one component that is the descriptor's directory, which must then be the one we know
    // (the number may have been closed and reused). A longer name's parent is another
    // directory, and a name only looked up logs no parent: nothing to check against.
    if (name.find('/') == std::string::npos) {
      bool logged = false, matches = false;
      for (const PathItem* p : parents_) {
        if (!p->inode) continue;
        logged = true;
        matches = matches || SameInode(*p, *t);
      }
      if (logged && !matches) return std::nullopt;
    }
    return JoinPath(t->path, name);
  }

  // Flags, mode and owner arguments, and the operation they refine.
  void Arguments(ResolvedFile& r) const {
    const FileCall& call = *ev_.call;
    std::optional<uint64_t> flags;
    if (call.flags >= 0) flags = SyscallArg(ev_, call.flags);
    else if (call.flags == FileCall::kFromOpenat2Record) flags = ev_.openat2_flags;
    else if (call.flags == FileCall::kCreatFlags) flags = kCreatFlags;
    if (flags) {
      const auto f = static_cast<uint32_t>(*flags);
      r.flags = f;
      const bool created = r.item && r.item->type == PathItem::Type::kCreate;
      if ((f & kTmpFile) || ((f & O_CREAT) && created)) {
        r.operation = FileOperation::kCreate;
      } else {
        r.operation = (f & O_ACCMODE) == O_RDONLY ? FileOperation::kOpenRead
                                                  : FileOperation::kOpenWrite;
      }
      // An open's mode argument means something only when it may create a file.
      if (call.mode >= 0 && (f & (O_CREAT | kTmpFile))) {
        r.mode = static_cast<uint32_t>(SyscallArg(ev_, call.mode));
      } else if (call.mode == FileCall::kFromOpenat2Record && (f & (O_CREAT | kTmpFile)) &&
                 ev_.openat2_mode) {
        r.mode = static_cast<uint32_t>(*ev_.openat2_mode);
      }
    } else if (call.mode >= 0) {
      r.mode = static_cast<uint32_t>(SyscallArg(ev_, call.mode));
    }
    if (call.at_flags >= 0 && (SyscallArg(ev_, call.at_flags) & kAtRemoveDir)) {
      r.operation = FileOperation::kRmdir;
    }
    if (call.owner >= 0) {
      // uid_t and gid_t are 32 bits; -1 leaves the owner (group) as it is.
      const auto uid = static_cast<uint32_t>(SyscallArg(ev_, call.owner));
      const auto gid = static_cast<uint32_t>(SyscallArg(ev_, call.owner + 1));
      if (uid != UINT32_MAX) r.new_uid = uid;
      if (gid != UINT32_MAX) r.new_gid = gid;
    }
  }

  const FileEvent& ev_;
  const FdLookup& fds_;
  std::vector<const PathItem*> parents_, objects_;
};

}  // namespace

ResolvedFile ResolveFileEvent(const FileEvent& ev, const FdLookup& fds) {
  return Resolver(ev, fds).Run();
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out;
  out.reserve(dir.size() + name.size() + 1);
  if (name.empty() || name.front() != '/') AppendSegments(out, dir);
  AppendSegments(out, name);
  if (out.empty()) out.push_back('/');
  return out;
}

}  // namespace procaudit::audit
