// src/daemon/log_sink.h: the result-log files (modes, rotation, failures) and syslog.
#include "daemon/log_sink.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace procaudit::daemon {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "log_sink_test.XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Runs body in a child process, with its own mount namespace when asked (so that it can mount a
// tmpfs or cover /dev without the host seeing it). The child's exit status: 0 passed, 77 cannot
// run here (the reason on stderr), anything else failed.
int InChild(const std::function<int()>& body, bool private_mounts = false) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (private_mounts && (unshare(CLONE_NEWNS) != 0 ||
                           mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)) {
      std::perror("unshare(CLONE_NEWNS)");
      _exit(77);
    }
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 77;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(FileSink, WritesOneLinePerCallIntoTheTwoFiles) {
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 0, 10, error);
  ASSERT_TRUE(sink) << error;
  EXPECT_TRUE(sink->Write(LogKind::kResults, R"({"a":1})"));
  EXPECT_TRUE(sink->Write(LogKind::kSnapshots, R"({"s":1})"));
  EXPECT_TRUE(sink->Write(LogKind::kResults, R"({"a":2})"));
  EXPECT_TRUE(sink->Flush()) << sink->error();
  EXPECT_EQ(Lines(dir / "procaudit.results.log"),
            (std::vector<std::string>{R"({"a":1})", R"({"a":2})"}));
  EXPECT_EQ(Lines(dir / "procaudit.snapshots.log"), (std::vector<std::string>{R"({"s":1})"}));
}

TEST(FileSink, AppendsToAnExistingLogAcrossRestarts) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(OpenFileSink(dir.path(), 0, 10, error)->Write(LogKind::kResults, "first"));
  ASSERT_TRUE(OpenFileSink(dir.path(), 0, 10, error)->Write(LogKind::kResults, "second"));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"), (std::vector<std::string>{"first", "second"}));
}

TEST(FileSink, FilesAreMode0600WhateverTheUmask) {
  TempDir dir;
  const mode_t old = umask(0);
  std::string error;
  auto sink = OpenFileSink(dir.path(), 64, 2, error);
  ASSERT_TRUE(sink) << error;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(sink->Write(LogKind::kResults, std::string(40, 'x')));
  umask(old);
  EXPECT_EQ(ModeOf(dir / "procaudit.results.log"), 0600);
  EXPECT_EQ(ModeOf(dir / "procaudit.snapshots.log"), 0600);
  EXPECT_EQ(ModeOf(dir / "procaudit.results.log.1"), 0600);  // made by rotation
}

TEST(FileSink, AnExistingLooserFileIsTightenedTo0600) {
  TempDir dir;
  std::ofstream(dir / "procaudit.results.log") << "old\n";
  chmod((dir / "procaudit.results.log").c_str(), 0644);
  std::string error;
  ASSERT_TRUE(OpenFileSink(dir.path(), 0, 10, error)) << error;
  EXPECT_EQ(ModeOf(dir / "procaudit.results.log"), 0600);
}

