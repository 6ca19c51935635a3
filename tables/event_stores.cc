#include "tables/event_stores.h"

#include <stdexcept>

namespace procaudit {

std::shared_ptr<audit::EventStore> EventStoreFor(const TableContext& ctx, sqlite3_value* log_arg,
                                                 const char* table, std::string* spec) {
  if (log_arg == nullptr) return ctx.events->Session();
  if (sqlite3_value_type(log_arg) != SQLITE_TEXT) {
    throw std::runtime_error(std::string(table) + "(FILES): FILES must be a text path or glob");
  }
  *spec = reinterpret_cast<const char*>(sqlite3_value_text(log_arg));
  return ctx.events->ForArgument(*spec);
}

}  // namespace procaudit
