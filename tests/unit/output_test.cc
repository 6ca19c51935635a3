// src/shell/output.h: the shell's result printers and their helpers.
#include "shell/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Value Null() { return Value{}; }
Value Int(int64_t i) {
  Value v;
  v.type = Value::kInteger;
  v.integer = i;
  return v;
}
Value Real(double d) {
  Value v;
  v.type = Value::kReal;
  v.real = d;
  return v;
}
// Value::text is a view, as a row's is into SQLite's memory: the bytes must outlive the value.
// Tests pass literals, or a temporary string, which lives to the end of the full expression.
// (These took std::string by value and pointed text at the parameter: whether a parameter lives
// past the return is up to the implementation, so the view could dangle.)
Value Text(std::string_view s) {
  Value v;
  v.type = Value::kText;
  v.text = s;
  return v;
}
Value Blob(std::string_view bytes) {
  Value v;
  v.type = Value::kBlob;
  v.text = bytes;
  return v;
}

// Runs `body` against a printer writing to an in-memory FILE* and returns what it wrote.
// follow: a printer of MakeFollowPrinter instead.
std::string Capture(OutputMode mode, bool headers, const std::function<void(Printer&)>& body,
                    bool follow = false) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  if (f == nullptr) {
    ADD_FAILURE() << "open_memstream failed";
    return {};
  }
  {
    std::unique_ptr<Printer> p =
        follow ? MakeFollowPrinter(mode, headers, f) : MakePrinter(mode, headers, f);
    if (p == nullptr) {
      ADD_FAILURE() << "MakePrinter returned null";
    } else {
      body(*p);
    }
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

// One statement: Begin, the rows, End.
std::string Print(OutputMode mode, bool headers, const std::vector<std::string>& columns,
                  const std::vector<std::vector<Value>>& rows) {
  return Capture(mode, headers, [&](Printer& p) {
    p.Begin(columns);
    for (const auto& r : rows) p.Row(r);
    p.End();
  });
}

// --- ParseOutputMode / OutputModeName ------------------------------------------------

TEST(OutputModeTest, NamesRoundTrip) {
  for (OutputMode m : {OutputMode::kTable, OutputMode::kList, OutputMode::kJson, OutputMode::kCsv,
                       OutputMode::kLine, OutputMode::kTree}) {
    EXPECT_EQ(ParseOutputMode(OutputModeName(m)), m) << OutputModeName(m);
  }
  EXPECT_EQ(OutputModeName(OutputMode::kCsv), "csv");
}

TEST(OutputModeTest, UnknownOrMiscasedNameIsNullopt) {
  EXPECT_EQ(ParseOutputMode("JSON"), std::nullopt);
  EXPECT_EQ(ParseOutputMode("markdown"), std::nullopt);
  EXPECT_EQ(ParseOutputMode(""), std::nullopt);
}

// --- CsvField -------------------------------------------------------------------------

TEST(CsvFieldTest, PlainTextUnquoted) {
  EXPECT_EQ(CsvField("bash"), "bash");
  EXPECT_EQ(CsvField("/usr/bin/python3"), "/usr/bin/python3");
}

TEST(CsvFieldTest, EmptyFieldUnquoted) { EXPECT_EQ(CsvField(""), ""); }

TEST(CsvFieldTest, CommaQuoted) { EXPECT_EQ(CsvField("a,b"), "\"a,b\""); }

TEST(CsvFieldTest, QuotesDoubled) {
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
}

TEST(CsvFieldTest, NewlineAndCarriageReturnQuoted) {
  EXPECT_EQ(CsvField("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(CsvField("a\rb"), "\"a\rb\"");
}

TEST(CsvFieldTest, LeadingOrTrailingSpaceQuoted) {
  EXPECT_EQ(CsvField(" lead"), "\" lead\"");
  EXPECT_EQ(CsvField("trail "), "\"trail \"");
  EXPECT_EQ(CsvField("in side"), "in side");
}

// --- TableCell --------------------------------------------------------------------------

TEST(TableCellTest, NewlineTabCarriageReturnMadeVisible) {
  EXPECT_EQ(TableCell(Text("a\nb\tc\rd")), "a\\nb\\tc\\rd");
}

TEST(TableCellTest, EscapeAndOtherControlCharactersAsHex) {
  EXPECT_EQ(TableCell(Text("\x1b[31mred")), "\\x1b[31mred");
  EXPECT_EQ(TableCell(Text(std::string("a\0b", 3))), "a\\x00b");
  EXPECT_EQ(TableCell(Text("\x7f")), "\\x7f");
  EXPECT_EQ(TableCell(Text("\x01\x1f")), "\\x01\\x1f");
}

TEST(TableCellTest, Utf8PassesThrough) { EXPECT_EQ(TableCell(Text("caf\xc3\xa9")), "caf\xc3\xa9"); }

TEST(TableCellTest, NonTextValues) {
  EXPECT_EQ(TableCell(Null()), "");
  EXPECT_EQ(TableCell(Int(-42)), "-42");
  EXPECT_EQ(TableCell(Real(1.5)), "1.5");
  EXPECT_EQ(TableCell(Blob("\x01\xab\n")), "01ab0a");
}

// --- DisplayWidth ---------------------------------------------------------------------

TEST(DisplayWidthTest, AsciiIsByteCount) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("kthreadd"), 8u);
}

