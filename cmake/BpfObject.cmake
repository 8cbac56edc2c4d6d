# bpf_object(NAME SOURCE): compiles SOURCE with clang for the BPF target and
# generates NAME.skel.h with bpftool, exposed as the INTERFACE target
# NAME_skel. The daemon and the tests embed the object through that header.
find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool REQUIRED)

function(bpf_object name source)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR})
  get_filename_component(stem ${source} NAME_WE)
  set(object ${out_dir}/${stem}.bpf.o)
  set(skeleton ${out_dir}/${name}.skel.h)
  set(include_dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../include)
  file(GLOB bpf_headers ${CMAKE_CURRENT_SOURCE_DIR}/*.h ${include_dir}/unbuckle/*.h)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -Wall -Werror
            -I${include_dir} -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${object}
    DEPENDS ${source} ${bpf_headers}
    COMMENT "BPF ${source}")
  add_custom_command(
    OUTPUT ${skeleton}
    COMMAND ${BPFTOOL} gen skeleton ${object} name ${name} > ${skeleton}
    DEPENDS ${object}
    COMMENT "BPF skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skeleton})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
endfunction()
