// src/acct/acct_record.h and src/acct/acct_file.h: struct acct_v3 records made by hand, byte
// by byte at the ABI's offsets, and files of them (in memory and on disk).
#include "acct/acct_record.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "acct/acct_file.h"

namespace procaudit::acct {
namespace {

namespace fs = std::filesystem;

// One record's 64 bytes, laid out as <linux/acct.h> struct acct_v3 (native endian).
class RecordBytes {
 public:
  RecordBytes() {
    bytes_[1] = kVersion3;
    Comm("true");
  }
  RecordBytes& Flags(uint8_t f) { return Put(0, f); }
  RecordBytes& Version(uint8_t v) { return Put(1, v); }
  RecordBytes& Tty(uint16_t t) { return Put(2, t); }
  RecordBytes& Status(uint32_t s) { return Put(4, s); }
  RecordBytes& Uid(uint32_t u) { return Put(8, u); }
  RecordBytes& Gid(uint32_t g) { return Put(12, g); }
  RecordBytes& Pid(uint32_t p) { return Put(16, p); }
  RecordBytes& Ppid(uint32_t p) { return Put(20, p); }
  RecordBytes& Btime(uint32_t t) { return Put(24, t); }
  RecordBytes& Etime(float ticks) { return Put(28, ticks); }
  RecordBytes& Utime(uint16_t c) { return Put(32, c); }
  RecordBytes& Stime(uint16_t c) { return Put(34, c); }
  RecordBytes& Mem(uint16_t c) { return Put(36, c); }
  RecordBytes& Minflt(uint16_t c) { return Put(42, c); }
  RecordBytes& Majflt(uint16_t c) { return Put(44, c); }
  RecordBytes& Comm(const std::string& name) {
    std::memset(bytes_.data() + 48, 0, 16);
    std::memcpy(bytes_.data() + 48, name.data(), std::min<size_t>(name.size(), 16));
    return *this;
  }

  std::span<const uint8_t, kRecordSize> span() const { return bytes_; }
  void AppendTo(std::vector<uint8_t>& file) const {
    file.insert(file.end(), bytes_.begin(), bytes_.end());
  }

