"""Model files and ONNX inference: what do safety and portability cost?

Times, for one fitted model on n x d data:
- ``oneuron.save`` / ``oneuron.load`` (JSON + base64 + SHA-256, atomic write) against ``pickle``
  (scikit-learn's usual way, unsafe to load from strangers) of scikit-learn's fitted model, and file sizes;
- ``predict_proba`` of oneuron, of scikit-learn, and of the exported ONNX graph in onnxruntime.

Usage: ``python benchmarks/bench_model_files.py [--quick]`` (``--quick``: small sizes, for validation).
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import warnings

import numpy as np
from sklearn import linear_model
from sklearn.datasets import make_classification

import oneuron
from _timing import best_time
from oneuron._persist import dumps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a quick check")
    args = parser.parse_args()
    n, d, k = (20_000, 20, 3) if args.quick else (200_000, 100, 5)
    repeat = 3 if args.quick else 5
    X, y = make_classification(n, d, n_informative=10, n_classes=k, random_state=0)
    ours = oneuron.LogisticRegression(max_iter=200).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = linear_model.LogisticRegression(max_iter=200).fit(X, y)
    print(f"model files and inference: n={n}, d={d}, classes={k}, best of {repeat}")

    with tempfile.TemporaryDirectory() as tmp:
        ours_path, peer_path = os.path.join(tmp, "m.oneuron"), os.path.join(tmp, "m.pkl")

        def pickle_save():
            with open(peer_path, "wb") as f:
                pickle.dump(peer, f)

        def pickle_load():
            with open(peer_path, "rb") as f:
                pickle.load(f)

        t_save = best_time(lambda: oneuron.save(ours, ours_path), repeat)[0]
        t_dumps = best_time(lambda: dumps(ours), repeat)[0]  # the same without the file, fsync and rename
        t_load = best_time(lambda: oneuron.load(ours_path), repeat)[0]
        t_psave = best_time(pickle_save, repeat)[0]
        t_pload = best_time(pickle_load, repeat)[0]
        size, psize = os.path.getsize(ours_path), os.path.getsize(peer_path)
    for what, a, b in (("save", t_save, t_psave), ("load", t_load, t_pload)):
        print(f"{what}   oneuron {a * 1e3:8.2f} ms   pickle(sklearn) {b * 1e3:8.2f} ms   ratio {a / b:.1f}x")
    print(f"       (oneuron's bytes alone, without write + fsync + rename: {t_dumps * 1e3:.2f} ms)")
    print(f"size   oneuron {size:8d} B    pickle(sklearn) {psize:8d} B    ratio {size / psize:.1f}x")

    t_ours = best_time(lambda: ours.predict_proba(X), repeat)[0]
    t_peer = best_time(lambda: peer.predict_proba(X), repeat)[0]
    line = f"predict_proba  oneuron {t_ours * 1e3:8.1f} ms   sklearn {t_peer * 1e3:8.1f} ms"
    try:
        import onnxruntime as ort
    except ImportError:
        print(line + "   (onnxruntime not installed)")
        return
    session = ort.InferenceSession(ours.to_onnx().SerializeToString(), providers=["CPUExecutionProvider"])
    t_onnx = best_time(lambda: session.run(["probabilities"], {"X": X}), repeat)[0]
    gap = np.abs(session.run(["probabilities"], {"X": X})[0] - ours.predict_proba(X)).max()
    print(line + f"   onnxruntime {t_onnx * 1e3:8.1f} ms   (max |p_onnx - p_oneuron| = {gap:.1e})")
    print(f"ratios: oneuron/sklearn {t_ours / t_peer:.2f}x, onnxruntime/oneuron {t_onnx / t_ours:.2f}x")


if __name__ == "__main__":
    main()
