// src/audit/file_event_builder.h, file_calls.h and file_paths.h: file syscall records (real
// kernel 6.18 output, recorded with /tmp-style paths) to file events, and names to paths.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "audit/event_builder.h"
#include "audit/file_calls.h"
#include "audit/file_paths.h"

namespace procaudit::audit {
namespace {

// The SYSCALL record of a file call by pid 9242 in /tmp/fx/d; serial 100.
std::string Syscall(int nr, const std::string& args, const std::string& result, int items) {
  return "type=SYSCALL msg=audit(1795271162.848:100): arch=c000003e syscall=" +
         std::to_string(nr) + " " + result + " " + args + " items=" + std::to_string(items) +
         " ppid=9215 pid=9242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
         "fsgid=0 tty=(none) ses=4294967295 comm=\"probe\" exe=\"/tmp/fx/probe\" key=\"files\"";
}
std::string Cwd(const std::string& cwd = "\"/tmp/fx/d\"") {
  return "type=CWD msg=audit(1795271162.848:100): cwd=" + cwd;
}
std::string Path(int item, const std::string& name, const std::string& rest) {
  return "type=PATH msg=audit(1795271162.848:100): item=" + std::to_string(item) +
         " name=" + name + " " + rest;
}
const std::string kFile =
    "inode=11182110 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=";
const std::string kDir = "inode=11182108 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=";
const std::string kSub = "inode=11182122 dev=fe:00 mode=040700 ouid=0 ogid=0 rdev=00:00 nametype=";
const std::string kOk = "success=yes exit=0";

struct Built {
  BuildResult result;
  FileEvent ev;
  std::string error;
};

Built Build(const std::vector<std::string>& lines) {
  std::vector<std::string_view> views(lines.begin(), lines.end());
  Built b;
  SyscallEvent process;
  b.result = BuildAuditEvent(views, &process, &b.ev, &b.error);
  return b;
}

// Descriptors of the event's process, for the resolver.
struct Fds {
  std::map<int32_t, FdTarget> by_fd;
  FdLookup Lookup() const {
    return [this](int32_t fd) -> const FdTarget* {
      auto it = by_fd.find(fd);
      return it == by_fd.end() ? nullptr : &it->second;
    };
  }
};

ResolvedFile Resolve(const Built& b, const Fds& fds = {}) {
  EXPECT_EQ(b.result, BuildResult::kFileEvent) << b.error;
  return ResolveFileEvent(b.ev, fds.Lookup());
}

TEST(FileEventBuilder, OpenCreateRelativeToCwd) {
  const Built b = Build({Syscall(257, "a0=ffffff9c a1=559b3ad08004 a2=241 a3=1a4", "success=yes exit=3", 2),
                         Cwd(), Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                         Path(1, "\"rel.txt\"", kFile + "CREATE")});
  ASSERT_EQ(b.result, BuildResult::kFileEvent) << b.error;
  EXPECT_STREQ(b.ev.call->name, "openat");
  EXPECT_EQ(b.ev.pid, 9242);
  EXPECT_EQ(b.ev.ppid, 9215);
  EXPECT_EQ(b.ev.arch, "x86_64");
  EXPECT_EQ(b.ev.key, "files");
  ASSERT_EQ(b.ev.items.size(), 2u);
  EXPECT_EQ(b.ev.items[1].type, PathItem::Type::kCreate);
  EXPECT_EQ(b.ev.items[1].inode, 11182110u);
  EXPECT_EQ(b.ev.items[1].mode, 0100644u);
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.operation, FileOperation::kCreate);
  EXPECT_EQ(r.path, "/tmp/fx/d/rel.txt");
  EXPECT_EQ(r.name, "rel.txt");
  EXPECT_EQ(r.flags, 0x241u);  // O_WRONLY|O_CREAT|O_TRUNC
  EXPECT_EQ(r.mode, 0644u);
  EXPECT_FALSE(r.fd);  // AT_FDCWD
  ASSERT_NE(r.item, nullptr);
  EXPECT_EQ(r.item->inode, 11182110u);
}

TEST(FileEventBuilder, ProcessSyscallsAndOtherCallsAreNotFileEvents) {
  EXPECT_EQ(Build({Syscall(59, "a0=1 a1=2 a2=3 a3=4", kOk, 0)}).result, BuildResult::kProcessEvent);
  EXPECT_EQ(Build({Syscall(44, "a0=1 a1=2 a2=3 a3=4", kOk, 0)}).result, BuildResult::kOtherEvent);
}

TEST(FileEventBuilder, I386CallsAreClassifiedByTheirOwnNumbers) {
  EXPECT_STREQ(ClassifyFileCall(0x40000003, 5)->name, "open");
  EXPECT_STREQ(ClassifyFileCall(0x40000003, 212)->name, "chown32");
  EXPECT_STREQ(ClassifyFileCall(0xc000003e, 2)->name, "open");
  EXPECT_STREQ(ClassifyFileCall(0xc000003e, 437)->name, "openat2");
  EXPECT_EQ(ClassifyFileCall(0xc000003e, 59), nullptr);  // execve
  EXPECT_EQ(ClassifyFileCall(0xc000003e, -1), nullptr);
  EXPECT_EQ(ClassifyFileCall(0xc000003e, 1 << 30), nullptr);
}

TEST(FileEventBuilder, PathItemsOutOfOrderAreTakenByNumber) {
  const Built b = Build({Path(1, "\"rel.txt\"", kFile + "CREATE"), Cwd(),
                         Syscall(257, "a0=ffffff9c a1=1 a2=241 a3=1a4", "success=yes exit=3", 2),
                         Path(0, "\"/tmp/fx/d\"", kDir + "PARENT")});
  EXPECT_EQ(Resolve(b).path, "/tmp/fx/d/rel.txt");
}

TEST(FileEventBuilder, MissingDuplicateOrExtraPathItemsAreMalformed) {
  const std::string call = Syscall(82, "a0=1 a1=2 a2=ffffff9c a3=0", kOk, 4);
  Built b = Build({call, Cwd(), Path(0, "\"a\"", kDir + "PARENT"), Path(2, "\"x\"", kFile + "DELETE")});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_EQ(b.error, "PATH item 1 missing");
  b = Build({call, Path(0, "\"a\"", kDir + "PARENT"), Path(0, "\"b\"", kDir + "PARENT")});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_EQ(b.error, "PATH item 0 twice");
  b = Build({Syscall(87, "a0=1 a1=0 a2=0 a3=0", kOk, 1), Path(0, "\"a\"", kDir + "PARENT"),
             Path(1, "\"x\"", kFile + "DELETE")});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_EQ(b.error, "PATH item 1 beyond items=1");
  b = Build({call, "type=PATH msg=audit(1795271162.848:100): name=\"x\" nametype=NORMAL"});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_EQ(b.error, "PATH record without an item number");
}

TEST(FileEventBuilder, FewerItemsThanAnnouncedAreHiddenNamesNotAnError) {
  // rename with its last item (the new name) left out: the old name is still the old name.
  const Built b = Build({Syscall(82, "a0=1 a1=2 a2=ffffff9c a3=0", kOk, 4), Cwd(),
                         Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                         Path(1, "\"/tmp/fx/d\"", kDir + "PARENT"),
                         Path(2, "\"old.txt\"", kFile + "DELETE")});
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.path, "/tmp/fx/d/old.txt");
  EXPECT_FALSE(r.target);
}

