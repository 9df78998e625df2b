// How many intra-op threads LibTorch runs. Left alone, LibTorch counts physical cores through
// cpuinfo, which finds one on some virtual machines with two, and then trains on half the
// machine. Programs call use_available_cores() once at start.
#pragma once

namespace mulan::util {

// The CPUs this process may run on (its affinity mask), at least 1.
int available_cores();

// OMP_NUM_THREADS when it is set (LibTorch reads it itself), else available_cores(): sets
// LibTorch's intra-op thread count to that and returns it.
int use_available_cores();

}  // namespace mulan::util
