// What every table of one connection shares: the options it was registered with.
#pragma once

#include <string>

namespace procaudit {

struct TableContext {
  std::string proc_root = "/proc";
};

}  // namespace procaudit
