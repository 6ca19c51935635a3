#include "util/json.h"

#include <nlohmann/json.hpp>

namespace procaudit {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string JsonStringArray(std::span<const std::string> items) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : items) arr.push_back(s);
  return Dump(arr);
}

std::string JsonIntArray(std::span<const int64_t> items) {
  return Dump(nlohmann::json(std::vector<int64_t>(items.begin(), items.end())));
}

std::string JsonQuote(std::string_view s) { return Dump(nlohmann::json(std::string(s))); }

}  // namespace procaudit
