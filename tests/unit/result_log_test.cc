// src/daemon/result_log.h: osquery's result-log lines, byte for byte.
#include "daemon/result_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace procaudit::daemon {
namespace {

using namespace std::string_literals;

// Sat Nov 21 10:00:00 2026 UTC
constexpr int64_t kNov21 = 1795255200;

LogStamp Stamp() { return LogStamp{kNov21, "web-1", 0, 3}; }

TEST(CalendarTime, IsAsctimeInUtcWithSuffix) {
  EXPECT_EQ(CalendarTime(kNov21), "Sat Nov 21 10:00:00 2026 UTC");
  EXPECT_EQ(CalendarTime(0), "Thu Jan  1 00:00:00 1970 UTC");  // the day padded like asctime
  EXPECT_EQ(CalendarTime(1700000000), "Tue Nov 14 22:13:20 2023 UTC");
}

TEST(CalendarTime, AgreesWithAsctime) {
  for (const time_t t : {time_t{0}, time_t{951782400}, time_t{1795255200}, time_t{4102444799}}) {
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[64];
    std::string expected = asctime_r(&tm, buf);
    expected.pop_back();  // its newline
    EXPECT_EQ(CalendarTime(t), expected + " UTC");
  }
}

TEST(CalendarTime, OutOfRangeIsEmptyNotACrash) {
  EXPECT_EQ(CalendarTime(std::numeric_limits<int64_t>::max()), "");
  EXPECT_EQ(CalendarTime(std::numeric_limits<int64_t>::min()), "");
}

TEST(FormatDifferentialRow, FieldsInOsqueryOrder) {
  const Row row = {{"pid", "1234"}, {"cmdline", "/usr/sbin/sshd -D"}};
  EXPECT_EQ(FormatDifferentialRow("pack_ir_processes", Stamp(), "added", row),
            R"({"name":"pack_ir_processes","hostIdentifier":"web-1",)"
            R"("calendarTime":"Sat Nov 21 10:00:00 2026 UTC","unixTime":1795255200,"epoch":0,)"
            R"("counter":3,"numerics":false,"columns":{"cmdline":"/usr/sbin/sshd -D",)"
            R"("pid":"1234"},"action":"added"})");
}

TEST(FormatDifferentialRow, NullIsEmptyStringAsOsqueryNullvalue) {
  const Row row = {{"exit_code", std::nullopt}, {"path", ""}};
  const std::string line = FormatDifferentialRow("q", Stamp(), "removed", row);
  EXPECT_NE(line.find(R"("columns":{"exit_code":"","path":""},"action":"removed")"),
            std::string::npos)
      << line;
}

TEST(FormatDifferentialRow, ColumnsSortedByNameAndLaterDuplicateWins) {
  // osquery's row is a std::map: "SELECT a.pid, b.pid" logs one pid, the last one assigned.
  const Row row = {{"pid", "1"}, {"b", "x"}, {"pid", "2"}, {"a", "y"}};
  const std::string line = FormatDifferentialRow("q", Stamp(), "added", row);
  EXPECT_NE(line.find(R"("columns":{"a":"y","b":"x","pid":"2"})"), std::string::npos) << line;
}

TEST(FormatDifferentialRow, EmptyRowHasEmptyColumns) {
  const std::string line = FormatDifferentialRow("q", Stamp(), "added", {});
  EXPECT_NE(line.find(R"("columns":{},"action":"added")"), std::string::npos) << line;
}

TEST(FormatDifferentialRow, QuotesAndBackslashesAreJsonEscaped) {
  const Row row = {{"cmdline", R"(sh -c "echo \x")"}};
  const std::string line = FormatDifferentialRow("q\"", Stamp(), "added", row);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["name"], "q\"");
  EXPECT_EQ(parsed["columns"]["cmdline"], R"(sh -c "echo \x")");
}

TEST(EscapeNonPrintable, ControlBytesBecomeHexText) {
  EXPECT_EQ(EscapeNonPrintable("a\nb\tc\x1b[0m"), R"(a\x0Ab\x09c\x1B[0m)");
  EXPECT_EQ(EscapeNonPrintable("nul\0here"s), R"(nul\x00here)");
}

TEST(EscapeNonPrintable, ValidUtf8PassesInvalidBytesBecomeHexText) {
  EXPECT_EQ(EscapeNonPrintable("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  EXPECT_EQ(EscapeNonPrintable("a\xff"
                               "b"),
            R"(a\xFFb)");
  EXPECT_EQ(EscapeNonPrintable("\xc3"), R"(\xC3)");                          // truncated sequence
  EXPECT_EQ(EscapeNonPrintable("\xc0\xaf"), R"(\xC0\xAF)");                  // overlong '/'
  EXPECT_EQ(EscapeNonPrintable("\xed\xa0\x80"), R"(\xED\xA0\x80)");          // a UTF-16 surrogate
  EXPECT_EQ(EscapeNonPrintable("\xf4\x90\x80\x80"), R"(\xF4\x90\x80\x80)");  // > U+10FFFF
  EXPECT_EQ(EscapeNonPrintable("\x7f"), "\x7f");  // DEL is printable enough for JSON, as osquery
}

