#include "netlink/live_capture.h"

#include <stdexcept>

namespace procaudit::netlink {

// Placeholder until the netlink engine lands: live capture is reported as unavailable.
std::shared_ptr<audit::EventStore> StartLiveCapture(const LiveOptions&, size_t) {
  throw std::runtime_error("live capture is not built yet");
}
std::shared_ptr<audit::EventStore> RunningLiveCapture() { return nullptr; }
void StopLiveCapture() {}

}  // namespace procaudit::netlink
