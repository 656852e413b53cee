import { test } from "node:test";
import assert from "node:assert/strict";
import { createChannel } from "../index.js";
import { CliError } from "./cli-error.js";
import { channelTarget, metadataFlags, openChannel, parseFlags } from "./options.js";

const flags = (...args: string[]) => parseFlags(args).values;

test("targets are a channel's; plain text by default only when every address is loopback", () => {
  const plain = { insecure: true };
  const cases: [string, string[], object][] = [
    ["127.0.0.1:50051", [], plain],
    ["localhost:50051", [], plain],
    ["[::1]:50051", [], plain],
    ["dns:///localhost:50051", [], plain],
    ["dns:localhost:50051", [], plain],
    ["ipv4:127.0.0.1:50051,127.0.0.2:50051", [], plain],
    ["ipv6:[::1]:50051", [], plain],
    ["ipv4:127.0.0.1:50051,10.0.0.1:50051", [], { tls: {} }],
    ["127.0.0.1.example.com:443", [], { tls: {} }],
    ["localhost.example.com:443", [], { tls: {} }],
    ["example.com:443", [], { tls: {} }],
    ["dns:///example.com", [], { tls: {} }],
    ["example.com:8080", ["--plaintext"], plain],
    ["127.0.0.1:50051", ["--tls"], { tls: {} }],
    ["127.0.0.1:50051", ["--servername", "a.test"], { tls: { serverName: "a.test" } }],
    ["http://example.com:80", [], {}],
    ["https://localhost:443", [], {}],
    ["unix:/run/app.sock", [], {}],
    ["unix-abstract:app", [], {}],
  ];
  for (const [target, args, options] of cases) {
    const got = channelTarget(target, flags(...args));
    assert.deepEqual(got, { url: target, options }, `${target} ${args.join(" ")}`);
    // Whatever the CLI makes of a target, a channel takes it.
    createChannel(got.url, got.options).close();
  }
});

test("flags that contradict the target or each other are CLI errors; bad targets are the channel's errors, with a hint", () => {
  assert.throws(() => channelTarget("https://h:1", flags("--plaintext")), /--plaintext contradicts/);
  assert.throws(() => channelTarget("http://h:1", flags("--tls")), /TLS flags contradict/);
  assert.throws(() => channelTarget("h:1", flags("--plaintext", "--tls")), /cannot go with/);
  assert.throws(() => channelTarget("h:1", flags("--cert", "c.pem")), /go together/);
  for (const [target, message] of [
    ["ftp://x:1", /not a host name/],
    ["unix:", /names no socket path/],
    ["http://h:1/path", /a path is not allowed/],
    ["ipv4:1.2.3:80", /ipv4/i],
    ["unix:/run/app.sock", /TLS over unix sockets/],
  ] as const) {
    assert.throws(
      () => openChannel(target, flags(...(target.startsWith("unix:/") ? ["--tls"] : []))),
      (e: unknown) => e instanceof CliError && message.test(e.message) && /dns:\/\/\/host:port/.test(e.hint ?? ""),
      target,
    );
  }
});

test("-H metadata: -bin values are base64, one or several joined by commas", () => {
  const md = metadataFlags(flags("-H", "x-a: 1", "-H", "X-B-Bin: AQID", "-H", "x-c-bin: AQ==, Ag", "-H", "x-a: 2"));
  assert.deepEqual(md.getAll("x-a"), ["1", "2"]);
  assert.deepEqual(md.getAll("x-b-bin"), [new Uint8Array([1, 2, 3])]);
  assert.deepEqual(md.getAll("x-c-bin"), [new Uint8Array([1]), new Uint8Array([2])]);
  assert.throws(() => metadataFlags(flags("-H", "x-bin: ***")), (e: unknown) => e instanceof CliError && /must be base64/.test(e.message));
  assert.throws(() => metadataFlags(flags("-H", "x-bin: A")), /must be base64/);
  assert.throws(() => metadataFlags(flags("-H", "novalue")), /is not "key: value"/);
});