TEST(FileSink, RotatesBeforeALineWouldPassTheSize) {
  TempDir dir;
  std::string error;
  // Lines of 9 bytes with the newline; 30 bytes hold three of them.
  auto sink = OpenFileSink(dir.path(), 30, 3, error);
  ASSERT_TRUE(sink) << error;
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(sink->Write(LogKind::kResults, "line-" + std::to_string(100 + i)));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.1"),
            (std::vector<std::string>{"line-103", "line-104", "line-105"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.2"),
            (std::vector<std::string>{"line-100", "line-101", "line-102"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"),
            (std::vector<std::string>{"line-106", "line-107"}));
  EXPECT_FALSE(fs::exists(dir / "procaudit.snapshots.log.1"));  // each file rotates on its own
}

TEST(FileSink, KeepsAtMostMaxFilesDroppingTheOldest) {
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 10, 2, error);  // one 9-byte line per file
  ASSERT_TRUE(sink) << error;
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(sink->Write(LogKind::kResults, "line-" + std::to_string(100 + i)));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"), (std::vector<std::string>{"line-105"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.1"), (std::vector<std::string>{"line-104"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.2"), (std::vector<std::string>{"line-103"}));
  EXPECT_FALSE(fs::exists(dir / "procaudit.results.log.3"));
}

TEST(FileSink, MaxFilesZeroKeepsNoRotatedFile) {
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 10, 0, error);
  ASSERT_TRUE(sink) << error;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(sink->Write(LogKind::kResults, "line-" + std::to_string(100 + i)));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"), (std::vector<std::string>{"line-102"}));
  EXPECT_FALSE(fs::exists(dir / "procaudit.results.log.1"));
}

TEST(FileSink, ALineLongerThanTheRotateSizeIsWrittenWhole) {
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 16, 3, error);
  ASSERT_TRUE(sink) << error;
  const std::string long_line(100, 'y');
  ASSERT_TRUE(sink->Write(LogKind::kResults, "short"));
  ASSERT_TRUE(sink->Write(LogKind::kResults, long_line));
  ASSERT_TRUE(sink->Write(LogKind::kResults, "after"));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.2"), (std::vector<std::string>{"short"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log.1"), (std::vector<std::string>{long_line}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"), (std::vector<std::string>{"after"}));
}

TEST(FileSink, AFailedRotationIsReportedAndTheNextWriteTriesAgain) {
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 10, 1, error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-100"));
  fs::create_directory(dir / "procaudit.results.log.1");  // rename(2) cannot replace it
  EXPECT_FALSE(sink->Write(LogKind::kResults, "line-101"));
  EXPECT_EQ(sink->error(), dir / "procaudit.results.log" +
                               ": rotating procaudit.results.log to procaudit.results.log.1: Is "
                               "a directory");
  fs::remove(dir / "procaudit.results.log.1");
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-102")) << sink->error();
  EXPECT_EQ(Lines(dir / "procaudit.results.log.1"), (std::vector<std::string>{"line-100"}));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"), (std::vector<std::string>{"line-102"}));
}

TEST(FileSink, SizeIsReadFromTheFileSoAnOutsideTruncateIsSeen) {
  // logrotate's copytruncate empties the file under the daemon: no early rotation after it.
  TempDir dir;
  std::string error;
  auto sink = OpenFileSink(dir.path(), 30, 3, error);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-100"));
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-101"));
  ASSERT_EQ(truncate((dir / "procaudit.results.log").c_str(), 0), 0);
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-102"));
  ASSERT_TRUE(sink->Write(LogKind::kResults, "line-103"));
  EXPECT_FALSE(fs::exists(dir / "procaudit.results.log.1"));
  EXPECT_EQ(Lines(dir / "procaudit.results.log"),
            (std::vector<std::string>{"line-102", "line-103"}));
}

TEST(FileSink, MissingDirectoryIsOneLineNamingIt) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(OpenFileSink(dir / "nope", 0, 10, error));
  EXPECT_EQ(error, dir / "nope" + ": No such file or directory");
}

TEST(FileSink, ADirectoryThatIsAFileIsRefused) {
  TempDir dir;
  std::ofstream(dir / "plain") << "x";
  std::string error;
  EXPECT_FALSE(OpenFileSink(dir / "plain", 0, 10, error));
  EXPECT_EQ(error, dir / "plain" + ": Not a directory");
}

TEST(FileSink, UnwritableDirectoryIsOneLineNamingTheFile) {
  TempDir dir;
  if (geteuid() == 0) {
    // Root writes anywhere: drop to nobody in a child to meet a directory it may not write.
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    const int status = InChild([&] {
      if (setgid(65534) != 0 || setuid(65534) != 0) return 77;
      std::string error;
      if (OpenFileSink(dir.path(), 0, 10, error)) return 1;
      return error == dir / "procaudit.results.log" + ": Permission denied" ? 0 : 2;
    });
    if (status == 77) GTEST_SKIP() << "cannot drop to uid 65534";
    EXPECT_EQ(status, 0);
  } else {
    ASSERT_EQ(chmod(dir.path().c_str(), 0500), 0);
    std::string error;
    EXPECT_FALSE(OpenFileSink(dir.path(), 0, 10, error));
    EXPECT_EQ(error, dir / "procaudit.results.log" + ": Permission denied");
    chmod(dir.path().c_str(), 0700);
  }
}

TEST(FileSink, RefusesToWriteThroughASymlink) {
  // The daemon runs as root: a link planted in the log directory must not aim its appends at
  // /etc/shadow.
  TempDir dir;
  std::ofstream(dir / "target") << "precious\n";
  ASSERT_EQ(symlink((dir / "target").c_str(), (dir / "procaudit.results.log").c_str()), 0);
  std::string error;
  EXPECT_FALSE(OpenFileSink(dir.path(), 0, 10, error));
  EXPECT_EQ(error, dir / "procaudit.results.log" +
                       ": is a symbolic link; procaudit does not write through links");
  EXPECT_EQ(Contents(dir / "target"), "precious\n");
}

