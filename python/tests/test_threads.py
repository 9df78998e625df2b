"""One model, many Python threads: the same numbers as one thread, and the GIL released while
the library works."""

import threading
import time

import numpy as np

import mulan
from conftest import tone

TEXTS = ["sad piano in a minor key", "fast loud rock with drums", "calm ambient", "jazz trio", "a " * 50]


def test_threads_get_what_one_thread_gets(model, recordings):
    want_text = model.embed_text(TEXTS)
    want_audio = model.embed_audio(recordings)
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(2):
                t = model.embed_text(TEXTS[i % 5:] + TEXTS[: i % 5])  # another order in each thread
                a = model.embed_audio(recordings[i % 3:] + recordings[: i % 3], batch_size=1 + i % 4)
            results[i] = (t, a)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 8
    for i, (t, a) in results.items():
        np.testing.assert_allclose(t, np.roll(want_text, -(i % 5), axis=0), atol=1e-6)
        np.testing.assert_allclose(a, np.roll(want_audio, -(i % 3), axis=0), atol=1e-5)


def counted_during(call):
    """How far a Python loop in another thread counts while call() runs, and call()'s seconds."""
    state = {"n": 0, "stop": False}

    def count():
        while not state["stop"]:
            state["n"] += 1

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    start_n, start = state["n"], time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    counted = state["n"] - start_n
    state["stop"] = True
    t.join()
    return counted, seconds


def test_the_gil_is_released_while_the_library_works(model):
    # 90 s of audio: long enough that holding the GIL would stop the counting thread for a while.
    x = tone(90, 16000, [220, 277, 330], 5).astype(np.float32)
    for name, call in [
        ("embed_audio", lambda: model.embed_audio(x, sample_rate=16000)),
        ("embed_text", lambda: model.embed_text(TEXTS * 40)),
        ("mel", lambda: mulan.mel(x, sample_rate=16000)),
    ]:
        counted, seconds = counted_during(call)
        # A thread that got no time while the call held the GIL would count (almost) nothing; a
        # Python loop counts millions a second when it runs.
        assert counted > 20000 * seconds * 10, f"{name}: counted {counted} in {seconds:.3f} s"
