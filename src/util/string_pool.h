// Interned strings: every distinct value stored once, referred to by a 32-bit id.
// Audit events repeat the same paths, working directories and command lines millions of
// times; interning is what keeps a million events in a few hundred bytes each.
//
// Thread rules: one writer (Intern) at a time, guarded by the owner's lock. Views returned by
// Get stay valid for the pool's lifetime: storage is append-only blocks that never move.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace procaudit {

class StringPool {
 public:
  using Id = uint32_t;
  static constexpr Id kNull = 0;  // the absent value, distinct from ""

  StringPool();
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;

  Id Intern(std::string_view s);
  // REQUIRES: id came from this pool and is not kNull.
  std::string_view Get(Id id) const { return views_[id]; }
  size_t size() const { return views_.size() - 1; }
  size_t bytes() const { return bytes_; }

 private:
  std::string_view Store(std::string_view s);

  std::unordered_map<std::string_view, Id> ids_;
  std::vector<std::string_view> views_;  // views_[0] is the kNull placeholder
  std::deque<std::unique_ptr<char[]>> blocks_;
  size_t block_left_ = 0;
  char* block_next_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace procaudit
