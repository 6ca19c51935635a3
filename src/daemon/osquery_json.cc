#include "daemon/osquery_json.h"

#include <algorithm>
#include <set>

namespace procaudit::daemon {
namespace {

std::string_view TrimLine(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// nlohmann's messages quote what they last read, which may be any bytes of the file: keep the
// error line printable.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += (b >= 0x20 && b < 0x7F) ? c : '?';
  }
  return out;
}

// The line of the original text where byte `offset` of the stripped text lies.
size_t OriginalLine(const StrippedConfig& stripped, size_t offset) {
  offset = std::min(offset, stripped.text.size());
  const auto newlines = std::count(
      stripped.text.begin(), stripped.text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
  const auto line = static_cast<size_t>(newlines);
  if (stripped.original_line.empty()) return 1;
  return stripped.original_line[std::min(line, stripped.original_line.size() - 1)];
}

// How deep arrays and objects nest, and where the limit is first passed (outside strings).
std::optional<size_t> FirstTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxConfigDepth) return i;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::nullopt;
}

// Follows the parse to name where a key appears twice: one frame per open object or array.
class DuplicateKeyFinder {
 public:
  bool operator()(int /*depth*/, nlohmann::ordered_json::parse_event_t event,
                  nlohmann::ordered_json& parsed) {
    using Event = nlohmann::ordered_json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        CountArrayElement();
        frames_.push_back(Frame{event == Event::object_start, {}, {}, 0});
        break;
      case Event::object_end:
      case Event::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case Event::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& top = frames_.back();
          top.key = parsed.get<std::string>();
          if (!top.keys.insert(top.key).second && !duplicate_) duplicate_ = Path();
        }
        break;
      case Event::value: CountArrayElement(); break;
    }
    return true;  // keep everything: the document is only used when no key was duplicated
  }

  // "packs.ir.queries.crontab" for the first key seen twice.
  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;
    std::string key;   // objects: the key being read
    size_t index = 0;  // arrays: elements so far
  };

  void CountArrayElement() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  std::string Path() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.is_object) {
        if (!path.empty()) path += '.';
        path += f.key;
      } else {
        path += "[" + std::to_string(f.index == 0 ? 0 : f.index - 1) + "]";
      }
    }
    return path;
  }

  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
};

}  // namespace

StrippedConfig StripConfigComments(std::string_view text) {
  StrippedConfig out;
  size_t line_number = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t first_line = line_number;
    // One logical line: physical lines joined where one ends in a backslash.
    std::string logical;
    while (true) {
      const size_t nl = text.find('\n', pos);
      std::string_view physical =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      if (nl != std::string_view::npos) ++line_number;
      // osquery removes "\\\n"; a CRLF file's "\\\r\n" is the same continuation.
      std::string_view joined = physical;
      if (joined.ends_with('\r')) joined.remove_suffix(1);
      const bool continues = nl != std::string_view::npos && joined.ends_with('\\');
      if (continues) {
        joined.remove_suffix(1);
        logical.append(joined);
        continue;
      }
      logical.append(physical);
      break;
    }
    const std::string_view line = TrimLine(logical);
    if (line.starts_with('#') || line.starts_with("//")) continue;
    out.text.append(line);
    out.text += '\n';
    out.original_line.push_back(first_line);
  }
  return out;
}

std::optional<nlohmann::ordered_json> ParseOsqueryJson(std::string_view text, std::string& error) {
  const StrippedConfig stripped = StripConfigComments(text);
  if (stripped.text.size() > kMaxConfigBytes) {
    error = "larger than 1 MiB without its comments (osquery's limit for a config)";
    return std::nullopt;
  }
  if (const auto at = FirstTooDeep(stripped.text)) {
    error = "line " + std::to_string(OriginalLine(stripped, *at)) + ": nested deeper than " +
            std::to_string(kMaxConfigDepth) + " levels (osquery's limit)";
    return std::nullopt;
  }
  DuplicateKeyFinder finder;
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(stripped.text, std::ref(finder));
  } catch (const nlohmann::ordered_json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ...":
    // nlohmann's position counts the stripped text, so keep only the reason and give the
    // original line.
    const size_t column = what.find(", column ");
    const size_t reason = column == std::string::npos ? column : what.find(": ", column);
    if (reason != std::string::npos) what = what.substr(reason + 2);
    error = "line " + std::to_string(OriginalLine(stripped, e.byte == 0 ? 0 : e.byte - 1)) +
            ": invalid JSON: " + Printable(what);
    return std::nullopt;
  } catch (const nlohmann::ordered_json::exception& e) {
    error = std::string("invalid JSON: ") + Printable(e.what());
    return std::nullopt;
  }
  if (finder.duplicate()) {
    error = *finder.duplicate() + ": given twice in one object (osquery would keep only one)";
    return std::nullopt;
  }
  return doc;
}

}  // namespace procaudit::daemon
