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

// Makes LibTorch's operators run on one thread when called from the calling thread, and
// leaves every other thread's count alone: for worker threads (decoding, front ends) that run
// next to a model using every core, as PyTorch's DataLoader workers do. It sets the calling
// thread's OpenMP thread count in the OpenMP runtime that LibTorch loaded (found at run time,
// so that a LibTorch bundling its own runtime gets the right one); with no OpenMP runtime
// loaded it does nothing.
void use_one_intra_op_thread_here();

}  // namespace mulan::util
