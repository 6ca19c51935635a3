// The last value of a field that repeats from one event to the next (arch, tty, comm, key...)
// and its string pool id: most events share it, and this spares hashing it again.
#pragma once

#include <string>

#include "audit/row_ring.h"

namespace procaudit::audit {

class LastInterned {
 public:
  template <class Writer>
  StrId Get(const std::string& v, Writer& w) {
    if (id_ == 0 || v != value_) {
      value_ = v;
      id_ = w.Intern(v);
    }
    return id_;
  }

 private:
  std::string value_;
  StrId id_ = 0;
};

}  // namespace procaudit::audit