TEST(FileEventBuilder, HexNamesWithNewlinesSpacesAndBytesAreDecoded) {
  const Built b = Build({Syscall(257, "a0=ffffff9c a1=1 a2=41 a3=1a4", "success=yes exit=4", 2),
                         Cwd("2F746D702F66782F64206469720A"),  // "/tmp/fx/d dir\n"
                         Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                         Path(1, "6E6C0A6E616D65FF", kFile + "CREATE")});  // "nl\nname\xff"
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.path, std::string("/tmp/fx/d dir\n/nl\nname\xff"));
  EXPECT_EQ(r.name, std::string("nl\nname\xff"));
}

TEST(FileEventBuilder, UndecodableOrNullNamesGiveNoPath) {
  const Built b = Build({Syscall(2, "a0=1 a1=0 a2=0 a3=0", "success=no exit=-2", 1), Cwd(),
                         Path(0, "6E6", "nametype=UNKNOWN")});
  const ResolvedFile r = Resolve(b);
  EXPECT_FALSE(r.path);
  EXPECT_FALSE(r.name);
  const Built n = Build({Syscall(2, "a0=1 a1=0 a2=0 a3=0", "success=no exit=-2", 1), Cwd(),
                         Path(0, "(null)", "nametype=UNKNOWN")});
  EXPECT_FALSE(Resolve(n).path);
}

