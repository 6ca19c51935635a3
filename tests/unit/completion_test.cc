// src/shell/completion.h: which words complete the one being typed.
#include "shell/completion.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace procaudit {
namespace {

using Words = std::vector<std::string>;

CompletionVocabulary Vocabulary() {
  CompletionVocabulary v;
  v.tables = {"process_events", "process_tree", "processes", "open_files", "my_notes"};
  v.columns["process_tree"] = {"pid", "ppid", "name", "path", "root"};
  v.columns["processes"] = {"pid", "name", "parent"};
  v.columns["open_files"] = {"pid", "fd", "path"};
  v.columns["my_notes"] = {"note"};
  v.keywords = {"SELECT", "FROM", "WHERE", "PRAGMA", "NOT", "NULL", "PARTITION"};
  v.functions = {"printf", "count", "nullif"};
  v.dot_commands = {".headers", ".help",   ".mode",   ".once", ".output",
                    ".read",    ".schema", ".tables", ".timer"};
  return v;
}

TEST(CompletionTest, TableNamesAfterFromShareTheirCommonPrefix) {
  EXPECT_EQ(CompletionCandidates("SELECT * FROM ", "proc", Vocabulary()),
            (Words{"process_events", "process_tree", "processes"}));
  EXPECT_EQ(CompletionCandidates("SELECT * FROM ", "process_t", Vocabulary()),
            (Words{"process_tree"}));
}

TEST(CompletionTest, AfterFromOnlyTablesComplete) {
  // "p" would match the columns pid, ppid, path, parent and the keyword PRAGMA elsewhere.
  EXPECT_EQ(CompletionCandidates("select * from ", "p", Vocabulary()),
            (Words{"process_events", "process_tree", "processes"}));
  EXPECT_EQ(CompletionCandidates("SELECT 1 FROM a JOIN ", "o", Vocabulary()),
            (Words{"open_files"}));
}

TEST(CompletionTest, ElsewhereTablesColumnsFunctionsAndKeywords) {
  EXPECT_EQ(CompletionCandidates("SELECT ", "p", Vocabulary()),
            (Words{"parent", "partition", "path", "pid", "ppid", "pragma", "printf",
                   "process_events", "process_tree", "processes"}));
}

TEST(CompletionTest, KeywordsTakeTheCaseOfTheWord) {
  EXPECT_EQ(CompletionCandidates("", "SEL", Vocabulary()), (Words{"SELECT"}));
  EXPECT_EQ(CompletionCandidates("", "sel", Vocabulary()), (Words{"select"}));
  EXPECT_EQ(CompletionCandidates("SELECT pid ", "wH", Vocabulary()), (Words{"where"}));
  EXPECT_EQ(CompletionCandidates("SELECT pid ", "Wh", Vocabulary()), (Words{"WHERE"}));
}

TEST(CompletionTest, NamesMatchIgnoringCaseAndKeepTheirOwn) {
  EXPECT_EQ(CompletionCandidates("SELECT * FROM ", "PROCESS_T", Vocabulary()),
            (Words{"process_tree"}));
}

TEST(CompletionTest, ColumnNamesOfEveryTableOnceEach) {
  EXPECT_EQ(CompletionCandidates("SELECT ", "na", Vocabulary()), (Words{"name"}));
  EXPECT_EQ(CompletionCandidates("SELECT pid, ", "no", Vocabulary()), (Words{"not", "note"}));
}

TEST(CompletionTest, QualifiedNamesCompleteThatTablesColumns) {
  EXPECT_EQ(CompletionCandidates("SELECT ", "process_tree.p", Vocabulary()),
            (Words{"process_tree.path", "process_tree.pid", "process_tree.ppid"}));
  EXPECT_EQ(CompletionCandidates("SELECT ", "open_files.", Vocabulary()),
            (Words{"open_files.fd", "open_files.path", "open_files.pid"}));
}

TEST(CompletionTest, AnAliasCompletesTheColumnsOfEveryTable) {
  EXPECT_EQ(CompletionCandidates("SELECT ", "t.pa", Vocabulary()), (Words{"t.parent", "t.path"}));
}

TEST(CompletionTest, DotCommandsAtTheStartOfALine) {
  EXPECT_EQ(CompletionCandidates("", ".he", Vocabulary()), (Words{".headers", ".help"}));
  EXPECT_EQ(CompletionCandidates("  ", ".o", Vocabulary()), (Words{".once", ".output"}));
  EXPECT_EQ(CompletionCandidates("", ".", Vocabulary()).size(), 9u);
}

TEST(CompletionTest, ADotWordInsideAStatementIsNoCommand) {
  EXPECT_EQ(CompletionCandidates("SELECT ", ".he", Vocabulary()), (Words{}));
}

TEST(CompletionTest, DotCommandArguments) {
  EXPECT_EQ(CompletionCandidates(".schema ", "process_t", Vocabulary()), (Words{"process_tree"}));
  EXPECT_EQ(CompletionCandidates(".tables ", "my", Vocabulary()), (Words{"my_notes"}));
  EXPECT_EQ(CompletionCandidates(".mode ", "t", Vocabulary()), (Words{"table", "tree"}));
  EXPECT_EQ(CompletionCandidates(".headers ", "o", Vocabulary()), (Words{"off", "on"}));
  EXPECT_EQ(CompletionCandidates(".timer ", "of", Vocabulary()), (Words{"off"}));
  EXPECT_EQ(CompletionCandidates(".help ", "", Vocabulary()), (Words{}));
  EXPECT_EQ(CompletionCandidates(".mode tree ", "t", Vocabulary()), (Words{}));  // one argument
}

TEST(CompletionTest, NothingMatches) {
  EXPECT_EQ(CompletionCandidates("SELECT ", "zzz", Vocabulary()), (Words{}));
  EXPECT_EQ(CompletionCandidates("", "zzz", CompletionVocabulary{}), (Words{}));
}

TEST(CompletionTest, FileNameArguments) {
  EXPECT_TRUE(CompletesFileName(".read "));
  EXPECT_TRUE(CompletesFileName(".output "));
  EXPECT_TRUE(CompletesFileName("  .once\t"));
  EXPECT_FALSE(CompletesFileName(".read"));  // still the command's own word
  EXPECT_FALSE(CompletesFileName(".mode "));
  EXPECT_FALSE(CompletesFileName("SELECT "));
  EXPECT_FALSE(CompletesFileName(""));
}

}  // namespace
}  // namespace procaudit
