import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTarget } from "./target.js";
import { addressesOfTarget } from "./resolver/static-resolver.js";
import { splitDnsEndpoint } from "./resolver/dns-resolver.js";

const plain = { insecure: true } as const;

test("targets as gRPC names them: scheme, DNS server, endpoint and :authority", () => {
  const cases: [string, { scheme: string; authority: string; endpoint: string }, string][] = [
    ["localhost:50051", { scheme: "dns", authority: "", endpoint: "localhost:50051" }, "localhost:50051"],
    ["dns:///svc.example:8080", { scheme: "dns", authority: "", endpoint: "svc.example:8080" }, "svc.example:8080"],
    ["dns:svc.example:8080", { scheme: "dns", authority: "", endpoint: "svc.example:8080" }, "svc.example:8080"],
    ["dns://127.0.0.1:5353/svc.example:8080", { scheme: "dns", authority: "127.0.0.1:5353", endpoint: "svc.example:8080" }, "svc.example:8080"],
    ["dns://[::1]:53/svc.example", { scheme: "dns", authority: "[::1]:53", endpoint: "svc.example" }, "svc.example:80"],
    ["127.0.0.1:1234", { scheme: "dns", authority: "", endpoint: "127.0.0.1:1234" }, "127.0.0.1:1234"],
    ["[::1]:1234", { scheme: "dns", authority: "", endpoint: "[::1]:1234" }, "[::1]:1234"],
    ["http://127.0.0.1:1234/", { scheme: "dns", authority: "", endpoint: "127.0.0.1:1234" }, "127.0.0.1:1234"],
    ["ipv4:127.0.0.1:1,127.0.0.2:2", { scheme: "ipv4", authority: "", endpoint: "127.0.0.1:1,127.0.0.2:2" }, "127.0.0.1:1"],
    ["ipv6:[::1]:1,::2", { scheme: "ipv6", authority: "", endpoint: "[::1]:1,::2" }, "[::1]:1"],
    ["unix:relative/app.sock", { scheme: "unix", authority: "", endpoint: "relative/app.sock" }, "localhost"],
    ["unix:/run/app.sock", { scheme: "unix", authority: "", endpoint: "/run/app.sock" }, "localhost"],
    ["unix:///run/app.sock", { scheme: "unix", authority: "", endpoint: "/run/app.sock" }, "localhost"],
    ["unix-abstract:tsgrpc-test", { scheme: "unix-abstract", authority: "", endpoint: "tsgrpc-test" }, "localhost"],
  ];
  for (const [target, name, authority] of cases) {
    const t = parseTarget(target, target.startsWith("http") ? {} : plain);
    assert.deepEqual({ scheme: t.name.scheme, authority: t.name.authority, endpoint: t.name.endpoint }, name, target);
    assert.equal(t.authority, authority, target);
  }
});

test("address lists are resolved as written, each with its port or the default", () => {
  const at = (target: string) => {
    const t = parseTarget(target, plain);
    return addressesOfTarget(t.name);
  };
  assert.deepEqual(at("ipv4:127.0.0.1:1,127.0.0.2"), [
    { host: "127.0.0.1", port: 1 },
    { host: "127.0.0.2", port: 80 },
  ]);
  assert.deepEqual(at("ipv6:[::1]:7,::1"), [
    { host: "::1", port: 7 },
    { host: "::1", port: 80 },
  ]);
  assert.deepEqual(at("unix-abstract:x"), [{ path: "\0x" }]);
  assert.deepEqual(addressesOfTarget(parseTarget("ipv4:127.0.0.1", { tls: {} }).name), [{ host: "127.0.0.1", port: 443 }]);
});

test("bad targets fail createChannel with a TypeError that says what is wrong", () => {
  const bad: [string, RegExp][] = [
    ["ipv4:localhost:1", /"localhost" is not an IPv4 address/],
    ["ipv4:127.0.0.1:99999", /invalid port/],
    ["ipv4:127.0.0.1:1,", /is not an IPv4 address/],
    ["ipv6:[::1", /unclosed \[/],
    ["ipv6:127.0.0.1", /not an IPv6 address/],
    ["ipv4://127.0.0.1/127.0.0.1:1", /takes no authority/],
    ["dns://dns.example/svc:1", /DNS server "dns.example" must be an IP address/],
    ["dns:///", /names no host/],
    ["dns:///bad host:1", /not a host name/],
    ["unix://relative.sock", /unix:\/\/ needs an absolute path/],
    ["unix:", /names no socket path/],
    ["http://127.0.0.1:1/path", /a path is not allowed/],
    ["", /non-empty string/],
  ];
  for (const [target, message] of bad) {
    assert.throws(() => parseTarget(target, plain), (e: Error) => e instanceof TypeError && message.test(e.message), target);
  }
});

test("TLS is never dropped silently, and never offered over unix sockets", () => {
  assert.throws(() => parseTarget("127.0.0.1:1", {}), /say how to connect/);
  assert.equal(parseTarget("unix:/x.sock", {}).tls, undefined);
  assert.throws(() => parseTarget("unix:/x.sock", { tls: {} }), /TLS over unix/);
  assert.equal(parseTarget("https://svc.example:1", {}).tls?.servername, "svc.example");
  assert.equal(parseTarget("ipv4:127.0.0.1:1", { tls: {} }).tls?.servername, undefined, "no SNI for an IP");
  assert.equal(parseTarget("dns:///svc.example:1", { tls: { serverName: "other.example" } }).tls?.servername, "other.example");
});

test("a scheme no resolver knows is a DNS name, as in gRPC; a custom resolver claims its scheme", () => {
  assert.equal(parseTarget("myhost:50051", plain).name.scheme, "dns");
  const custom = parseTarget("consul:payments", { insecure: true, resolvers: { consul: () => ({ resolveNow() {}, close() {} }) } });
  assert.deepEqual([custom.name.scheme, custom.name.endpoint, custom.authority], ["consul", "payments", "payments"]);
});

test("DNS endpoints: host, port, IPv6 literals", () => {
  const split = (endpoint: string) => splitDnsEndpoint({ scheme: "dns", authority: "", endpoint, defaultPort: 443 });
  assert.deepEqual(split("svc.example"), { host: "svc.example", port: 443 });
  assert.deepEqual(split("svc.example:1"), { host: "svc.example", port: 1 });
  assert.deepEqual(split("::1"), { host: "::1", port: 443 });
  assert.deepEqual(split("[::1]:9"), { host: "::1", port: 9 });
});