TEST(FileEventBuilder, FailedOpenKeepsTheNameItAsked) {
  const Built b = Build({Syscall(257, "a0=ffffff9c a1=1 a2=0 a3=0", "success=no exit=-2", 1), Cwd(),
                         Path(0, "\"missing.txt\"", "nametype=UNKNOWN cap_fp=0")});
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.operation, FileOperation::kOpenRead);
  EXPECT_EQ(r.path, "/tmp/fx/d/missing.txt");
  EXPECT_FALSE(r.item->inode);
  EXPECT_EQ(b.ev.exit, -2);
  EXPECT_FALSE(b.ev.success);
}

TEST(FileEventBuilder, Openat2FlagsComeFromItsRecord) {
  const Built b = Build({Syscall(437, "a0=ffffff9c a1=1 a2=7ffcf3594620 a3=18", "success=yes exit=4", 2),
                         "type=OPENAT2 msg=audit(1795271162.848:100): oflag=0101 mode=0600 resolve=0x8",
                         Cwd(), Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                         Path(1, "\"new.txt\"", kFile + "CREATE")});
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.flags, 0101u);  // O_WRONLY|O_CREAT
  EXPECT_EQ(r.mode, 0600u);
  EXPECT_EQ(r.operation, FileOperation::kCreate);
}

TEST(FileOperation, OpensByAccessModeAndWhetherTheFileWasMade) {
  auto open_op = [](const std::string& flags, const std::string& type) {
    const Built b = Build({Syscall(257, "a0=ffffff9c a1=1 a2=" + flags + " a3=1a4", "success=yes exit=3", 1),
                           Cwd(), Path(0, "\"f\"", kFile + type)});
    return Resolve(b);
  };
  EXPECT_EQ(open_op("0", "NORMAL").operation, FileOperation::kOpenRead);
  EXPECT_EQ(open_op("1", "NORMAL").operation, FileOperation::kOpenWrite);
  EXPECT_EQ(open_op("2", "NORMAL").operation, FileOperation::kOpenWrite);
  // O_CREAT on a file that exists opens it; only a CREATE item means it was made.
  EXPECT_EQ(open_op("41", "NORMAL").operation, FileOperation::kOpenWrite);
  EXPECT_EQ(open_op("41", "NORMAL").mode, 0644u);
  EXPECT_EQ(open_op("41", "CREATE").operation, FileOperation::kCreate);
  EXPECT_EQ(open_op("410002", "NORMAL").operation, FileOperation::kCreate);  // O_TMPFILE|O_RDWR
  EXPECT_FALSE(open_op("0", "NORMAL").mode);  // no O_CREAT: a3 is garbage
}

