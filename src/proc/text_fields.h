// Small tokenizing helpers shared by the /proc parsers. Never allocate.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace procaudit {

inline std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Parses the whole of s as a decimal integer (base 8 or 16 when asked).
template <class T>
bool ParseInt(std::string_view s, T& out, int base = 10) {
  static_assert(std::is_integral_v<T>);
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out, base);
  return ec == std::errc() && p == end;
}

// Iterates over space-separated fields.
class FieldCursor {
 public:
  explicit FieldCursor(std::string_view s) : rest_(s) {}
  std::string_view Next() {
    const size_t b = rest_.find_first_not_of(" \t\n");
    if (b == std::string_view::npos) {
      rest_ = {};
      return {};
    }
    rest_.remove_prefix(b);
    const size_t e = rest_.find_first_of(" \t\n");
    std::string_view field = rest_.substr(0, e);
    rest_.remove_prefix(e == std::string_view::npos ? rest_.size() : e);
    return field;
  }
  template <class T>
  bool NextInt(T& out, int base = 10) {
    return ParseInt(Next(), out, base);
  }
  bool Skip(int n) {
    for (int i = 0; i < n; ++i) {
      if (Next().empty()) return false;
    }
    return true;
  }
  std::string_view Rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Iterates over '\n'-separated lines: for (std::string_view line : Lines(text)).
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  class Iterator {
   public:
    explicit Iterator(std::string_view rest) : rest_(rest) { Advance(); }
    std::string_view operator*() const { return line_; }
    Iterator& operator++() {
      Advance();
      return *this;
    }
    bool operator!=(const Iterator& o) const { return done_ != o.done_; }
    static Iterator End() { return Iterator(); }

   private:
    Iterator() : done_(true) {}
    void Advance() {
      if (rest_.empty()) {
        done_ = true;
        return;
      }
      const size_t nl = rest_.find('\n');
      line_ = rest_.substr(0, nl);
      rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    }
    std::string_view rest_;
    std::string_view line_;
    bool done_ = false;
  };
  Iterator begin() const { return Iterator(text_); }
  Iterator end() const { return Iterator::End(); }

 private:
  std::string_view text_;
};

// "net:[4026531840]", "socket:[12345]", "pipe:[7]" -> the number in brackets.
inline bool ParseBracketInode(std::string_view link, std::string_view prefix, uint64_t& out) {
  if (!link.starts_with(prefix) || link.size() < prefix.size() + 3) return false;
  std::string_view rest = link.substr(prefix.size());
  if (rest.front() != '[' || rest.back() != ']') return false;
  return ParseInt(rest.substr(1, rest.size() - 2), out);
}

}  // namespace procaudit
