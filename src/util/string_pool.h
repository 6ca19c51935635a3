// Interned strings: every distinct value stored once, referred to by a 32-bit id.
// Audit events repeat the same paths, working directories and command lines millions of
// times; interning is what keeps a million events in a few hundred bytes each.
//
// Thread rules: one writer calls Intern, size and bytes. Any thread may call Get(id) while the
// writer interns, for an id whose Intern happens-before the Get (the event ring publishes rows,
// and so the ids in them, under its lock). Nothing Get reads ever moves or changes: characters
// live in append-only blocks, and the id -> view table is a fixed directory of blocks, block k
// twice the size of block k-1 (it grows like a vector, but never copies), so Get takes no lock.
#pragma once

#include <bit>
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace procaudit {

class StringPool {
 public:
  using Id = uint32_t;
  static constexpr Id kNull = 0;  // the absent value, distinct from ""

  StringPool();
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;

  Id Intern(std::string_view s);
  // REQUIRES: id came from this pool, is not kNull, and its Intern happens-before this call.
  std::string_view Get(Id id) const {
    const Slot slot = Locate(id);
    return views_[slot.block][slot.offset];
  }
  size_t size() const { return next_id_ - 1; }
  size_t bytes() const { return bytes_; }

 private:
  // Block 0 holds ids [0, 2^kFirstBlockBits); block k >= 1 holds [2^(b+k-1), 2^(b+k)).
  static constexpr int kFirstBlockBits = 10;
  static constexpr int kViewBlocks = 32 - kFirstBlockBits + 1;
  struct Slot {
    unsigned block;
    Id offset;
  };
  static Slot Locate(Id id) {
    const auto block = static_cast<unsigned>(std::bit_width(id >> kFirstBlockBits));
    return {block, block == 0 ? id : id - (Id{1} << (kFirstBlockBits + block - 1))};
  }
  static size_t BlockViews(unsigned block) {
    return size_t{1} << (block == 0 ? kFirstBlockBits : kFirstBlockBits + block - 1);
  }
  std::string_view Store(std::string_view s);

  std::unordered_map<std::string_view, Id> ids_;
  // views_[0][0] is the kNull placeholder. The writer only ever fills a block slot past the
  // last id it handed out, or allocates the next block: readers' slots never change.
  std::unique_ptr<std::string_view[]> views_[kViewBlocks];
  Id next_id_ = 1;  // 2^32 ids would take 64 GB of views: it never wraps
  std::deque<std::unique_ptr<char[]>> blocks_;
  size_t block_left_ = 0;
  char* block_next_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace procaudit
