// src/proc/text_fields.h: the tokenizing helpers every /proc parser is built on.
#include "proc/text_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> CollectLines(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view line : Lines(text)) out.emplace_back(line);
  return out;
}

// --- ParseInt ---------------------------------------------------------------------

TEST(ParseIntTest, WholeDecimalNumber) {
  int64_t v = 0;
  ASSERT_TRUE(ParseInt("42702", v));
  EXPECT_EQ(v, 42702);
}

TEST(ParseIntTest, NegativeNumberIntoSignedType) {
  int64_t v = 0;
  ASSERT_TRUE(ParseInt("-20", v));
  EXPECT_EQ(v, -20);
}

TEST(ParseIntTest, NegativeNumberIntoUnsignedTypeFails) {
  uint64_t v = 7;
  EXPECT_FALSE(ParseInt("-1", v));
}

TEST(ParseIntTest, EmptyStringFails) {
  int v = 0;
  EXPECT_FALSE(ParseInt("", v));
}

TEST(ParseIntTest, TrailingGarbageFails) {
  int v = 0;
  EXPECT_FALSE(ParseInt("12a", v));
  EXPECT_FALSE(ParseInt("12 ", v));
  EXPECT_FALSE(ParseInt("3060 kB", v));
}

TEST(ParseIntTest, LeadingSpaceOrPlusSignFails) {
  int v = 0;
  EXPECT_FALSE(ParseInt(" 12", v));
  EXPECT_FALSE(ParseInt("+12", v));
}

