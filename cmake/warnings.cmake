# Warnings for the project's own targets (not for LibTorch's headers, which are system headers).
function(mulan_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Winvalid-pch)
endfunction()

# Reuse the library's LibTorch precompiled header in an executable target.
function(mulan_use_pch target)
  target_precompile_headers(${target} REUSE_FROM mulan_util)
endfunction()
