// src/acct/accounting_writes_to.h: records looked for by pid in hand-made bytes, and files
// accounting does not write to. That it finds the kernel's own record is tested as root in
// tests/e2e/test_acct_live.py and test_privilege.py (every stop of procaudit's own accounting).
#include "acct/accounting_writes_to.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/acct.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "acct/acct_record.h"

namespace procaudit::acct {
namespace {

// A v3 record of pid, as the kernel lays it out.
std::vector<uint8_t> Record(uint32_t pid) {
  std::vector<uint8_t> bytes(kRecordSize, 0);
  bytes[offsetof(acct_v3, ac_version)] = kVersion3;
  std::memcpy(bytes.data() + offsetof(acct_v3, ac_pid), &pid, sizeof pid);
  return bytes;
}

std::vector<uint8_t> Join(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(HoldsRecordOf, FindsThePidInAnySlot) {
  const std::vector<uint8_t> bytes = Join({Record(10), Record(4242), Record(11)});
  ASSERT_EQ(RecordPid(std::span<const uint8_t, kRecordSize>(bytes.data() + 64, kRecordSize)),
            4242u);
  EXPECT_TRUE(HoldsRecordOf(bytes, 4242));
  EXPECT_TRUE(HoldsRecordOf(bytes, 11));
  EXPECT_FALSE(HoldsRecordOf(bytes, 12));
  EXPECT_FALSE(HoldsRecordOf({}, 10));
}

TEST(HoldsRecordOf, ACorruptSlotOrAPartialTailIsNoRecord) {
  std::vector<uint8_t> corrupt = Record(77);
  corrupt[offsetof(acct_v3, ac_version)] = 2;
  EXPECT_FALSE(HoldsRecordOf(corrupt, 77));
  std::vector<uint8_t> partial = Join({Record(1), Record(78)});
  partial.resize(kRecordSize + 40);
  EXPECT_FALSE(HoldsRecordOf(partial, 78));
  EXPECT_TRUE(HoldsRecordOf(partial, 1));
}

class AccountingWritesToTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "accounting_writes_to_test." + std::to_string(getpid());
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    const std::vector<uint8_t> old = Record(1);
    ASSERT_EQ(write(fd, old.data(), old.size()), static_cast<ssize_t>(old.size()));
    close(fd);
    ASSERT_EQ(stat(path_.c_str(), &st_), 0);
  }
  void TearDown() override { unlink(path_.c_str()); }

  std::string path_;
  struct stat st_ {};
};

TEST_F(AccountingWritesToTest, AFileAccountingDoesNotWriteIsNotIt) {
  EXPECT_FALSE(AccountingWritesTo(path_, st_.st_dev, st_.st_ino));
}

TEST_F(AccountingWritesToTest, AnotherFileUnderTheNameIsNotIt) {
  EXPECT_FALSE(AccountingWritesTo(path_, st_.st_dev, st_.st_ino + 1));
}

TEST_F(AccountingWritesToTest, AGoneFileIsNotIt) {
  unlink(path_.c_str());
  EXPECT_FALSE(AccountingWritesTo(path_, st_.st_dev, st_.st_ino));
}

}  // namespace
}  // namespace procaudit::acct
