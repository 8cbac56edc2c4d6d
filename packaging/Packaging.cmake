# `cmake --install build`: the programs, the systemd unit, the config, the
# man pages, the client library and its Python module; `cpack -G DEB` (in
# build/) turns the same set into a Debian package with the maintainer
# scripts of packaging/deb/. Included last by the top CMakeLists.txt, so that
# every program's target exists here.
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built instead of first
# building every target (tests and benchmarks: minutes on 2 cores); build
# the programs first: cmake --build build --target unbuckle-xdp.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS unbuckle-xdp unbucklectl unbucklecat RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The client library (client/) and its headers, for programs of the fleet
# (link -lunbuckle_client -lunbuckle_client_ketama).
# Built with the daemon, since install does not build, as are unbucklectl,
# unbucklecat and the Python module (client/python/CMakeLists.txt installs it).
add_dependencies(unbuckle-xdp unbuckle_client unbuckle_client_ketama unbucklectl unbucklecat
                 unbuckle_client_python)
install(TARGETS unbuckle_client unbuckle_client_ketama ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/unbuckle/client.h include/unbuckle/client_pool.h include/unbuckle/client_servers.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/unbuckle)
# Man pages go in compressed, as Debian policy (12.1) wants; gzip -n leaves
# out the time stamp so that the package is reproducible. Built with the
# programs, since install does not build.
foreach(page unbuckle-xdp.8 unbucklectl.8 unbucklecat.1)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.gz
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
                     COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/man/${page} > ${CMAKE_BINARY_DIR}/man/${page}.gz
                     DEPENDS ${CMAKE_SOURCE_DIR}/man/${page} VERBATIM)
  string(REGEX REPLACE ".*\\." "" section ${page})
  list(APPEND man_pages_${section} ${CMAKE_BINARY_DIR}/man/${page}.gz)
endforeach()
add_custom_target(man_pages ALL DEPENDS ${man_pages_1} ${man_pages_8})
add_dependencies(unbuckle-xdp man_pages)
add_dependencies(unbucklectl man_pages)
install(FILES ${man_pages_1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${man_pages_8} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
# The daemon's built-in default path, whatever the prefix: a conffile.
install(FILES systemd/unbuckle-xdp.conf DESTINATION /etc/unbuckle-xdp)
install(FILES COPYING DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)
# The unit names the installed daemon, so it is written at install time, when
# the prefix is known: `cmake --install --prefix` and cpack (/usr) change it.
install(CODE "
  set(UNBUCKLE_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/unbuckle-xdp.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/systemd/unbuckle-xdp.service.in\" \"\${unit}\" @ONLY)
")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME unbuckle-xdp)
set(CPACK_PACKAGE_VENDOR unbuckle-xdp)
set(CPACK_PACKAGE_CONTACT "unbuckle-xdp maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "memcached-compatible key-value server with an XDP and AF_XDP datapath")
set(CPACK_PACKAGE_DESCRIPTION
    "Speaks memcached's ASCII protocol over UDP and TCP. memcached UDP arrives through an XDP\nprogram and AF_XDP sockets; TCP goes through kernel sockets. Runs as the systemd\nservice unbuckle-xdp, controlled with unbucklectl.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries come from dpkg-shlibdeps; procps gives the unit's /bin/kill
# (ExecReload).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS procps)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/deb/conffiles
    ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
