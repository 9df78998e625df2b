#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "mulan/error.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  test::TempDir dir;
  const std::vector<at::Tensor> tensors = {torch::randn({3, 5}), torch::randn({7}, torch::kFloat64),
                                           torch::arange(12, torch::kInt64).reshape({2, 3, 2}),
                                           torch::arange(4, torch::kInt32), torch::zeros({0, 128})};
  for (const auto& t : tensors) {
    write_npy(dir.file("t.npy"), t);
    const at::Tensor back = read_npy(dir.file("t.npy"));
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_EQ(back.scalar_type(), t.scalar_type());
    EXPECT_TRUE(torch::equal(back, t));
  }
}

TEST(Npy, NumpyReadsWhatWeWrite) {
  test::TempDir dir;
  write_npy(dir.file("a.npy"), torch::arange(6, torch::kFloat32).reshape({2, 3}));
  const auto r = test::run_command("/usr/bin/python3 -c \"import numpy as np; a = np.load('" + dir.file("a.npy") +
                                   "'); print(a.dtype, a.shape, a[1, 2])\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "float32 (2, 3) 5.0\n");
}

TEST(Npy, ReadsFortranOrderedArrays) {
  test::TempDir dir;
  const auto r = test::run_command("/usr/bin/python3 -c \"import numpy as np; np.save('" + dir.file("f.npy") +
                                   "', np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(torch::equal(read_npy(dir.file("f.npy")), torch::arange(24, torch::kFloat32).reshape({2, 3, 4})));
}

TEST(Npy, RefusesAFileThatIsNotNpy) {
  test::TempDir dir;
  std::ofstream(dir.file("x.npy")) << "hello";
  EXPECT_THROW(read_npy(dir.file("x.npy")), Error);
  EXPECT_THROW(read_npy(dir.file("missing.npy")), Error);
}

}  // namespace
}  // namespace mulan
