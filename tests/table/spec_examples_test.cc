// Every example in specs/*.toml (and so in docs/tables.md) runs without error and
// returns a result of its own table, against the fixture tree.
#include <gtest/gtest.h>

#include <string>

#include "generated/table_specs.h"
#include "support/test_db.h"

namespace procaudit::testing {
namespace {

TEST(SpecExamplesTest, EveryDocumentedExampleRuns) {
  TestDb db(FixtureProcRoot(), FixtureAuditLog());
  ASSERT_GT(spec::kExamples.size(), 0u);
  for (const auto& example : spec::kExamples) {
    const std::string sql(example.sql);
    EXPECT_EQ(db.Error(sql), "") << example.table << ": " << sql;
    EXPECT_NE(sql.find(std::string(example.table)), std::string::npos)
        << "an example of " << example.table << " does not use it: " << sql;
  }
}

TEST(SpecExamplesTest, TreeExampleIndentsTwoSpacesPerLevel) {
  TestDb db(FixtureProcRoot());
  EXPECT_EQ(db.Query("SELECT printf('%*s%s', depth * 2, '', name) AS tree, pid "
                     "FROM process_tree(1)"),
            (Rows{{"systemd", "1"},
                  {"  my service", "100"},
                  {"    we) (ird", "200"},
                  {"  kworker", "400"}}));
}

}  // namespace
}  // namespace procaudit::testing
