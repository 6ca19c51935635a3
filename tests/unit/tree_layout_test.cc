// src/shell/tree_layout.h: the shape of a process tree drawn from rows.
#include "shell/tree_layout.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace procaudit {
namespace {

constexpr std::nullopt_t kNull = std::nullopt;

TreeKey Key(std::optional<int64_t> pid, std::optional<int64_t> parent) { return {pid, parent}; }

// The drawing as text: one line per row, the prefix then the row's index.
std::string Draw(const std::vector<TreeKey>& rows, TreeGlyphs glyphs = TreeGlyphs::kAscii) {
  std::string out;
  TreePrefix prefix(glyphs);
  for (const TreeLine& line : LayoutTree(rows)) {
    out += prefix.Next(line) + std::to_string(line.row) + "\n";
  }
  return out;
}

std::vector<std::optional<size_t>> Parents(std::initializer_list<std::optional<size_t>> p) {
  return p;
}

TEST(TreeLayoutTest, NoRowsNoLines) { EXPECT_TRUE(LayoutTree({}).empty()); }

TEST(TreeLayoutTest, ChildrenHangUnderTheirParentInRowOrder) {
  // 1 -> {2, 3}, 2 -> {4}
  const std::vector<TreeKey> rows = {Key(1, 0), Key(2, 1), Key(3, 1), Key(4, 2)};
  EXPECT_EQ(Draw(rows),
            "0\n"
            "|-1\n"
            "| `-3\n"
            "`-2\n");
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0, 0, 1}));
}

TEST(TreeLayoutTest, Utf8ConnectorsAsPstreeDrawsThem) {
  const std::vector<TreeKey> rows = {Key(1, 0), Key(2, 1), Key(4, 2), Key(3, 1), Key(5, 3)};
  EXPECT_EQ(Draw(rows, TreeGlyphs::kUtf8),
            "0\n"
            "\u251c\u25001\n"
            "\u2502 \u2514\u25002\n"
            "\u2514\u25003\n"
            "  \u2514\u25004\n");
}

TEST(TreeLayoutTest, DepthCountsLevelsBelowTheRoot) {
  const std::vector<TreeKey> rows = {Key(1, 0), Key(2, 1), Key(3, 2), Key(9, 0)};
  std::vector<size_t> depths;
  for (const TreeLine& l : LayoutTree(rows)) depths.push_back(l.depth);
  EXPECT_EQ(depths, (std::vector<size_t>{0, 1, 2, 0}));
}

TEST(TreeLayoutTest, DeepChainIsLaidOutWithoutRecursion) {
  constexpr int64_t kDepth = 200000;
  std::vector<TreeKey> rows;
  for (int64_t pid = 1; pid <= kDepth; ++pid) rows.push_back(Key(pid, pid - 1));
  const std::vector<TreeLine> lines = LayoutTree(rows);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kDepth));
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].row, i);
    ASSERT_EQ(lines[i].depth, i);
  }
}

TEST(TreeLayoutTest, AnOnlyChildIsALastChildAtEveryLevel) {
  const std::vector<TreeKey> rows = {Key(1, 0), Key(2, 1), Key(3, 2), Key(4, 3)};
  EXPECT_EQ(Draw(rows), "0\n`-1\n  `-2\n    `-3\n");
}

TEST(TreeLayoutTest, ABarContinuesPastADeepSubtreeToTheNextSibling) {
  // 1 -> {2, 6}; 2 -> 3 -> 4 -> 5: the bar of 2's level runs down to 6.
  const std::vector<TreeKey> rows = {Key(1, 0), Key(2, 1), Key(3, 2),
                                     Key(4, 3), Key(5, 4), Key(6, 1)};
  EXPECT_EQ(Draw(rows),
            "0\n"
            "|-1\n"
            "| `-2\n"
            "|   `-3\n"
            "|     `-4\n"
            "`-5\n");
}

TEST(TreeLayoutTest, RootsAreRowsWithNullZeroOrAbsentParents) {
  const std::vector<TreeKey> rows = {Key(10, kNull), Key(11, 0), Key(12, 999), Key(13, 12)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, kNull, kNull, 2}));
  EXPECT_EQ(Draw(rows), "0\n1\n2\n`-3\n");
}

TEST(TreeLayoutTest, ReusedPidHangsUnderTheNearestEarlierRow) {
  // Row 0: pid 50; row 1 its child; row 2: pid 50 again (reused, or a second exec); row 3 a child
  // of that later 50.
  const std::vector<TreeKey> rows = {Key(50, 1), Key(60, 50), Key(50, 1), Key(70, 50)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0, kNull, 2}));
}