TEST(DisplayWidthTest, Utf8CountsCodePoints) {
  EXPECT_EQ(DisplayWidth("caf\xc3\xa9"), 4u);               // 2-byte é
  EXPECT_EQ(DisplayWidth("\xe2\x82\xac"), 1u);              // 3-byte €
  EXPECT_EQ(DisplayWidth("\xf0\x9f\x90\xa7 tux"), 5u);      // 4-byte 🐧
  EXPECT_EQ(DisplayWidth("\xe6\x97\xa5\xe6\x9c\xac"), 2u);  // two CJK code points
}

// --- List mode ------------------------------------------------------------------------

TEST(ListPrinterTest, WithHeaders) {
  EXPECT_EQ(Print(OutputMode::kList, true, {"pid", "comm"},
                  {{Int(1), Text("process_api")}, {Int(2), Text("kthreadd")}}),
            "pid|comm\n1|process_api\n2|kthreadd\n");
}

TEST(ListPrinterTest, WithoutHeaders) {
  EXPECT_EQ(Print(OutputMode::kList, false, {"pid", "comm"},
                  {{Int(1), Text("process_api")}, {Int(2), Text("kthreadd")}}),
            "1|process_api\n2|kthreadd\n");
}

TEST(ListPrinterTest, NullIsEmptyRealAndBlobAsText) {
  EXPECT_EQ(Print(OutputMode::kList, false, {"a", "b", "c", "d"},
                  {{Null(), Real(2.5), Blob("\xde\xad"), Int(-7)}}),
            "|2.5|dead|-7\n");
}

TEST(ListPrinterTest, TextPrintedRawWithoutEscaping) {
  EXPECT_EQ(Print(OutputMode::kList, false, {"x"}, {{Text("a|b\nc")}}), "a|b\nc\n");
}

TEST(ListPrinterTest, NoRowsHeaderOnly) {
  EXPECT_EQ(Print(OutputMode::kList, true, {"pid"}, {}), "pid\n");
  EXPECT_EQ(Print(OutputMode::kList, false, {"pid"}, {}), "");
}

// --- CSV mode -----------------------------------------------------------------------------

TEST(CsvPrinterTest, HeaderAndRowsEndInCrlf) {
  EXPECT_EQ(Print(OutputMode::kCsv, true, {"pid", "cmdline"},
                  {{Int(1), Text("/sbin/init splash")}, {Int(42), Text("a,b")}}),
            "pid,cmdline\r\n1,/sbin/init splash\r\n42,\"a,b\"\r\n");
}

