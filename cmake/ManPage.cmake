# procaudit(8), generated at build time by help2man from the built shell's --help and --version
# (kShellHelp in src/shell/options.cc: the options are written down once) and the extra sections
# of packaging/man/procaudit.h2m. Rebuilt when either changes; built by default so that the tests
# check the page the package ships.
#   ${PROCAUDIT_MAN_PAGE}     the page (man -l shows it)
#   ${PROCAUDIT_MAN_PAGE}.gz  what the package installs (gzip -9n: no name or time stamp inside)

# A declared build dependency (scripts/install-deps installs it): no silent build without the page.
find_program(HELP2MAN help2man REQUIRED)
find_program(GZIP gzip REQUIRED)

set(PROCAUDIT_MAN_H2M ${CMAKE_SOURCE_DIR}/packaging/man/procaudit.h2m)
set(PROCAUDIT_MAN_PAGE ${CMAKE_BINARY_DIR}/man/procaudit.8)

add_custom_command(
  OUTPUT ${PROCAUDIT_MAN_PAGE} ${PROCAUDIT_MAN_PAGE}.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  # LC_ALL=C: the page's date and help2man's own words do not depend on the builder's locale.
  COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C
          ${HELP2MAN} --no-info --section 8
          --include ${PROCAUDIT_MAN_H2M} --output ${PROCAUDIT_MAN_PAGE} $<TARGET_FILE:procaudit>
  COMMAND ${GZIP} -9nkf ${PROCAUDIT_MAN_PAGE}
  DEPENDS procaudit ${PROCAUDIT_MAN_H2M}
  COMMENT "Generating procaudit(8) from procaudit --help"
  VERBATIM)
add_custom_target(man_page ALL DEPENDS ${PROCAUDIT_MAN_PAGE} ${PROCAUDIT_MAN_PAGE}.gz)
