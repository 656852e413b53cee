"""Interop server on Python grpcio (gRPC C-core): a reference peer for tsgrpc.

    /usr/bin/python3 interop/python/server.py --port=8080 [--use_tls=true]

Implements grpc.testing.TestService as the gRPC interop description's
"Server" section asks, and prints "listening on 127.0.0.1:PORT" once bound
(--port=0 picks a free port). Run interop/python/setup.sh first.

grpcio does not tell handlers whether a request message arrived compressed.
This server therefore turns C-core's per-message decompression off
(grpc.per_message_decompression=0), receives the bytes as they were on the
wire and inflates them itself: gzip and zlib (gRPC "deflate") streams have
headers that an encoded request message of this service never starts with.
"""
import argparse
import gzip
import signal
import sys
import threading
import time
import zlib
from concurrent import futures

import grpc

import interop_stubs
from interop_stubs import empty_pb2, messages_pb2

ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
CODES = {c.value[0]: c for c in grpc.StatusCode}


class Received:
    """A decoded request message and whether it arrived compressed."""

    __slots__ = ("message", "compressed")

    def __init__(self, message, compressed):
        self.message = message
        self.compressed = compressed


def _looks_like_zlib(b):
    return len(b) >= 2 and (b[0] & 0x0F) == 8 and ((b[0] << 8) | b[1]) % 31 == 0


def decoder(cls):
    def decode(raw):
        if raw[:2] == b"\x1f\x8b":
            return Received(cls.FromString(gzip.decompress(raw)), True)
        if _looks_like_zlib(raw):
            try:
                return Received(cls.FromString(zlib.decompress(raw)), True)
            except zlib.error:
                pass
        return Received(cls.FromString(raw), False)

    return decode


def payload(size):
    return messages_pb2.Payload(type=messages_pb2.COMPRESSABLE, body=b"\0" * size)


def start_call(context, compress=False):
    """Sets compression, echoes the initial header and arms the echoed trailer."""
    if compress:
        context.set_compression(grpc.Compression.Gzip)
    md = dict(context.invocation_metadata())
    if ECHO_INITIAL_KEY in md:
        context.send_initial_metadata(((ECHO_INITIAL_KEY, md[ECHO_INITIAL_KEY]),))
    if ECHO_TRAILING_KEY in md:
        context.set_trailing_metadata(((ECHO_TRAILING_KEY, md[ECHO_TRAILING_KEY]),))


def abort_if_status(context, message):
    if message.HasField("response_status") and message.response_status.code != 0:
        st = message.response_status
        context.abort(CODES.get(st.code, grpc.StatusCode.UNKNOWN), st.message)


def check_compressed(context, received):
    m = received.message
    if m.HasField("expect_compressed") and m.expect_compressed.value and not received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected a compressed request message")


def stream_responses(context, params):
    for p in params:
        if p.interval_us > 0:
            time.sleep(p.interval_us / 1e6)
        if not p.compressed.value:
            context.disable_next_message_compression()
        yield messages_pb2.StreamingOutputCallResponse(payload=payload(p.size))


def empty_call(received, context):
    start_call(context)
    return empty_pb2.Empty()


def unary_call(received, context):
    req = received.message
    start_call(context, compress=req.response_compressed.value)
    check_compressed(context, received)
    abort_if_status(context, req)
    if req.response_type != messages_pb2.COMPRESSABLE:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unsupported response_type")
    return messages_pb2.SimpleResponse(payload=payload(req.response_size))


def cacheable_unary_call(received, context):
    start_call(context)
    body = str(time.time_ns()).encode()
    return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=body))


def streaming_output_call(received, context):
    req = received.message
    start_call(context, compress=any(p.compressed.value for p in req.response_parameters))
    abort_if_status(context, req)
    yield from stream_responses(context, req.response_parameters)


def streaming_input_call(request_iterator, context):
    start_call(context)
    total = 0
    for received in request_iterator:
        check_compressed(context, received)
        total += len(received.message.payload.body)
    return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)


def full_duplex_call(request_iterator, context):
    start_call(context)
    for received in request_iterator:
        abort_if_status(context, received.message)
        yield from stream_responses(context, received.message.response_parameters)


def half_duplex_call(request_iterator, context):
    start_call(context)
    requests = [r.message for r in request_iterator]
    for req in requests:
        abort_if_status(context, req)
        yield from stream_responses(context, req.response_parameters)


def handler():
    M = messages_pb2
    out = lambda cls: cls.SerializeToString  # noqa: E731
    methods = {
        "EmptyCall": grpc.unary_unary_rpc_method_handler(
            empty_call, decoder(empty_pb2.Empty), out(empty_pb2.Empty)),
        "UnaryCall": grpc.unary_unary_rpc_method_handler(
            unary_call, decoder(M.SimpleRequest), out(M.SimpleResponse)),
        "CacheableUnaryCall": grpc.unary_unary_rpc_method_handler(
            cacheable_unary_call, decoder(M.SimpleRequest), out(M.SimpleResponse)),
        "StreamingOutputCall": grpc.unary_stream_rpc_method_handler(
            streaming_output_call, decoder(M.StreamingOutputCallRequest), out(M.StreamingOutputCallResponse)),
        "StreamingInputCall": grpc.stream_unary_rpc_method_handler(
            streaming_input_call, decoder(M.StreamingInputCallRequest), out(M.StreamingInputCallResponse)),
        "FullDuplexCall": grpc.stream_stream_rpc_method_handler(
            full_duplex_call, decoder(M.StreamingOutputCallRequest), out(M.StreamingOutputCallResponse)),
        "HalfDuplexCall": grpc.stream_stream_rpc_method_handler(
            half_duplex_call, decoder(M.StreamingOutputCallRequest), out(M.StreamingOutputCallResponse)),
        # UnimplementedCall is left out on purpose: the server answers UNIMPLEMENTED.
    }
    return grpc.method_handlers_generic_handler("grpc.testing.TestService", methods)


def parse_bool(v):
    if v in ("true", "1", ""):
        return True
    if v in ("false", "0"):
        return False
    raise argparse.ArgumentTypeError("expected true or false, got %r" % v)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--use_tls", type=parse_bool, nargs="?", const=True, default=False)
    # Channel arguments of the C core, repeatable, e.g. keepalive enforcement:
    # --channel_arg=grpc.http2.min_ping_interval_without_data_ms=500 --channel_arg=grpc.http2.max_ping_strikes=1
    parser.add_argument("--channel_arg", type=interop_stubs.parse_channel_arg, action="append", default=[])
    args = parser.parse_args()

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64),
        handlers=[handler()],
        options=[("grpc.per_message_decompression", 0)] + args.channel_arg,
    )
    address = "127.0.0.1:%d" % args.port
    if args.use_tls:
        creds = grpc.ssl_server_credentials(
            [(interop_stubs.read_cert("server.key"), interop_stubs.read_cert("server.pem"))])
        port = server.add_secure_port(address, creds)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        sys.exit("could not bind %s" % address)
    server.start()
    print("listening on 127.0.0.1:%d" % port, flush=True)

    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