TEST(FormatDifferentialRow, HostileBytesStillMakeValidJson) {
  // argv an attacker chose: invalid UTF-8, a NUL, a newline that would split the log line,
  // a quote that would end the string.
  const Row row = {{"cmdline", "x\xff\xfe\0\n\"}{"s}, {"na\xffme", "v"}};
  const std::string line = FormatDifferentialRow("q", Stamp(), "added", row);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);  // throws on invalid UTF-8 or syntax
  EXPECT_EQ(parsed["columns"]["cmdline"], R"(x\xFF\xFE\x00\x0A"}{)");
  EXPECT_EQ(parsed["columns"]["na\\xFFme"], "v");
}

TEST(FormatSnapshot, FieldsInOsqueryOrder) {
  const std::vector<Row> rows = {{{"pid", "1"}, {"name", "init"}}, {{"pid", "2"}, {"name", ""}}};
  EXPECT_EQ(FormatSnapshot("mounts", Stamp(), rows),
            R"({"snapshot":[{"name":"init","pid":"1"},{"name":"","pid":"2"}],)"
            R"("action":"snapshot","name":"mounts","hostIdentifier":"web-1",)"
            R"("calendarTime":"Sat Nov 21 10:00:00 2026 UTC","unixTime":1795255200,"epoch":0,)"
            R"("counter":3,"numerics":false})");
}

TEST(FormatSnapshot, NoRowsIsAnEmptyArray) {
  const std::string line = FormatSnapshot("mounts", Stamp(), {});
  EXPECT_TRUE(line.starts_with(R"({"snapshot":[],"action":"snapshot",)")) << line;
}

TEST(FormatDifferential, RemovedFirstThenAddedAsOsquery) {
  DiffResult diff;
  diff.added = {{{"pid", "3"}}};
  diff.removed = {{{"pid", "1"}}, {{"pid", "2"}}};
  const auto lines = FormatDifferential("q", Stamp(), diff, true);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(R"({"pid":"1"},"action":"removed")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"({"pid":"2"},"action":"removed")"), std::string::npos);
  EXPECT_NE(lines[2].find(R"({"pid":"3"},"action":"added")"), std::string::npos);
}

TEST(FormatDifferential, RemovedFalseLogsOnlyAdded) {
  DiffResult diff;
  diff.added = {{{"pid", "3"}}};
  diff.removed = {{{"pid", "1"}}};
  const auto lines = FormatDifferential("q", Stamp(), diff, false);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("action":"added")"), std::string::npos);
}

// Every kind of line the formatter makes, checked by tests/e2e/validate_result_log.py against
// tests/e2e/result_log.schema.json: the schema the daemon's end-to-end test uses on real logs.
TEST(ResultLogSchema, FormattedLinesValidate) {
  const std::string validator =
      std::string(PROCAUDIT_SOURCE_DIR) + "/tests/e2e/validate_result_log.py";
  if (std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with jsonschema (python3-jsonschema) is not installed";
  }
  const auto path =
      std::filesystem::temp_directory_path() / ("result_log_" + std::to_string(getpid()) + ".log");
  {
    std::ofstream out(path);
    const Row hostile = {{"cmdline", "x\xff\0\n\"}"s}, {"exit_code", std::nullopt}};
    const LogStamp early{0, "h", 7, 0};
    out << FormatDifferentialRow("pack_ir_crontab", Stamp(), "added", hostile) << "\n";
    out << FormatDifferentialRow("q", early, "removed", {}) << "\n";
    out << FormatSnapshot("mounts", Stamp(), {hostile, {}, {{"a", "b"}}}) << "\n";
    out << FormatSnapshot("empty", Stamp(), {}) << "\n";
  }
  const std::string command = "/usr/bin/python3 " + validator + " " + path.string();
  const int status = std::system(command.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << command;
}

TEST(ResultLogSchema, RejectsALineOutOfFormat) {
  // The validator itself must fail on a wrong line, or the test above proves nothing.
  if (std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with jsonschema (python3-jsonschema) is not installed";
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("result_log_bad_" + std::to_string(getpid()) + ".log");
  {
    std::ofstream out(path);
    std::string line = FormatDifferentialRow("q", Stamp(), "added", {{"pid", "1"}});
    line.replace(line.find(R"("pid":"1")"), 9, R"("pid":1)");  // a number: numerics is false
    out << line << "\n";
  }
  const std::string command = "/usr/bin/python3 " + std::string(PROCAUDIT_SOURCE_DIR) +
                              "/tests/e2e/validate_result_log.py " + path.string() + " >/dev/null";
  const int status = std::system(command.c_str());
  std::filesystem::remove(path);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace procaudit::daemon
