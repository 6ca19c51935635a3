// src/lifecycle/lifecycle_builder.h on hand-made rows and records: the join's rules, one by one.
// The same join over a real recording of the kernel is tested in tests/e2e/.
#include "lifecycle/lifecycle_builder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace procaudit::lifecycle {
namespace {

using audit::EventRing;
using audit::ProcessEventRow;
using audit::ProcessSyscall;

constexpr int64_t kT0 = 1'795'266'700'000;  // ms

class LifecycleTest : public ::testing::Test {
 protected:
  void Row(ProcessSyscall s, int64_t t_ms, int32_t pid, int32_t parent, const char* path,
           int exit_code = -1, int signal = 0) {
    ring_.Write([&](EventRing::Writer& w) {
      ProcessEventRow r;
      r.syscall = s;
      r.time_ms = t_ms;
      r.pid = pid;
      r.parent = parent;
      r.ppid = parent;
      r.flags = ProcessEventRow::kHasParent;
      if (s != ProcessSyscall::kExitGroup && s != ProcessSyscall::kAnomAbend) {
        r.flags |= ProcessEventRow::kHasResult | ProcessEventRow::kSuccess;
      }
      if (exit_code >= 0) {
        r.exit_code = exit_code;
        r.flags |= ProcessEventRow::kHasExitCode;
      }
      if (signal) {
        r.signal = signal;
        r.flags |= ProcessEventRow::kHasSignal;
      }
      r.path = w.Intern(path);
      w.Append(r);
    });
  }
  // A v3 record: start (whole seconds), elapsed in ticks, wait status.
  void Record(uint32_t pid, uint32_t ppid, uint32_t btime, float etime_ticks, uint32_t status,
              uint8_t flags = 0) {
    uint8_t b[64] = {};
    b[0] = flags;
    b[1] = 3;
    std::memcpy(b + 4, &status, 4);
    std::memcpy(b + 16, &pid, 4);
    std::memcpy(b + 20, &ppid, 4);
    std::memcpy(b + 24, &btime, 4);
    std::memcpy(b + 28, &etime_ticks, 4);
    std::memcpy(b + 48, "prog", 4);
    bytes_.insert(bytes_.end(), b, b + 64);
  }
  std::vector<Instance> Build() {
    reader_ = std::make_unique<EventRing::Reader>(ring_);
    file_ = std::make_unique<acct::AcctFile>(acct::AcctFile::FromBytes(bytes_, "test"));
    Selection eids{false, {}, reader_->first_eid(), reader_->end_eid()};
    Selection records{false, {}, 0, static_cast<int64_t>(file_->record_count())};
    const int64_t start = eids.lo < eids.hi ? reader_->Row(eids.lo).time_ms : INT64_MIN;
    return BuildInstances(reader_.get(), eids, file_.get(), records, start, Options{});
  }
  std::string Text(StrId id) { return std::string(reader_->Text(id).value_or("NULL")); }

  EventRing ring_{1000};
  std::vector<uint8_t> bytes_;
  std::unique_ptr<EventRing::Reader> reader_;
  std::unique_ptr<acct::AcctFile> file_;
};

TEST_F(LifecycleTest, ExitGroupEndsWithItsCodeAndAcctAddsNothingContrary) {
  Row(ProcessSyscall::kClone, kT0, 200, 100, "/bin/bash");
  Row(ProcessSyscall::kExecve, kT0 + 5, 200, 100, "/bin/false");
  Row(ProcessSyscall::kExitGroup, kT0 + 9, 200, 100, "/bin/false", 1);
  Record(200, 100, kT0 / 1000, 0.9f, 1 << 8);
  const auto out = Build();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].end, EndSource::kExitGroup);
  EXPECT_EQ(out[0].exit_code, 1);
  EXPECT_FALSE(out[0].signal);
  EXPECT_EQ(out[0].end_ms, kT0 + 9);
  EXPECT_TRUE(out[0].acct);
  EXPECT_EQ(Text(out[0].image().path), "/bin/false");
  EXPECT_EQ(Text(out[0].parent_path), "/bin/bash");
  EXPECT_EQ(out[0].ppid, 100);
}

