"""Interop client on Python grpcio (gRPC C-core): a reference peer for tsgrpc.

    /usr/bin/python3 interop/python/client.py --server_host=127.0.0.1 \\
        --server_port=8080 --test_case=large_unary \\
        [--use_tls=true --use_test_ca=true --server_host_override=foo.test.google.fr]

Exits 0 when the case passed; otherwise prints what differed and exits 1.
Run interop/python/setup.sh first. grpcio cannot see the compressed flag of
received messages (server_compressed_* check sizes only), nor turn
compression off for one message of a compressed stream (the second upload of
client_compressed_streaming goes compressed; the server does not require it
either way).
"""
import argparse
import queue
import sys
import threading
import time

import grpc

import interop_stubs
from interop_stubs import empty_pb2, messages_pb2, test_pb2_grpc

M = messages_pb2
LARGE_REQUEST_SIZE = 271828
LARGE_RESPONSE_SIZE = 314159
CLIENT_STREAMING_SIZES = (27182, 8, 1828, 45904)
SERVER_STREAMING_SIZES = (31415, 9, 2653, 58979)
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class CaseFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CaseFailure(what)


def check_equal(actual, expected, what):
    if actual != expected:
        raise CaseFailure("%s: expected %r, got %r" % (what, expected, actual))


def check_zeros(payload, size, what):
    body = payload.body
    if len(body) != size:
        raise CaseFailure("%s: payload body is %d bytes, expected %d" % (what, len(body), size))
    if body.count(0) != size:
        raise CaseFailure("%s: payload body is not all zeros" % what)


def expect_code(fn, code, what):
    """Runs fn, which must fail with the given status; returns the error."""
    try:
        fn()
    except grpc.RpcError as e:
        if e.code() != code:
            raise CaseFailure("%s: expected status %s, got %s (%r)" % (what, code.name, e.code().name, e.details()))
        return e
    raise CaseFailure("%s: expected status %s, the call succeeded" % (what, code.name))


def zeros(n):
    return M.Payload(body=b"\0" * n)


def large_request(**extra):
    return M.SimpleRequest(response_size=LARGE_RESPONSE_SIZE, payload=zeros(LARGE_REQUEST_SIZE), **extra)


def large_unary(stub, what, **kw):
    res = stub.UnaryCall(large_request(**kw.pop("request", {})), **kw)
    check_zeros(res.payload, LARGE_RESPONSE_SIZE, what)
    return res


class Feed:
    """A request iterator that the test pushes to, for lock-step streams."""

    _END = object()

    def __init__(self):
        self._q = queue.Queue()

    def put(self, msg):
        self._q.put(msg)

    def close(self):
        self._q.put(self._END)

    def __iter__(self):
        while True:
            item = self._q.get()
            if item is self._END:
                return
            yield item


def echo_metadata():
    return (ECHO_INITIAL, ECHO_TRAILING)


def check_echo(initial, trailing, what):
    check_equal(dict(initial or ()).get(ECHO_INITIAL[0]), ECHO_INITIAL[1], "%s: initial metadata %s" % (what, ECHO_INITIAL[0]))
    check_equal(dict(trailing or ()).get(ECHO_TRAILING[0]), ECHO_TRAILING[1], "%s: trailing metadata %s" % (what, ECHO_TRAILING[0]))


# --- cases -----------------------------------------------------------------

def empty_unary(args, stub):
    res = stub.EmptyCall(empty_pb2.Empty())
    check(isinstance(res, empty_pb2.Empty), "EmptyCall: no response")


def large_unary_case(args, stub):
    large_unary(stub, "UnaryCall")


def client_streaming(args, stub):
    res = stub.StreamingInputCall(iter([M.StreamingInputCallRequest(payload=zeros(n)) for n in CLIENT_STREAMING_SIZES]))
    check_equal(res.aggregated_payload_size, 74922, "aggregated_payload_size")


def server_streaming(args, stub):
    req = M.StreamingOutputCallRequest(response_parameters=[M.ResponseParameters(size=n) for n in SERVER_STREAMING_SIZES])
    msgs = list(stub.StreamingOutputCall(req))
    check_equal(len(msgs), 4, "number of responses")
    for i, m in enumerate(msgs):
        check_zeros(m.payload, SERVER_STREAMING_SIZES[i], "response %d" % i)


