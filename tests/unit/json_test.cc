// src/util/json.h: JSON text for argv arrays, ancestry lists and single strings.
#include "util/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace procaudit {
namespace {

using namespace std::string_literals;

std::string Strings(const std::vector<std::string>& v) { return JsonStringArray(v); }
std::string Ints(const std::vector<int64_t>& v) { return JsonIntArray(v); }

TEST(JsonStringArrayTest, EmptyArray) { EXPECT_EQ(Strings({}), "[]"); }

TEST(JsonStringArrayTest, PlainStringsCompactWithoutSpaces) {
  EXPECT_EQ(Strings({"sleep", "5"}), R"(["sleep","5"])");
}

TEST(JsonStringArrayTest, QuotesAndBackslashesEscaped) {
  EXPECT_EQ(Strings({R"(say "hi")", R"(C:\dir)"}), R"(["say \"hi\"","C:\\dir"])");
}

TEST(JsonStringArrayTest, NewlineTabAndControlCharactersEscaped) {
  EXPECT_EQ(Strings({"a\nb", "c\td", "\x1b[0m", "\x01"}),
            R"(["a\nb","c\td","\u001b[0m","\u0001"])");
}

TEST(JsonStringArrayTest, EmptyStringAndEmbeddedNulKept) {
  EXPECT_EQ(Strings({"", "a\0b"s}), R"(["","a\u0000b"])");
}

TEST(JsonStringArrayTest, ValidUtf8PassesThroughUnescaped) {
  EXPECT_EQ(Strings({"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"}),
            "[\"caf\xc3\xa9\",\"\xe6\x97\xa5\xe6\x9c\xac\"]");
}

TEST(JsonStringArrayTest, InvalidUtf8ReplacedByReplacementCharacter) {
  // U+FFFD is EF BF BD in UTF-8.
  EXPECT_EQ(Strings({"a\xff"
                     "b"}),
            "[\"a\xef\xbf\xbd"
            "b\"]");
}

TEST(JsonStringArrayTest, InvalidUtf8DoesNotSpoilOtherElements) {
  EXPECT_EQ(Strings({"ok", "\xc3", "fine"}), "[\"ok\",\"\xef\xbf\xbd\",\"fine\"]");
}

TEST(JsonStringArrayTest, TruncatedMultibyteSequenceAtEndReplaced) {
  const std::string out = Strings({"x\xe6\x97"});
  EXPECT_EQ(out.substr(0, 3), "[\"x");
  EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 2), "\"]");
}

TEST(JsonIntArrayTest, EmptyArray) { EXPECT_EQ(Ints({}), "[]"); }

TEST(JsonIntArrayTest, AncestryList) { EXPECT_EQ(Ints({100, 1}), "[100,1]"); }

TEST(JsonIntArrayTest, NegativeAndExtremeValues) {
  EXPECT_EQ(Ints({-1, 0, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}),
            "[-1,0,9223372036854775807,-9223372036854775808]");
}

TEST(JsonQuoteTest, QuotesAndEscapes) {
  EXPECT_EQ(JsonQuote("plain"), R"("plain")");
  EXPECT_EQ(JsonQuote(""), R"("")");
  EXPECT_EQ(JsonQuote("a\"b\\c\n"), R"("a\"b\\c\n")");
}

TEST(JsonQuoteTest, InvalidUtf8Replaced) { EXPECT_EQ(JsonQuote("\xfe"), "\"\xef\xbf\xbd\""); }

}  // namespace
}  // namespace procaudit
