// src/shell/options.h: the shell's command line.
#include "shell/options.h"

#include <getopt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace procaudit {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A mutable argv (getopt may permute it).
class Argv {
 public:
  explicit Argv(std::initializer_list<const char*> args) {
    storage_.emplace_back("procaudit");
    for (const char* a : args) storage_.emplace_back(a);
    for (auto& s : storage_) ptrs_.push_back(s.data());
    ptrs_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> ptrs_;
};

// Every argv a test parses lives as long as the test: getopt keeps pointers into it.
class ParseShellOptionsTest : public ::testing::Test {
 protected:
  Argv& Keep(std::initializer_list<const char*> args) { return argvs_.emplace_back(args); }

  std::optional<ShellOptions> Parse(Argv& a, std::string& error) {
    return ParseShellOptions(a.argc(), a.argv(), error);
  }

  // A parse that must succeed.
  std::optional<ShellOptions> Parse(std::initializer_list<const char*> args) {
    std::string error;
    std::optional<ShellOptions> o = Parse(Keep(args), error);
    EXPECT_TRUE(o.has_value()) << error;
    return o;
  }

 private:
  std::deque<Argv> argvs_;
};

TEST_F(ParseShellOptionsTest, NoArgumentsGivesDefaults) {
  const auto o = Parse({});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, std::nullopt);
  EXPECT_EQ(o->headers, std::nullopt);
  EXPECT_EQ(o->proc_root, "/proc");
  EXPECT_THAT(o->sql, IsEmpty());
  EXPECT_FALSE(o->help);
  EXPECT_FALSE(o->version);
}

TEST_F(ParseShellOptionsTest, EachModeFlag) {
  EXPECT_EQ(Parse({"--json"})->mode, OutputMode::kJson);
  EXPECT_EQ(Parse({"--csv"})->mode, OutputMode::kCsv);
  EXPECT_EQ(Parse({"--line"})->mode, OutputMode::kLine);
  EXPECT_EQ(Parse({"--table"})->mode, OutputMode::kTable);
  EXPECT_EQ(Parse({"--list"})->mode, OutputMode::kList);
  EXPECT_EQ(Parse({"--tree"})->mode, OutputMode::kTree);
}

TEST_F(ParseShellOptionsTest, LastModeFlagWins) {
  EXPECT_EQ(Parse({"--csv", "--json"})->mode, OutputMode::kJson);
  EXPECT_EQ(Parse({"--json", "--table"})->mode, OutputMode::kTable);
}

TEST_F(ParseShellOptionsTest, HeaderAndNoHeader) {
  EXPECT_EQ(Parse({"--header"})->headers, true);
  EXPECT_EQ(Parse({"--no-header"})->headers, false);
  EXPECT_EQ(Parse({"--no-header", "--header"})->headers, true);
}

