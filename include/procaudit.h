/*
** procaudit: SQLite virtual tables over Linux process activity.
**
** This is the whole public API. Most users never include it: they load the
** extension (`.load ./libprocaudit` in sqlite3, conn.load_extension() in
** Python) or run the `procaudit` shell. Programs that link procaudit
** statically register the tables on a connection with procaudit_register().
**
** Threading: registration may run on any thread; the tables of one
** connection follow that connection's SQLite threading rules.
*/
#ifndef PROCAUDIT_H
#define PROCAUDIT_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROCAUDIT_VERSION "0.1.0"

/* The exported symbols of libprocaudit.so; everything else is hidden. */
#define PROCAUDIT_API __attribute__((visibility("default")))

typedef struct procaudit_options {
  /* Root of the proc filesystem the /proc tables read. NULL means "/proc".
  ** Point it at a fixture tree, a container's /proc or a forensic copy. */
  const char* proc_root;
  /* Live capture from the kernel audit netlink, started by the first query of a
  ** live event table: "auto" (NULL: unicast when nobody owns the audit pid,
  ** else the read-only multicast group), "unicast", "multicast" or "off".
  ** Needs root (CAP_AUDIT_CONTROL or CAP_AUDIT_READ).
  **
  ** Where live capture is allowed (not "off"), so is live BSD process accounting,
  ** started by the first query of an accounting table that names no file: when
  ** accounting is off, procaudit turns it on into a file of its own
  ** (/var/lib/procaudit/) and off again when the last connection using it closes
  ** or the process exits; when it already writes a file, procaudit reads that file
  ** and leaves accounting alone. Needs root (CAP_SYS_ADMIN and CAP_SYS_PACCT). The
  ** environment variable PROCAUDIT_ACCT=off, read at registration, forbids it:
  ** the accounting tables then read /var/log/account/pacct when present.
  **
  ** File rules (file_events) are off by default. The environment variable
  ** PROCAUDIT_WATCH, read at registration, asks the live capture to install them:
  ** watches separated by spaces, each `all`, `pid=PID` (a running process, not its
  ** children), `exe=PATH` (every process running that executable) or `dir=DIR`
  ** (every call on a path under DIR), e.g. "pid=1234 exe=/usr/bin/curl dir=/etc".
  ** A bad watch, or watches with audit mode "off" or "multicast" (which never
  ** adds rules), fails registration with a one-line message. */
  const char* audit_mode;
} procaudit_options;

/* The loadable-extension entry point SQLite looks up for libprocaudit.so.
** Registers every table with default options; the environment variable
** PROCAUDIT_AUDIT_MODE, when set, chooses the live capture mode (see
** procaudit_options.audit_mode). */
PROCAUDIT_API int sqlite3_procaudit_init(sqlite3* db, char** pzErrMsg,
                                         const sqlite3_api_routines* pApi);

/* Registers every table on db. api is the routine table SQLite hands to an
** extension entry point (pass it through from an auto-extension callback).
** options may be NULL. Returns SQLITE_OK, or an error code with *pzErrMsg set
** to a message the caller frees with sqlite3_free(). */
PROCAUDIT_API int procaudit_register(sqlite3* db, const sqlite3_api_routines* api,
                                     const procaudit_options* options, char** pzErrMsg);

/* The version string, PROCAUDIT_VERSION at build time. */
PROCAUDIT_API const char* procaudit_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PROCAUDIT_H */
