"""The ``oneuron`` command: a thin layer over the library."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``oneuron`` command."""
    parser = argparse.ArgumentParser(prog="oneuron", description="Logistic regression as one neuron.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the lesson's experiment (digits: is it a 2?)")
    cluster = sub.add_parser("demo-cluster", help="fit on generated data on a local Dask cluster")
    cluster.add_argument("--n-samples", type=int, default=1_000_000)
    cluster.add_argument("--n-features", type=int, default=20)
    cluster.add_argument("--workers", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``oneuron`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from oneuron import demo

        demo.main()
    elif args.command == "demo-cluster":
        from oneuron import demo_cluster

        demo_cluster.main(args.n_samples, args.n_features, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