TEST(TreeLayoutTest, EveryRowOfAPidIsANode) {
  // A process that exec'd twice: three rows of pid 7, each drawn; its child under the last.
  const std::vector<TreeKey> rows = {Key(1, 0), Key(7, 1), Key(7, 1), Key(7, 1), Key(8, 7)};
  EXPECT_EQ(Draw(rows),
            "0\n"
            "|-1\n"
            "|-2\n"
            "`-3\n"
            "  `-4\n");
}

TEST(TreeLayoutTest, ChildListedBeforeItsParentHangsUnderTheFirstLaterRow) {
  // Sorted by pid after the pids wrapped: child 5 comes before its parent 30000.
  const std::vector<TreeKey> rows = {Key(1, 0), Key(5, 30000), Key(30000, 1), Key(30000, 1)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 2, 0, 0}));
  EXPECT_EQ(Draw(rows), "0\n|-2\n| `-1\n`-3\n");
}

TEST(TreeLayoutTest, OwnParentIsARoot) {
  const std::vector<TreeKey> rows = {Key(5, 5), Key(6, 5)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0}));
}

TEST(TreeLayoutTest, OwnParentWithAnEarlierRowOfTheSamePidLoopsNot) {
  // Row 1 says pid 5's parent is 5: it hangs under the earlier row of pid 5, no loop.
  const std::vector<TreeKey> rows = {Key(5, 1), Key(5, 5)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0}));
}

TEST(TreeLayoutTest, TwoRowsNamingEachOtherAreCutAtTheEarlier) {
  const std::vector<TreeKey> rows = {Key(5, 6), Key(6, 5)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0}));
  EXPECT_EQ(Draw(rows), "0\n`-1\n");
}

TEST(TreeLayoutTest, LoopWithATailDrawsEveryRowOnce) {
  // 10 -> 11 -> 12 -> 10 is a loop (through later rows); 13 hangs off 12; 14 off 13.
  const std::vector<TreeKey> rows = {Key(13, 12), Key(10, 12), Key(11, 10), Key(12, 11),
                                     Key(14, 13)};
  const auto parents = TreeParents(rows);
  EXPECT_EQ(parents, Parents({3, kNull, 1, 2, 0}));
  EXPECT_EQ(Draw(rows), "1\n`-2\n  `-3\n    `-0\n      `-4\n");
}

TEST(TreeLayoutTest, TwoSeparateLoopsBothCut) {
  const std::vector<TreeKey> rows = {Key(1, 2), Key(2, 1), Key(3, 4), Key(4, 3)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0, kNull, 2}));
  EXPECT_EQ(LayoutTree(rows).size(), 4u);
}

TEST(TreeLayoutTest, NullPidIsALeafUnderItsParent) {
  const std::vector<TreeKey> rows = {Key(1, 0), Key(kNull, 1), Key(3, kNull)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0, kNull}));
}

TEST(TreeLayoutTest, NegativeParentIsJustAnAbsentPid) {
  const std::vector<TreeKey> rows = {Key(1, -1), Key(2, 1)};
  EXPECT_EQ(TreeParents(rows), Parents({kNull, 0}));
}

TEST(GlyphsForLocaleTest, Utf8CodesetInTheFirstSetVariable) {
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "en_US.UTF-8"), TreeGlyphs::kUtf8);
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "C.utf8"), TreeGlyphs::kUtf8);
  EXPECT_EQ(GlyphsForLocale(nullptr, "de_DE.UTF-8@euro", "C"), TreeGlyphs::kUtf8);
  EXPECT_EQ(GlyphsForLocale("C", "en_US.UTF-8", "en_US.UTF-8"), TreeGlyphs::kAscii);  // LC_ALL wins
  EXPECT_EQ(GlyphsForLocale("", "", "en_US.UTF-8"), TreeGlyphs::kUtf8);  // empty means unset
}

TEST(GlyphsForLocaleTest, OtherCodesetsAndTheCLocaleAreAscii) {
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, nullptr), TreeGlyphs::kAscii);
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "C"), TreeGlyphs::kAscii);
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "POSIX"), TreeGlyphs::kAscii);
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "en_US.ISO-8859-1"), TreeGlyphs::kAscii);
  EXPECT_EQ(GlyphsForLocale(nullptr, nullptr, "en_US"), TreeGlyphs::kAscii);
}

}  // namespace
}  // namespace procaudit
