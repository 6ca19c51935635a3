// src/audit/pipeline.h: a live source's events reach the rings while the source stays busy.
#include "audit/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace procaudit::audit {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// One openat as the netlink source hands it over (the records of a real kernel log, with the
// EOE record netlink delivers), then an exit_group of another process every 20 ms until the
// pipeline stops: the rest of a busy host, never quiet for the assembler's 250 ms.
class BusyLiveSource final : public EventSource {
 public:
  static std::string ExitGroup(uint32_t serial) {
    const std::string id = "audit(1795271162.900:" + std::to_string(serial) + "): ";
    std::string text = "type=SYSCALL msg=" + id;
    text += "arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=0 items=0 ppid=1 pid=";
    text += std::to_string(20000 + serial % 10000);
    text += " auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ";
    text += "ses=4294967295 comm=\"true\" exe=\"/usr/bin/true\" key=\"procaudit\"\n";
    return text + "type=EOE msg=" + id + "\n";
  }

  std::string Run(ChunkQueue& queue, PipelineStats&, std::stop_token stop) override {
    auto push = [&](std::string text, bool end = false) {
      auto chunk = std::make_unique<Chunk>();
      chunk->bytes = std::move(text);
      chunk->end_of_source = chunk->end_of_input = end;
      return queue.PushWait(chunk, [&] { return stop.stop_requested(); });
    };
    push(
        "type=SYSCALL msg=audit(1795271162.848:2965985): arch=c000003e syscall=257 success=yes "
        "exit=3 a0=ffffff9c a1=559b3ad08004 a2=0 a3=0 items=1 ppid=9215 pid=9242 auid=4294967295 "
        "uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 "
        "comm=\"probe\" exe=\"/tmp/me/fx/probe\" key=\"procaudit\"\n"
        "type=CWD msg=audit(1795271162.848:2965985): cwd=\"/tmp/me/fx/d\"\n"
        "type=PATH msg=audit(1795271162.848:2965985): item=0 name=\"rel.txt\" inode=11182110 "
        "dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
        "cap_fe=0 cap_fver=0 cap_frootid=0\n"
        "type=EOE msg=audit(1795271162.848:2965985): \n");
    for (uint32_t serial = 2965986; !stop.stop_requested(); ++serial) {
      std::this_thread::sleep_for(milliseconds(20));
      push(ExitGroup(serial));
    }
    push("", true);
    return "";
  }
  const std::vector<std::string>& names() const override { return names_; }
  bool live() const override { return true; }

 private:
  std::vector<std::string> names_{"test"};
};

TEST(PipelineTest, LiveFileEventReachesTheRingWhileOtherEventsKeepComing) {
  EventRing ring(1024);
  FileRing files(1024);
  PipelineStats stats;
  Pipeline pipeline(std::make_unique<BusyLiveSource>(), ring, files, stats);
  // A hang guard, not a timing requirement: the open waits out the file tracker's window
  // (2 s), then must come out although the source never goes quiet.
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  int64_t rows = 0;
  while (rows == 0 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    const FileRing::Reader r(files);
    rows = r.end_eid() - r.first_eid();
  }
  EXPECT_EQ(rows, 1) << "the open is still held while exit_group events keep arriving";
  EXPECT_GT(stats.events.load(), 1u);
  pipeline.Stop();
}

}  // namespace
}  // namespace procaudit::audit