 private:
  template <class T>
  RecordBytes& Put(size_t off, T v) {
    std::memcpy(bytes_.data() + off, &v, sizeof v);
    return *this;
  }
  std::array<uint8_t, kRecordSize> bytes_{};
};

// A file of records with pids 1000, 1001, ...
std::vector<uint8_t> FileOf(size_t records) {
  std::vector<uint8_t> file;
  for (size_t i = 0; i < records; ++i) RecordBytes().Pid(1000 + i).AppendTo(file);
  return file;
}

std::vector<uint32_t> Pids(const AcctFile& f) {
  std::vector<uint32_t> pids;
  for (size_t i = 0; i < f.record_count(); ++i) pids.push_back(RecordPid(f.Record(i)));
  return pids;
}

// The message of the std::runtime_error that fn throws ("" when it throws nothing).
template <class Fn>
std::string ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

class TempFile {
 public:
  TempFile() {
    char tmpl[] = "/tmp/procaudit-acct-test.XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    path_ = tmpl;
  }
  ~TempFile() { fs::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  void Write(const std::vector<uint8_t>& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }

 private:
  std::string path_;
};

// --- comp_t --------------------------------------------------------------------------

TEST(DecodeCompT, ExponentZeroIsTheMantissa) {
  EXPECT_EQ(DecodeCompT(0), 0u);
  EXPECT_EQ(DecodeCompT(1), 1u);
  EXPECT_EQ(DecodeCompT(0x1fff), 8191u);
}

TEST(DecodeCompT, EachExponentStepIsTimesEight) {
  EXPECT_EQ(DecodeCompT((1 << 13) | 1), 8u);
  EXPECT_EQ(DecodeCompT((2 << 13) | 5), 5u << 6);
  EXPECT_EQ(DecodeCompT((3 << 13) | 1024), 1024u << 9);
  // The kernel's encode_comp_t for 10000: too big for 13 bits, so 1250 << 3 (exact here).
  EXPECT_EQ(DecodeCompT((1 << 13) | 1250), 10000u);
}

TEST(DecodeCompT, LargestValueDoesNotOverflow) {
  EXPECT_EQ(DecodeCompT(0xffff), uint64_t{8191} << 21);
}

TEST(DecodeRecord, CompTFieldsAreDecodedToSecondsAndCounts) {
  const auto r = DecodeRecord(RecordBytes()
                                  .Utime(150)                // 1.5 s
                                  .Stime((1 << 13) | 25)     // 200 ticks
                                  .Mem((2 << 13) | 3)        // 192 KiB
                                  .Minflt((1 << 13) | 1250)  // 10000
                                  .Majflt(7)
                                  .span());
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->user_time, 1.5);
  EXPECT_DOUBLE_EQ(r->system_time, 2.0);
  EXPECT_EQ(r->mem_kb, 192u);
  EXPECT_EQ(r->minflt, 10000u);
  EXPECT_EQ(r->majflt, 7u);
}

// --- Wait status -----------------------------------------------------------------------

TEST(WaitStatus, ExitCodesAreBits8To15) {
  for (int code : {0, 1, 42, 255}) {
    const uint32_t status = static_cast<uint32_t>(code) << 8;
    EXPECT_EQ(WaitExitCode(status), code) << code;
    EXPECT_EQ(WaitSignal(status), std::nullopt) << code;
  }
}

TEST(WaitStatus, SignalsAreTheLowSevenBits) {
  EXPECT_EQ(WaitSignal(9), 9);
  EXPECT_EQ(WaitExitCode(9), std::nullopt);
  EXPECT_EQ(WaitSignal(2), 2);
  EXPECT_EQ(WaitSignal(15), 15);
}

TEST(WaitStatus, CoreBitIsNotPartOfTheSignal) {
  EXPECT_EQ(WaitSignal(0x80 | 11), 11);
  EXPECT_EQ(WaitExitCode(0x80 | 11), std::nullopt);
}

TEST(WaitStatus, StoppedIsNeitherAnExitNorASignal) {
  // 0x7f in the low bits is "stopped by the signal in bits 8-15": never in an exit record.
  for (uint32_t status : {0x7fu, 0x137fu /* SIGSTOP */, 0x057fu /* SIGTRAP */}) {
    EXPECT_EQ(WaitSignal(status), std::nullopt) << status;
    EXPECT_EQ(WaitExitCode(status), std::nullopt) << status;
  }
}

TEST(WaitStatus, RecordDecodesExitCodes) {
  for (int code : {0, 1, 42, 255}) {
    const auto r = DecodeRecord(RecordBytes().Status(static_cast<uint32_t>(code) << 8).span());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ExitCode(), code);
    EXPECT_EQ(r->Signal(), std::nullopt);
    EXPECT_FALSE(r->CoreDumped());
  }
}

TEST(WaitStatus, RecordDecodesSignalsAndCoreBit) {
  const auto killed = DecodeRecord(RecordBytes().Status(9).Flags(kAxsig).span());
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->Signal(), 9);
  EXPECT_EQ(killed->ExitCode(), std::nullopt);
  EXPECT_FALSE(killed->CoreDumped());

  const auto segv = DecodeRecord(RecordBytes().Status(0x80 | 11).Flags(kAxsig | kAcore).span());
  ASSERT_TRUE(segv);
  EXPECT_EQ(segv->Signal(), 11);
  EXPECT_TRUE(segv->CoreDumped());

