# make_man.cmake: writes the man page ampcl.1 from the program's own --help texts (the program's
# and every verb's), so the two never disagree. cmake -DAMPCL=path/to/ampcl -DOUT=ampcl.1 -P ...

# roff-safe text: backslashes, hyphens (so options render as minus signs) and lines that would
# read as requests
function(roff_escape in out)
  string(REPLACE "\\" "\\e" t "${in}")
  string(REPLACE "-" "\\-" t "${t}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" t "${t}")
  set(${out} "${t}" PARENT_SCOPE)
endfunction()

function(help_of args out)
  execute_process(COMMAND ${AMPCL} ${args} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "make_man: '${AMPCL} ${args} --help' exited ${rc}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of("" main)
execute_process(COMMAND ${AMPCL} --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)

# the verbs: the words indented under "verbs:" in the program's help
string(REGEX MATCH "verbs:\n(  [a-z]+[^\n]*\n)+" verb_block "${main}")
string(REGEX MATCHALL "\n  [a-z]+" verb_lines "${verb_block}")
set(verbs "")
foreach(line ${verb_lines})
  string(STRIP "${line}" v)
  list(APPEND verbs ${v})
endforeach()
list(LENGTH verbs nverbs)
if(nverbs LESS 5)
  message(FATAL_ERROR "make_man: found only '${verbs}' as verbs in ampcl --help")
endif()

roff_escape("${main}" main_roff)
set(page ".TH AMPCL 1 \"\" \"${version}\" \"User Commands\"
.SH NAME
ampcl \\- train deep convolutional networks on any OpenCL device, with gradient amplification
.SH DESCRIPTION
.nf
${main_roff}.fi
")
string(APPEND page ".SH VERBS\n")
foreach(v ${verbs})
  help_of("${v}" text)
  roff_escape("${text}" text_roff)
  string(APPEND page ".SS ${v}\n.nf\n${text_roff}.fi\n")
endforeach()
string(APPEND page ".SH EXIT STATUS
0 success, 1 a runtime failure (device, numerical divergence), 2 bad usage or bad input.
.SH SEE ALSO
The manual in the source tree's docs/ folder: training, amplification, data-parallel, devices,
performance, design and testing.
")
file(WRITE ${OUT} "${page}")
