#!/usr/bin/env python3
"""Embed every recording under a folder, then rank them for text queries.

    python3 examples/search_folder.py MODEL_DIR MUSIC_FOLDER "slow sad piano" "fast rock" [--top 5]

Prints, for each query, the best-matching files with their cosine scores. A file that cannot be
decoded is skipped with a warning. Needs `import mulan` (docs/python.md).
"""

import argparse
import os
import sys
import warnings

import numpy as np

import mulan

# What libsndfile reads (docs/model-format.md); other files in the folder are left alone.
AUDIO_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64"}


def find_audio(folder):
    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.join(root, n) for n in names if os.path.splitext(n)[1].lower() in AUDIO_EXTENSIONS]
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="model directory (config.json, model.safetensors, vocab.txt)")
    ap.add_argument("folder", help="folder searched recursively for audio files")
    ap.add_argument("queries", nargs="+", help="text queries")
    ap.add_argument("--top", type=int, default=5, help="results per query (default 5)")
    args = ap.parse_args()

    files = find_audio(args.folder)
    if not files:
        sys.exit(f"search_folder: no audio files under {args.folder}")
    model = mulan.Model.load(args.model)
    with warnings.catch_warnings():
        warnings.simplefilter("always", mulan.AudioWarning)  # one line per file that is skipped
        audio = model.embed_audio(files, errors="nan")  # [N, 128], NaN rows for files it could not read
    ok = ~np.isnan(audio).any(axis=1)
    files, audio = [f for f, keep in zip(files, ok) if keep], audio[ok]
    scores = audio @ model.embed_text(args.queries).T  # unit rows: the dot product is the cosine
    for q, column in zip(args.queries, scores.T):
        print(f"{q}")
        for i in np.argsort(-column, kind="stable")[: args.top]:
            print(f"  {column[i]:+.4f}  {files[i]}")


if __name__ == "__main__":
    try:
        main()
    except mulan.Error as e:
        sys.exit(f"search_folder: {e}")