TEST(FileSink, RefusesAFifoWithoutHanging) {
  TempDir dir;
  ASSERT_EQ(mkfifo((dir / "procaudit.snapshots.log").c_str(), 0600), 0);
  std::string error;
  EXPECT_FALSE(OpenFileSink(dir.path(), 0, 10, error));
  // No reader: opening a FIFO for writing fails at once (ENXIO) rather than blocking.
  EXPECT_TRUE(error.starts_with(dir / "procaudit.snapshots.log" + ": ")) << error;
}

TEST(FileSink, RefusesAFileOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to make a file owned by another user";
  TempDir dir;
  std::ofstream(dir / "procaudit.results.log") << "";
  ASSERT_EQ(chown((dir / "procaudit.results.log").c_str(), 65534, 65534), 0);
  std::string error;
  EXPECT_FALSE(OpenFileSink(dir.path(), 0, 10, error));
  EXPECT_EQ(error, dir / "procaudit.results.log" +
                       ": owned by uid 65534, not by this process; procaudit does not log into "
                       "another user's file");
}

TEST(FileSink, FullDiskIsReportedAndLeavesWholeLines) {
  // A 64 KiB tmpfs filled by the sink itself, in a mount namespace of a child process.
  TempDir dir;
  const int status = InChild(
      [&] {
        if (mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k,mode=0700") != 0) return 77;
        std::string error;
        auto sink = OpenFileSink(dir.path(), 0, 10, error);
        if (!sink) return 1;
        const std::string line(1000, 'z');
        int written = 0;
        while (written < 1000 && sink->Write(LogKind::kResults, line)) ++written;
        if (written == 1000 || written < 10) return 2;  // it must fill after ~64 lines
        if (sink->error() != dir / "procaudit.results.log" + ": No space left on device") return 3;
        const std::string contents = Contents(dir / "procaudit.results.log");
        if (contents.size() != static_cast<size_t>(written) * 1001) return 4;  // no partial line
        return 0;
      },
      true);
  if (status == 77) GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here";
  EXPECT_EQ(status, 0);
}

TEST(FileSink, FileSizeLimitIsReportedAndThePartialLineCutBack) {
  // RLIMIT_FSIZE makes the kernel write part of a line, then fail (EFBIG): the sink must take
  // the part back. In a child: the limit and SIGXFSZ are per process.
  TempDir dir;
  const int status = InChild([&] {
    std::string error;
    auto sink = OpenFileSink(dir.path(), 0, 10, error);
    if (!sink) return 1;
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{2500, 2500};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 77;
    const std::string line(1000, 'z');
    if (!sink->Write(LogKind::kResults, line) || !sink->Write(LogKind::kResults, line)) return 2;
    if (sink->Write(LogKind::kResults, line)) return 3;  // would end at byte 3003
    if (sink->error() != dir / "procaudit.results.log" + ": File too large") return 4;
    if (Contents(dir / "procaudit.results.log").size() != 2002) return 5;
    return 0;
  });
  if (status == 77) GTEST_SKIP() << "cannot fork a child for the file size limit";
  EXPECT_EQ(status, 0);
}

TEST(SyslogSink, SendsEachLineAsOneInfoMessage) {
  // glibc's syslog(3) sends datagrams to /dev/log: the child covers /dev with a tmpfs in its own
  // mount namespace and listens there itself.
  const int status = InChild(
      [] {
        if (mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") != 0) return 77;
        const int listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "/dev/log");
        if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
          return 77;
        }
        auto sink = OpenSyslogSink();
        if (!sink->Write(LogKind::kResults, R"({"name":"q","action":"added"})")) return 1;
        if (!sink->Write(LogKind::kSnapshots, R"({"snapshot":[]})")) return 1;
        if (!sink->Flush()) return 1;
        std::vector<std::string> got;
        for (int i = 0; i < 2; ++i) {
          char buf[4096];
          const ssize_t n = recv(listener, buf, sizeof buf, MSG_DONTWAIT);
          if (n <= 0) return 2;
          got.emplace_back(buf, static_cast<size_t>(n));
        }
        // <30> is LOG_DAEMON | LOG_INFO; then the time, "procaudit[PID]: " and the line.
        const std::string tag = "procaudit[" + std::to_string(getpid()) + "]: ";
        if (!got[0].starts_with("<30>") ||
            !got[0].ends_with(tag + R"({"name":"q","action":"added"})")) {
          return 3;
        }
        if (!got[1].ends_with(tag + R"({"snapshot":[]})")) return 4;
        return 0;
      },
      true);
  if (status == 77) GTEST_SKIP() << "cannot cover /dev in a private mount namespace here";
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace procaudit::daemon