TEST_F(LifecycleTest, SignalDeathOnlyAccountingSawEndsWithTheSignalAtStartPlusElapsed) {
  Row(ProcessSyscall::kClone, kT0 + 700, 201, 100, "/bin/bash");
  Row(ProcessSyscall::kExecve, kT0 + 705, 201, 100, "/bin/sleep");
  // btime is truncated to the second: 700 ms before audit's start; elapsed 2.5 s.
  Record(201, 100, kT0 / 1000, 250.0f, 9);
  const auto out = Build();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].end, EndSource::kAcct);
  EXPECT_EQ(out[0].signal, 9);
  EXPECT_FALSE(out[0].exit_code);
  EXPECT_EQ(out[0].end_ms, kT0 + 700 + 2500);  // from audit's exact start
}

TEST_F(LifecycleTest, PidReuseGivesEachInstanceItsOwnRecordInAnyOrder) {
  Row(ProcessSyscall::kClone, kT0, 300, 100, "/bin/sh");
  Row(ProcessSyscall::kExitGroup, kT0 + 10, 300, 100, "/bin/sh", 3);
  Row(ProcessSyscall::kClone, kT0 + 5000, 300, 100, "/bin/sh");
  Row(ProcessSyscall::kExecve, kT0 + 5001, 300, 100, "/bin/cat");
  // The second instance's record first (killed by SIGTERM), then the first's.
  Record(300, 100, (kT0 + 5000) / 1000, 100.0f, 15);
  Record(300, 100, kT0 / 1000, 1.0f, 3 << 8);
  const auto out = Build();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].exit_code, 3);
  EXPECT_EQ(out[0].acct, 1u);
  EXPECT_EQ(out[1].signal, 15);
  EXPECT_EQ(out[1].acct, 0u);
  EXPECT_EQ(Text(out[1].image().path), "/bin/cat");
}

TEST_F(LifecycleTest, VforkChildRowsBeforeItsBirthRowAreOneInstance) {
  Row(ProcessSyscall::kExitGroup, kT0 + 2, 400, 100, "/bin/parent", 5);  // the child's exit
  Row(ProcessSyscall::kVfork, kT0 + 3, 400, 100, "/bin/parent");          // then its birth
  const auto out = Build();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_STREQ(out[0].start_source, "vfork");
  EXPECT_EQ(out[0].start_ms, kT0 + 3);
  EXPECT_EQ(out[0].exit_code, 5);
}

TEST_F(LifecycleTest, AnomAbendEndsWithItsSignalAndAcctAddsTheCore) {
  Row(ProcessSyscall::kClone, kT0, 500, 100, "/bin/sh");
  Row(ProcessSyscall::kExecve, kT0 + 1, 500, 100, "/tmp/segv");
  Row(ProcessSyscall::kAnomAbend, kT0 + 20, 500, 100, "/tmp/segv", -1, 11);
  Record(500, 100, kT0 / 1000, 2.0f, 11 | 0x80, acct::kAcore | acct::kAxsig);
  const auto out = Build();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].end, EndSource::kAnomAbend);
  EXPECT_EQ(out[0].signal, 11);
  EXPECT_TRUE(out[0].core_dumped);
}

TEST_F(LifecycleTest, RecordAuditNeverSawGetsARowWithItsParentsImageWhenItNeverExeced) {
  Row(ProcessSyscall::kClone, kT0, 600, 100, "/bin/sh");
  Row(ProcessSyscall::kExecve, kT0 + 1, 600, 100, "/usr/sbin/daemon");
  Record(601, 600, (kT0 + 1000) / 1000, 10.0f, 9, acct::kAfork | acct::kAxsig);  // fork unseen
  Record(999, 1, (kT0 - 60'000) / 1000, 10.0f, 0);  // before the trace: left out
  const auto out = Build();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].pid, 601);
  EXPECT_STREQ(out[1].start_source, "acct");
  EXPECT_EQ(out[1].signal, 9);
  EXPECT_EQ(Text(out[1].parent_path), "/usr/sbin/daemon");
  EXPECT_EQ(Text(out[1].image().path), "/usr/sbin/daemon");
}

TEST_F(LifecycleTest, RecordThatCannotBeTheInstancesIsNotJoined) {
  // Audit's end and accounting's end disagree by minutes: another instance of the pid.
  Row(ProcessSyscall::kClone, kT0, 700, 100, "/bin/sh");
  Row(ProcessSyscall::kExitGroup, kT0 + 10, 700, 100, "/bin/sh", 0);
  Record(700, 100, kT0 / 1000, 30000.0f, 9);
  const auto out = Build();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].acct);
  EXPECT_EQ(out[0].exit_code, 0);
  EXPECT_STREQ(out[1].start_source, "acct");
}

}  // namespace
}  // namespace procaudit::lifecycle
