# `cmake --install build`: the programs, the systemd unit, the config, the
# man pages, the client library and its Python module. `cpack -G DEB` (in
# build/) turns the same set into three Debian packages, split as Debian
# splits a library from its programs: unbuckle-xdp (component `server`: the
# programs, unit, config and man pages, with the maintainer scripts of
# packaging/deb/), unbuckle-xdp-dev (component `dev`: the client library's
# headers and archives, for building programs of the fleet) and
# python3-unbuckle-client (component `python`: the Python module, built for
# one Python version, which it depends on).
# Included last by the top CMakeLists.txt, so that every program's target
# exists here.
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built instead of first
# building every target (tests and benchmarks: minutes on 2 cores); build
# the programs first: cmake --build build --target unbuckle-xdp.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS unbuckle-xdp unbucklectl unbucklecat RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
# The client library (client/) and its headers, for programs of the fleet
# (link -lunbuckle_client -lunbuckle_client_ketama).
# Built with the daemon, since install does not build, as are unbucklectl,
# unbucklecat and the Python module (client/python/CMakeLists.txt installs it).
add_dependencies(unbuckle-xdp unbuckle_client unbuckle_client_ketama unbucklectl unbucklecat
                 unbuckle_client_python)
install(TARGETS unbuckle_client unbuckle_client_ketama ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES include/unbuckle/client.h include/unbuckle/client_pool.h include/unbuckle/client_servers.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/unbuckle COMPONENT dev)
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
install(FILES ${man_pages_1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT server)
install(FILES ${man_pages_8} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server)
# The daemon's built-in default path, whatever the prefix: a conffile.
install(FILES systemd/unbuckle-xdp.conf DESTINATION /etc/unbuckle-xdp COMPONENT server)
# Debian wants the copyright in every package's own doc directory, naming
# the license in /usr/share/common-licenses rather than copying it.
install(FILES packaging/deb/copyright DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/unbuckle-xdp COMPONENT server)
install(FILES packaging/deb/copyright DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/unbuckle-xdp-dev COMPONENT dev)
install(FILES packaging/deb/copyright DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/python3-unbuckle-client
        COMPONENT python)
# The unit names the installed daemon, so it is written at install time, when
# the prefix is known: `cmake --install --prefix` and cpack (/usr) change it.
install(CODE "
  set(UNBUCKLE_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/unbuckle-xdp.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/systemd/unbuckle-xdp.service.in\" \"\${unit}\" @ONLY)
" COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME unbuckle-xdp)
set(CPACK_PACKAGE_VENDOR unbuckle-xdp)
set(CPACK_PACKAGE_CONTACT "unbuckle-xdp maintainers <root@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server dev python)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME unbuckle-xdp)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
# The libraries come from dpkg-shlibdeps; procps gives the unit's /bin/kill
# (ExecReload).
set(CPACK_DEBIAN_SERVER_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS procps)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/deb/conffiles
    ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
# Each package's first line is its summary (so no CPACK_PACKAGE_DESCRIPTION_SUMMARY,
# which CPack would put before both); lines of at most 80 characters.
set(CPACK_DEBIAN_SERVER_DESCRIPTION
    "memcached-compatible key-value server with an XDP and AF_XDP datapath
Speaks memcached's ASCII protocol over UDP and TCP. memcached UDP arrives
through an XDP program and AF_XDP sockets; TCP goes through kernel sockets.
Runs as the systemd service unbuckle-xdp, controlled with unbucklectl.
Includes the client tool unbucklecat.")

# Static archives and headers only: nothing to depend on at run time.
set(CPACK_DEBIAN_DEV_PACKAGE_NAME unbuckle-xdp-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "memcached client library: UDP reads, TCP writes, a ketama pool (headers)
libunbuckle_client and libunbuckle_client_ketama, static, with their headers
(unbuckle/client.h, client_pool.h, client_servers.h). The Python module is in
python3-unbuckle-client.")

# The Python the module was built for (client/python/CMakeLists.txt), and
# the C++ runtime from dpkg-shlibdeps.
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-unbuckle-client)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${UNBUCKLE_PYTHON_PACKAGE_DEPENDS}")
set(CPACK_DEBIAN_PYTHON_DESCRIPTION
    "memcached client for UDP reads and TCP writes over a ketama pool (Python 3)
The module unbuckle_client: Client(servers=[...]) with pymemcache-like calls,
get_many over memcached's UDP protocol, writes over TCP, keys placed on the
servers as libmemcached's ketama places them.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