def ping_pong(args, stub):
    feed = Feed()
    responses = stub.FullDuplexCall(iter(feed))
    try:
        for i, size in enumerate(SERVER_STREAMING_SIZES):
            feed.put(M.StreamingOutputCallRequest(
                response_parameters=[M.ResponseParameters(size=size)], payload=zeros(CLIENT_STREAMING_SIZES[i])))
            res = next(responses, None)
            check(res is not None, "round %d: stream ended before the response" % i)
            check_zeros(res.payload, size, "round %d" % i)
        feed.close()
        check(next(responses, None) is None, "a fifth response arrived")
        check_equal(responses.code(), grpc.StatusCode.OK, "FullDuplexCall status")
    finally:
        feed.close()


def empty_stream(args, stub):
    msgs = list(stub.FullDuplexCall(iter([])))
    check_equal(len(msgs), 0, "number of responses")


def timeout_on_sleeping_server(args, stub):
    feed = Feed()
    feed.put(M.StreamingOutputCallRequest(payload=zeros(27182)))
    try:
        expect_code(lambda: list(stub.FullDuplexCall(iter(feed), timeout=0.001)),
                    grpc.StatusCode.DEADLINE_EXCEEDED, "FullDuplexCall")
    finally:
        feed.close()


def cancel_after_begin(args, stub):
    feed = Feed()
    try:
        future = stub.StreamingInputCall.future(iter(feed))
        future.cancel()
        check(future.cancelled(), "the call was not cancelled")
        check_equal(future.code(), grpc.StatusCode.CANCELLED, "StreamingInputCall status")
    finally:
        feed.close()


def cancel_after_first_response(args, stub):
    feed = Feed()
    try:
        responses = stub.FullDuplexCall(iter(feed))
        feed.put(M.StreamingOutputCallRequest(response_parameters=[M.ResponseParameters(size=31415)], payload=zeros(27182)))
        first = next(responses, None)
        check(first is not None, "no first response")
        responses.cancel()
        expect_code(lambda: list(responses), grpc.StatusCode.CANCELLED, "FullDuplexCall")
    finally:
        feed.close()


def custom_metadata(args, stub):
    res, call = stub.UnaryCall.with_call(large_request(), metadata=echo_metadata())
    check_zeros(res.payload, LARGE_RESPONSE_SIZE, "UnaryCall")
    check_echo(call.initial_metadata(), call.trailing_metadata(), "UnaryCall")
    req = M.StreamingOutputCallRequest(
        response_parameters=[M.ResponseParameters(size=LARGE_RESPONSE_SIZE)], payload=zeros(LARGE_REQUEST_SIZE))
    responses = stub.FullDuplexCall(iter([req]), metadata=echo_metadata())
    msgs = list(responses)
    check_equal(len(msgs), 1, "FullDuplexCall: number of responses")
    check_zeros(msgs[0].payload, LARGE_RESPONSE_SIZE, "FullDuplexCall")
    check_echo(responses.initial_metadata(), responses.trailing_metadata(), "FullDuplexCall")


def status_code_and_message(args, stub):
    st = M.EchoStatus(code=2, message=STATUS_MESSAGE)
    e = expect_code(lambda: stub.UnaryCall(M.SimpleRequest(response_status=st)), grpc.StatusCode.UNKNOWN, "UnaryCall")
    check_equal(e.details(), STATUS_MESSAGE, "UnaryCall status message")
    e = expect_code(lambda: list(stub.FullDuplexCall(iter([M.StreamingOutputCallRequest(response_status=st)]))),
                    grpc.StatusCode.UNKNOWN, "FullDuplexCall")
    check_equal(e.details(), STATUS_MESSAGE, "FullDuplexCall status message")


def special_status_message(args, stub):
    st = M.EchoStatus(code=2, message=SPECIAL_STATUS_MESSAGE)
    e = expect_code(lambda: stub.UnaryCall(M.SimpleRequest(response_status=st)), grpc.StatusCode.UNKNOWN, "UnaryCall")
    check_equal(e.details(), SPECIAL_STATUS_MESSAGE, "UnaryCall status message")


