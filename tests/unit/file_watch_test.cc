// src/netlink/file_watch.h: --watch-* values and PROCAUDIT_WATCH, checked on this host.
#include "netlink/file_watch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace procaudit::netlink {
namespace {

using ::testing::HasSubstr;
using Kind = FileWatch::Kind;

// A temporary directory with a file, a symbolic link to it and a link to the directory.
class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/procaudit-watch-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = std::filesystem::canonical(tmpl).string();
    std::ofstream(dir_ + "/prog") << "#!/bin/sh\n";
    std::filesystem::create_symlink(dir_ + "/prog", dir_ + "/link");
    std::filesystem::create_directory(dir_ + "/sub");
    std::filesystem::create_directory_symlink(dir_ + "/sub", dir_ + "/sublink");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::optional<FileWatch> Make(Kind kind, const std::string& value, std::string& error) {
    error.clear();
    return MakeFileWatch(kind, value, error);
  }

  std::string dir_;
};

// A pid that no process has: a child's, once it is reaped.
uint32_t DeadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return static_cast<uint32_t>(child);
}

TEST_F(FileWatchTest, PidMustBeAPositiveIntegerOfARunningProcess) {
  std::string error;
  const auto self = Make(Kind::kPid, std::to_string(getpid()), error);
  ASSERT_TRUE(self) << error;
  EXPECT_EQ(*self, (FileWatch{Kind::kPid, static_cast<uint32_t>(getpid()), {}}));
  EXPECT_EQ(self->ToString(), "pid=" + std::to_string(getpid()));
  for (const char* bad : {"", "0", "-5", "12x", " 12", "1.5", "99999999999", "4194305"}) {
    EXPECT_FALSE(Make(Kind::kPid, bad, error)) << bad;
    EXPECT_EQ(error, std::string("a process id is a positive integer, not '") + bad + "'");
  }
  const uint32_t dead = DeadPid();
  EXPECT_FALSE(Make(Kind::kPid, std::to_string(dead), error));
  EXPECT_EQ(error,
            "no process has pid " + std::to_string(dead) + " (a watched process must be running)");
}

TEST_F(FileWatchTest, DirMustBeAnExistingAbsoluteDirectoryAndIsResolved) {
  std::string error;
  auto w = Make(Kind::kDir, dir_ + "/sub", error);
  ASSERT_TRUE(w) << error;
  EXPECT_EQ(w->path, dir_ + "/sub");
  EXPECT_EQ(w->ToString(), "dir=" + dir_ + "/sub");
  // Links, dots and trailing slashes resolve to the directory the kernel tags.
  for (const std::string& same : {dir_ + "/sublink", dir_ + "/sub/", dir_ + "/./sub/../sub"}) {
    w = Make(Kind::kDir, same, error);
    ASSERT_TRUE(w) << same << ": " << error;
    EXPECT_EQ(w->path, dir_ + "/sub") << same;
  }
  EXPECT_EQ(Make(Kind::kDir, "/", error)->path, "/");
  EXPECT_FALSE(Make(Kind::kDir, "sub", error));
  EXPECT_EQ(error, "needs an absolute path, not 'sub'");
  EXPECT_FALSE(Make(Kind::kDir, "", error));
  EXPECT_EQ(error, "needs an absolute path, not ''");
  EXPECT_FALSE(Make(Kind::kDir, dir_ + "/missing", error));
  EXPECT_EQ(error, dir_ + "/missing: No such file or directory");
  EXPECT_FALSE(Make(Kind::kDir, dir_ + "/prog", error));
  EXPECT_EQ(error, dir_ + "/prog is not a directory");
  EXPECT_FALSE(Make(Kind::kDir, "/" + std::string(5000, 'a'), error));
  EXPECT_THAT(error, HasSubstr("longer than the kernel accepts"));
}