TEST(FileOperation, CreatOnAnExistingFileTruncatesIt) {
  const Built b = Build({Syscall(85, "a0=1 a1=1a4 a2=0 a3=0", "success=yes exit=3", 1), Cwd(),
                         Path(0, "\"f\"", kFile + "NORMAL")});
  EXPECT_EQ(Resolve(b).operation, FileOperation::kOpenWrite);
  EXPECT_EQ(Resolve(b).flags, 01101u);
}

TEST(FileOperation, UnlinkatWithRemoveDirIsRmdir) {
  const Built b = Build({Syscall(263, "a0=ffffff9c a1=1 a2=200 a3=0", kOk, 2), Cwd(),
                         Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"), Path(1, "\"sub\"", kSub + "DELETE")});
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.operation, FileOperation::kRmdir);
  EXPECT_EQ(r.path, "/tmp/fx/d/sub");
}

TEST(FileOperation, RenameLinkAndSymlinkGivePathAndTarget) {
  // rename("moved.txt", "sub/../moved2.txt"): new name's parent first, as the kernel logs it.
  const Built rename = Build({Syscall(82, "a0=1 a1=2 a2=ffffff9c a3=0", kOk, 4), Cwd(),
                              Path(0, "\"sub/../\"", kDir + "PARENT"),
                              Path(1, "\"/tmp/fx/d\"", kDir + "PARENT"),
                              Path(2, "\"moved.txt\"", kFile + "DELETE"),
                              Path(3, "\"sub/../moved2.txt\"", kFile + "CREATE")});
  ResolvedFile r = Resolve(rename);
  EXPECT_EQ(r.operation, FileOperation::kRename);
  EXPECT_EQ(r.path, "/tmp/fx/d/moved.txt");
  EXPECT_EQ(r.target, "/tmp/fx/d/sub/../moved2.txt");  // ".." is not resolved lexically
  const Built link = Build({Syscall(86, "a0=1 a1=2 a2=ffffff9c a3=0", kOk, 3), Cwd(),
                            Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                            Path(1, "\"rel.txt\"", kFile + "NORMAL"),
                            Path(2, "\"hard.txt\"", kFile + "CREATE")});
  r = Resolve(link);
  EXPECT_EQ(r.operation, FileOperation::kLink);
  EXPECT_EQ(r.path, "/tmp/fx/d/hard.txt");
  EXPECT_EQ(r.target, "/tmp/fx/d/rel.txt");
  const Built symlink = Build({Syscall(88, "a0=1 a1=2 a2=ffffff9c a3=0", kOk, 3), Cwd(),
                               Path(0, "\"/tmp/fx/d\"", kDir + "PARENT"),
                               Path(1, "\"../rel.txt\"", "nametype=UNKNOWN"),
                               Path(2, "\"soft.txt\"", kFile + "CREATE")});
  r = Resolve(symlink);
  EXPECT_EQ(r.operation, FileOperation::kSymlink);
  EXPECT_EQ(r.path, "/tmp/fx/d/soft.txt");
  EXPECT_EQ(r.target, "../rel.txt");  // the link's text, as given
}

TEST(FileOperation, ChownLeavesMinusOneUnset) {
  const Built b = Build({Syscall(92, "a0=1 a1=3e8 a2=ffffffff a3=0", kOk, 1), Cwd(),
                         Path(0, "\"f\"", kFile + "NORMAL")});
  const ResolvedFile r = Resolve(b);
  EXPECT_EQ(r.operation, FileOperation::kChown);
  EXPECT_EQ(r.new_uid, 1000u);
  EXPECT_FALSE(r.new_gid);
  const Built at = Build({Syscall(260, "a0=ffffff9c a1=1 a2=0 a3=64", kOk, 1), Cwd(),
                          Path(0, "\"f\"", kFile + "NORMAL")});  // fchownat(AT_FDCWD, f, 0, 100)
  EXPECT_EQ(Resolve(at).new_uid, 0u);
  EXPECT_EQ(Resolve(at).new_gid, 100u);
}