TEST(CsvPrinterTest, WithoutHeaders) {
  EXPECT_EQ(Print(OutputMode::kCsv, false, {"pid"}, {{Int(1)}, {Int(2)}}), "1\r\n2\r\n");
}

TEST(CsvPrinterTest, FieldsQuotedAsCsvFieldSays) {
  EXPECT_EQ(Print(OutputMode::kCsv, false, {"a", "b", "c", "d"},
                  {{Text("say \"hi\""), Text("two\nlines"), Text(" lead"), Null()}}),
            "\"say \"\"hi\"\"\",\"two\nlines\",\" lead\",\r\n");
}

TEST(CsvPrinterTest, HeaderNamesAreQuotedToo) {
  EXPECT_EQ(Print(OutputMode::kCsv, true, {"count(*)", "a,b"}, {}), "count(*),\"a,b\"\r\n");
}

// --- JSON mode ---------------------------------------------------------------------------

TEST(JsonPrinterTest, TypedValuesIntegersAsNumbersNullAsNull) {
  EXPECT_EQ(Print(OutputMode::kJson, false, {"pid", "comm", "parent", "cpu", "raw"},
                  {{Int(1), Text("init"), Null(), Real(0.5), Blob("\x01\xff")}}),
            "[\n  {\"pid\":1,\"comm\":\"init\",\"parent\":null,\"cpu\":0.5,\"raw\":\"01ff\"}\n]\n");
}

TEST(JsonPrinterTest, RowsSeparatedByCommaNewlineInColumnOrder) {
  EXPECT_EQ(Print(OutputMode::kJson, true, {"z", "a"}, {{Int(1), Int(2)}, {Int(3), Int(4)}}),
            "[\n  {\"z\":1,\"a\":2},\n  {\"z\":3,\"a\":4}\n]\n");
}

TEST(JsonPrinterTest, NoRowsIsEmptyArray) {
  EXPECT_EQ(Print(OutputMode::kJson, true, {"pid"}, {}), "[]\n");
}

TEST(JsonPrinterTest, TextEscaped) {
  EXPECT_EQ(Print(OutputMode::kJson, false, {"s"}, {{Text("a\"b\\c\nd\x1b")}}),
            "[\n  {\"s\":\"a\\\"b\\\\c\\nd\\u001b\"}\n]\n");
}

TEST(JsonPrinterTest, InvalidUtf8ReplacedNotFailing) {
  EXPECT_EQ(Print(OutputMode::kJson, false, {"s"}, {{Text("x\xff")}}),
            "[\n  {\"s\":\"x\xef\xbf\xbd\"}\n]\n");
}

TEST(JsonPrinterTest, LargeAndNegativeIntegersExact) {
  EXPECT_EQ(Print(OutputMode::kJson, false, {"a", "b"},
                  {{Int(9007199254740993), Int(-9223372036854775807 - 1)}}),
            "[\n  {\"a\":9007199254740993,\"b\":-9223372036854775808}\n]\n");
}

TEST(JsonPrinterTest, EachStatementIsItsOwnArray) {
  const std::string out = Capture(OutputMode::kJson, false, [](Printer& p) {
    p.Begin({"a"});
    p.Row({Int(1)});
    p.End();
    p.Begin({"b"});
    p.End();
  });
  EXPECT_EQ(out, "[\n  {\"a\":1}\n]\n[]\n");
}

TEST(JsonPrinterTest, DuplicateColumnNamesKeepEveryValue) {
  // SELECT p.name, c.name ... : both columns are called "name". The sqlite3 CLI's
  // -json prints both members; here the second value overwrites the first.
  const std::string out =
      Print(OutputMode::kJson, false, {"name", "name"}, {{Text("parent"), Text("child")}});
  EXPECT_THAT(out, HasSubstr("\"parent\""));
  EXPECT_THAT(out, HasSubstr("\"child\""));
}