def unimplemented_method(args, stub):
    expect_code(lambda: stub.UnimplementedCall(empty_pb2.Empty()), grpc.StatusCode.UNIMPLEMENTED,
                "TestService/UnimplementedCall")


def unimplemented_service(args, stub):
    other = test_pb2_grpc.UnimplementedServiceStub(stub.channel)
    expect_code(lambda: other.UnimplementedCall(empty_pb2.Empty()), grpc.StatusCode.UNIMPLEMENTED,
                "UnimplementedService/UnimplementedCall")


def client_compressed_unary(args, stub):
    expect_code(lambda: stub.UnaryCall(large_request(expect_compressed=M.BoolValue(value=True))),
                grpc.StatusCode.INVALID_ARGUMENT, "uncompressed probe with expect_compressed")
    large_unary(stub, "compressed UnaryCall", request={"expect_compressed": M.BoolValue(value=True)},
                compression=grpc.Compression.Gzip)
    large_unary(stub, "uncompressed UnaryCall", request={"expect_compressed": M.BoolValue(value=False)})


def server_compressed_unary(args, stub):
    for value in (True, False):
        large_unary(stub, "UnaryCall with response_compressed=%s" % value,
                    request={"response_compressed": M.BoolValue(value=value)})


def client_compressed_streaming(args, stub):
    probe = M.StreamingInputCallRequest(expect_compressed=M.BoolValue(value=True), payload=zeros(27182))
    expect_code(lambda: stub.StreamingInputCall(iter([probe])), grpc.StatusCode.INVALID_ARGUMENT,
                "uncompressed probe with expect_compressed")
    reqs = [probe, M.StreamingInputCallRequest(expect_compressed=M.BoolValue(value=False), payload=zeros(45904))]
    res = stub.StreamingInputCall(iter(reqs), compression=grpc.Compression.Gzip)
    check_equal(res.aggregated_payload_size, 73086, "aggregated_payload_size")


def server_compressed_streaming(args, stub):
    req = M.StreamingOutputCallRequest(response_parameters=[
        M.ResponseParameters(size=31415, compressed=M.BoolValue(value=True)),
        M.ResponseParameters(size=92653, compressed=M.BoolValue(value=False)),
    ])
    msgs = list(stub.StreamingOutputCall(req))
    check_equal(len(msgs), 2, "number of responses")
    check_zeros(msgs[0].payload, 31415, "response 0")
    check_zeros(msgs[1].payload, 92653, "response 1")


def soak(args, stub, new_channel):
    deadline = time.monotonic() + args.soak_overall_timeout_seconds
    failures = []
    for i in range(args.soak_iterations):
        if time.monotonic() > deadline:
            break
        if i > 0 and args.soak_min_time_ms_between_rpcs > 0:
            time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = time.monotonic() + args.soak_min_time_ms_between_rpcs / 1000
        channel = make_channel(args) if new_channel else None
        s = test_pb2_grpc.TestServiceStub(channel) if channel else stub
        start = time.monotonic()
        try:
            large_unary(s, "iteration %d" % i)
            ms = (time.monotonic() - start) * 1000
            if ms > args.soak_per_iteration_max_acceptable_latency_ms:
                raise CaseFailure("iteration %d took %.0f ms, over %d ms" % (i, ms, args.soak_per_iteration_max_acceptable_latency_ms))
        except (CaseFailure, grpc.RpcError) as e:
            failures.append(str(e))
        finally:
            if channel:
                channel.close()
    if len(failures) > args.soak_max_failures:
        raise CaseFailure("%d of %d iterations failed: %s" % (len(failures), args.soak_iterations, "; ".join(failures[:3])))


def concurrent_large_unary(args, stub):
    futures = [stub.UnaryCall.future(large_request()) for _ in range(args.concurrent_calls)]
    errors = []
    for i, f in enumerate(futures):
        try:
            check_zeros(f.result(timeout=30).payload, LARGE_RESPONSE_SIZE, "call %d" % i)
        except (CaseFailure, grpc.RpcError, grpc.FutureTimeoutError) as e:
            errors.append(str(e))
    if errors:
        raise CaseFailure("%d of %d calls failed; first: %s" % (len(errors), len(futures), errors[0]))