FdTarget SubDir() { return FdTarget{"/tmp/fx/d/sub", 11182122, "fe:00", true}; }

TEST(FilePaths, DirectoryDescriptorResolvesThroughItsOpen) {
  // openat(3, "at.txt", O_CREAT): the kernel names the PARENT after the cwd, with sub's inode.
  const Built b = Build({Syscall(257, "a0=3 a1=1 a2=c1 a3=1a0", "success=yes exit=4", 2), Cwd(),
                         Path(0, "\"/tmp/fx/d\"", kSub + "PARENT"),
                         Path(1, "\"at.txt\"", kFile + "CREATE")});
  Fds fds;
  EXPECT_FALSE(Resolve(b, fds).path);  // descriptor never seen opened: unknown, not guessed
  EXPECT_EQ(Resolve(b, fds).fd, 3);
  fds.by_fd[3] = SubDir();
  EXPECT_EQ(Resolve(b, fds).path, "/tmp/fx/d/sub/at.txt");
  fds.by_fd[3].inode = 999;  // number reused for another directory: the inode says so
  EXPECT_FALSE(Resolve(b, fds).path);
  fds.by_fd[3] = SubDir();
  fds.by_fd[3].directory = false;  // a file: cannot be the directory of anything
  EXPECT_FALSE(Resolve(b, fds).path);
}

TEST(FilePaths, LongerNamesUnderADescriptorHaveAnotherParent) {
  // unlinkat(3, "../soft.txt"): the parent logged is d, not sub; nothing to check.
  const Built b = Build({Syscall(263, "a0=3 a1=1 a2=0 a3=0", kOk, 2), Cwd(),
                         Path(0, "\"../\"", kDir + "PARENT"), Path(1, "\"../soft.txt\"", kFile + "DELETE")});
  Fds fds;
  fds.by_fd[3] = SubDir();
  EXPECT_EQ(Resolve(b, fds).path, "/tmp/fx/d/sub/../soft.txt");
}

TEST(FilePaths, DescriptorCallsUseTheDescriptorsOpen) {
  const Built b = Build({Syscall(77, "a0=5 a1=3 a2=0 a3=0", kOk, 0)});  // ftruncate(5, 3)
  Fds fds;
  EXPECT_FALSE(Resolve(b, fds).path);
  EXPECT_EQ(Resolve(b, fds).fd, 5);
  EXPECT_FALSE(Resolve(b, fds).name);
  fds.by_fd[5] = FdTarget{"/tmp/fx/d/rel.txt", 11182110, "fe:00", false};
  EXPECT_EQ(Resolve(b, fds).path, "/tmp/fx/d/rel.txt");
  EXPECT_EQ(Resolve(b, fds).operation, FileOperation::kTruncate);
}

TEST(FilePaths, JoinCollapsesDotAndSlashesButKeepsDotDot) {
  EXPECT_EQ(JoinPath("/tmp/d", "a.txt"), "/tmp/d/a.txt");
  EXPECT_EQ(JoinPath("/tmp/d/", "./a//b/./c"), "/tmp/d/a/b/c");
  EXPECT_EQ(JoinPath("/tmp/d", "../x"), "/tmp/d/../x");
  EXPECT_EQ(JoinPath("/ignored", "/abs//p/"), "/abs/p");
  EXPECT_EQ(JoinPath("/", "."), "/");
  EXPECT_EQ(JoinPath("/", ""), "/");
}

TEST(FilePaths, NoCwdRecordNoRelativePath) {
  const Built b = Build({Syscall(257, "a0=ffffff9c a1=1 a2=0 a3=0", "success=yes exit=3", 1),
                         Path(0, "\"rel.txt\"", kFile + "NORMAL")});
  EXPECT_FALSE(Resolve(b).path);
  EXPECT_EQ(Resolve(b).name, "rel.txt");
}

}  // namespace
}  // namespace procaudit::audit