// --- Line mode ----------------------------------------------------------------------------

TEST(LinePrinterTest, NamesRightAlignedToTheWidestAndRowsSeparatedByBlankLine) {
  EXPECT_EQ(Print(OutputMode::kLine, false, {"pid", "comm", "container_id"},
                  {{Int(1), Text("init"), Null()}, {Int(22), Text("sshd"), Text("abc")}}),
            "         pid = 1\n"
            "        comm = init\n"
            "container_id = \n"
            "\n"
            "         pid = 22\n"
            "        comm = sshd\n"
            "container_id = abc\n");
}

TEST(LinePrinterTest, Utf8ColumnNameAlignedByCodePoints) {
  EXPECT_EQ(Print(OutputMode::kLine, false, {"caf\xc3\xa9", "ab"}, {{Int(1), Int(2)}}),
            "caf\xc3\xa9 = 1\n  ab = 2\n");
}

TEST(LinePrinterTest, NoRowsPrintsNothing) {
  EXPECT_EQ(Print(OutputMode::kLine, true, {"pid"}, {}), "");
}

// --- Table mode -----------------------------------------------------------------------------

TEST(TablePrinterTest, BordersHeaderAndNumericColumnRightAligned) {
  EXPECT_EQ(Print(OutputMode::kTable, false, {"pid", "comm"},
                  {{Int(1), Text("init")}, {Int(1234), Text("kthreadd")}}),
            "+------+----------+\n"
            "| pid  | comm     |\n"
            "+------+----------+\n"
            "|    1 | init     |\n"
            "| 1234 | kthreadd |\n"
            "+------+----------+\n");
}

TEST(TablePrinterTest, ColumnWithAnyTextIsLeftAligned) {
  EXPECT_EQ(Print(OutputMode::kTable, false, {"v"}, {{Int(7)}, {Text("seven")}}),
            "+-------+\n"
            "| v     |\n"
            "+-------+\n"
            "| 7     |\n"
            "| seven |\n"
            "+-------+\n");
}

TEST(TablePrinterTest, NullsAndRealsKeepAColumnNumeric) {
  EXPECT_EQ(Print(OutputMode::kTable, false, {"ratio"}, {{Real(0.25)}, {Null()}, {Int(10)}}),
            "+-------+\n"
            "| ratio |\n"
            "+-------+\n"
            "|  0.25 |\n"
            "|       |\n"
            "|    10 |\n"
            "+-------+\n");
}

TEST(TablePrinterTest, ControlCharactersEscapedAndWidthCountsTheEscapes) {
  EXPECT_EQ(Print(OutputMode::kTable, false, {"cmd"}, {{Text("a\nb\x1b")}}),
            "+----------+\n"
            "| cmd      |\n"
            "+----------+\n"
            "| a\\nb\\x1b |\n"
            "+----------+\n");
}

TEST(TablePrinterTest, Utf8CellsPaddedByCodePoints) {
  EXPECT_EQ(Print(OutputMode::kTable, false, {"name"}, {{Text("caf\xc3\xa9s")}, {Text("ab")}}),
            "+-------+\n"
            "| name  |\n"
            "+-------+\n"
            "| caf\xc3\xa9s |\n"
            "| ab    |\n"
            "+-------+\n");
}

TEST(TablePrinterTest, NoRowsStillShowsHeader) {
  EXPECT_EQ(Print(OutputMode::kTable, true, {"pid", "path"}, {}),
            "+-----+------+\n"
            "| pid | path |\n"
            "+-----+------+\n"
            "+-----+------+\n");
}

TEST(TablePrinterTest, NoColumnsPrintsNothing) {
  EXPECT_EQ(Print(OutputMode::kTable, true, {}, {}), "");
}

