// The /proc tables against the real /proc: a child this test starts holds known
// files, a TCP listener and connection, a unix socket and a second thread; every
// table must find them with the right fd, pos, flags and endpoints.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "support/test_db.h"

namespace procaudit::testing {
namespace {

using ::testing::HasSubstr;

// What the child reports once it holds everything.
struct ChildReport {
  int log_fd, dir_fd, listen_fd, client_fd, unix_fd;
  int listen_port, client_port;
  pid_t thread_tid;
};

void* Sleeper(void* arg) {
  *static_cast<pid_t*>(arg) = static_cast<pid_t>(syscall(SYS_gettid));
  pause();
  return nullptr;
}

// Runs in the forked child: sets up, reports on `report_fd`, then sleeps.
[[noreturn]] void ChildMain(int report_fd, const std::string& dir) {
  ChildReport r{};
  r.log_fd = open((dir + "/held.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (r.log_fd < 0 || write(r.log_fd, "hello", 5) != 5) _exit(10);
  r.dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);

  r.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(r.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(r.listen_fd, 4) != 0 ||
      getsockname(r.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    _exit(11);
  }
  r.listen_port = ntohs(addr.sin_port);
  r.client_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(r.client_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(12);
  sockaddr_in local{};
  len = sizeof local;
  getsockname(r.client_fd, reinterpret_cast<sockaddr*>(&local), &len);
  r.client_port = ntohs(local.sin_port);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) _exit(13);
  r.unix_fd = pair[0];

  pthread_t thread;
  volatile pid_t tid = 0;
  pthread_create(&thread, nullptr, Sleeper, const_cast<pid_t*>(&tid));
  while (tid == 0) usleep(1000);
  r.thread_tid = tid;
  if (write(report_fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) _exit(14);
  close(report_fd);
  for (;;) pause();
}

class LiveProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/procaudit-live-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      close(fds[0]);
      ChildMain(fds[1], dir_);
    }
    close(fds[1]);
    ASSERT_EQ(read(fds[0], &report_, sizeof report_), static_cast<ssize_t>(sizeof report_))
        << "the child could not set up its descriptors";
    // End of file once the child has closed its end of the pipe too: until then that end is one
    // more descriptor, and a count could see it come and go (a slow child, under ASan, did).
    char more;
    ASSERT_EQ(read(fds[0], &more, 1), 0) << "the child wrote more than its report";
    close(fds[0]);
  }

  void TearDown() override {
    if (child_ > 0) {  // only the child this test started, by its pid
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
    if (!dir_.empty()) {
      unlink((dir_ + "/held.log").c_str());
      rmdir(dir_.c_str());
    }
  }

  std::string Pid() const { return std::to_string(child_); }
  std::string Where(int fd) const {
    return " WHERE pid = " + Pid() + " AND fd = " + std::to_string(fd);
  }

  TestDb db_;
  std::string dir_;
  pid_t child_ = -1;
  ChildReport report_{};
};

TEST_F(LiveProcTest, HeldFileHasPathPositionAndFlags) {
  EXPECT_EQ(
      db_.Query("SELECT path, type, pos, flag_names, deleted FROM open_files" +
                Where(report_.log_fd)),
      (Rows{{dir_ + "/held.log", "file", "5", "O_WRONLY|O_APPEND|O_LARGEFILE|O_CLOEXEC", "0"}}));
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/held.log").c_str(), &st), 0);
  EXPECT_EQ(db_.Value("SELECT inode FROM open_files" + Where(report_.log_fd)),
            std::to_string(st.st_ino));
}

TEST_F(LiveProcTest, UnlinkedFileIsFlaggedDeleted) {
  ASSERT_EQ(unlink((dir_ + "/held.log").c_str()), 0);
  EXPECT_EQ(db_.Query("SELECT path, deleted, type FROM open_files" + Where(report_.log_fd)),
            (Rows{{dir_ + "/held.log", "1", "file"}}));
}

TEST_F(LiveProcTest, DirectoryDescriptor) {
  EXPECT_EQ(db_.Query("SELECT path, type FROM open_files" + Where(report_.dir_fd)),
            (Rows{{dir_, "dir"}}));
}

TEST_F(LiveProcTest, TcpListenerAndConnectionEndpoints) {
  const std::string lp = std::to_string(report_.listen_port);
  const std::string cp = std::to_string(report_.client_port);
  EXPECT_EQ(db_.Query("SELECT family, protocol, local_address, local_port, state FROM open_files" +
                      Where(report_.listen_fd)),
            (Rows{{"AF_INET", "tcp", "127.0.0.1", lp, "LISTEN"}}));
  EXPECT_EQ(db_.Query("SELECT local_address, local_port, remote_address, remote_port, state "
                      "FROM open_files" +
                      Where(report_.client_fd)),
            (Rows{{"127.0.0.1", cp, "127.0.0.1", lp, "ESTABLISHED"}}));
  EXPECT_EQ(db_.Query("SELECT family, protocol, remote_port FROM process_open_sockets" +
                      Where(report_.client_fd)),
            (Rows{{"2", "6", lp}}));
}

TEST_F(LiveProcTest, UnixSocketpair) {
  EXPECT_EQ(
      db_.Query("SELECT type, family, protocol, state FROM open_files" + Where(report_.unix_fd)),
      (Rows{{"socket", "AF_UNIX", "stream", "CONNECTED"}}));
}

TEST_F(LiveProcTest, ProcessTreeRowOfTheChild) {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(
      db_.Query("SELECT ppid, path, path_deleted, threads, uid, cwd FROM process_tree "
                "WHERE pid = " +
                Pid()),
      (Rows{{std::to_string(getpid()), std::string(exe, static_cast<size_t>(n)), "0", "2",
             std::to_string(getuid()),
             db_.Value("SELECT cwd FROM process_tree WHERE pid = " + std::to_string(getpid()))}}));
}

TEST_F(LiveProcTest, ChildIsInTheSubtreeOfThisProcessOneLevelDown) {
  const std::string self = std::to_string(getpid());
  const Rows rows =
      db_.Query("SELECT pid, depth - (SELECT depth FROM process_tree WHERE pid = " + self +
                ") FROM process_tree(" + self + ")");
  EXPECT_EQ(rows, (Rows{{self, "0"}, {Pid(), "1"}}));
}

TEST_F(LiveProcTest, ThreadIdIsNotAProcess) {
  // /proc/<tid> opens for any thread; a lookup by pid must not call it a process.
  const std::string tid = std::to_string(report_.thread_tid);
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = " + tid), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM open_files WHERE pid = " + tid), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM processes WHERE pid = " + tid), "0");
  EXPECT_EQ(
      db_.Value("SELECT count(*) FROM process_tree WHERE pid = " + tid + " OR pid = " + Pid()),
      "1");
}

TEST_F(LiveProcTest, WholeScansAgreeWithPidLookups) {
  ASSERT_THAT(db_.Plan("SELECT * FROM open_files WHERE +pid = 1"), HasSubstr("INDEX 0:scan"));
  // This process's descriptors are counted while it runs: a descriptor another thread holds
  // for a moment (the runtime's, a loaded machine's) can differ between two scans. Compare
  // scans taken between two lookups that agree.
  const std::string lookup = "SELECT count(*) FROM open_files WHERE pid = " + Pid();
  std::string n, whole, process_open_files;
  for (int attempt = 0; attempt < 20; ++attempt) {
    n = db_.Value(lookup);
    whole = db_.Value("SELECT count(*) FROM open_files WHERE +pid = " + Pid());
    process_open_files = db_.Value("SELECT count(*) FROM process_open_files WHERE pid = " + Pid());
    if (db_.Value(lookup) == n) break;
  }
  EXPECT_EQ(whole, n);
  EXPECT_EQ(process_open_files, n);
  EXPECT_GE(std::stoi(db_.Value("SELECT count(*) FROM process_tree")), 3);
}

TEST_F(LiveProcTest, ProcessesRowOfTheChild) {
  EXPECT_EQ(db_.Query("SELECT parent, threads, on_disk, uid FROM processes WHERE pid = " + Pid()),
            (Rows{{std::to_string(getpid()), "2", "1", std::to_string(getuid())}}));
}

// Enough processes that whole scans run on several threads (see util/parallel.h):
// the threaded scan must return exactly what per-pid lookups return, in pid order.
class ManyProcessesTest : public ::testing::Test {
 protected:
  static constexpr int kChildren = 300;

