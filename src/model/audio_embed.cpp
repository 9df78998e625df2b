#include "mulan/audio_embed.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "mulan/frontend.h"
#include "mulan/windows.h"
#include "audio/downmix.h"
#include "audio/tar.h"
#include "mulan/threads.h"

namespace mulan {
namespace {

struct WindowItem {
  size_t file;
  int64_t index;
  at::Tensor window;  // [F, W]
};
struct FileDone {
  size_t file;
  std::vector<double> starts_s;  // one per window
  std::optional<Failure> failure;
};
using Item = std::variant<WindowItem, FileDone>;

// A bounded queue between the decoding threads and the model.
class Queue {
 public:
  explicit Queue(size_t capacity) : capacity_(capacity) {}
  // False when the queue was cancelled.
  bool push(Item item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || cancelled_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // Waits up to `wait` for an item.
  std::optional<Item> pop(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, wait, [&] { return !items_.empty(); })) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::deque<Item> items_;
  bool cancelled_ = false;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
};

// Streams the windows of one recording by the spec 1.1 policy, keeping only about one window
// of samples in memory: a window of W frames starting at frame s is the front end of the
// samples [s * hop, s * hop + (W - 1) * hop + frame_length), since every frame depends on its
// own samples only. emit(index, start_frame, window [F, W]) returns false to stop.
// A source's mono samples at the front end's rate, in chunks (AudioReader's read()).
class SampleStream {
 public:
  SampleStream(const AudioSource& source, int rate) {
    audio::DecodeOptions opts;
    opts.sample_rate = rate;
    switch (source.kind) {
      case AudioSource::Kind::file:
        if (audio::is_tar_member(source.name)) {
          bytes_ = audio::read_tar_member(source.name);
          reader_.emplace(bytes_.data(), bytes_.size(), source.name, opts);
        } else {
          reader_.emplace(source.name, opts);
        }
        break;
      case AudioSource::Kind::bytes:
        reader_.emplace(source.bytes.data(), source.bytes.size(), source.name, opts);
        break;
      case AudioSource::Kind::pcm: pcm_ = mono_at(source, rate); break;
    }
  }
  size_t read(std::vector<float>& out, size_t max) {
    if (reader_) return reader_->read(out, max);
    const size_t n = std::min(max, pcm_.size() - pos_);
    out.insert(out.end(), pcm_.begin() + static_cast<std::ptrdiff_t>(pos_), pcm_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return n;
  }

 private:
  static std::vector<float> mono_at(const AudioSource& s, int rate) {
    if (s.sample_rate < audio::kMinSampleRate || s.sample_rate > audio::kMaxSampleRate) {
      throw Error(file_error(s.name, "sample rate " + std::to_string(s.sample_rate) + " Hz is outside " +
                                         std::to_string(audio::kMinSampleRate) + ".." + std::to_string(audio::kMaxSampleRate)));
    }
    if (s.channels < 1 || s.channels > kMaxPcmChannels) {
      throw Error(file_error(s.name, std::to_string(s.channels) + " channels is outside 1.." + std::to_string(kMaxPcmChannels)));
    }
    if (s.samples.size() % static_cast<size_t>(s.channels) != 0) {
      throw Error(file_error(s.name, std::to_string(s.samples.size()) + " samples do not divide into " + std::to_string(s.channels) + " channels"));
    }
    const size_t frames = s.samples.size() / static_cast<size_t>(s.channels);
    std::vector<float> mono(frames);
    if (const int64_t i = audio::downmix(s.samples.data(), static_cast<int64_t>(frames), s.channels, mono.data()); i >= 0) {
      throw Error(file_error(s.name, "sample " + std::to_string(i) + " is not a finite number within full scale"));
    }
    return s.sample_rate == rate ? mono : audio::resample(mono, s.sample_rate, rate);
  }

  std::string bytes_;  // a tar member's encoded bytes, read by reader_
  std::optional<audio::AudioReader> reader_;
  std::vector<float> pcm_;
  size_t pos_ = 0;
};

std::vector<int64_t> stream_windows(const AudioSource& source, const audio::Frontend& fe, int64_t W,
                                    const std::function<bool(int64_t, at::Tensor)>& emit) {
  const std::string& path = source.name;
  const auto& fc = fe.config();
  const int64_t hop = fc.hop_length, frame = fc.frame_length();
  const int64_t span = (W - 1) * hop + frame;  // samples of one full window
  const int64_t keep = span + hop;              // enough for the end-aligned last window
  const float pad = fe.silence_value();
  SampleStream reader(source, fc.sample_rate);

  std::vector<float> buf;  // samples [buf_start, buf_start + buf.size())
  int64_t buf_start = 0, total = 0, next_frame = 0;
  std::vector<int64_t> starts;
  auto window_at = [&](int64_t start_frame, int64_t n_samples) {
    const int64_t offset = start_frame * hop - buf_start;
    const at::Tensor samples = torch::from_blob(buf.data() + offset, {n_samples}, torch::kFloat32);
    return audio::cut_windows(fe(samples), {0}, W, pad)[0];
  };
  for (;;) {
    const size_t got = reader.read(buf, 1 << 16);
    total += static_cast<int64_t>(got);
    while (next_frame * hop + span <= buf_start + static_cast<int64_t>(buf.size())) {
      if (!emit(static_cast<int64_t>(starts.size()), window_at(next_frame, span))) return starts;
      starts.push_back(next_frame);
      next_frame += W;
    }
    const int64_t drop = std::min(next_frame * hop, total - keep) - buf_start;
    if (drop > 0) {
      buf.erase(buf.begin(), buf.begin() + drop);
      buf_start += drop;
    }
    if (got == 0) break;
  }
  if (total == 0) throw Error(file_error(path, "has no audio samples (zero length)"));
  if (!starts.empty()) {
    const int64_t n = fe.num_frames(total);
    if (next_frame < n) {  // the last window, aligned to the end
      if (!emit(static_cast<int64_t>(starts.size()), window_at(n - W, span))) return starts;
      starts.push_back(n - W);
    }
    return starts;
  }
  // Shorter than one window (nothing was dropped): one window, padded with silence; shorter
  // than one frame: padded with digital silence up to one frame first.
  if (total < frame) buf.resize(static_cast<size_t>(frame), 0.0f);
  emit(0, window_at(0, static_cast<int64_t>(buf.size())));
  return {0};
}

struct FileState {
  std::map<int64_t, at::Tensor> rows;  // window index -> [d]
  std::optional<FileDone> done;
};

// A failure of one source: its name as where, the reason without a repeated name.
Failure source_failure(const std::string& name, const std::exception& e) {
  std::string reason = error_text(e);
  const std::string prefix = file_error(name, "");
  if (reason.starts_with(prefix)) reason = reason.substr(prefix.size());
  const bool empty = reason.find("no audio samples") != std::string::npos || reason.find("holds no samples") != std::string::npos;
  const FailureKind kind = dynamic_cast<const FileNotFound*>(&e) != nullptr ? FailureKind::missing
                           : empty                                         ? FailureKind::empty
                                                                           : FailureKind::unreadable;
  return {name, kind, reason};
}

}  // namespace

AudioSource AudioSource::file(std::string path) {
  AudioSource s;
  s.kind = Kind::file;
  s.name = std::move(path);
  return s;
}
AudioSource AudioSource::encoded(std::string data, std::string name) {
  AudioSource s;
  s.kind = Kind::bytes;
  s.bytes = std::move(data);
  s.name = std::move(name);
  return s;
}
AudioSource AudioSource::pcm(std::vector<float> samples, int sample_rate, int channels, std::string name) {
  AudioSource s;
  s.kind = Kind::pcm;
  s.samples = std::move(samples);
  s.sample_rate = sample_rate;
  s.channels = channels;
  s.name = std::move(name);
  return s;
}
std::vector<AudioSource> AudioSource::files(const std::vector<std::string>& paths) {
  std::vector<AudioSource> out;
  out.reserve(paths.size());
  for (const auto& p : paths) out.push_back(file(p));
  return out;
}

std::vector<float> decode_source(const AudioSource& source, int sample_rate) {
  SampleStream stream(source, sample_rate);
  std::vector<float> out;
  while (stream.read(out, size_t{1} << 16) > 0) {
  }
  if (out.empty()) throw Error(file_error(source.name, "holds no audio samples"));
  return out;
}

at::Tensor log_mel(const AudioSource& source, const audio::FrontendConfig& config) {
  std::vector<float> pcm = decode_source(source, config.sample_rate);
  const audio::Frontend frontend(config);
  const auto n = static_cast<int64_t>(pcm.size());
  if (frontend.num_frames(n) == 0) {
    throw Error(file_error(source.name, "too short: " + std::to_string(n) + " samples at " + std::to_string(config.sample_rate) +
                                            " Hz, one frame needs " + std::to_string(config.frame_length())));
  }
  torch::NoGradGuard no_grad;
  return frontend(torch::from_blob(pcm.data(), {n}, torch::kFloat32)).contiguous();
}

void AudioEmbedOptions::validate(const std::string& where) const {
  if (batch_windows < 1) throw UsageError(where + ": batch_windows must be >= 1, not " + std::to_string(batch_windows));
  if (decode_threads < 1 || decode_threads > kMaxDecodeThreads) {
    throw UsageError(where + ": decode_threads must be in 1.." + std::to_string(kMaxDecodeThreads) + ", not " +
                     std::to_string(decode_threads));
  }
}

AudioEmbedder::AudioEmbedder(Model model, AudioEmbedOptions options) : model_(std::move(model)), options_(options) {
  if (!model_.has_audio()) throw Error("this model has no audio tower");
  options_.validate();
}

void AudioEmbedder::run(const std::vector<std::string>& files,
                        const std::function<void(AudioEmbedding&&)>& on_result) const {
  run(AudioSource::files(files), on_result);
}

void AudioEmbedder::run(const std::vector<AudioSource>& files,
                        const std::function<void(AudioEmbedding&&)>& on_result) const {
  const AudioConfig& ac = *model_.config().audio;
  ac.validate("model config");  // the front end's numbers, and its n_mels against the tower's
  const audio::Frontend fe(ac.frontend_config());
  const int64_t W = ac.window_frames, B = options_.batch_windows;
  const double frame_s = double(fe.config().hop_length) / fe.config().sample_rate;

  Queue queue(static_cast<size_t>(2 * B + 2));
  std::atomic<size_t> next_file{0};
  std::atomic<int> running{0};
  std::vector<std::thread> workers;
  struct Joiner {  // stops and joins the workers however run() ends, a failed thread start included
    Queue& q;
    std::vector<std::thread>& ws;
    ~Joiner() {
      q.cancel();
      for (auto& w : ws) w.join();
    }
  } joiner{queue, workers};
  for (int t = 0; t < options_.decode_threads; ++t) {
    ++running;
    try {
      workers.emplace_back([&] {
        // The front end's operators on one thread: the model uses every core meanwhile.
        util::use_one_intra_op_thread_here();
        c10::InferenceMode guard;
        for (size_t f; (f = next_file++) < files.size();) {
          FileDone done{f, {}, {}};
          try {
            const auto starts = stream_windows(files[f], fe, W, [&](int64_t i, at::Tensor w) {
              return queue.push(WindowItem{f, i, std::move(w)});
            });
            for (int64_t s : starts) done.starts_s.push_back(double(s) * frame_s);
          } catch (const std::exception& e) {
            done.failure = source_failure(files[f].name, e);
          }
          if (!queue.push(std::move(done))) break;
        }
        --running;
      });
    } catch (const std::system_error& e) {  // the system refused another thread (ulimit -u): go on with those running
      --running;
      if (workers.empty()) throw Error(std::string("cannot start a decode thread: ") + e.what());
      break;
    }
  }

  std::map<size_t, FileState> state;
  std::vector<WindowItem> batch;
  size_t next_emit = 0;
  auto run_batch = [&] {
    std::vector<at::Tensor> ws;
    for (const auto& w : batch) ws.push_back(w.window);
    const at::Tensor e = model_.embed_windows(torch::stack(ws)).to(torch::kCPU);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].file >= next_emit) state[batch[i].file].rows[batch[i].index] = e[static_cast<int64_t>(i)];
    }
    batch.clear();
  };
  auto emit_ready = [&] {
    for (auto it = state.find(next_emit); it != state.end() && it->second.done; it = state.find(next_emit)) {
      FileState& s = it->second;
      if (!s.done->failure && s.rows.size() < s.done->starts_s.size()) return;  // windows still in flight
      AudioEmbedding out;
      out.path = files[next_emit].name;
      out.failure = s.done->failure;
      if (!out.failure) {
        std::vector<at::Tensor> rows;
        for (auto& [i, r] : s.rows) rows.push_back(r);
        const at::Tensor all = torch::stack(rows);
        out.embedding = torch::nn::functional::normalize(all.mean(0), torch::nn::functional::NormalizeFuncOptions().dim(0));
        if (options_.keep_windows) {
          out.windows = all;
          out.starts_s = s.done->starts_s;
        }
      }
      state.erase(it);
      ++next_emit;
      on_result(std::move(out));
    }
  };
  while (next_emit < files.size()) {
    std::optional<Item> item = queue.pop(std::chrono::milliseconds(20));
    if (!item) {
      if (!batch.empty()) run_batch();  // the decoders are behind: do not wait for a full batch
      emit_ready();
      continue;
    }
    if (auto* w = std::get_if<WindowItem>(&*item)) {
      batch.push_back(std::move(*w));
      if (static_cast<int64_t>(batch.size()) == B) run_batch();
    } else {
      auto& d = std::get<FileDone>(*item);
      if (d.failure) state[d.file].rows.clear();
      state[d.file].done = std::move(d);
      if (!batch.empty() && running == 0) run_batch();
    }
    emit_ready();
  }
}

}  // namespace mulan
