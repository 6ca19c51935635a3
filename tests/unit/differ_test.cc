// src/daemon/differ.h: osquery's differential (multiset difference of rows) and the stored form
// of a result set.
#include "daemon/differ.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace procaudit::daemon {
namespace {

using namespace std::string_literals;

Row Proc(const std::string& pid, const std::string& name) { return {{"pid", pid}, {"name", name}}; }

TEST(DiffRows, NothingChangedIsEmpty) {
  const std::vector<Row> rows = {Proc("1", "init"), Proc("2", "kthreadd")};
  const DiffResult diff = DiffRows(rows, rows);
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
}

TEST(DiffRows, FirstRunIsAllAdded) {
  const std::vector<Row> now = {Proc("1", "init"), Proc("2", "kthreadd")};
  const DiffResult diff = DiffRows({}, now);
  EXPECT_EQ(diff.added, now);
  EXPECT_TRUE(diff.removed.empty());
}

TEST(DiffRows, AddedInCurrentOrderRemovedInPreviousOrder) {
  const std::vector<Row> before = {Proc("1", "init"), Proc("9", "old-b"), Proc("8", "old-a")};
  const std::vector<Row> now = {Proc("7", "new-z"), Proc("1", "init"), Proc("6", "new-y")};
  const DiffResult diff = DiffRows(before, now);
  EXPECT_EQ(diff.added, (std::vector<Row>{Proc("7", "new-z"), Proc("6", "new-y")}));
  EXPECT_EQ(diff.removed, (std::vector<Row>{Proc("9", "old-b"), Proc("8", "old-a")}));
}

TEST(DiffRows, DuplicatesAreCountedAsAMultiset) {
  // Twice now, once before: added once. Three times before, once now: removed twice.
  const Row a = Proc("5", "sh"), b = Proc("6", "sleep");
  const DiffResult diff = DiffRows({a, b, b, b}, {a, a, b});
  EXPECT_EQ(diff.added, (std::vector<Row>{a}));
  EXPECT_EQ(diff.removed, (std::vector<Row>{b, b}));
}

TEST(DiffRows, ColumnOrderDoesNotMatter) {
  const Row ab = {{"a", "1"}, {"b", "2"}}, ba = {{"b", "2"}, {"a", "1"}};
  const DiffResult diff = DiffRows({ab}, {ba});
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
}

TEST(DiffRows, NullAndEmptyAreTheSameValueAsInTheLog) {
  // osquery logs NULL as "": a change between them would log a removed and an added line that
  // read the same.
  const Row null_cwd = {{"pid", "1"}, {"cwd", std::nullopt}};
  const Row empty_cwd = {{"pid", "1"}, {"cwd", ""}};
  const DiffResult diff = DiffRows({null_cwd}, {empty_cwd});
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
}

TEST(DiffRows, NullDiffersFromAValue) {
  const Row running = {{"pid", "1"}, {"exit_code", std::nullopt}};
  const Row exited = {{"pid", "1"}, {"exit_code", "0"}};
  const DiffResult diff = DiffRows({running}, {exited});
  EXPECT_EQ(diff.added, (std::vector<Row>{exited}));
  EXPECT_EQ(diff.removed, (std::vector<Row>{running}));
}

TEST(DiffRows, FieldBoundariesAreNotAmbiguous) {
  // A naive "name=value" join would make these two rows one.
  const Row one = {{"a", "b=c"}}, other = {{"a=b", "c"}};
  const DiffResult diff = DiffRows({one}, {other});
  EXPECT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.removed.size(), 1u);
}

TEST(DiffRows, ValuesWithNulBytesCompareWhole) {
  const Row one = {{"argv", "a\0b"s}}, other = {{"argv", "a\0c"s}};
  EXPECT_EQ(DiffRows({one}, {other}).added.size(), 1u);
  EXPECT_TRUE(DiffRows({one}, {one}).added.empty());
}

TEST(DiffRows, ALaterDuplicateColumnHidesTheEarlierOneAsInTheLog) {
  const Row first = {{"pid", "1"}, {"pid", "2"}}, second = {{"pid", "3"}, {"pid", "2"}};
  EXPECT_TRUE(DiffRows({first}, {second}).added.empty());
}

TEST(DiffRows, TenThousandRowsEachWay) {
  std::vector<Row> before, now;
  for (int i = 0; i < 10000; ++i)
    before.push_back(Proc(std::to_string(i), "p" + std::to_string(i)));
  for (int i = 5000; i < 15000; ++i)
    now.push_back(Proc(std::to_string(i), "p" + std::to_string(i)));
  const DiffResult diff = DiffRows(before, now);
  ASSERT_EQ(diff.added.size(), 5000u);
  ASSERT_EQ(diff.removed.size(), 5000u);
  EXPECT_EQ(diff.added.front(), Proc("10000", "p10000"));
  EXPECT_EQ(diff.removed.back(), Proc("4999", "p4999"));
}

TEST(SerializeResults, RoundTripKeepsEverything) {
  const std::vector<Row> rows = {
      {{"pid", "1"}, {"cwd", std::nullopt}, {"name", ""}},
      {},  // a row of no columns
      {{"argv", "a\0b\n\xff;R3:"s}, {"", "empty name"}, {"pid", "2"}, {"pid", "3"}},
  };
  const std::string text = SerializeResults(rows);
  const auto back = ParseResults(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rows);
  EXPECT_EQ(SerializeResults(*back), text);  // stable
}

TEST(SerializeResults, EmptySetRoundTrips) {
  const auto back = ParseResults(SerializeResults({}));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(SerializeResults, FormatIsDocumentedAndFixed) {
  // The durable store keeps this across upgrades: a change needs a new version tag.
  EXPECT_EQ(SerializeResults({{{"pid", "42"}, {"cwd", std::nullopt}}}), "PR1R2;3:pid=2:423:cwd!");
}

TEST(ParseResults, RejectsAnythingButAWholeResultSet) {
  for (const std::string& bad : {
           ""s,
           "PR2"s,
           "XR1;1:a=1:b"s,
           "PR1R1;1:a=1:bX"s,  // trailing junk
           "PR1R1;1:a=2:b"s,   // value cut short
           "PR1R2;1:a=1:b"s,   // a column missing
           "PR1R1;1:a?1:b"s,   // bad tag
           "PR1R-1;"s,
           "PR1R01;1:a!"s,       // signs and leading zeros
           "PR1R99999999999;"s,  // a count that cannot fit
           "PR1R1;99999999999999999999:a!"s,
           "PR1R"s,
           "PR1R1"s,
           "PR1R1;"s,
           "PR1R1;1:"s,
           "PR1R1;1:a"s,
           "PR1R1;1:a=1:"s,
       }) {
    EXPECT_FALSE(ParseResults(bad)) << bad;
  }
}

}  // namespace
}  // namespace procaudit::daemon