  // Core limit 0: no core written, so neither the status bit nor ACORE.
  const auto segv_no_core = DecodeRecord(RecordBytes().Status(11).Flags(kAxsig).span());
  ASSERT_TRUE(segv_no_core);
  EXPECT_EQ(segv_no_core->Signal(), 11);
  EXPECT_FALSE(segv_no_core->CoreDumped());
}

TEST(WaitStatus, AcoreFlagAloneMeansCoreDumped) {
  const auto r = DecodeRecord(RecordBytes().Status(6).Flags(kAxsig | kAcore).span());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->CoreDumped());
}

TEST(SignalName, NamesTheUsualSignals) {
  EXPECT_STREQ(SignalName(2), "SIGINT");
  EXPECT_STREQ(SignalName(9), "SIGKILL");
  EXPECT_STREQ(SignalName(11), "SIGSEGV");
  EXPECT_STREQ(SignalName(15), "SIGTERM");
}

TEST(SignalName, OutOfRangeNamesNothing) {
  EXPECT_EQ(SignalName(0), nullptr);
  EXPECT_EQ(SignalName(-1), nullptr);
  EXPECT_EQ(SignalName(65), nullptr);
  EXPECT_EQ(SignalName(127), nullptr);
}

// --- Flags and plain fields --------------------------------------------------------------

TEST(DecodeRecord, KnownFlagsAreKept) {
  for (uint8_t f : {uint8_t{0}, uint8_t{kAfork}, uint8_t{kAsu}, uint8_t{0x04} /* ACOMPAT */,
                    uint8_t{kAcore}, uint8_t{kAxsig}, uint8_t{kAfork | kAsu | kAxsig | kAcore}}) {
    const RecordBytes b = RecordBytes().Flags(f);
    ASSERT_TRUE(IsValidRecord(b.span())) << int{f};
    EXPECT_EQ(DecodeRecord(b.span())->flags, f);
    EXPECT_EQ(RecordFlags(b.span()), f);
  }
}

TEST(DecodeRecord, UnknownFlagBitsMakeARecordInvalid) {
  for (uint8_t f : {uint8_t{0x20}, uint8_t{0x40}, uint8_t{0x80}, uint8_t{0xff}}) {
    EXPECT_FALSE(IsValidRecord(RecordBytes().Flags(f).span())) << int{f};
    EXPECT_EQ(DecodeRecord(RecordBytes().Flags(f).span()), std::nullopt) << int{f};
  }
}

TEST(DecodeRecord, OtherVersionsAreInvalid) {
  for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{2}, uint8_t{0x83} /* big-endian v3 */}) {
    EXPECT_EQ(DecodeRecord(RecordBytes().Version(v).span()), std::nullopt) << int{v};
  }
}

TEST(DecodeRecord, IdentityFieldsAndFastReadersAgree) {
  const RecordBytes b = RecordBytes()
                            .Pid(4242)
                            .Ppid(4241)
                            .Uid(1000)
                            .Gid(100)
                            .Tty((136 << 8) | 3)
                            .Btime(1795256226)
                            .Status(42 << 8);
  const auto r = DecodeRecord(b.span());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pid, 4242u);
  EXPECT_EQ(r->ppid, 4241u);
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 100u);
  EXPECT_EQ(r->tty, (136 << 8) | 3);
  EXPECT_EQ(r->btime, 1795256226u);
  EXPECT_EQ(RecordPid(b.span()), 4242u);
  EXPECT_EQ(RecordExitcode(b.span()), 42u << 8);
}

TEST(DecodeRecord, CommOfSixteenCharsHasNoNul) {
  const auto r = DecodeRecord(RecordBytes().Comm("abcdefghijklmnop").span());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Comm(), "abcdefghijklmnop");
  EXPECT_EQ(r->Comm().size(), 16u);
}

TEST(DecodeRecord, CommStopsAtTheFirstNul) {
  EXPECT_EQ(DecodeRecord(RecordBytes().Comm("sh").span())->Comm(), "sh");
  EXPECT_EQ(DecodeRecord(RecordBytes().Comm("").span())->Comm(), "");
}

