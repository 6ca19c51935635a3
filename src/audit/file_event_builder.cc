#include "audit/file_event_builder.h"

#include <algorithm>

#include "audit/syscall_record.h"
#include "proc/text_fields.h"

namespace procaudit::audit {
namespace {

std::optional<PathItem::Type> ParseNameType(std::string_view v) {
  if (v == "NORMAL") return PathItem::Type::kNormal;
  if (v == "PARENT") return PathItem::Type::kParent;
  if (v == "CREATE") return PathItem::Type::kCreate;
  if (v == "DELETE") return PathItem::Type::kDelete;
  if (v == "UNKNOWN") return PathItem::Type::kUnknown;
  return std::nullopt;
}

// Returns false when the record has no item number.
bool ParsePathItem(std::string_view body, PathItem& item) {
  bool have_index = false;
  FieldIterator it(body);
  std::string_view name, raw;
  while (it.Next(name, raw)) {
    if (name == "name") {
      item.name = DecodeUntrusted(raw);  // quoted, hex (spaces, newlines, non-ASCII) or (null)
      continue;
    }
    const std::string_view v = Bare(raw);
    if (name == "item") {
      have_index = ParseInt(v, item.index) && item.index >= 0;
    } else if (name == "inode") {
      if (!ParseInt(v, item.inode.emplace())) item.inode.reset();
    } else if (name == "dev") {
      item.dev = std::string(v);
    } else if (name == "mode") {
      if (!ParseInt(v, item.mode.emplace(), 8)) item.mode.reset();
    } else if (name == "ouid") {
      if (!ParseInt(v, item.ouid.emplace())) item.ouid.reset();
    } else if (name == "ogid") {
      if (!ParseInt(v, item.ogid.emplace())) item.ogid.reset();
    } else if (name == "nametype") {
      // Unknown names (a future kernel's) read as UNKNOWN: an object, never a parent.
      item.type = ParseNameType(v).value_or(PathItem::Type::kUnknown);
    }
  }
  return have_index;
}

// OPENAT2: "oflag=0101 mode=0644 resolve=0x8", octal as the kernel prints them.
void ParseOpenat2(std::string_view body, FileEvent& ev) {
  FieldIterator it(body);
  std::string_view name, raw;
  while (it.Next(name, raw)) {
    const std::string_view v = Bare(raw);
    if (name == "oflag") {
      if (!ParseInt(v, ev.openat2_flags.emplace(), 8)) ev.openat2_flags.reset();
    } else if (name == "mode") {
      if (!ParseInt(v, ev.openat2_mode.emplace(), 8)) ev.openat2_mode.reset();
    }
  }
}

}  // namespace

bool CompleteFileEvent(std::span<const RecordHeader> headers, FileEvent& ev, std::string* error) {
  ev.cwd.reset();
  ev.items.clear();
  for (const RecordHeader& h : headers) {
    if (h.type == "PATH") {
      PathItem& item = ev.items.emplace_back();
      if (!ParsePathItem(h.body, item)) {
        *error = "PATH record without an item number";
        return false;
      }
    } else if (h.type == "CWD") {
      FieldIterator it(h.body);
      std::string_view name, raw;
      while (it.Next(name, raw)) {
        if (name == "cwd") ev.cwd = DecodeUntrusted(raw);
      }
    } else if (h.type == "OPENAT2") {
      ParseOpenat2(h.body, ev);
    }
  }
  // Records of one event are logged in order, but a log may have been reordered (or merged):
  // the item numbers, not the line order, say which name is which.
  std::sort(ev.items.begin(), ev.items.end(),
            [](const PathItem& a, const PathItem& b) { return a.index < b.index; });
  for (size_t i = 0; i < ev.items.size(); ++i) {
    const int32_t index = ev.items[i].index;
    if (index == static_cast<int32_t>(i)) continue;
    *error = index < static_cast<int32_t>(i)
                 ? "PATH item " + std::to_string(index) + " twice"
                 : "PATH item " + std::to_string(i) + " missing";
    return false;
  }
  if (ev.items_announced >= 0 && static_cast<int64_t>(ev.items.size()) > ev.items_announced) {
    *error = "PATH item " + std::to_string(ev.items.size() - 1) + " beyond items=" +
             std::to_string(ev.items_announced);
    return false;
  }
  return true;
}

}  // namespace procaudit::audit
