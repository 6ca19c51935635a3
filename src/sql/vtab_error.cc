#include "sql/vtab_error.h"

#include <cstdarg>

namespace procaudit {

void SetVtabError(sqlite3_vtab* vtab, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  char* msg = sqlite3_vmprintf(format, ap);
  va_end(ap);
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = msg;
}

}  // namespace procaudit
