#include "shell/tree_output.h"

#include <strings.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace procaudit {
namespace {

std::optional<size_t> FindColumn(const std::vector<std::string>& columns, const char* name) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (strcasecmp(columns[i].c_str(), name) == 0) return i;
  }
  return std::nullopt;
}

// A pid as the tree compares it: an integer, or a real or text that holds one exactly.
std::optional<int64_t> PidOf(const Value& v) {
  switch (v.type) {
    case Value::kInteger: return v.integer;
    case Value::kReal:
      if (std::trunc(v.real) == v.real && std::fabs(v.real) < 9.0e18) {
        return static_cast<int64_t>(v.real);
      }
      return std::nullopt;
    case Value::kText: {
      int64_t n = 0;
      const char* end = v.text.data() + v.text.size();
      const auto [ptr, ec] = std::from_chars(v.text.data(), end, n);
      if (ec == std::errc() && ptr == end && !v.text.empty()) return n;
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

void Write(std::FILE* out, std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); }

class TreePrinter : public Printer {
 public:
  TreePrinter(bool headers, std::FILE* out, TreeGlyphs glyphs)
      : headers_(headers), out_(out), glyphs_(glyphs) {}

  void Begin(const std::vector<std::string>& columns) override {
    std::string error;
    tree_ = FindTreeColumns(columns, error);
    header_.clear();
    if (!tree_) return;
    header_.push_back(columns[tree_->pid]);
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i != tree_->pid && i != tree_->parent) header_.push_back(columns[i]);
    }
  }

  void Row(const std::vector<Value>& values) override {
    if (!tree_) return;
    keys_.push_back({PidOf(values[tree_->pid]), PidOf(values[tree_->parent])});
    std::vector<std::string> cells;
    cells.reserve(header_.size());
    cells.push_back(TableCell(values[tree_->pid]));
    for (size_t i = 0; i < values.size(); ++i) {
      if (i != tree_->pid && i != tree_->parent) cells.push_back(TableCell(values[i]));
    }
    cells_.push_back(std::move(cells));
  }

  void EndRound() override { Draw(); }
  void End() override { Draw(); }

 private:
  void Draw() {
    if (keys_.empty()) return;
    const std::vector<TreeLine> lines = LayoutTree(keys_);
    // The label column holds connectors (two columns a level) and the pid; every column is as
    // wide as its widest cell.
    std::vector<size_t> width(header_.size(), 0);
    if (headers_) {
      for (size_t i = 0; i < header_.size(); ++i) width[i] = DisplayWidth(header_[i]);
    }
    for (const TreeLine& line : lines) {
      const auto& cells = cells_[line.row];
      width[0] = std::max(width[0], 2 * line.depth + DisplayWidth(cells[0]));
      for (size_t i = 1; i < cells.size(); ++i) {
        width[i] = std::max(width[i], DisplayWidth(cells[i]));
      }
    }
    if (headers_) WriteLine("", header_, width);
    TreePrefix prefix(glyphs_);
    for (const TreeLine& line : lines) WriteLine(prefix.Next(line), cells_[line.row], width);
    keys_.clear();
    cells_.clear();
  }

  void WriteLine(std::string_view prefix, const std::vector<std::string>& cells,
                 const std::vector<size_t>& width) {
    line_.assign(prefix);
    line_ += cells[0];
    size_t used = DisplayWidth(line_);
    for (size_t i = 1; i < cells.size(); ++i) {
      line_.append(width[i - 1] - used + 2, ' ');
      line_ += cells[i];
      used = DisplayWidth(cells[i]);
    }
    line_.erase(line_.find_last_not_of(' ') + 1);  // NULLs at the end leave no trailing blanks
    line_ += '\n';
    Write(out_, line_);
  }

  const bool headers_;
  std::FILE* const out_;
  const TreeGlyphs glyphs_;
  std::optional<TreeColumns> tree_;
  std::vector<std::string> header_;  // the pid's name, then the columns shown beside it
  std::vector<TreeKey> keys_;
  std::vector<std::vector<std::string>> cells_;  // per row, in header_'s order
  std::string line_;                             // the line being written
};

}  // namespace

std::optional<TreeColumns> FindTreeColumns(const std::vector<std::string>& columns,
                                           std::string& error) {
  const std::optional<size_t> pid = FindColumn(columns, "pid");
  std::optional<size_t> parent = FindColumn(columns, "ppid");
  if (!parent) parent = FindColumn(columns, "parent");
  if (pid && parent) return TreeColumns{*pid, *parent};
  const char* missing = !pid && !parent ? "neither"
                        : !pid          ? "no pid column"
                                        : "no ppid or parent column";
  error =
      std::string("tree mode needs a pid column and a ppid (or parent) column; the result has ") +
      missing;
  return std::nullopt;
}

std::unique_ptr<Printer> MakeTreePrinter(bool headers, std::FILE* out, TreeGlyphs glyphs) {
  return std::make_unique<TreePrinter>(headers, out, glyphs);
}

}  // namespace procaudit
