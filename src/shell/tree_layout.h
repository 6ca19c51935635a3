// The shape of a process tree drawn from result rows, as pstree draws it: which row hangs under
// which, in what order, and the connectors before each. Pure: keys in, lines out.
//
// Every row is a node, once, even when a pid appears in several rows (history tables: a pid
// reused, a process that exec'd twice). A row hangs under the nearest earlier row (in the order
// the rows came) whose pid is the row's parent; when no earlier row has that pid, under the first
// later one (a snapshot sorted by pid lists a child whose pid wrapped around before its parent).
// A row is a root when its parent is NULL, 0, or not the pid of any other row. Children are drawn
// in the order their rows came, roots too.
//
// Parents that loop (a pid that is its own ppid, or rows that name each other) cannot hang: the
// loop is cut at its earliest row, which becomes a root, so every row is still drawn once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace procaudit {

// What a row contributes to the shape: its pid and its parent's pid (NULL: nullopt).
struct TreeKey {
  std::optional<int64_t> pid;
  std::optional<int64_t> parent;
};

// The connectors: UTF-8 box drawing, or ASCII when the locale does not say UTF-8 (pstree -A).
enum class TreeGlyphs { kUtf8, kAscii };

// One drawn line: the row it shows, how deep it hangs, and whether it is its parent's last child.
struct TreeLine {
  size_t row = 0;
  size_t depth = 0;   // 0 for a root
  bool last = false;  // the last of its parent's children (roots: false)
};

// The parent row of each row (nullopt for a root), by the rule above, loops cut.
std::vector<std::optional<size_t>> TreeParents(const std::vector<TreeKey>& rows);

// Every row exactly once, in drawing order: each root, then its subtree depth first.
std::vector<TreeLine> LayoutTree(const std::vector<TreeKey>& rows);

// The connectors before each line's label ("|-", "| `-"...), given the lines of LayoutTree one
// after another in their order: two columns per level of depth. Built line by line, so a deep
// tree costs memory for one prefix, not for all.
class TreePrefix {
 public:
  explicit TreePrefix(TreeGlyphs glyphs) : glyphs_(glyphs) {}
  // REQUIRES: line follows the line given to the previous call in LayoutTree's order.
  const std::string& Next(const TreeLine& line);

 private:
  TreeGlyphs glyphs_;
  std::vector<bool> open_;  // per level: whether siblings still follow there (draws a '|')
  std::string prefix_;
};

// UTF-8 when the first of LC_ALL, LC_CTYPE, LANG that is set and not empty names the UTF-8
// codeset (as setlocale would pick it); ASCII otherwise. Arguments may be null.
TreeGlyphs GlyphsForLocale(const char* lc_all, const char* lc_ctype, const char* lang);

}  // namespace procaudit
