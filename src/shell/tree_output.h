// The tree output mode (.mode tree, --tree): rows that carry a pid and their parent's pid drawn
// as an indented process tree, like pstree, the other selected columns beside each node. The
// shape follows the rules of shell/tree_layout.h.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shell/output.h"
#include "shell/tree_layout.h"

namespace procaudit {

// Where a result's tree keys are: the column named pid, and the one named ppid, else parent (the
// first of each, names compared ignoring case).
struct TreeColumns {
  size_t pid = 0;
  size_t parent = 0;
};

// The tree columns of a result; nullopt when one is missing, with error set to one line that
// names what is missing.
std::optional<TreeColumns> FindTreeColumns(const std::vector<std::string>& columns,
                                           std::string& error);

// A printer that holds every row of a statement (the shape needs them all) and draws them at
// End(), or at each EndRound() under --follow. Each line: the connectors and the pid, then the
// other columns but the parent's, aligned, two spaces apart. headers: a first line naming them.
// A result without the tree columns prints nothing (callers check FindTreeColumns first).
std::unique_ptr<Printer> MakeTreePrinter(bool headers, std::FILE* out, TreeGlyphs glyphs);

}  // namespace procaudit
