import { CliError } from "./cli-error.js";
import type { CommandContext } from "./command-context.js";
import { benchCommand, benchUsage } from "./commands/bench.js";
import { callCommand, callUsage } from "./commands/call.js";
import { describeCommand, describeUsage } from "./commands/describe.js";
import { healthCommand, healthUsage } from "./commands/health.js";
import { listCommand, listUsage } from "./commands/list.js";
import { openapiCommand, openapiUsage } from "./commands/openapi.js";
import type { Io } from "./io.js";
import { parseFlags } from "./options.js";
import { printError } from "./print-error.js";

const commands: Record<string, { run: (ctx: CommandContext) => Promise<number>; usage: string; about: string }> = {
  list: { run: listCommand, usage: listUsage, about: "list the services, or the methods of one service" },
  describe: { run: describeCommand, usage: describeUsage, about: "show a service, method, message or enum as .proto" },
  call: { run: callCommand, usage: callUsage, about: "call a method with JSON requests, print JSON responses" },
  health: { run: healthCommand, usage: healthUsage, about: "check (or --watch) grpc.health.v1 status" },
  bench: { run: benchCommand, usage: benchUsage, about: "load-test a method: latency histogram, percentiles, calls/s" },
  openapi: { run: openapiCommand, usage: openapiUsage, about: "write the OpenAPI 3.1 document of the services' google.api.http rules" },
};

export const version = "0.1.0";

export function helpText(): string {
  return `tsgrpc ${version}: talk to gRPC servers from the command line

Commands:
${Object.values(commands)
  .map((c) => `  ${c.usage}\n      ${c.about}`)
  .join("\n")}

Target: any channel target: host:port, dns:///host:port, ipv4:addr:port,... or
ipv6:[addr]:port,... (plain text when every address is loopback, TLS elsewhere),
http://host:port, https://host:port or unix:/path.

Connection and call:
  --plaintext                 no TLS          --tls  TLS with the system's CAs
  --cacert FILE               trust this CA   --servername NAME  name to verify (and SNI)
  --cert FILE --key FILE      client certificate (mTLS)
  -H, --header 'key: value'   request metadata, repeatable (values of key-bin in base64)
  --timeout DURATION          deadline of each call (500ms, 5s, 1m)
  -v, --verbose               print request metadata, response headers and trailers

Schema (default: the server's reflection, v1 or v1alpha):
  --proto FILE -I DIR         .proto files (compiled with buf, or protoc), import paths
  --protoset FILE             a FileDescriptorSet (buf build -o image.binpb)
                              (list and describe then need no target)

bench:
  -c, --concurrency N         calls in flight at once (default 50)
  --connections N             connections (channels) they share (default 1)
  --cpus N                    threads to spread the connections over (default 1)
  -n, --total N | -z, --duration D   how many calls (default 200), or for how long
  --rps N                     at most N calls started per second
  --format text|json          the report (json for scripts and CI)

call:
  -d, --data JSON             request message(s); several for client/bidi streams;
                              '@' reads them from standard input as they come, @FILE from a file
  --emit-defaults             print fields with default values too

Exit code: the gRPC status code of the call (0 OK, 5 NOT_FOUND, 14 UNAVAILABLE...),
1 for a health status other than SERVING, 64 for a command line that cannot run.

Examples:
  tsgrpc list 127.0.0.1:50051
  tsgrpc describe 127.0.0.1:50051 users.v1.UserService
  tsgrpc call 127.0.0.1:50051 users.v1.UserService/GetUser -d '{"id":"0001"}'
  tsgrpc health 127.0.0.1:50051 --watch
  tsgrpc bench 127.0.0.1:50051 users.v1.UserService/GetUser -d '{"id":"0001"}' -c 100 --duration 10s
`;
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values: flags, positionals } = parseFlags(argv);
    if (flags.version) {
      io.out(`tsgrpc ${version}\n`);
      return 0;
    }
    const [name, ...args] = positionals;
    if (name === undefined || name === "help" || (flags.help && name === undefined)) {
      io.out(helpText());
      return name === undefined && !flags.help ? 64 : 0;
    }
    const command = commands[name];
    if (!command) throw new CliError(`unknown command "${name}"`, { hint: `the commands are ${Object.keys(commands).join(", ")}; see tsgrpc --help` });
    if (flags.help) {
      io.out(`usage: ${command.usage}\n${command.about}\n\nsee tsgrpc --help for the flags\n`);
      return 0;
    }
    return await command.run({ flags, args, io });
  } catch (e) {
    return printError(io, e);
  }
}
