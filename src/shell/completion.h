// Tab completion in the interactive shell: which words complete the one being typed. Pure: the
// line and the session's names in, candidates out; the libedit glue lives in shell.cc.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {

// What the session can complete, gathered once and refreshed after a statement that may change
// the schema.
struct CompletionVocabulary {
  std::vector<std::string> tables;                          // tables, views, virtual tables
  std::map<std::string, std::vector<std::string>> columns;  // table -> its columns, hidden too
  std::vector<std::string> keywords;                        // SQL keywords, upper case
  std::vector<std::string> functions;                       // SQL function names
  std::vector<std::string> dot_commands;                    // ".help", ".mode"...
};

// The words that complete `word`, the text from the start of the word to the cursor; `before`
// is the line before the word. Sorted, no duplicates, compared ignoring case:
//   - at the start of a line, a word beginning with '.': the dot commands;
//   - after a dot command: its argument (table names for .schema and .tables, the modes for
//     .mode, on/off for .headers and .timer); nothing for a file argument (CompletesFileName);
//   - "qualifier.prefix": the columns of table qualifier (of every table when it is an alias),
//     kept qualified;
//   - after FROM, JOIN, INTO, UPDATE or TABLE: table names;
//   - elsewhere: tables, columns, keywords and functions. Keywords come in the case of the
//     word's first letter (upper when there is none yet).
std::vector<std::string> CompletionCandidates(std::string_view before, std::string_view word,
                                              const CompletionVocabulary& vocabulary);

// Whether the word after `before` is a file name (.read, .output, .once): completed from the
// file system instead.
bool CompletesFileName(std::string_view before);

}  // namespace procaudit
