#include "shell/line_editor.h"

#include <editline/readline.h>

#include <cstdlib>
#include <cstring>

#include "generated/table_specs.h"

namespace procaudit {
namespace {

constexpr const char* kDotCommands[] = {".exit",   ".headers", ".help", ".mode",
                                        ".once",   ".output",  ".quit", ".read",
                                        ".schema", ".tables",  ".timer"};

// Words end at blanks, quotes, operators and punctuation, but not at '.', so "p.pid" stays one
// word, nor at '/' and '-', so a file name does (libedit's default breaks at neither ',' nor ')').
constexpr const char* kWordBreaks = " \t\n\"'`@$><=;|&{(),+*%";

Completer g_complete;
std::vector<std::string> g_matches;  // of the completion in progress, for the generator

std::vector<std::string> Strings(sqlite3* db, const char* sql, const std::string* bind = nullptr) {
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    if (bind) sqlite3_bind_text(stmt, 1, bind->c_str(), -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (const unsigned char* text = sqlite3_column_text(stmt, 0)) {
        out.emplace_back(reinterpret_cast<const char*>(text));
      }
    }
  }
  sqlite3_finalize(stmt);
  return out;
}

// libedit calls this with state 0, 1, 2... and frees what it returns.
char* NextMatch(const char*, int state) {
  const size_t i = static_cast<size_t>(state);
  return i < g_matches.size() ? strdup(g_matches[i].c_str()) : nullptr;
}

char** Complete(const char* text, int start, int) {
  const std::string_view line(rl_line_buffer != nullptr ? rl_line_buffer : "");
  const std::string_view before = line.substr(0, std::min(line.size(), static_cast<size_t>(start)));
  if (CompletesFileName(before)) return nullptr;  // libedit falls back to file names
  rl_attempted_completion_over = 1;
  g_matches = g_complete ? g_complete(before, text) : std::vector<std::string>();
  if (g_matches.empty()) return nullptr;
  return rl_completion_matches(text, NextMatch);
}

}  // namespace

CompletionVocabulary ReadCompletionVocabulary(sqlite3* db) {
  CompletionVocabulary v;
  for (const auto& t : spec::kTables) v.tables.emplace_back(t.name);
  for (std::string& name : Strings(db,
                                   "SELECT DISTINCT name FROM pragma_table_list "
                                   "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")) {
    v.tables.push_back(std::move(name));
  }
  for (const std::string& table : v.tables) {
    v.columns[table] = Strings(db, "SELECT name FROM pragma_table_xinfo(?1)", &table);
  }
  for (int i = 0, n = sqlite3_keyword_count(); i < n; ++i) {
    const char* name = nullptr;
    int size = 0;
    if (sqlite3_keyword_name(i, &name, &size) == SQLITE_OK) v.keywords.emplace_back(name, size);
  }
  v.functions = Strings(db, "SELECT DISTINCT name FROM pragma_function_list");
  v.dot_commands.assign(std::begin(kDotCommands), std::end(kDotCommands));
  return v;
}

void InstallCompletion(Completer complete) {
  g_complete = std::move(complete);
  rl_attempted_completion_function = Complete;
  rl_basic_word_break_characters = kWordBreaks;
}

void RemoveCompletion() {
  rl_attempted_completion_function = nullptr;
  g_complete = nullptr;
  g_matches.clear();
}

}  // namespace procaudit