TEST(ParseIntTest, OverflowFails) {
  int32_t small = 0;
  EXPECT_FALSE(ParseInt("2147483648", small));
  uint64_t big = 0;
  ASSERT_TRUE(ParseInt("18446744073709551615", big));  // rsslim of an unlimited process
  EXPECT_EQ(big, std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(ParseInt("18446744073709551616", big));
}

TEST(ParseIntTest, HexadecimalUpperAndLowerCase) {
  uint32_t v = 0;
  ASSERT_TRUE(ParseInt("0100007F", v, 16));
  EXPECT_EQ(v, 0x0100007Fu);
  ASSERT_TRUE(ParseInt("1f90", v, 16));
  EXPECT_EQ(v, 0x1F90u);
}

TEST(ParseIntTest, HexWithPrefixFails) {
  uint32_t v = 0;
  EXPECT_FALSE(ParseInt("0x1F90", v, 16));
}

TEST(ParseIntTest, OctalAsFdinfoPrintsFlags) {
  uint64_t v = 0;
  ASSERT_TRUE(ParseInt("02100002", v, 8));
  EXPECT_EQ(v, 02100002u);
  EXPECT_FALSE(ParseInt("0128", v, 8));  // 8 is not an octal digit
}

// --- Trim ---------------------------------------------------------------------------

TEST(TrimTest, RemovesSpacesTabsAndLineEndsOnBothSides) {
  EXPECT_EQ(Trim(" \t 3060 kB\r\n"), "3060 kB");
}

TEST(TrimTest, KeepsInnerWhitespace) { EXPECT_EQ(Trim("a \t b"), "a \t b"); }

TEST(TrimTest, AllWhitespaceBecomesEmpty) {
  EXPECT_EQ(Trim(" \t\n\r "), "");
  EXPECT_EQ(Trim(""), "");
}

TEST(TrimTest, AlreadyTrimmedIsUnchanged) { EXPECT_EQ(Trim("x"), "x"); }

// --- FieldCursor --------------------------------------------------------------------

TEST(FieldCursorTest, SplitsOnRunsOfSpacesAndTabs) {
  FieldCursor f("  0\t0 \t 0   1000\n");
  EXPECT_EQ(f.Next(), "0");
  EXPECT_EQ(f.Next(), "0");
  EXPECT_EQ(f.Next(), "0");
  EXPECT_EQ(f.Next(), "1000");
  EXPECT_EQ(f.Next(), "");
  EXPECT_EQ(f.Next(), "");  // stays exhausted
}

TEST(FieldCursorTest, NextIntParsesAndRejectsNonNumbers) {
  FieldCursor f("17 x 0A");
  int v = 0;
  ASSERT_TRUE(f.NextInt(v));
  EXPECT_EQ(v, 17);
  EXPECT_FALSE(f.NextInt(v));  // "x" is consumed
  ASSERT_TRUE(f.NextInt(v, 16));
  EXPECT_EQ(v, 10);
  EXPECT_FALSE(f.NextInt(v));  // nothing left
}

TEST(FieldCursorTest, SkipCountsFieldsAndFailsPastTheEnd) {
  FieldCursor f("a b c d");
  EXPECT_TRUE(f.Skip(2));
  EXPECT_EQ(f.Next(), "c");
  EXPECT_FALSE(f.Skip(2));  // only "d" left
  EXPECT_TRUE(f.Skip(0));
}

TEST(FieldCursorTest, RestIsEverythingAfterTheLastField) {
  FieldCursor f("00000003 0001 03 10966 /tmp/samples/my socket.sock");
  ASSERT_TRUE(f.Skip(4));
  EXPECT_EQ(f.Rest(), " /tmp/samples/my socket.sock");
}

TEST(FieldCursorTest, EmptyInputHasNoFields) {
  FieldCursor f("");
  EXPECT_EQ(f.Next(), "");
  EXPECT_EQ(f.Rest(), "");
}

// --- Lines --------------------------------------------------------------------------

TEST(LinesTest, SplitsOnNewlineWithoutTrailingEmptyLine) {
  EXPECT_THAT(CollectLines("pos:\t0\nflags:\t0100000\n"),
              ElementsAre("pos:\t0", "flags:\t0100000"));
}

TEST(LinesTest, LastLineWithoutNewlineIsKept) {
  EXPECT_THAT(CollectLines("a\nb"), ElementsAre("a", "b"));
}

TEST(LinesTest, EmptyLinesInTheMiddleAreKept) {
  EXPECT_THAT(CollectLines("a\n\nb\n"), ElementsAre("a", "", "b"));
}

TEST(LinesTest, EmptyTextHasNoLines) { EXPECT_THAT(CollectLines(""), IsEmpty()); }

TEST(LinesTest, LoneNewlineIsOneEmptyLine) { EXPECT_THAT(CollectLines("\n"), ElementsAre("")); }

TEST(LinesTest, CarriageReturnIsNotALineEnd) {
  EXPECT_THAT(CollectLines("a\r\nb"), ElementsAre("a\r", "b"));
}

// --- ParseBracketInode --------------------------------------------------------------

TEST(ParseBracketInodeTest, SocketPipeAndNamespaceLinks) {
  uint64_t v = 0;
  ASSERT_TRUE(ParseBracketInode("socket:[10953]", "socket:", v));
  EXPECT_EQ(v, 10953u);
  ASSERT_TRUE(ParseBracketInode("pipe:[7]", "pipe:", v));
  EXPECT_EQ(v, 7u);
  ASSERT_TRUE(ParseBracketInode("net:[4026531840]", "net:", v));
  EXPECT_EQ(v, 4026531840u);
}

TEST(ParseBracketInodeTest, OtherPrefixIsRejected) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseBracketInode("pipe:[7]", "socket:", v));
  EXPECT_FALSE(ParseBracketInode("/dev/null", "socket:", v));
}

TEST(ParseBracketInodeTest, EmptyBracketsAreRejected) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseBracketInode("socket:[]", "socket:", v));
}

TEST(ParseBracketInodeTest, MissingOrUnbalancedBracketsAreRejected) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseBracketInode("socket:12345", "socket:", v));
  EXPECT_FALSE(ParseBracketInode("socket:[12345", "socket:", v));
  EXPECT_FALSE(ParseBracketInode("socket:12345]", "socket:", v));
}

TEST(ParseBracketInodeTest, NonNumericInodeIsRejected) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseBracketInode("anon_inode:[eventfd]", "anon_inode:", v));
  EXPECT_FALSE(ParseBracketInode("socket:[12a]", "socket:", v));
}

TEST(ParseBracketInodeTest, PrefixAloneIsRejected) {
  uint64_t v = 0;
  EXPECT_FALSE(ParseBracketInode("socket:", "socket:", v));
}

}  // namespace
}  // namespace procaudit
