/* global process, console, performance */
// Compresses a file at one gzip level with node's zlib, streaming as the sidecar does, and
// prints {"ms":..., "bytes":...}. Runs under node: the sidecar's compressor is node's zlib.
//
//   node gzip-level.mjs <file> <level>
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

const [file, level] = process.argv.slice(2);
let bytes = 0;
const started = performance.now();
await pipeline(
  createReadStream(file),
  createGzip({ level: Number(level) }),
  new Writable({
    write(chunk, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  }),
);
console.log(JSON.stringify({ ms: performance.now() - started, bytes }));
