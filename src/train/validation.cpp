#include "train/validation.h"

#include <torch/torch.h>

#include <algorithm>
#include <span>

#include "data/pair_sampler.h"
#include "data/spectrogram_cache.h"
#include "metrics/metrics.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/tokenizer.h"
#include "mulan/windows.h"
#include "train/text_groups.h"

namespace mulan::train {

MiddleWindows middle_windows(const std::vector<data::Recording>& recordings, const audio::FrontendConfig& frontend,
                             int64_t window_frames) {
  data::SpectrogramCache cache(frontend, 0);  // each recording is read once
  MiddleWindows out;
  std::vector<at::Tensor> windows;
  for (size_t i = 0; i < recordings.size(); ++i) {
    at::Tensor spec;
    try {
      spec = cache.get(static_cast<int64_t>(i), recordings[i].audio);
    } catch (const Error& e) {
      out.bad.push_back({recordings[i].where, FailureKind::unreadable, e.what()});
      continue;
    }
    const int64_t start = std::max<int64_t>(0, (spec.size(1) - window_frames) / 2);
    windows.push_back(audio::cut_windows(spec, {start}, window_frames, cache.frontend().silence_value())[0]);
    out.kept.push_back(static_cast<int64_t>(i));
  }
  if (!windows.empty()) out.windows = torch::stack(windows);
  return out;
}

at::Tensor tag_logits_in_batches(model::AudioTowerImpl& tower, const at::Tensor& windows, int64_t batch, c10::Device device) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> logits;
  for (int64_t s = 0; s < windows.size(0); s += batch) {
    logits.push_back(tower.tag_logits(windows.slice(0, s, s + batch).to(device)).to(torch::kCPU, torch::kFloat32));
  }
  return torch::cat(logits);
}

ValidationSet make_validation_set(const std::vector<data::Recording>& recordings,
                                  const std::map<std::string, double>& source_ratio, uint64_t seed,
                                  const audio::FrontendConfig& frontend, int64_t window_frames) {
  const data::PairSampler sampler(recordings, source_ratio, data::mix_seed(seed, 0x56414cULL));
  MiddleWindows mw = middle_windows(sampler.recordings(), frontend, window_frames);
  if (mw.kept.size() < 2) throw Error("validation needs at least 2 readable recordings with texts");
  ValidationSet set;
  set.windows = mw.windows;
  set.bad = std::move(mw.bad);
  for (const int64_t i : mw.kept) {
    const data::PairSpec p = sampler.pair_for(i, data::mix_seed(seed, static_cast<uint64_t>(i)));
    set.texts.push_back(sampler.recordings()[i].texts.at(p.source)[p.text]);
  }
  return set;
}

ValidationResult run_validation(model::MulanModelImpl& net, const text::Tokenizer& tokenizer, const ValidationSet& set,
                                int64_t batch, LossKind kind, double tau_min, c10::Device device) {
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  const int64_t n = set.windows.size(0);
  std::vector<at::Tensor> audio, text;
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(n, s + batch);
    audio.push_back(net.audio->forward(set.windows.slice(0, s, e).to(device)).to(torch::kCPU, torch::kFloat32));
    const std::vector<std::string> chunk(set.texts.begin() + s, set.texts.begin() + e);
    text.push_back(text_forward_grouped(*net.text, tokenizer, chunk, device).to(torch::kCPU, torch::kFloat32));
  }
  const at::Tensor a = torch::cat(audio), t = torch::cat(text);
  const at::Tensor tau = temperature(net.log_tau.detach().cpu(), tau_min);
  ValidationResult r;
  r.pairs = n;
  double weighted = 0, chance = 0;
  int64_t counted = 0;
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(n, s + batch);
    if (e - s < 2) break;  // a last batch of one pair has no negatives
    weighted += contrastive_loss(a.slice(0, s, e), t.slice(0, s, e), tau, kind).item<double>() * static_cast<double>(e - s);
    chance += chance_loss(e - s, kind) * static_cast<double>(e - s);
    counted += e - s;
  }
  r.loss = weighted / static_cast<double>(counted);
  r.chance = chance / static_cast<double>(counted);
  // Text i against every recording; its target is recording i.
  const at::Tensor scores = torch::matmul(t, a.t()).to(torch::kFloat64).contiguous();  // [N, N]
  const at::Tensor relevance = torch::eye(n, torch::kUInt8).contiguous();
  const eval::RetrievalResult ret = eval::retrieval_metrics(std::span<const double>(scores.data_ptr<double>(), n * n),
                                                            std::span<const uint8_t>(relevance.data_ptr<uint8_t>(), n * n), n, n);
  r.r_at_10 = ret.r_at_10;
  r.map = ret.map;
  r.median_rank = ret.median_rank;
  if (was_training) net.train();
  return r;
}

}  // namespace mulan::train
