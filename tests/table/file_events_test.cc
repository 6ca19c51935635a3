// file_events in SQL: the recorded file workload (tests/fixtures/audit/files.log, real kernel
// output of tests/workload/file_ops.c), a public corpus with its expected interpretation, bad
// input made from the recording, and the query plans.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_db.h"

namespace procaudit::testing {
namespace {

namespace fs = std::filesystem;

std::string Files(const std::string& file) { return "file_events('" + file + "')"; }

std::string RecordedLog() {
  return std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/audit/files.log";
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A scratch file, removed afterwards.
class TempLog {
 public:
  explicit TempLog(const std::vector<std::string>& lines) {
    char tmpl[] = "/tmp/procaudit-file-events-XXXXXX";
    const int fd = mkstemp(tmpl);
    path_ = tmpl;
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
  }
  ~TempLog() { fs::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The serial of a record line, or "".
std::string SerialOf(const std::string& line) {
  static const std::regex re(R"(msg=audit\(\d+\.\d+:(\d+)\))");
  std::smatch m;
  return std::regex_search(line, m, re) ? m[1].str() : "";
}

TEST(FileEventsCorpora, GoLibauditDeniedOpenMatchesItsGoldenInterpretation) {
  // auparse_testdata_test2.log.golden: exit EACCES, PATH name "maildrop", inode 14911367,
  // mode 040730, ouid 890; the CWD record is /var/spool/postfix.
  TestDb db;
  EXPECT_EQ(db.Query("SELECT pid, exe, operation, syscall, path, name, success, error, inode, "
                     "dev, file_mode, owner_uid, flags FROM " +
                     Files(PublicCorpus("go-libaudit/auparse_testdata_test2.log"))),
            (Rows{{"13010", "/usr/libexec/postfix/pickup", "open_read", "open",
                   "/var/spool/postfix/maildrop", "maildrop", "0", "EACCES", "14911367", "03:07",
                   "040730", "890", "O_RDONLY|O_NONBLOCK|O_DIRECTORY"}}));
}

TEST(FileEventsCorpora, EveryPublicLogReplaysWithoutError) {
  TestDb db;
  for (const auto& entry : fs::recursive_directory_iterator(PublicCorpus(""))) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || !(path.ends_with(".log") || path.ends_with(".txt"))) continue;
    EXPECT_EQ(db.Error("SELECT count(*), count(path) FROM " + Files(path)), "") << path;
  }
}

TEST(FileEventsRecorded, EveryRowHasAnOperationAndFailuresAnErrorName) {
  TestDb db;
  const std::string f = Files(RecordedLog());
  EXPECT_GT(std::stoi(db.Value("SELECT count(*) FROM " + f)), 60);
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE operation IS NULL OR syscall IS NULL"),
            "0");
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE success = 0 AND error IS NULL"), "0");
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE success = 1 AND error IS NOT NULL"), "0");
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE path NOT LIKE '/%'"), "0");
  // Every error the workload provokes, by name.
  EXPECT_EQ(db.Query("SELECT DISTINCT error FROM " + f + " WHERE error IS NOT NULL ORDER BY 1"),
            (Rows{{"EACCES"}, {"EEXIST"}, {"ENOENT"}, {"ENOTEMPTY"}}));
  EXPECT_EQ(db.Value("SELECT count(*) FROM audit_status WHERE bad_records > 0"), "0");
  EXPECT_EQ(db.Value("SELECT file_events = file_ring_rows AND file_ring_rows = (SELECT count(*) "
                     "FROM " + f + ") AND file_ring_evicted = 0 FROM audit_status"),
            "1");
}

TEST(FileEventsBadInput, PathRecordsOutOfOrderGiveTheSameRows) {
  // Within each event, the PATH lines reversed.
  std::vector<std::string> lines = Lines(RecordedLog()), shuffled;
  for (size_t i = 0; i < lines.size();) {
    size_t j = i;
    while (j < lines.size() && lines[j].starts_with("type=PATH ") &&
           SerialOf(lines[j]) == SerialOf(lines[i]))
      ++j;
    if (j == i) {
      shuffled.push_back(lines[i++]);
      continue;
    }
    for (size_t k = j; k > i; --k) shuffled.push_back(lines[k - 1]);
    i = j;
  }
  ASSERT_NE(shuffled, lines);
  const TempLog log(shuffled);
  TestDb db;
  const std::string columns = "SELECT serial, operation, path, target, inode FROM ";
  EXPECT_EQ(db.Query(columns + Files(log.path())), db.Query(columns + Files(RecordedLog())));
}

TEST(FileEventsBadInput, AMissingPathRecordSkipsThatEventOnlyAndIsCounted) {
  std::vector<std::string> lines = Lines(RecordedLog());
  // The first event with two PATH items loses its item 0.
  std::string serial;
  std::vector<std::string> cut;
  for (const std::string& l : lines) {
    if (serial.empty() && l.starts_with("type=PATH ") && l.find(" item=1 ") != std::string::npos) {
      serial = SerialOf(l);
    }
  }
  ASSERT_FALSE(serial.empty());
  for (const std::string& l : lines) {
    if (l.starts_with("type=PATH ") && SerialOf(l) == serial && l.find(" item=0 ") != std::string::npos) {
      continue;
    }
    cut.push_back(l);
  }
  const TempLog log(cut);
  TestDb db;
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Files(log.path()) + " WHERE serial = " + serial), "0");
  EXPECT_EQ(std::stoi(db.Value("SELECT count(*) FROM " + Files(log.path()))) + 1,
            std::stoi(db.Value("SELECT count(*) FROM " + Files(RecordedLog()))));
  const Rows status = db.Query("SELECT bad_records, first_bad_record FROM audit_status WHERE "
                               "source LIKE '%procaudit-file-events%'");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0][0], "1");
  EXPECT_NE(status[0][1].find("PATH item 0 missing"), std::string::npos) << status[0][1];
  ASSERT_EQ(db.warnings().size(), 1u);
  EXPECT_NE(db.warnings()[0].find("skipped 1 bad record"), std::string::npos) << db.warnings()[0];
}

