// The text of an osquery config or pack file to a JSON document, read the way osquery reads it
// (osquery/config/config.cpp, stripConfigComments): a backslash at the end of a line joins the
// next line to it, inside strings too (osx-attacks.conf writes long queries that way); every
// line is trimmed; lines that start with '#' or '//' are comments. What is left must be plain
// JSON.
//
// Stricter than osquery where osquery would silently load something else than was written: a
// key given twice in one object is an error (osquery keeps one of them), and so is nesting deeper
// than osquery's 32 levels or a file over its 1 MiB.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit::daemon {

inline constexpr size_t kMaxConfigBytes = 1024 * 1024;  // osquery's kMaxConfigSize
inline constexpr int kMaxConfigDepth = 32;              // osquery's kMaxConfigDepth

struct StrippedConfig {
  std::string text;
  // The line of the original text each line of `text` starts on (1-based), so that an error
  // names the line the user sees.
  std::vector<size_t> original_line;
};
StrippedConfig StripConfigComments(std::string_view text);

// The document (in file order), or nullopt with error set to one line without the file name:
// "line 12: invalid JSON: syntax error while parsing object - unexpected '}'; expected string
// literal", "queries.crontab: key \"interval\" appears twice", ...
std::optional<nlohmann::ordered_json> ParseOsqueryJson(std::string_view text, std::string& error);

}  // namespace procaudit::daemon
