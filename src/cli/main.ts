#!/usr/bin/env node
// The `tsgrpc` command: see `tsgrpc --help`.
import { processIo } from "./io.js";
import { run } from "./run.js";

const code = await run(process.argv.slice(2), processIo());
process.exitCode = code;
// Streams and sockets are closed by now; stdin may still be open (a bidi call
// read it), and must not keep the process alive.
process.stdin.destroy();
