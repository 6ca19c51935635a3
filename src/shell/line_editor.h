// The glue between libedit's readline layer and the shell's tab completion
// (shell/completion.h), and the names a session completes.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "shell/completion.h"

namespace procaudit {

// The tables (procaudit's and the session's), their columns, SQLite's keywords and functions, and
// the shell's dot commands, read from db.
CompletionVocabulary ReadCompletionVocabulary(sqlite3* db);

// Gives libedit's Tab the candidates complete(before, word) returns (the line before the word,
// the word up to the cursor); a file name argument (CompletesFileName) completes from the file
// system. One completer at a time; call RemoveCompletion before complete's captures go.
// REQUIRES: the thread that calls readline().
using Completer = std::function<std::vector<std::string>(std::string_view, std::string_view)>;
void InstallCompletion(Completer complete);
void RemoveCompletion();

}  // namespace procaudit
