#include "shell/completion.h"

#include <algorithm>
#include <cctype>

namespace procaudit {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool StartsWithIgnoringCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualIgnoringCase(s.substr(0, prefix.size()), prefix);
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

void AddMatching(const std::vector<std::string>& names, std::string_view prefix,
                 std::vector<std::string>& out) {
  for (const std::string& name : names) {
    if (StartsWithIgnoringCase(name, prefix)) out.push_back(name);
  }
}

// The argument of a dot command: `command` is the command's word.
std::vector<std::string> DotArgument(std::string_view command, std::string_view word,
                                     const CompletionVocabulary& v) {
  std::vector<std::string> out;
  if (command == ".schema" || command == ".tables") {
    AddMatching(v.tables, word, out);
  } else if (command == ".mode") {
    AddMatching({"csv", "json", "line", "list", "table", "tree"}, word, out);
  } else if (command == ".headers" || command == ".timer") {
    AddMatching({"off", "on"}, word, out);
  }
  return out;
}

// "qualifier.prefix": the columns of the table named qualifier, or of every table (an alias).
std::vector<std::string> QualifiedColumns(std::string_view word, const CompletionVocabulary& v) {
  const size_t dot = word.rfind('.');
  const std::string qualifier(word.substr(0, dot + 1));
  const std::string_view prefix = word.substr(dot + 1);
  std::vector<std::string> out;
  bool known = false;
  for (const auto& [table, columns] : v.columns) {
    if (!EqualIgnoringCase(table, word.substr(0, dot))) continue;
    known = true;
    for (const std::string& c : columns) {
      if (StartsWithIgnoringCase(c, prefix)) out.push_back(qualifier + c);
    }
  }
  if (known) return out;
  for (const auto& [table, columns] : v.columns) {
    for (const std::string& c : columns) {
      if (StartsWithIgnoringCase(c, prefix)) out.push_back(qualifier + c);
    }
  }
  return out;
}

bool TableComesNext(std::string_view before) {
  const auto words = Words(before);
  if (words.empty() || !IsSpace(before.back())) return false;
  for (const char* keyword : {"FROM", "JOIN", "INTO", "UPDATE", "TABLE"}) {
    if (EqualIgnoringCase(words.back(), keyword)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> CompletionCandidates(std::string_view before, std::string_view word,
                                              const CompletionVocabulary& v) {
  std::vector<std::string> out;
  const auto words = Words(before);
  if (words.empty() && !word.empty() && word.front() == '.') {
    AddMatching(v.dot_commands, word, out);
  } else if (!words.empty() && words.front().front() == '.') {
    // Only a command's first argument completes.
    if (words.size() == 1 && IsSpace(before.back())) out = DotArgument(words.front(), word, v);
  } else if (word.find('.') != std::string_view::npos) {
    out = QualifiedColumns(word, v);
  } else if (TableComesNext(before)) {
    AddMatching(v.tables, word, out);
  } else {
    AddMatching(v.tables, word, out);
    for (const auto& [table, columns] : v.columns) AddMatching(columns, word, out);
    AddMatching(v.functions, word, out);
    const bool lower = !word.empty() && std::islower(static_cast<unsigned char>(word.front()));
    for (const std::string& k : v.keywords) {
      if (!StartsWithIgnoringCase(k, word)) continue;
      std::string keyword = k;
      for (char& c : keyword) {
        c = lower ? Lower(c) : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      out.push_back(std::move(keyword));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool CompletesFileName(std::string_view before) {
  const auto words = Words(before);
  return words.size() == 1 && IsSpace(before.back()) &&
         (words[0] == ".read" || words[0] == ".output" || words[0] == ".once");
}

}  // namespace procaudit
