#include "acct/acct_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace procaudit::acct {
namespace {

AcctState Sample() {
  AcctState s;
  s.pid = 1234;
  s.start_time = 987654;
  s.file = "/var/lib/procaudit/acct.1234.pacct";
  s.dev = 65024;
  s.ino = 1097732;
  return s;
}

TEST(AcctState, SerializesAndParsesBack) {
  const std::optional<AcctState> back = ParseAcctState(SerializeAcctState(Sample()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid, 1234);
  EXPECT_EQ(back->start_time, 987654u);
  EXPECT_EQ(back->file, "/var/lib/procaudit/acct.1234.pacct");
  EXPECT_EQ(back->dev, 65024u);
  EXPECT_EQ(back->ino, 1097732u);
}

TEST(AcctState, FileIdentityIsOptionalBeforeTheFileExists) {
  AcctState s = Sample();
  s.dev.reset();
  s.ino.reset();
  const std::optional<AcctState> back = ParseAcctState(SerializeAcctState(s));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->dev);
  EXPECT_FALSE(back->ino);
}

TEST(AcctState, RejectsPartialOrMalformedStates) {
  EXPECT_FALSE(ParseAcctState(""));
  EXPECT_FALSE(ParseAcctState("pid=12\nfile=/x\n"));                 // no start time
  EXPECT_FALSE(ParseAcctState("pid=12\nstart_time=1\n"));            // no file
  EXPECT_FALSE(ParseAcctState("pid=12\nstart_time=1\nfile=rel\n"));  // a relative file
  EXPECT_FALSE(ParseAcctState("pid=0\nstart_time=1\nfile=/x\n"));
  EXPECT_FALSE(ParseAcctState("pid=12\nstart_time=1\nfile=/x\ndev=3\n"));  // half an identity
  EXPECT_FALSE(ParseAcctState("pid=12\nstart_time=1\nfile=/x\ndev=-3\nino=4\n"));
  EXPECT_FALSE(ParseAcctState("pid=12\nstart_time=1\nfile=/x\ngarbage\n"));
  EXPECT_TRUE(ParseAcctState("pid=12\nstart_time=1\nfile=/x\nfuture_key=7\n"));
}

TEST(AcctStateDir, WritesReadsAndRemovesOnlyAcctStates) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("procaudit-acct-state-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  AcctStateDir states(dir.string());
  EXPECT_TRUE(states.ReadAll().empty());  // a missing directory holds nothing
  states.Write(Sample());
  std::ofstream(dir / "acct.99.state") << "not a state";
  // The live capture's state beside it is not an accounting state.
  std::ofstream(dir / "live.5.state") << "pid=5\nstart_time=1\nfile=/x\n";
  const std::vector<AcctState> all = states.ReadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].pid, 1234);
  EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  states.Remove(1234);
  EXPECT_TRUE(states.ReadAll().empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace procaudit::acct