CASES = {
    "empty_unary": empty_unary,
    "large_unary": large_unary_case,
    "client_streaming": client_streaming,
    "server_streaming": server_streaming,
    "ping_pong": ping_pong,
    "empty_stream": empty_stream,
    "timeout_on_sleeping_server": timeout_on_sleeping_server,
    "cancel_after_begin": cancel_after_begin,
    "cancel_after_first_response": cancel_after_first_response,
    "custom_metadata": custom_metadata,
    "status_code_and_message": status_code_and_message,
    "special_status_message": special_status_message,
    "unimplemented_method": unimplemented_method,
    "unimplemented_service": unimplemented_service,
    "client_compressed_unary": client_compressed_unary,
    "server_compressed_unary": server_compressed_unary,
    "client_compressed_streaming": client_compressed_streaming,
    "server_compressed_streaming": server_compressed_streaming,
    "rpc_soak": lambda args, stub: soak(args, stub, False),
    "channel_soak": lambda args, stub: soak(args, stub, True),
    "concurrent_large_unary": concurrent_large_unary,
}


def make_channel(args):
    target = "%s:%d" % (args.server_host, args.server_port)
    options = list(args.channel_arg)
    if args.server_host_override:
        options += [("grpc.ssl_target_name_override", args.server_host_override),
                    ("grpc.default_authority", args.server_host_override)]
    if args.use_tls:
        root = interop_stubs.read_cert("ca.pem") if args.use_test_ca else None
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root), options)
    return grpc.insecure_channel(target, options)


def parse_bool(v):
    if v in ("true", "1", ""):
        return True
    if v in ("false", "0"):
        return False
    raise argparse.ArgumentTypeError("expected true or false, got %r" % v)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server_host", default="localhost")
    p.add_argument("--server_port", type=int, default=8080)
    p.add_argument("--server_host_override", default="")
    p.add_argument("--test_case", required=True, choices=sorted(CASES))
    p.add_argument("--use_tls", type=parse_bool, nargs="?", const=True, default=False)
    p.add_argument("--use_test_ca", type=parse_bool, nargs="?", const=True, default=False)
    p.add_argument("--default_service_account", default="")
    p.add_argument("--oauth_scope", default="")
    p.add_argument("--soak_iterations", type=int, default=10)
    p.add_argument("--soak_max_failures", type=int, default=0)
    p.add_argument("--soak_per_iteration_max_acceptable_latency_ms", type=int, default=1000)
    p.add_argument("--soak_overall_timeout_seconds", type=int, default=30)
    p.add_argument("--concurrent_calls", type=int, default=32)
    p.add_argument("--soak_min_time_ms_between_rpcs", type=int, default=0)
    p.add_argument("--watch_connectivity", type=parse_bool, nargs="?", const=True, default=False)
    # Channel arguments of the C core, repeatable: --channel_arg=grpc.keepalive_time_ms=1000
    p.add_argument("--channel_arg", type=interop_stubs.parse_channel_arg, action="append", default=[])
    args = p.parse_args()

    watchdog = threading.Timer(60, lambda: (print("FAIL %s: no result within 60 s" % args.test_case, file=sys.stderr, flush=True), __import__("os")._exit(1)))
    watchdog.daemon = True
    watchdog.start()
    channel = make_channel(args)
    if args.watch_connectivity:
        # A connectivity subscriber keeps a thread polling the channel, so that it
        # reads what the server sends (a GOAWAY) between calls too.
        channel.subscribe(lambda state: None)
    stub = test_pb2_grpc.TestServiceStub(channel)
    stub.channel = channel
    try:
        CASES[args.test_case](args, stub)
    except CaseFailure as e:
        print("FAIL %s: %s" % (args.test_case, e), file=sys.stderr, flush=True)
        sys.exit(1)
    except grpc.RpcError as e:
        print("FAIL %s: call failed with %s: %r" % (args.test_case, e.code().name, e.details()), file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        channel.close()
    print("PASS %s" % args.test_case, flush=True)


if __name__ == "__main__":
    main()
