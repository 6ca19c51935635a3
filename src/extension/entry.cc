// The loadable extension's entry point: `.load ./libprocaudit` in sqlite3 and
// conn.load_extension("./libprocaudit") in Python look up sqlite3_procaudit_init.
#include <cstdlib>

#include "procaudit.h"

extern "C" int sqlite3_procaudit_init(sqlite3* db, char** pzErrMsg,
                                      const sqlite3_api_routines* pApi) {
  procaudit_options options{};
  options.audit_mode = std::getenv("PROCAUDIT_AUDIT_MODE");
  return procaudit_register(db, pApi, &options, pzErrMsg);
}
