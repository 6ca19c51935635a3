// src/shell/tree_output.h: the tree output mode's columns and drawing.
#include "shell/tree_output.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {
namespace {

Value Null() { return Value{}; }
Value Int(int64_t i) {
  Value v;
  v.type = Value::kInteger;
  v.integer = i;
  return v;
}
// text must outlive the value: tests pass literals.
Value Text(std::string_view text) {
  Value v;
  v.type = Value::kText;
  v.text = text;
  return v;
}

// Begin, the rows, End on a tree printer writing to memory; returns what it wrote.
// rounds: EndRound after each group of rows, as --follow does, before the final End.
std::string Draw(const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::vector<Value>>>& rounds, bool headers = false,
                 TreeGlyphs glyphs = TreeGlyphs::kAscii) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    auto p = MakeTreePrinter(headers, f, glyphs);
    p->Begin(columns);
    for (size_t r = 0; r < rounds.size(); ++r) {
      for (const auto& row : rounds[r]) p->Row(row);
      if (r + 1 < rounds.size()) p->EndRound();
    }
    p->End();
  }
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

TEST(FindTreeColumnsTest, PidAndPpid) {
  std::string error;
  const auto c = FindTreeColumns({"name", "ppid", "pid"}, error);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pid, 2u);
  EXPECT_EQ(c->parent, 1u);
}

TEST(FindTreeColumnsTest, PpidIsPreferredToParent) {
  std::string error;
  const auto c = FindTreeColumns({"pid", "parent", "ppid"}, error);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->parent, 2u);
}

TEST(FindTreeColumnsTest, ParentWhenThereIsNoPpidAndNamesIgnoreCase) {
  std::string error;
  const auto c = FindTreeColumns({"PID", "Parent"}, error);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pid, 0u);
  EXPECT_EQ(c->parent, 1u);
}

TEST(FindTreeColumnsTest, MissingColumnsAreNamedInOneLine) {
  std::string error;
  EXPECT_FALSE(FindTreeColumns({"ppid", "name"}, error));
  EXPECT_EQ(error,
            "tree mode needs a pid column and a ppid (or parent) column; the result has no pid "
            "column");
  EXPECT_FALSE(FindTreeColumns({"pid", "name"}, error));
  EXPECT_EQ(error,
            "tree mode needs a pid column and a ppid (or parent) column; the result has no ppid "
            "or parent column");
  EXPECT_FALSE(FindTreeColumns({"name"}, error));
  EXPECT_EQ(error,
            "tree mode needs a pid column and a ppid (or parent) column; the result has neither");
}

TEST(TreePrinterTest, OtherColumnsAlignedBesideThePidParentLeftOut) {
  EXPECT_EQ(Draw({"pid", "ppid", "name", "uid"}, {{{Int(1), Int(0), Text("systemd"), Int(0)},
                                                   {Int(200), Int(1), Text("sshd"), Int(0)},
                                                   {Int(3000), Int(200), Text("bash"), Int(1000)},
                                                   {Int(40), Int(1), Text("cron"), Int(0)}}}),
            "1         systemd  0\n"
            "|-200     sshd     0\n"
            "| `-3000  bash     1000\n"
            "`-40      cron     0\n");
}

TEST(TreePrinterTest, HeaderNamesTheShownColumns) {
  EXPECT_EQ(Draw({"name", "pid", "ppid"},
                 {{{Text("init"), Int(1), Int(0)}, {Text("sh"), Int(2), Int(1)}}},
                 /*headers=*/true),
            "pid  name\n"
            "1    init\n"
            "`-2  sh\n");
}

TEST(TreePrinterTest, OnlyPidAndParentDrawsTheBareTree) {
  EXPECT_EQ(
      Draw({"pid", "parent"}, {{{Int(1), Null()}, {Int(2), Int(1)}}}, false, TreeGlyphs::kUtf8),
      "1\n\u2514\u25002\n");
}

TEST(TreePrinterTest, NullsLeaveNoTrailingBlanksAndControlsAreVisible) {
  EXPECT_EQ(Draw({"pid", "ppid", "a", "b"},
                 {{{Int(1), Int(0), Text("x\ty"), Null()}, {Int(2), Int(1), Null(), Null()}}}),
            "1    x\\ty\n"
            "`-2\n");
}

TEST(TreePrinterTest, TextPidsLinkLikeIntegers) {
  EXPECT_EQ(Draw({"pid", "ppid"}, {{{Text("1"), Text("0")}, {Text("2"), Text("1")}}}), "1\n`-2\n");
}

TEST(TreePrinterTest, WidthsCountCodePointsNotBytes) {
  EXPECT_EQ(
      Draw({"pid", "ppid", "name", "x"},
           {{{Int(1), Int(0), Text("caf\xc3\xa9"), Int(1)}, {Int(2), Int(1), Text("tea"), Int(2)}}},
           false, TreeGlyphs::kUtf8),
      "1    caf\xc3\xa9  1\n"
      "\u2514\u25002  tea   2\n");
}

TEST(TreePrinterTest, EachFollowRoundIsATreeOfItsOwn) {
  EXPECT_EQ(Draw({"pid", "ppid"}, {{{Int(1), Int(0)}, {Int(2), Int(1)}}, {{Int(3), Int(1)}}}),
            "1\n`-2\n3\n");
}

TEST(TreePrinterTest, NoRowsPrintNothingEvenWithHeaders) {
  EXPECT_EQ(Draw({"pid", "ppid"}, {{}}, /*headers=*/true), "");
}

TEST(TreePrinterTest, WithoutTreeColumnsItPrintsNothing) {
  EXPECT_EQ(Draw({"name"}, {{{Text("x")}}}), "");
}

TEST(TreePrinterTest, MakePrinterGivesTheTreeModeItsPrinter) {
  EXPECT_EQ(ParseOutputMode("tree"), OutputMode::kTree);
  EXPECT_EQ(OutputModeName(OutputMode::kTree), "tree");
  ASSERT_EQ(setenv("LC_ALL", "C", 1), 0);  // ASCII connectors
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    auto p = MakePrinter(OutputMode::kTree, false, f);
    p->Begin({"pid", "ppid"});
    p->Row({Int(1), Int(0)});
    p->Row({Int(2), Int(1)});
    p->End();
  }
  std::fclose(f);
  EXPECT_EQ(std::string(buf, len), "1\n`-2\n");
  std::free(buf);
  unsetenv("LC_ALL");
}

}  // namespace
}  // namespace procaudit
