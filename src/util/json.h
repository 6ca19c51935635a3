// JSON text for values procaudit puts in TEXT columns (argv arrays, ancestry).
//
// Encoding is nlohmann::json's. Bytes that are not valid UTF-8 (argv and paths are
// arbitrary bytes on Linux) are replaced by U+FFFD rather than failing the row;
// the raw bytes stay available in the plain-text column beside each JSON one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace procaudit {

std::string JsonStringArray(std::span<const std::string> items);
std::string JsonIntArray(std::span<const int64_t> items);
// One JSON string literal, quotes included.
std::string JsonQuote(std::string_view s);

}  // namespace procaudit
