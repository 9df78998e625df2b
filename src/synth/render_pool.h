// Rendering many items on several threads, each with its own Renderer (fluidsynth instances are
// not thread-safe): what make_corpus and make_crawl share.
#pragma once

#include <functional>
#include <string>

#include "mulan/synth.h"

namespace mulan::synth {

// Calls item(renderer, i) for every i in [0, n) on `jobs` threads; progress(done, n) is called
// from the calling thread about five times a second. The first error stops the others and is
// rethrown here.
void render_in_parallel(int n, int jobs, const std::string& soundfont, int sample_rate,
                        const std::function<void(Renderer&, int)>& item, const std::function<void(int, int)>& progress);

}  // namespace mulan::synth