// --- Elapsed time ------------------------------------------------------------------------

TEST(DecodeRecord, ElapsedIsTicksOverAhz) {
  const auto r = DecodeRecord(RecordBytes().Btime(1000).Etime(250.0f).span());
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->elapsed, 2.5);
  EXPECT_DOUBLE_EQ(r->EndTime(), 1002.5);
}

TEST(DecodeRecord, NanNegativeAndInfiniteElapsedAreZero) {
  for (float etime :
       {std::numeric_limits<float>::quiet_NaN(), -1.0f, -0.0f,
        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 3e38f}) {
    const auto r = DecodeRecord(RecordBytes().Btime(1000).Etime(etime).span());
    ASSERT_TRUE(r) << etime;
    EXPECT_EQ(r->elapsed, 0.0) << etime;
    EXPECT_FALSE(std::isnan(r->EndTime())) << etime;
  }
}

// --- AcctFile::FromBytes -------------------------------------------------------------------

TEST(AcctFileFromBytes, CleanFileHasEveryRecordAndNoWarning) {
  const std::vector<uint8_t> bytes = FileOf(3);
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.stats().records, 3u);
  EXPECT_TRUE(f.all_valid());
  EXPECT_EQ(f.stats().first_corrupt, -1);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1000, 1001, 1002}));
  EXPECT_EQ(f.end_offset(), 192u);
  EXPECT_EQ(f.Warning(), "");
}

TEST(AcctFileFromBytes, EmptyFileHasNoRecordsAndNoWarning) {
  const AcctFile f = AcctFile::FromBytes({}, "empty");
  EXPECT_EQ(f.slots(), 0u);
  EXPECT_EQ(f.record_count(), 0u);
  EXPECT_EQ(f.stats().tail_bytes, 0u);
  EXPECT_EQ(f.Warning(), "");
}

TEST(AcctFileFromBytes, CorruptSlotInTheMiddleIsCountedAndSkipped) {
  std::vector<uint8_t> bytes = FileOf(5);
  bytes[2 * kRecordSize + 1] = 0xee;  // slot 2's version byte
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.slots(), 5u);
  EXPECT_EQ(f.stats().records, 4u);
  EXPECT_EQ(f.stats().corrupt, 1u);
  EXPECT_EQ(f.stats().first_corrupt, 128);
  EXPECT_FALSE(f.all_valid());
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1000, 1001, 1003, 1004}));
  EXPECT_EQ(f.Warning(), "acct file mem: skipped 1 corrupt record (first at byte 128)");
}

TEST(AcctFileFromBytes, SeveralCorruptSlotsNameTheFirst) {
  std::vector<uint8_t> bytes = FileOf(6);
  bytes[1 * kRecordSize] = 0x40;   // slot 1: an unknown flag bit
  bytes[4 * kRecordSize + 1] = 2;  // slot 4: version 2
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.stats().corrupt, 2u);
  EXPECT_EQ(f.stats().first_corrupt, 64);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1000, 1002, 1003, 1005}));
  EXPECT_EQ(f.Warning(), "acct file mem: skipped 2 corrupt records (first at byte 64)");
}

TEST(AcctFileFromBytes, TruncatedTailIsCountedNotRead) {
  std::vector<uint8_t> bytes = FileOf(3);
  RecordBytes().Pid(9999).AppendTo(bytes);
  bytes.resize(3 * kRecordSize + 10);
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.slots(), 3u);
  EXPECT_EQ(f.stats().tail_bytes, 10u);
  EXPECT_EQ(f.end_offset(), 192u);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1000, 1001, 1002}));
  EXPECT_EQ(f.Warning(), "acct file mem: ignored a 10-byte partial record at the end");
  EXPECT_EQ(f.Warning(/*count_tail=*/false), "");  // a growing file: the kernel is writing it
}

