// A one-line progress bar on a terminal, for long replays of audit logs.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace procaudit {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out) : out_(out) {}
  // Called repeatedly with the bytes done so far; draws only for big inputs that take a while,
  // and clears its line when done reaches total.
  void Update(uint64_t done, uint64_t total);

 private:
  static constexpr uint64_t kMinBytes = 16 << 20;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_{};
  bool started_ = false;
  bool drawn_ = false;
};

}  // namespace procaudit
