#!/usr/bin/env node
// The `tsgrpc` command: see `tsgrpc --help`.
import { processIo } from "./io.js";
import { run } from "./run.js";

// A reader that stops early (`tsgrpc call … | head -1`) ends the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

const code = await run(process.argv.slice(2), processIo());
process.exitCode = code;
// Streams and sockets are closed by now; stdin may still be open (a bidi call
// read it), and must not keep the process alive.
process.stdin.destroy();