TEST(AcctFileFromBytes, CorruptSlotAndTruncatedTailShareOneLine) {
  std::vector<uint8_t> bytes = FileOf(3);
  bytes[kRecordSize + 1] = 0;
  bytes.resize(bytes.size() + 63, 0);
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.Warning(),
            "acct file mem: skipped 1 corrupt record (first at byte 64); ignored a 63-byte "
            "partial record at the end");
}

TEST(AcctFileFromBytes, ShorterThanOneRecordIsOnlyATail) {
  std::vector<uint8_t> bytes = FileOf(1);
  bytes.resize(20);
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.slots(), 0u);
  EXPECT_EQ(f.stats().tail_bytes, 20u);
}

TEST(AcctFileFromBytes, VersionTwoFileThrowsOneLine) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 3; ++i) RecordBytes().Version(2).AppendTo(bytes);
  const std::string e = ErrorOf([&] { AcctFile::FromBytes(bytes, "old.pacct"); });
  EXPECT_EQ(e,
            "acct file old.pacct: not a BSD process accounting v3 file (the first record has "
            "version 2; procaudit reads native v3, what Linux writes)");
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(AcctFileFromBytes, BigEndianFileThrowsOneLineSayingSo) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 2; ++i) RecordBytes().Version(0x83).AppendTo(bytes);
  const std::string e = ErrorOf([&] { AcctFile::FromBytes(bytes, "be.pacct"); });
  EXPECT_NE(e.find("acct file be.pacct: not a BSD process accounting v3 file"), std::string::npos)
      << e;
  EXPECT_NE(e.find("version 3, big-endian"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(AcctFileFromBytes, TextFileIsNotAnAccountingFile) {
  const std::string text(200, 'x');
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  EXPECT_NE(ErrorOf([&] { AcctFile::FromBytes(bytes, "t"); }).find("not a BSD process"),
            std::string::npos);
}

TEST(AcctFileFromBytes, FifteenGarbageSlotsThenValidRecordsAreRead) {
  std::vector<uint8_t> bytes(15 * kRecordSize, 0xff);
  RecordBytes().Pid(7).AppendTo(bytes);
  RecordBytes().Pid(8).AppendTo(bytes);
  const AcctFile f = AcctFile::FromBytes(bytes, "mem");
  EXPECT_EQ(f.stats().corrupt, 15u);
  EXPECT_EQ(f.stats().first_corrupt, 0);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{7, 8}));
}

TEST(AcctFileFromBytes, SixteenGarbageSlotsBeforeValidRecordsAreNotAnAccountingFile) {
  // The probe looks at the first 16 slots only: records after them do not make a file v3.
  std::vector<uint8_t> bytes(16 * kRecordSize, 0xff);
  RecordBytes().Pid(7).AppendTo(bytes);
  const std::string e = ErrorOf([&] { AcctFile::FromBytes(bytes, "mem"); });
  EXPECT_NE(e.find("acct file mem: not a BSD process accounting v3 file"), std::string::npos) << e;
}

TEST(AcctFileFromBytes, ZeroFilledFileIsNotAnAccountingFile) {
  const std::vector<uint8_t> bytes(4 * kRecordSize, 0);
  EXPECT_NE(ErrorOf([&] { AcctFile::FromBytes(bytes, "zeros"); }).find("version 0"),
            std::string::npos);
}

// --- AcctFile::Open ------------------------------------------------------------------------

TEST(AcctFileOpen, ReadsARealFileWhole) {
  TempFile file;
  std::vector<uint8_t> bytes = FileOf(4);
  bytes[3 * kRecordSize] = 0x80;  // slot 3 corrupt
  bytes.push_back(1);             // and a 1-byte tail
  file.Write(bytes);
  const AcctFile f = AcctFile::Open(file.path());
  EXPECT_EQ(f.path(), file.path());
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1000, 1001, 1002}));
  EXPECT_EQ(f.stats().first_corrupt, 192);
  EXPECT_EQ(f.stats().tail_bytes, 1u);
  EXPECT_EQ(f.end_offset(), 256u);
  EXPECT_EQ(f.Warning(), "acct file " + file.path() +
                             ": skipped 1 corrupt record (first at byte 192); ignored a 1-byte "
                             "partial record at the end");
}

