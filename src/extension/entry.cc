// The loadable extension's entry point: `.load ./libprocaudit` in sqlite3 and
// conn.load_extension("./libprocaudit") in Python look up sqlite3_procaudit_init.
#include "procaudit.h"

extern "C" int sqlite3_procaudit_init(sqlite3* db, char** pzErrMsg,
                                      const sqlite3_api_routines* pApi) {
  return procaudit_register(db, pApi, nullptr, pzErrMsg);
}
