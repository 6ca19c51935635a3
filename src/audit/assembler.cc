#include "audit/assembler.h"

#include <auparse.h>
#include <libaudit.h>

#include <algorithm>

#include "audit/record_parser.h"

namespace procaudit::audit {
namespace {

// The kernel's longest record is 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH); auditd's enriched
// form adds to that. A "line" far longer is garbage, not a record.
constexpr size_t kMaxLine = 64 * 1024;

// A printable excerpt of a bad line for the warning.
std::string Excerpt(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 60)) {
    out.push_back(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f ? c : '?');
  }
  if (line.size() > 60) out += "...";
  return out;
}

// The record types of process and file events: known without asking libaudit.
bool IsCommonType(std::string_view t) {
  return t == "SYSCALL" || t == "EXECVE" || t == "PATH" || t == "CWD" || t == "PROCTITLE" ||
         t == "EOE" || t == "BPRM_FCAPS";
}

}  // namespace

Assembler::Assembler(ProcessTracker& tracker, PipelineStats& stats, std::vector<std::string> names,
                     FileTracker* files)
    : stats_(stats), names_(std::move(names)), worker_(tracker, stats, files) {
  au_ = auparse_init(AUSOURCE_FEED, nullptr);
  if (!au_) throw std::runtime_error("libauparse could not start a feed");
  auparse_add_callback(
      au_,
      [](auparse_state_t* au, auparse_cb_event_t type, void* self) {
        OnEvent(au, static_cast<int>(type), self);
      },
      this, nullptr);
}

Assembler::~Assembler() {
  if (au_) auparse_destroy(au_);
}

std::string Assembler::Where() const {
  const std::string& name = source_ < names_.size() ? names_[source_] : names_.back();
  return name + " line " + std::to_string(line_no_);
}

void Assembler::Consume(const Chunk& chunk) {
  if (chunk.source != source_) {
    source_ = chunk.source;
    line_no_ = 0;
    partial_.clear();
    skipping_ = false;
  }
  // Accepted lines are fed to libauparse straight from the chunk, in runs: [run, pos) is a run
  // of whole accepted lines not fed yet. Only a line split across chunks or one that needs
  // trimming is copied.
  const std::string_view data(chunk.bytes);
  size_t pos = 0;
  size_t run = 0;
  auto feed_run = [&](size_t end) {
    if (end > run) Feed(data.substr(run, end - run));
  };
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) {
      // Keep the unfinished line for the next chunk, unless it is already too long.
      const std::string_view piece = data.substr(pos);
      if (!skipping_ && partial_.size() + piece.size() > kMaxLine) {
        ++line_no_;
        stats_.BadRecord(Where(), "line longer than " + std::to_string(kMaxLine) + " bytes");
        skipping_ = true;
        partial_.clear();
      }
      if (!skipping_) partial_.append(piece);
      break;
    }
    const std::string_view piece = data.substr(pos, nl - pos);
    const size_t next = nl + 1;
    if (skipping_ || !partial_.empty()) {
      feed_run(pos);
      run = next;
      if (skipping_) {
        skipping_ = false;  // the rest of an over-long line
      } else {
        ++line_no_;
        partial_.append(piece);
        if (Screen(partial_) != Verdict::kSkip) FeedCopy(partial_);
        partial_.clear();
      }
      pos = next;
      continue;
    }
    ++line_no_;
    switch (Screen(piece)) {
      case Verdict::kFeed:
        break;  // stays in the run
      case Verdict::kSkip:
        feed_run(pos);
        run = next;
        break;
      case Verdict::kFeedTrimmed:
        feed_run(pos);
        FeedCopy(piece);
        run = next;
        break;
    }
    pos = next;
  }
  feed_run(pos);
  if (chunk.end_of_source) {
    if (!partial_.empty()) {
      ++line_no_;
      // A last line without newline: a truncated file, still maybe whole.
      if (Screen(partial_) != Verdict::kSkip) FeedCopy(partial_);
      partial_.clear();
    }
    skipping_ = false;
  }
  if (chunk.end_of_input) Finish();
}

// Feeds a copy of an accepted line, without a trailing CR, with its newline.
void Assembler::FeedCopy(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  copy_.assign(line);
  copy_.push_back('\n');
  Feed(copy_);
}

Assembler::Verdict Assembler::Screen(std::string_view line) {
  const bool cr = !line.empty() && line.back() == '\r';
  if (cr) line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return Verdict::kSkip;  // blank
  std::optional<RecordHeader> h = ParseRecordHeader(line);
  if (!h) {
    stats_.BadRecord(Where(), "not an audit record: " + Excerpt(line));
    return Verdict::kSkip;
  }
  if (line.find('\0') != std::string_view::npos) {
    stats_.BadRecord(Where(), "NUL byte in record: " + Excerpt(line));
    return Verdict::kSkip;
  }
  stats_.records.fetch_add(1, std::memory_order_relaxed);
  // Types libaudit cannot name are still fed (they belong to an event), but counted.
  if (!IsCommonType(h->type)) {
    const std::string type(h->type);
    if (!known_types_.contains(type) && !unknown_types_.contains(type)) {
      // auditd writes types it has no name for as UNKNOWN[number]; libaudit parses those too.
      const bool known = !type.starts_with("UNKNOWN[") && audit_name_to_msg_type(type.c_str()) >= 0;
      (known ? known_types_ : unknown_types_).insert(type);
    }
    if (unknown_types_.contains(type)) stats_.unknown_types.fetch_add(1, std::memory_order_relaxed);
  }
  return cr ? Verdict::kFeedTrimmed : Verdict::kFeed;
}

void Assembler::Feed(std::string_view bytes) {
  auparse_feed(au_, bytes.data(), bytes.size());
}

void Assembler::Age(std::chrono::steady_clock::time_point now) {
  auparse_feed_age_events(au_);
  worker_.Age(now);
}

void Assembler::Finish() {
  auparse_flush_feed(au_);
  worker_.Finish();
}

void Assembler::OnEvent(auparse_state_t* au, int type, void* self) {
  if (type != AUPARSE_CB_EVENT_READY) return;
  auto* a = static_cast<Assembler*>(self);
  if (au != a->au_) return;
  a->HandleEvent();
}

void Assembler::HandleEvent() {
  stats_.events.fetch_add(1, std::memory_order_relaxed);
  records_.clear();
  int first_type = 0;
  if (auparse_first_record(au_) > 0) {
    first_type = auparse_get_type(au_);
    do {
      if (const char* text = auparse_get_record_text(au_)) records_.emplace_back(text);
    } while (auparse_next_record(au_) > 0);
  }
  const au_event_t* e = auparse_get_timestamp(au_);
  worker_.Add(records_, e ? static_cast<uint32_t>(e->serial) : 0,
              e ? static_cast<int64_t>(e->sec) * 1000 + e->milli : 0, first_type);
}

}  // namespace procaudit::audit