TEST_F(FileWatchTest, ExeNeedsItsDirectoryNotItselfAndLinksResolveToTheFile) {
  std::string error;
  auto w = Make(Kind::kExe, dir_ + "/prog", error);
  ASSERT_TRUE(w) << error;
  EXPECT_EQ(w->ToString(), "exe=" + dir_ + "/prog");
  // The kernel compares the inode a process runs: a link's own never runs.
  EXPECT_EQ(Make(Kind::kExe, dir_ + "/link", error)->path, dir_ + "/prog");
  // Not there yet: watched by name in its (resolved) directory.
  w = Make(Kind::kExe, dir_ + "/sublink/later", error);
  ASSERT_TRUE(w) << error;
  EXPECT_EQ(w->path, dir_ + "/sub/later");
  EXPECT_FALSE(Make(Kind::kExe, dir_ + "/missing/prog", error));
  EXPECT_EQ(error, "the directory of " + dir_ +
                       "/missing/prog does not exist (the kernel needs it to watch for prog)");
  EXPECT_FALSE(Make(Kind::kExe, dir_ + "/sub", error));
  EXPECT_THAT(error, HasSubstr("is a directory, not an executable"));
  EXPECT_FALSE(Make(Kind::kExe, dir_ + "/sub/", error));
  EXPECT_THAT(error, HasSubstr("does not name a file"));
  EXPECT_FALSE(Make(Kind::kExe, "bin/true", error));
  EXPECT_EQ(error, "needs an absolute path, not 'bin/true'");
}

TEST_F(FileWatchTest, APathWithALineBreakIsRefused) {
  std::filesystem::create_directory(dir_ + "/two\nlines");
  std::string error;
  EXPECT_FALSE(Make(Kind::kDir, dir_ + "/two\nlines", error));
  EXPECT_EQ(error, "a path with a line break cannot be watched");
}

TEST_F(FileWatchTest, ParseListsSpaceSeparatedWatches) {
  std::string error;
  const std::string pid = std::to_string(getpid());
  auto list =
      ParseFileWatches("pid=" + pid + "  exe=" + dir_ + "/link\tdir=" + dir_ + "/sub\n", error);
  ASSERT_TRUE(list) << error;
  EXPECT_EQ(FileWatchesToString(*list),
            "pid=" + pid + " exe=" + dir_ + "/prog dir=" + dir_ + "/sub");
  list = ParseFileWatches("", error);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  list = ParseFileWatches("   ", error);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  // Repeats collapse; `all` absorbs the rest, before or after them.
  list = ParseFileWatches("dir=" + dir_ + "/sub dir=" + dir_ + "/sublink", error);
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(FileWatchesToString(*ParseFileWatches("pid=" + pid + " all dir=/", error)), "all");
  EXPECT_EQ(FileWatchesToString(*ParseFileWatches("all", error)), "all");
}

TEST_F(FileWatchTest, ParseNamesTheBadItem) {
  std::string error;
  EXPECT_FALSE(ParseFileWatches("dir=/ uid=0", error));
  EXPECT_EQ(error, "'uid=0' is not a watch: use all, pid=PID, exe=PATH or dir=DIR");
  EXPECT_FALSE(ParseFileWatches("everything", error));
  EXPECT_EQ(error, "'everything' is not a watch: use all, pid=PID, exe=PATH or dir=DIR");
  EXPECT_FALSE(ParseFileWatches("pid", error));
  EXPECT_THAT(error, HasSubstr("'pid' is not a watch"));
  EXPECT_FALSE(ParseFileWatches("pid=abc", error));
  EXPECT_EQ(error, "pid=abc: a process id is a positive integer, not 'abc'");
  EXPECT_FALSE(ParseFileWatches("dir=etc", error));
  EXPECT_EQ(error, "dir=etc: needs an absolute path, not 'etc'");
  EXPECT_FALSE(ParseFileWatches("exe=", error));
  EXPECT_EQ(error, "exe=: needs an absolute path, not ''");
}

}  // namespace
}  // namespace procaudit::netlink