TEST(FileEventsBadInput, HexEncodedNamesWithNewlinesComeOutExactly) {
  TestDb db;
  // file_ops creates "nl\nname" and "sp ace" (logged hex-encoded) in its directory.
  const Rows rows = db.Query("SELECT hex(name), substr(hex(path), -length(hex(name))) = hex(name) "
                             "AND instr(path, char(10)) > 0 FROM " +
                             Files(RecordedLog()) + " WHERE operation = 'create' AND "
                             "instr(name, char(10)) > 0");
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) EXPECT_EQ(row[1], "1") << row[0];
}

class FileEventsPlans : public ::testing::Test {
 protected:
  TestDb db_{"/proc", RecordedLog()};
};

TEST_F(FileEventsPlans, PidTimeAndEidUseTheIndexes) {
  EXPECT_NE(db_.Plan("SELECT * FROM file_events WHERE pid = 5").find("pid ="), std::string::npos);
  EXPECT_NE(db_.Plan("SELECT * FROM file_events WHERE pid IN (5, 6)").find("pid IN"),
            std::string::npos);
  EXPECT_NE(db_.Plan("SELECT * FROM file_events WHERE eid > 10").find("eid range"),
            std::string::npos);
  EXPECT_NE(db_.Plan("SELECT * FROM file_events WHERE time >= 1 AND time < 2").find("time range"),
            std::string::npos);
}

TEST_F(FileEventsPlans, IndexedFiltersAgreeWithFullScans) {
  const std::pair<const char*, const char*> kCases[] = {
      {"pid = (SELECT max(pid) FROM file_events)", "+pid = (SELECT max(pid) FROM file_events)"},
      {"pid IN (SELECT pid FROM file_events WHERE success = 0)",
       "+pid IN (SELECT pid FROM file_events WHERE success = 0)"},
      {"eid > 10 AND eid <= 40", "+eid > 10 AND +eid <= 40"},
      {"time = (SELECT time FROM file_events WHERE eid = 20)",
       "+time = (SELECT time FROM file_events WHERE eid = 20)"},
      {"time >= (SELECT time FROM file_events WHERE eid = 30)",
       "+time >= (SELECT time FROM file_events WHERE eid = 30)"},
      {"time < (SELECT time FROM file_events WHERE eid = 30) + 0.5",
       "+time < (SELECT time FROM file_events WHERE eid = 30) + 0.5"},
  };
  for (const auto& [indexed, scanned] : kCases) {
    const Rows want =
        db_.Query(std::string("SELECT eid FROM file_events WHERE ") + scanned + " ORDER BY eid");
    EXPECT_FALSE(want.empty()) << scanned;
    EXPECT_EQ(db_.Query(std::string("SELECT eid FROM file_events WHERE ") + indexed +
                        " ORDER BY eid"),
              want)
        << indexed;
  }
}

TEST_F(FileEventsPlans, SessionSourceAndArgumentAgree) {
  EXPECT_EQ(db_.Query("SELECT * FROM file_events"),
            db_.Query("SELECT * FROM " + Files(RecordedLog())));
}

TEST(FileEventsNoSource, IsAClearError) {
  TestDb db;
  EXPECT_NE(db.Error("SELECT * FROM file_events").find("file_events has no event source"),
            std::string::npos);
}

}  // namespace
}  // namespace procaudit::testing
