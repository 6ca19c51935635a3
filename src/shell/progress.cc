#include "shell/progress.h"

namespace procaudit {

void ProgressBar::Update(uint64_t done, uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  if (!started_ || done == 0) {
    started_ = true;
    start_ = now;
  }
  if (total < kMinBytes) return;
  if (done >= total) {
    if (drawn_) std::fputs("\r\033[K", out_);  // erase the bar: results follow on stdout
    drawn_ = false;
    std::fflush(out_);
    return;
  }
  if (now - start_ < std::chrono::milliseconds(300)) return;  // quick replays stay silent
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(done * kWidth / total);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(out_, "\rreading audit log [%s] %3d%%  %llu/%llu MB", bar,
               static_cast<int>(done * 100 / total), static_cast<unsigned long long>(done >> 20),
               static_cast<unsigned long long>(total >> 20));
  std::fflush(out_);
  drawn_ = true;
}

}  // namespace procaudit
