"""Loads the Python stubs that setup.sh generates from our proto/ files.

The stubs live in .tmp/interop-py/grpc/{testing,core} (or $INTEROP_PY_OUT).
Their import names start with "grpc", which is grpcio's own package, so the
folder is appended to grpc's package search path instead of shadowing it.
"""
import argparse
import os

import grpc

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUBS_DIR = os.environ.get("INTEROP_PY_OUT") or os.path.join(REPO_ROOT, ".tmp", "interop-py")
CERT_DIR = os.environ.get("INTEROP_CERT_DIR") or os.path.join(REPO_ROOT, ".tmp", "interop-certs")

_grpc_dir = os.path.join(STUBS_DIR, "grpc")
if not os.path.isdir(os.path.join(_grpc_dir, "testing")):
    raise SystemExit("interop stubs missing: run interop/python/setup.sh first")
if _grpc_dir not in grpc.__path__:
    grpc.__path__.append(_grpc_dir)

from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc  # noqa: E402

__all__ = ["empty_pb2", "messages_pb2", "test_pb2_grpc", "CERT_DIR", "REPO_ROOT"]


def read_cert(name):
    """Reads one of the test TLS files (ca.pem, server.pem, server.key)."""
    path = os.path.join(CERT_DIR, name)
    if not os.path.exists(path):
        raise SystemExit("test certificates missing in %s: run interop/python/setup.sh" % CERT_DIR)
    with open(path, "rb") as f:
        return f.read()


def parse_channel_arg(v):
    """NAME=VALUE, a C-core channel argument; VALUE is an integer when it reads as one."""
    name, sep, value = v.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME=VALUE, got %r" % v)
    try:
        return (name, int(value))
    except ValueError:
        return (name, value)