TEST_F(ParseShellOptionsTest, ProcRootAsSeparateArgument) {
  const auto o = Parse({"--proc-root", "/tmp/fixture proc", "SELECT 1"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->proc_root, "/tmp/fixture proc");
  EXPECT_THAT(o->sql, ElementsAre("SELECT 1"));
}

TEST_F(ParseShellOptionsTest, ProcRootWithEquals) {
  EXPECT_EQ(Parse({"--proc-root=/host/proc"})->proc_root, "/host/proc");
}

TEST_F(ParseShellOptionsTest, SqlArgumentsKeptInOrder) {
  const auto o = Parse({"--json", "SELECT pid FROM process_tree", "SELECT 2", "SELECT 1"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, OutputMode::kJson);
  EXPECT_THAT(o->sql, ElementsAre("SELECT pid FROM process_tree", "SELECT 2", "SELECT 1"));
}

TEST_F(ParseShellOptionsTest, SqlArgumentKeptVerbatimWithSpacesAndQuotes) {
  const auto o = Parse({"SELECT * FROM open_files WHERE path LIKE '%--json%'"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, std::nullopt);
  EXPECT_THAT(o->sql, ElementsAre("SELECT * FROM open_files WHERE path LIKE '%--json%'"));
}

TEST_F(ParseShellOptionsTest, OptionsStopAtTheFirstSqlArgument) {
  // "+" in the option string: everything after the first SQL argument is SQL.
  const auto o = Parse({"SELECT 1", "--json"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, std::nullopt);
  EXPECT_THAT(o->sql, ElementsAre("SELECT 1", "--json"));
}

TEST_F(ParseShellOptionsTest, DoubleDashEndsOptions) {
  const auto o = Parse({"--csv", "--", "--help", "-h"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, OutputMode::kCsv);
  EXPECT_FALSE(o->help);
  EXPECT_THAT(o->sql, ElementsAre("--help", "-h"));
}

TEST_F(ParseShellOptionsTest, HelpLongAndShort) {
  EXPECT_TRUE(Parse({"--help"})->help);
  EXPECT_TRUE(Parse({"-h"})->help);
  EXPECT_FALSE(Parse({"--help"})->version);
}

TEST_F(ParseShellOptionsTest, Version) {
  const auto o = Parse({"--version"});
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->version);
  EXPECT_FALSE(o->help);
}

TEST_F(ParseShellOptionsTest, CleanUpAlone) {
  EXPECT_FALSE(Parse({})->clean_up);
  EXPECT_TRUE(Parse({"--clean-up"})->clean_up);
}

TEST_F(ParseShellOptionsTest, CleanUpWithSqlDaemonOrFollowIsOneLineError) {
  for (auto args : {std::initializer_list<const char*>{"--clean-up", "SELECT 1"},
                    {"--clean-up", "--daemon", "--config", "c.json"},
                    {"--clean-up", "--follow", "SELECT 1"}}) {
    std::string error;
    EXPECT_EQ(Parse(Keep(args), error), std::nullopt);
    EXPECT_EQ(error, "--clean-up runs alone, not with SQL, --daemon or --follow");
  }
}

TEST_F(ParseShellOptionsTest, UnknownLongOptionIsOneLineError) {
  Argv& a = Keep({"--bogus", "SELECT 1"});
  std::string error;
  EXPECT_EQ(Parse(a, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("--bogus"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ParseShellOptionsTest, UnknownShortOptionIsOneLineError) {
  Argv& a = Keep({"-x"});
  std::string error;
  EXPECT_EQ(Parse(a, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("-x"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ParseShellOptionsTest, ProcRootWithoutDirectoryIsAnError) {
  Argv& a = Keep({"--json", "--proc-root"});
  std::string error;
  EXPECT_EQ(Parse(a, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("--proc-root"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ParseShellOptionsTest, AmbiguousAbbreviationIsAnError) {
  // "--h" could be --help or --header.
  Argv& a = Keep({"--h"});
  std::string error;
  EXPECT_EQ(Parse(a, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("--h"));
}

TEST_F(ParseShellOptionsTest, ErrorDoesNotPrintToStderr) {
  Argv& a = Keep({"--bogus"});
  std::string error;
  ::testing::internal::CaptureStderr();
  const auto o = Parse(a, error);
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(o, std::nullopt);
  EXPECT_EQ(stderr_text, "");
  EXPECT_FALSE(error.empty());
}

TEST_F(ParseShellOptionsTest, SecondParseStartsAfresh) {
  ASSERT_TRUE(Parse({"--json", "SELECT 1"}).has_value());
  const auto o = Parse({"--csv", "SELECT 2"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->mode, OutputMode::kCsv);
  EXPECT_THAT(o->sql, ElementsAre("SELECT 2"));
}

TEST_F(ParseShellOptionsTest, UnknownShortOptionInAGroupNamesTheGroupNotArgv0) {
  // "-xh": getopt stops inside the group, so optind still points at it, and
  // argv[optind - 1] is argv[0] ("procaudit").
  Argv& a = Keep({"-xh"});
  std::string error;
  EXPECT_EQ(Parse(a, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("-x"));
  EXPECT_THAT(error, Not(HasSubstr("procaudit")));
}

TEST_F(ParseShellOptionsTest, ParseAfterAnErrorInsideAGroupIgnoresTheOldArgv) {
  // After "-xh" fails at 'x', getopt's static state still points at the "h" of the old
  // argv; only optind = 0 makes glibc forget it. Otherwise the next parse reads that
  // stale pointer and reports --help for an argv that has no option at all.
  Argv& bad = Keep({"-xh"});
  std::string error;
  ASSERT_EQ(Parse(bad, error), std::nullopt);
  Argv& good = Keep({"SELECT 1"});
  const auto o = Parse(good, error);
  ASSERT_TRUE(o.has_value()) << error;
  EXPECT_FALSE(o->help);
  EXPECT_THAT(o->sql, ElementsAre("SELECT 1"));
}

TEST(ShellHelpTest, MentionsEveryOption) {
  const std::string help = kShellHelp;
  for (const char* opt :
       {"--table", "--list", "--json", "--csv", "--line", "--header", "--no-header", "--proc-root",
        "--audit-log", "--audit-stdin", "--audit-mode", "--audit-backlog", "--audit-rules",
        "--watch-all", "--watch-pid", "--watch-exe", "--watch-dir", "--follow", "--help",
        "--version"}) {
    EXPECT_THAT(help, HasSubstr(opt));
  }
}

TEST_F(ParseShellOptionsTest, AuditLogIsRepeatableAndKeepsOrder) {
  const auto o = Parse({"--audit-log", "/var/log/audit/audit.log.1", "--audit-log=/x/*.log",
                        "SELECT 1"});
  ASSERT_TRUE(o.has_value());
  EXPECT_THAT(o->audit_logs, ElementsAre("/var/log/audit/audit.log.1", "/x/*.log"));
  EXPECT_FALSE(o->audit_stdin);
  EXPECT_THAT(o->sql, ElementsAre("SELECT 1"));
}

TEST_F(ParseShellOptionsTest, AuditStdinNeedsSqlAndExcludesAuditLog) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--audit-stdin"}), error));
  EXPECT_THAT(error, HasSubstr("standard input carries the records"));
  EXPECT_FALSE(Parse(Keep({"--audit-stdin", "--audit-log", "a.log", "SELECT 1"}), error));
  EXPECT_THAT(error, HasSubstr("give one"));
  const auto o = Parse({"--audit-stdin", "SELECT 1"});
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->audit_stdin);
}

TEST_F(ParseShellOptionsTest, AcctFileExcludesLiveAcct) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--acct", "--acct-file", "pacct", "SELECT 1"}), error));
  EXPECT_THAT(error, HasSubstr("give one"));
  const auto o = Parse({"--no-acct", "--acct-file", "pacct"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->acct, false);
  EXPECT_EQ(o->acct_file, "pacct");
  EXPECT_EQ(Parse({"--no-acct", "--acct"})->acct, true);  // the last one wins
  EXPECT_EQ(Parse({})->acct, std::nullopt);
}

TEST_F(ParseShellOptionsTest, AuditLogWithoutFileIsAnError) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--audit-log"}), error));
  EXPECT_EQ(error, "option needs an argument: --audit-log");
}

TEST_F(ParseShellOptionsTest, LiveCaptureDefaults) {
  const auto o = Parse({"SELECT 1"});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->live.mode, netlink::AuditMode::kAuto);
  EXPECT_EQ(o->live.backlog_limit, 8192u);
  EXPECT_FALSE(o->live.add_rules);
  EXPECT_FALSE(o->follow);
}

TEST_F(ParseShellOptionsTest, AuditModeEachValueInBothSpellings) {
  EXPECT_EQ(Parse({"--audit-mode", "unicast"})->live.mode, netlink::AuditMode::kUnicast);
  EXPECT_EQ(Parse({"--audit-mode=multicast"})->live.mode, netlink::AuditMode::kMulticast);
  EXPECT_EQ(Parse({"--audit-mode", "off"})->live.mode, netlink::AuditMode::kOff);
  EXPECT_EQ(Parse({"--audit-mode=off", "--audit-mode=auto"})->live.mode, netlink::AuditMode::kAuto);
}

TEST_F(ParseShellOptionsTest, UnknownAuditModeNamesTheValueAndTheChoices) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--audit-mode", "broadcast", "SELECT 1"}), error));
  EXPECT_EQ(error, "--audit-mode: unknown mode 'broadcast': use auto, unicast, multicast or off");
  EXPECT_FALSE(Parse(Keep({"--audit-mode="}), error));
  EXPECT_THAT(error, HasSubstr("unknown mode ''"));
  EXPECT_FALSE(Parse(Keep({"--audit-mode"}), error));
  EXPECT_EQ(error, "option needs an argument: --audit-mode");
}

TEST_F(ParseShellOptionsTest, AuditBacklogInBothSpellings) {
  EXPECT_EQ(Parse({"--audit-backlog", "320"})->live.backlog_limit, 320u);
  EXPECT_EQ(Parse({"--audit-backlog=65536"})->live.backlog_limit, 65536u);
  EXPECT_EQ(Parse({"--audit-backlog=4294967295"})->live.backlog_limit, 4294967295u);
}

TEST_F(ParseShellOptionsTest, AuditBacklogMustBeAPositiveU32) {
  for (const char* bad : {"0", "-1", "+5", "12k", "", " 5", "1e3", "4294967296", "99999999999"}) {
    std::string error;
    Argv& a = Keep({"--audit-backlog", bad, "SELECT 1"});
    EXPECT_FALSE(Parse(a, error)) << bad;
    EXPECT_EQ(error, "--audit-backlog needs a positive integer (at most 4294967295), not '" +
                         std::string(bad) + "'");
  }
}

TEST_F(ParseShellOptionsTest, AuditRulesTakesOnlyAdd) {
  EXPECT_TRUE(Parse({"--audit-rules", "add"})->live.add_rules);
  EXPECT_TRUE(Parse({"--audit-rules=add"})->live.add_rules);
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--audit-rules=remove"}), error));
  EXPECT_EQ(error, "--audit-rules takes one value, add, not 'remove'");
  EXPECT_FALSE(Parse(Keep({"--audit-rules"}), error));
  EXPECT_EQ(error, "option needs an argument: --audit-rules");
}

TEST_F(ParseShellOptionsTest, FollowWithLiveCaptureOrStdin) {
  const auto live = Parse({"--follow", "--json", "SELECT * FROM process_events"});
  ASSERT_TRUE(live.has_value());
  EXPECT_TRUE(live->follow);
  EXPECT_EQ(live->mode, OutputMode::kJson);
  const auto stream = Parse({"--audit-stdin", "--follow", "SELECT 1", "SELECT 2"});
  ASSERT_TRUE(stream.has_value());
  EXPECT_TRUE(stream->follow);
  EXPECT_TRUE(stream->audit_stdin);
  EXPECT_THAT(stream->sql, ElementsAre("SELECT 1", "SELECT 2"));
  EXPECT_TRUE(Parse({"--audit-stdin", "--audit-mode=off", "--follow", "SELECT 1"})->follow);
}

TEST_F(ParseShellOptionsTest, FollowNeedsSql) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--follow"}), error));
  EXPECT_EQ(error, "--follow needs a SQL statement to follow");
}

TEST_F(ParseShellOptionsTest, FollowRejectsAReplaySayingWhy) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--follow", "--audit-log", "a.log", "SELECT 1"}), error));
  EXPECT_THAT(error, HasSubstr("--audit-log"));
  EXPECT_THAT(error, HasSubstr("a replay ends"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ParseShellOptionsTest, FollowNeedsASourceThatGrows) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--follow", "--audit-mode", "off", "SELECT 1"}), error));
  EXPECT_THAT(error, HasSubstr("--audit-mode off"));
  // Accounting grows without audit: acct_exits can be followed alone.
  EXPECT_TRUE(Parse({"--follow", "--audit-mode", "off", "--acct-file", "/x", "SELECT 1"}));
  EXPECT_TRUE(Parse({"--follow", "--audit-mode", "off", "--acct", "SELECT 1"}));
}

TEST_F(ParseShellOptionsTest, RingRowsIsAPositiveInteger) {
  std::string error;
  EXPECT_EQ(Parse({"--ring-rows", "1000", "SELECT 1"})->ring_rows, 1000u);
  EXPECT_FALSE(Parse(Keep({"--ring-rows", "0", "SELECT 1"}), error));
  EXPECT_THAT(error, HasSubstr("--ring-rows"));
  EXPECT_FALSE(Parse(Keep({"--ring-rows", "10k", "SELECT 1"}), error));
}

TEST_F(ParseShellOptionsTest, FollowRejectsDotCommands) {
  std::string error;
  EXPECT_FALSE(Parse(Keep({"--follow", "SELECT 1", ".tables"}), error));
  EXPECT_EQ(error, "--follow runs SQL, not dot commands: .tables");
}

TEST_F(ParseShellOptionsTest, NoWatchesByDefault) {
  EXPECT_THAT(Parse({})->live.watches, IsEmpty());
}

TEST_F(ParseShellOptionsTest, WatchesAreRepeatableCombinableAndKeepOrder) {
  const std::string pid = std::to_string(getpid());
  const auto o = Parse({"--watch-pid", pid.c_str(), "--watch-dir", "/etc", "--watch-pid=1",
                        "--watch-exe", "/bin/sh", "--watch-dir", "/etc/"});
  ASSERT_TRUE(o.has_value());
  std::vector<std::string> got;
  for (const netlink::FileWatch& w : o->live.watches) got.push_back(w.ToString());
  // /bin/sh resolves to the shell it links to (/usr/bin/dash on Debian); /etc/ once.
  char* sh = realpath("/bin/sh", nullptr);
  EXPECT_THAT(got, ElementsAre("pid=" + pid, "dir=/etc", "pid=1", std::string("exe=") + sh));
  free(sh);
}

TEST_F(ParseShellOptionsTest, WatchAllMakesTheOthersRedundant) {
  const auto o = Parse({"--watch-dir", "/etc", "--watch-all", "--watch-pid", "1"});
  ASSERT_TRUE(o.has_value());
  ASSERT_EQ(o->live.watches.size(), 1u);
  EXPECT_EQ(o->live.watches[0].ToString(), "all");
}

TEST_F(ParseShellOptionsTest, BadWatchValuesAreOneLineErrorsNamingTheOption) {
  struct Case {
    std::initializer_list<const char*> args;
    const char* error;
  };
  for (const Case& c : std::initializer_list<Case>{
           {{"--watch-pid", "abc"}, "--watch-pid: a process id is a positive integer, not 'abc'"},
           {{"--watch-pid", "0"}, "--watch-pid: a process id is a positive integer, not '0'"},
           {{"--watch-dir", "etc"}, "--watch-dir: needs an absolute path, not 'etc'"},
           {{"--watch-dir", "/no/such/dir"},
            "--watch-dir: /no/such/dir: No such file or directory"},
           {{"--watch-dir", "/etc/passwd"}, "--watch-dir: /etc/passwd is not a directory"},
           {{"--watch-exe", "curl"}, "--watch-exe: needs an absolute path, not 'curl'"},
           {{"--watch-exe", "/no/such/curl"},
            "--watch-exe: the directory of /no/such/curl does not exist (the kernel needs it to "
            "watch for curl)"},
           {{"--watch-pid"}, "option needs an argument: --watch-pid"},
       }) {
    std::string error;
    EXPECT_EQ(Parse(Keep(c.args), error), std::nullopt) << c.error;
    EXPECT_EQ(error, c.error);
  }
}

TEST_F(ParseShellOptionsTest, WatchesNeedALiveCaptureThatAddsRules) {
  struct Case {
    std::initializer_list<const char*> args;
    const char* error;  // a substring
  };
  for (const Case& c : std::initializer_list<Case>{
           {{"--watch-dir", "/etc", "--audit-log", "/x.log", "SELECT 1"},
            "--watch-dir installs kernel rules for the live capture; it does nothing for "
            "--audit-log"},
           {{"--watch-all", "--audit-stdin", "SELECT 1"}, "it does nothing for --audit-stdin"},
           {{"--audit-mode", "off", "--watch-pid", "1"},
            "--watch-pid installs kernel rules for the live capture, which --audit-mode off "
            "turns off"},
           {{"--audit-mode", "multicast", "--watch-exe", "/bin/sh"},
            "--watch-exe needs procaudit's own rules, which --audit-mode multicast adds only "
            "with --audit-rules add"},
       }) {
    std::string error;
    EXPECT_EQ(Parse(Keep(c.args), error), std::nullopt) << c.error;
    EXPECT_THAT(error, HasSubstr(c.error));
    EXPECT_THAT(error, Not(HasSubstr("\n")));
  }
  // Allowed: auto (unicast, or multicast with a warning at start), unicast, multicast + add.
  EXPECT_TRUE(Parse({"--audit-mode", "multicast", "--audit-rules", "add", "--watch-all"}));
  EXPECT_TRUE(Parse({"--audit-mode", "unicast", "--watch-all"}));
  EXPECT_TRUE(Parse({"--watch-all", "--follow", "SELECT 1"}));
}

}  // namespace
}  // namespace procaudit
