#include "util/string_pool.h"

#include <algorithm>
#include <cstring>

namespace procaudit {
namespace {
constexpr size_t kBlockSize = 256 * 1024;
}

StringPool::StringPool() { views_[0] = std::make_unique<std::string_view[]>(BlockViews(0)); }

std::string_view StringPool::Store(std::string_view s) {
  if (s.empty()) return std::string_view("", 0);
  if (s.size() > block_left_) {
    const size_t size = std::max(kBlockSize, s.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    block_next_ = blocks_.back().get();
    block_left_ = size;
    bytes_ += size;
  }
  std::memcpy(block_next_, s.data(), s.size());
  std::string_view stored(block_next_, s.size());
  block_next_ += s.size();
  block_left_ -= s.size();
  return stored;
}

StringPool::Id StringPool::Intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  const std::string_view stored = Store(s);
  const Id id = next_id_++;
  const Slot slot = Locate(id);
  if (slot.offset == 0) {
    views_[slot.block] = std::make_unique<std::string_view[]>(BlockViews(slot.block));
  }
  views_[slot.block][slot.offset] = stored;
  ids_.emplace(stored, id);
  return id;
}

}  // namespace procaudit
