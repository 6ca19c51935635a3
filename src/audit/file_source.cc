// The file and stream engines of EventSource, and log-path expansion.
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "audit/event_source.h"
#include "proc/text_fields.h"
#include "util/unique_fd.h"

namespace procaudit::audit {
namespace {

constexpr size_t kChunkSize = 1 << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads fd into chunks until EOF. Returns "" or the read error.
template <class PushFn>
std::string PumpFd(int fd, uint32_t source, PipelineStats& stats, const std::stop_token& stop,
                   PushFn push) {
  while (!stop.stop_requested()) {
    auto chunk = std::make_unique<Chunk>();
    chunk->source = source;
    chunk->bytes.resize(kChunkSize);
    const ssize_t n = read(fd, chunk->bytes.data(), kChunkSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoText(errno);
    }
    chunk->bytes.resize(static_cast<size_t>(n));
    chunk->end_of_source = n == 0;
    stats.bytes_read.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    if (!push(chunk)) return "";
    if (n == 0) return "";
  }
  return "";
}

class FileSource final : public EventSource {
 public:
  explicit FileSource(const std::vector<std::string>& paths) : names_(paths) {
    for (const std::string& path : paths) {
      UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) throw std::runtime_error("cannot open audit log '" + path + "': " + ErrnoText(errno));
      struct stat st {};
      if (fstat(fd.get(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
          throw std::runtime_error("audit log '" + path + "' is a directory");
        }
        total_ += static_cast<uint64_t>(st.st_size);
      }
      fds_.push_back(std::move(fd));
    }
  }

  std::string Run(ChunkQueue& queue, PipelineStats& stats, std::stop_token stop) override {
    auto push = [&](std::unique_ptr<Chunk>& c) {
      return queue.PushWait(c, [&] { return stop.stop_requested(); });
    };
    std::string error;
    for (uint32_t i = 0; i < fds_.size() && error.empty() && !stop.stop_requested(); ++i) {
      error = PumpFd(fds_[i].get(), i, stats, stop, push);
      if (!error.empty()) error = "error reading audit log '" + names_[i] + "': " + error;
    }
    auto end = std::make_unique<Chunk>();
    end->source = static_cast<uint32_t>(fds_.size() - 1);
    end->end_of_source = end->end_of_input = true;
    (void)push(end);  // fails only when stopping, and then nobody waits for it
    return error;
  }

  const std::vector<std::string>& names() const override { return names_; }
  uint64_t total_bytes() const override { return total_; }

 private:
  std::vector<std::string> names_;
  std::vector<UniqueFd> fds_;
  uint64_t total_ = 0;
};

class StreamSource final : public EventSource {
 public:
  StreamSource(int fd, std::string name) : fd_(fd), names_{std::move(name)} {}

  std::string Run(ChunkQueue& queue, PipelineStats& stats, std::stop_token stop) override {
    // A stream is live: when the assembler falls behind, drop and count rather than stop
    // reading (auditd would otherwise block on its plugin pipe).
    auto push = [&](std::unique_ptr<Chunk>& c) {
      if (c->end_of_source) return queue.PushWait(c, [&] { return stop.stop_requested(); });
      if (!queue.TryPush(c)) stats.queue_drops.fetch_add(1, std::memory_order_relaxed);
      return true;
    };
    std::string error;
    while (!stop.stop_requested()) {
      pollfd p{fd_, POLLIN, 0};
      const int ready = poll(&p, 1, 200);  // wake up now and then to see the stop request
      if (ready < 0 && errno != EINTR) {
        error = ErrnoText(errno);
        break;
      }
      if (ready <= 0) continue;
      error = ReadAvailable(stats, push);
      if (!error.empty() || eof_) break;
    }
    auto end = std::make_unique<Chunk>();
    end->end_of_source = end->end_of_input = true;
    (void)queue.PushWait(end, [&] { return stop.stop_requested(); });
    return error.empty() ? "" : "error reading " + names_[0] + ": " + error;
  }

  const std::vector<std::string>& names() const override { return names_; }
  bool live() const override { return true; }

 private:
  template <class PushFn>
  std::string ReadAvailable(PipelineStats& stats, PushFn& push) {
    auto chunk = std::make_unique<Chunk>();
    chunk->bytes.resize(kChunkSize);
    const ssize_t n = read(fd_, chunk->bytes.data(), kChunkSize);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? "" : ErrnoText(errno);
    if (n == 0) {
      eof_ = true;
      return "";
    }
    chunk->bytes.resize(static_cast<size_t>(n));
    stats.bytes_read.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    push(chunk);
    return "";
  }

  int fd_;
  bool eof_ = false;
  std::vector<std::string> names_;
};

// "audit.log.3" -> ("audit.log", 3); "audit.log" -> ("audit.log", 0).
std::pair<std::string, int> RotationOf(const std::string& path) {
  const size_t dot = path.rfind('.');
  const size_t slash = path.rfind('/');
  int n = 0;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
      ParseInt(std::string_view(path).substr(dot + 1), n) && n > 0) {
    return {path.substr(0, dot), n};
  }
  return {path, 0};
}

bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[{~") != std::string::npos; }

}  // namespace

std::unique_ptr<EventSource> OpenFileSource(const std::vector<std::string>& paths) {
  return std::make_unique<FileSource>(paths);
}

std::unique_ptr<EventSource> OpenStreamSource(int fd, std::string name) {
  return std::make_unique<StreamSource>(fd, std::move(name));
}

std::vector<std::string> ExpandLogPaths(const std::string& spec) {
  std::vector<std::string> patterns;
  struct stat st {};
  if (stat(spec.c_str(), &st) == 0) {
    patterns.push_back(spec);  // one existing path, spaces and all
  } else {
    FieldCursor words(spec);
    for (std::string_view w = words.Next(); !w.empty(); w = words.Next()) patterns.emplace_back(w);
  }
  if (patterns.empty()) throw std::runtime_error("no audit log file given");
  std::vector<std::string> paths;
  for (const std::string& pattern : patterns) {
    if (!HasGlobChars(pattern)) {
      paths.push_back(pattern);
      continue;
    }
    glob_t g{};
    const int rc = glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0) throw std::runtime_error("no audit log matches '" + pattern + "'");
  }
  // Rotated sets oldest first: audit.log.2, audit.log.1, audit.log.
  std::stable_sort(paths.begin(), paths.end(), [](const std::string& a, const std::string& b) {
    auto [base_a, n_a] = RotationOf(a);
    auto [base_b, n_b] = RotationOf(b);
    if (base_a != base_b) return base_a < base_b;
    return n_a > n_b;
  });
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

}  // namespace procaudit::audit