TEST(AcctFileOpen, EmptyFileHasNoRecords) {
  TempFile file;
  const AcctFile f = AcctFile::Open(file.path());
  EXPECT_EQ(f.record_count(), 0u);
  EXPECT_EQ(f.end_offset(), 0u);
  EXPECT_EQ(f.Warning(), "");
}

TEST(AcctFileOpen, OffsetStartsAtThatRecord) {
  TempFile file;
  file.Write(FileOf(4));
  const AcctFile f = AcctFile::Open(file.path(), 128);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1002, 1003}));
  EXPECT_EQ(f.end_offset(), 256u);  // where the next read of the growing file starts
}

TEST(AcctFileOpen, OffsetAtOrPastTheEndReadsNothing) {
  TempFile file;
  file.Write(FileOf(2));
  EXPECT_EQ(AcctFile::Open(file.path(), 128).record_count(), 0u);
  EXPECT_EQ(AcctFile::Open(file.path(), 128).end_offset(), 128u);
  EXPECT_EQ(AcctFile::Open(file.path(), 640).record_count(), 0u);
}

TEST(AcctFileOpen, CorruptOffsetIsFromTheStartOfTheFile) {
  TempFile file;
  std::vector<uint8_t> bytes = FileOf(4);
  bytes[3 * kRecordSize + 1] = 9;
  file.Write(bytes);
  const AcctFile f = AcctFile::Open(file.path(), 128);
  EXPECT_EQ(Pids(f), (std::vector<uint32_t>{1002}));
  EXPECT_EQ(f.stats().first_corrupt, 192);
}

TEST(AcctFileOpen, LaterReadOfGarbageIsCountedNotThrown) {
  // Past the start the file has already been judged v3: bad slots are corruption.
  TempFile file;
  std::vector<uint8_t> bytes = FileOf(1);
  bytes.resize(bytes.size() + 20 * kRecordSize, 0xff);
  file.Write(bytes);
  const AcctFile f = AcctFile::Open(file.path(), 64);
  EXPECT_EQ(f.record_count(), 0u);
  EXPECT_EQ(f.stats().corrupt, 20u);
  EXPECT_EQ(f.stats().first_corrupt, 64);
}

TEST(AcctFileOpen, OffsetNotAMultipleOf64Throws) {
  TempFile file;
  file.Write(FileOf(2));
  EXPECT_EQ(ErrorOf([&] { AcctFile::Open(file.path(), 10); }),
            "acct file " + file.path() + ": offset is not a multiple of 64");
}

TEST(AcctFileOpen, VersionTwoFileThrowsOneLineNamingThePath) {
  TempFile file;
  std::vector<uint8_t> bytes;
  RecordBytes().Version(2).AppendTo(bytes);
  file.Write(bytes);
  const std::string e = ErrorOf([&] { AcctFile::Open(file.path()); });
  EXPECT_EQ(e.rfind("acct file " + file.path() + ": not a BSD process accounting v3 file", 0), 0u)
      << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(AcctFileOpen, MissingFileThrowsTheErrno) {
  EXPECT_EQ(ErrorOf([] { AcctFile::Open("/nonexistent/procaudit/pacct"); }),
            "acct file /nonexistent/procaudit/pacct: No such file or directory");
}

TEST(AcctFileOpen, DirectoryIsNotARegularFile) {
  EXPECT_EQ(ErrorOf([] { AcctFile::Open("/tmp"); }), "acct file /tmp: not a regular file");
}

}  // namespace
}  // namespace procaudit::acct
