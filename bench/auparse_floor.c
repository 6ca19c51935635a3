/* auparse_floor: the least an audit log reader built on libauparse can do.
 *
 *   auparse_floor FILE
 *
 * auparse_init(AUSOURCE_FILE, FILE), then for each event, each record, each field: touch the
 * name and the raw value (auparse_get_field_name, auparse_get_field_str). No interpretation,
 * no decoding, no process tracking, no storage. Prints one line of totals to stdout:
 *
 *   events E records R fields F bytes B
 *
 * (B: the summed lengths of names and values, so the compiler cannot drop the touching).
 * bench/compare_audit.py uses it as the floor that procaudit's process_events is held to.
 */
#include <auparse.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: auparse_floor FILE\n");
    return 2;
  }
  auparse_state_t *au = auparse_init(AUSOURCE_FILE, argv[1]);
  if (au == NULL) {
    perror(argv[1]);
    return 1;
  }
  unsigned long long events = 0, records = 0, fields = 0, bytes = 0;
  while (auparse_next_event(au) > 0) {
    ++events;
    if (auparse_first_record(au) <= 0) continue;
    do {
      ++records;
      if (auparse_first_field(au) <= 0) continue;
      do {
        const char *name = auparse_get_field_name(au);
        const char *value = auparse_get_field_str(au);
        ++fields;
        if (name) bytes += strlen(name);
        if (value) bytes += strlen(value);
      } while (auparse_next_field(au) > 0);
    } while (auparse_next_record(au) > 0);
  }
  auparse_destroy(au);
  printf("events %llu records %llu fields %llu bytes %llu\n", events, records, fields, bytes);
  return 0;
}