  void SetUp() override {
    for (int i = 0; i < kChildren; ++i) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        for (;;) pause();
      }
      children_.push_back(pid);
    }
  }
  void TearDown() override {
    for (pid_t pid : children_) kill(pid, SIGKILL);  // only ours, by pid
    for (pid_t pid : children_) waitpid(pid, nullptr, 0);
  }

  std::string PidList() const {
    std::string list;
    for (pid_t pid : children_) list += (list.empty() ? "" : ",") + std::to_string(pid);
    return list;
  }

  TestDb db_;
  std::vector<pid_t> children_;
};

TEST_F(ManyProcessesTest, ThreadedScansMatchPidLookupsInPidOrder) {
  const std::string in = "(" + PidList() + ")";
  // Unary + hides the constraint from xBestIndex: a whole scan, filtered by SQLite.
  const std::string scan = "SELECT pid, fd, path FROM open_files WHERE +pid IN " + in;
  ASSERT_THAT(db_.Plan(scan), HasSubstr("INDEX 0:scan"));
  const Rows scanned = db_.Query(scan);
  const Rows looked_up = db_.Query("SELECT pid, fd, path FROM open_files WHERE pid IN " + in);
  EXPECT_EQ(scanned, looked_up);
  EXPECT_GE(scanned.size(), static_cast<size_t>(kChildren) * 3);  // stdin, stdout, stderr at least
  EXPECT_EQ(db_.Value("SELECT count(*) FROM processes WHERE +pid IN " + in),
            std::to_string(kChildren));
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(" + std::to_string(getpid()) +
                      ") WHERE ppid = " + std::to_string(getpid())),
            std::to_string(kChildren));
  const Rows order = db_.Query("SELECT pid FROM processes");
  for (size_t i = 1; i < order.size(); ++i) {
    ASSERT_LT(std::stoll(order[i - 1][0]), std::stoll(order[i][0]));
  }
}

}  // namespace
}  // namespace procaudit::testing