TEST(TablePrinterTest, SecondStatementSizedAndAlignedOnItsOwn) {
  const std::string out = Capture(OutputMode::kTable, false, [](Printer& p) {
    p.Begin({"a"});
    p.Row({Text("long text")});
    p.End();
    p.Begin({"b"});
    p.Row({Int(5)});
    p.Row({Int(10)});
    p.End();
  });
  EXPECT_EQ(out,
            "+-----------+\n"
            "| a         |\n"
            "+-----------+\n"
            "| long text |\n"
            "+-----------+\n"
            "+----+\n"
            "| b  |\n"
            "+----+\n"
            "|  5 |\n"
            "| 10 |\n"
            "+----+\n");
}

TEST(TablePrinterTest, PrintsNothingUntilEnd) {
  // The table must see every row to size its columns; the other modes stream.
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ASSERT_NE(f, nullptr);
  std::unique_ptr<Printer> p = MakePrinter(OutputMode::kTable, true, f);
  p->Begin({"a"});
  p->Row({Int(1)});
  std::fflush(f);
  EXPECT_EQ(len, 0u);
  p->End();
  std::fflush(f);
  EXPECT_EQ(std::string(buf, len), "+---+\n| a |\n+---+\n| 1 |\n+---+\n");
  p.reset();
  std::fclose(f);
  std::free(buf);
}

TEST(ListPrinterTest, StreamsEachRowBeforeEnd) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ASSERT_NE(f, nullptr);
  std::unique_ptr<Printer> p = MakePrinter(OutputMode::kList, false, f);
  p->Begin({"a"});
  p->Row({Int(1)});
  std::fflush(f);
  EXPECT_EQ(std::string(buf, len), "1\n");
  p->End();
  p.reset();
  std::fclose(f);
  std::free(buf);
}

// --- --follow printers: Begin once, rows over several rounds ---------------------------

// Rows as the follow loop gives them: Begin once, then the rows of its rounds.
std::string Follow(OutputMode mode, bool headers) {
  return Capture(
      mode, headers,
      [](Printer& p) {
        p.Begin({"pid", "path"});
        p.Row({Int(1), Text("/bin/sh")});
        p.Row({Int(2), Null()});
        p.Row({Int(3), Text("/tmp/a\x1b[2Jb")});
        p.End();
      },
      /*follow=*/true);
}

TEST(FollowPrinterTest, JsonIsOneObjectPerLineNoArray) {
  EXPECT_EQ(Follow(OutputMode::kJson, true),
            "{\"pid\":1,\"path\":\"/bin/sh\"}\n{\"pid\":2,\"path\":null}\n"
            "{\"pid\":3,\"path\":\"/tmp/a\\u001b[2Jb\"}\n");
}

TEST(FollowPrinterTest, TableModePrintsAsListWithHeaderAndVisibleControls) {
  EXPECT_EQ(Follow(OutputMode::kTable, true), "pid|path\n1|/bin/sh\n2|\n3|/tmp/a\\x1b[2Jb\n");
  EXPECT_EQ(Follow(OutputMode::kTable, false), "1|/bin/sh\n2|\n3|/tmp/a\\x1b[2Jb\n");
}

TEST(FollowPrinterTest, OtherModesPrintAsUsual) {
  EXPECT_EQ(Follow(OutputMode::kList, true), "pid|path\n1|/bin/sh\n2|\n3|/tmp/a\x1b[2Jb\n");
  EXPECT_EQ(Follow(OutputMode::kCsv, true), "pid,path\r\n1,/bin/sh\r\n2,\r\n3,/tmp/a\x1b[2Jb\r\n");
  EXPECT_EQ(Follow(OutputMode::kLine, true),
            " pid = 1\npath = /bin/sh\n\n pid = 2\npath = \n\n pid = 3\npath = /tmp/a\x1b[2Jb\n");
}

}  // namespace
}  // namespace procaudit
