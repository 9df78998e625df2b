#!/usr/bin/python3
"""The comparison's table: checks that every side's embeddings agree, then prints whole-process
seconds and model-only throughput.

usage: report.py WORK_DIR MULAN_AUDIO_S MULAN_TEXT_S TORCH_AUDIO_S TORCH_TEXT_S MULAN_WINDOWS_PER_S
                 MULAN_START_S INT8_AUDIO_S INT8_TEXT_S INT8_START_S
(*_START_S: the same command on one text: start-up and model load.)
"""
import json
import sys

import numpy as np


def main():
    work = sys.argv[1]
    m_audio, m_text, t_audio, t_text, m_wps, m_start, q_audio, q_text, q_start = map(float, sys.argv[2:11])
    ta, tt = json.load(open(f"{work}/torch_audio.json")), json.load(open(f"{work}/torch_text.json"))
    ort = json.load(open(f"{work}/ort_times.json"))
    counts = ta["windows_per_file"]
    # Every side's embeddings, checked against mulan's.
    mulan_a, mulan_t = np.load(f"{work}/mulan_audio.npy"), np.load(f"{work}/mulan_text.npy")
    torch_a, torch_t = np.load(f"{work}/torch_audio.npy"), np.load(f"{work}/torch_text.npy")
    ort_w, ort_t = np.load(f"{work}/ort_windows.npy"), np.load(f"{work}/ort_text.npy")
    ort_a, at = [], 0
    for n in counts:
        m = ort_w[at:at + n].mean(0)
        ort_a.append(m / np.linalg.norm(m))
        at += n
    # Text: the same token ids everywhere, so 1e-4. Audio: ONNX Runtime runs PyTorch's windows,
    # so 1e-4 between those two; mulan resamples 44.1 kHz with soxr where torchaudio uses its
    # own sinc filter, which moves the embeddings by a few 1e-4 (bounded at 2e-3).
    checks = [("PyTorch text - mulan", np.abs(torch_t - mulan_t).max(), 1e-4),
              ("ONNX Runtime text - mulan", np.abs(ort_t - mulan_t).max(), 1e-4),
              ("ONNX Runtime audio - PyTorch (same windows)", np.abs(np.stack(ort_a) - torch_a).max(), 1e-4),
              ("PyTorch audio - mulan (other resampler)", np.abs(torch_a - mulan_a).max(), 2e-3)]
    ok = True
    for name, v, bound in checks:
        print(f"max |{name}| = {v:.2e} (bound {bound:g})")
        ok &= bool(v <= bound)
    # int8: the same inputs, other arithmetic; cosine to mulan's float embeddings.
    for what, f, q in [("text", mulan_t, np.load(f"{work}/int8_text.npy")), ("audio", mulan_a, np.load(f"{work}/int8_audio.npy"))]:
        c = (f * q).sum(1).min()
        print(f"min cosine(mulan int8 {what}, mulan float {what}) = {c:.5f} (bound 0.999)")
        ok &= bool(c >= 0.999)
    windows, texts = sum(counts), len(mulan_t)
    print()
    print(f"| work | mulan | mulan int8 | PyTorch eager | ONNX Runtime (model only) |")
    print(f"| --- | --- | --- | --- | --- |")
    print(f"| {len(counts)} recordings ({windows} windows), whole process | {m_audio:.1f} s | {q_audio:.1f} s | {t_audio:.1f} s "
          f"(mulan {t_audio / m_audio:.2f}x, int8 {t_audio / q_audio:.2f}x) | |")
    print(f"| the same, audio model only | {windows / m_wps:.1f} s ({m_wps:.1f} windows/s, bench_audio_tower) | (float convolutions) | "
          f"{ta['model_s']:.1f} s ({windows / ta['model_s']:.1f} windows/s) | {ort['audio_model_s']:.1f} s "
          f"({windows / ort['audio_model_s']:.1f} windows/s) |")
    print(f"| {texts} texts, batches of 32, whole process | {m_text:.1f} s | {q_text:.1f} s | {t_text:.1f} s "
          f"(mulan {t_text / m_text:.2f}x, int8 {t_text / q_text:.2f}x) | |")
    mt, qt = m_text - m_start, q_text - q_start
    print(f"| the same, text model only | {mt:.1f} s (whole - {m_start:.1f} s start-up) | {qt:.1f} s (whole - {q_start:.1f} s) | "
          f"{tt['model_s']:.1f} s | {ort['text_model_s']:.1f} s |")
    if not ok:
        sys.exit("compare: the embeddings disagree beyond their bounds (above)")


if __name__ == "__main__":
    main()
