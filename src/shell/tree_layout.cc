#include "shell/tree_layout.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

namespace procaudit {
namespace {

struct Connectors {
  std::string_view branch, last, through, blank;
};

Connectors ConnectorsFor(TreeGlyphs glyphs) {
  if (glyphs == TreeGlyphs::kAscii) return {"|-", "`-", "| ", "  "};
  return {"\u251c\u2500", "\u2514\u2500", "\u2502 ", "  "};
}

// The row of parent pid p that row i hangs under: the nearest earlier, else the first later.
// rows_of_pid holds the rows of p in increasing order.
std::optional<size_t> PickParent(const std::vector<size_t>& rows_of_pid, size_t i) {
  auto it = std::lower_bound(rows_of_pid.begin(), rows_of_pid.end(), i);
  if (it != rows_of_pid.begin()) return *std::prev(it);
  if (it != rows_of_pid.end() && *it == i) ++it;  // never its own parent
  if (it != rows_of_pid.end()) return *it;
  return std::nullopt;
}

// Cuts every loop of parent links at its earliest row, which becomes a root.
void CutLoops(std::vector<std::optional<size_t>>& parent) {
  enum State : unsigned char { kUnseen, kOnPath, kDone };
  std::vector<State> state(parent.size(), kUnseen);
  std::vector<size_t> path;
  for (size_t start = 0; start < parent.size(); ++start) {
    path.clear();
    std::optional<size_t> node = start;
    while (node && state[*node] == kUnseen) {
      state[*node] = kOnPath;
      path.push_back(*node);
      node = parent[*node];
    }
    if (node && state[*node] == kOnPath) {  // the walk came back to itself: a loop
      const auto loop_begin = std::find(path.begin(), path.end(), *node);
      parent[*std::min_element(loop_begin, path.end())] = std::nullopt;
    }
    for (size_t n : path) state[n] = kDone;
  }
}

}  // namespace

std::vector<std::optional<size_t>> TreeParents(const std::vector<TreeKey>& rows) {
  std::unordered_map<int64_t, std::vector<size_t>> rows_of_pid;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].pid) rows_of_pid[*rows[i].pid].push_back(i);  // in increasing order
  }
  std::vector<std::optional<size_t>> parent(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::optional<int64_t> p = rows[i].parent;
    if (!p || *p == 0) continue;
    if (auto it = rows_of_pid.find(*p); it != rows_of_pid.end()) {
      parent[i] = PickParent(it->second, i);
    }
  }
  CutLoops(parent);
  return parent;
}

std::vector<TreeLine> LayoutTree(const std::vector<TreeKey>& rows) {
  const std::vector<std::optional<size_t>> parent = TreeParents(rows);
  std::vector<std::vector<size_t>> children(rows.size());
  std::vector<size_t> roots;
  for (size_t i = 0; i < rows.size(); ++i) {
    (parent[i] ? children[*parent[i]] : roots).push_back(i);
  }
  // Depth first without recursion: a hand-made chain may be deeper than the stack.
  std::vector<TreeLine> stack;
  for (auto r = roots.rbegin(); r != roots.rend(); ++r) stack.push_back({*r, 0, false});
  std::vector<TreeLine> lines;
  lines.reserve(rows.size());
  while (!stack.empty()) {
    const TreeLine line = stack.back();
    stack.pop_back();
    const std::vector<size_t>& kids = children[line.row];
    for (size_t k = kids.size(); k-- > 0;) {
      stack.push_back({kids[k], line.depth + 1, k + 1 == kids.size()});
    }
    lines.push_back(line);
  }
  return lines;
}

const std::string& TreePrefix::Next(const TreeLine& line) {
  const Connectors c = ConnectorsFor(glyphs_);
  // Levels above this line were set by its ancestors' lines, the latest of each depth.
  open_.resize(std::max(open_.size(), line.depth + 1));
  if (line.depth > 0) open_[line.depth] = !line.last;
  prefix_.clear();
  for (size_t level = 1; level < line.depth; ++level) {
    prefix_ += open_[level] ? c.through : c.blank;
  }
  if (line.depth > 0) prefix_ += line.last ? c.last : c.branch;
  return prefix_;
}

TreeGlyphs GlyphsForLocale(const char* lc_all, const char* lc_ctype, const char* lang) {
  const char* locale = nullptr;
  for (const char* v : {lc_all, lc_ctype, lang}) {
    if (v != nullptr && *v != '\0') {
      locale = v;
      break;
    }
  }
  if (locale == nullptr) return TreeGlyphs::kAscii;  // the C locale
  // The codeset follows the '.', up to an '@' modifier: "en_US.UTF-8", "C.utf8", "de_DE.utf8@euro".
  std::string_view name(locale);
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return TreeGlyphs::kAscii;
  std::string codeset;
  for (char ch : name.substr(dot + 1, name.find('@', dot) - dot - 1)) {
    if (ch != '-') codeset += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return codeset == "utf8" ? TreeGlyphs::kUtf8 : TreeGlyphs::kAscii;
}

}  // namespace procaudit
