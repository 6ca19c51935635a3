#include "netlink/live_options.h"

namespace procaudit::netlink {

std::optional<AuditMode> ParseAuditMode(std::string_view text) {
  if (text == "auto") return AuditMode::kAuto;
  if (text == "unicast") return AuditMode::kUnicast;
  if (text == "multicast") return AuditMode::kMulticast;
  if (text == "off") return AuditMode::kOff;
  return std::nullopt;
}

const char* AuditModeName(AuditMode mode) {
  switch (mode) {
    case AuditMode::kAuto: return "auto";
    case AuditMode::kUnicast: return "unicast";
    case AuditMode::kMulticast: return "multicast";
    case AuditMode::kOff: return "off";
  }
  return "?";
}

}  // namespace procaudit::netlink
