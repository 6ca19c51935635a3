# Installing procaudit as Debian lays it out, and `cpack -G DEB` packaging it (packaging/README.md).
# The package's paths:
#   /usr/bin/procaudit                          the shell (and daemon)
#   /usr/lib/<multiarch>/libprocaudit.so        the extension, where dlopen finds a bare name, so
#                                               sqlite3's `.load libprocaudit` works from anywhere
#   /usr/libexec/procaudit/audit-plugin         the program auditd runs for the plugin below
#   /usr/share/man/man8/procaudit.8.gz          generated from --help (cmake/ManPage.cmake)
#   /lib/systemd/system/procaudit.service       the daemon's unit (bookworm keeps units in /lib)
#   /etc/procaudit/procaudit.conf               conffile: the example configuration
#   /etc/audit/plugins.d/procaudit.conf         conffile: the auditd plugin, inactive
#   /usr/share/doc/procaudit/                   README.md, tables.md, copyright, examples/
#   /usr/share/lintian/overrides/procaudit      why the extension has no SONAME
# Tests and benchmarks are not installed.

include(${CMAKE_CURRENT_LIST_DIR}/ManPage.cmake)

# GNUInstallDirs gives Debian's multiarch libdir only when configured with the prefix /usr; the
# package is always laid out for /usr (CPACK_PACKAGING_INSTALL_PREFIX), so ask for it on Debian
# whatever the prefix. /usr/local/lib/<multiarch> is on Debian's library path too.
if(EXISTS /etc/debian_version AND CMAKE_LIBRARY_ARCHITECTURE AND NOT DEFINED CMAKE_INSTALL_LIBDIR)
  set(CMAKE_INSTALL_LIBDIR lib/${CMAKE_LIBRARY_ARCHITECTURE}
      CACHE PATH "Object code libraries (lib/${CMAKE_LIBRARY_ARCHITECTURE})")
endif()
include(GNUInstallDirs)

# Configuration and the system's service directories are absolute: under /etc and /lib, not below
# the prefix. DESTDIR (and so cpack's staging directory) is still honoured.
set(PROCAUDIT_CONF_DIR /etc/procaudit)
set(PROCAUDIT_AUDIT_PLUGINS_DIR /etc/audit/plugins.d)
set(PROCAUDIT_SYSTEMD_UNIT_DIR /lib/systemd/system)
set(PROCAUDIT_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/procaudit)

install(TARGETS procaudit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# A module, not a library to link against: no SONAME versioning, no headers, no symlinks.
install(TARGETS procaudit_extension LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(PROGRAMS packaging/auditd/audit-plugin
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/procaudit)
install(FILES ${PROCAUDIT_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES packaging/systemd/procaudit.service DESTINATION ${PROCAUDIT_SYSTEMD_UNIT_DIR})
install(FILES packaging/config/procaudit.conf DESTINATION ${PROCAUDIT_CONF_DIR})
install(FILES packaging/auditd/procaudit.conf DESTINATION ${PROCAUDIT_AUDIT_PLUGINS_DIR})
install(FILES README.md docs/tables.md packaging/debian/copyright DESTINATION ${PROCAUDIT_DOC_DIR})
install(FILES packaging/config/procaudit.conf DESTINATION ${PROCAUDIT_DOC_DIR}/examples)
# The extension is a module in a library directory on purpose (see lintian-overrides).
install(FILES packaging/debian/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
        RENAME procaudit)

# --- cpack -G DEB ---------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME procaudit)
set(CPACK_PACKAGE_VENDOR "procaudit developers")
set(CPACK_PACKAGE_CONTACT "procaudit developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "SQL over Linux process activity: processes, open files, audit events, accounting")
set(CPACK_PACKAGE_DESCRIPTION
    "procaudit answers with SQL what ran on this host, who started it, how it
ended and what it touched: SQLite virtual tables over /proc, the kernel's
audit events (live or from audit.log) and BSD process accounting, in the
style of osquery. It ships a shell (procaudit), a loadable extension for
any SQLite client (libprocaudit.so), a daemon running osquery-format query
schedules (procaudit.service, not enabled on install) and an auditd plugin
(inactive).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # procaudit_VERSION-RELEASE_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "procaudit developers")
# libsqlite3, libaudit, libauparse, libedit... found by dpkg-shlibdeps from the binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# auditd: the usual owner of the audit pid, beside which procaudit reads; acct: its pacct file.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS auditd)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS acct)
# conffiles (the two /etc files, kept across upgrades when edited) and the maintainer scripts
# (stop the daemon before removal, reload systemd, remove state and logs on purge); the
# ldconfig trigger any package with a library in the linker's directories has.
set(PROCAUDIT_CONFFILES ${CMAKE_BINARY_DIR}/packaging/conffiles)
file(WRITE ${PROCAUDIT_CONFFILES}
     "${PROCAUDIT_CONF_DIR}/procaudit.conf\n${PROCAUDIT_AUDIT_PLUGINS_DIR}/procaudit.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROCAUDIT_CONFFILES}
    ${CMAKE_SOURCE_DIR}/packaging/debian/triggers
    ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
# Scripts 0755 and the rest 0644 in the control archive, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
