// count.mjs counts the tokens of each text with the npm tiktoken package
// (OpenAI's tokenizer compiled to WebAssembly) and measures its speed, as
// bench/cmd/counttokens does for internal/tokens. It prints one JSON object
// per line; tiktoken-compare.sh hands them to counttokens, which prints the
// table.
//
//	node count.mjs cold <encoding>            cold start of a fresh process
//	node count.mjs warm <encoding> <file>...  counts and throughput
//
// Cold start is measured in wall-clock and in CPU time (all threads), each
// the median of several fresh processes. Counting uses encode_ordinary, as internal/tokens does: special-token
// strings count as ordinary text.

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";

// Throughput is the best of batches batches, each encoding the text over
// and over for at least batchTime and batchRounds rounds, in megabytes per
// second of this process's CPU time (user and system): on a shared machine
// wall-clock time measures the neighbours as much as the tokenizer, CPU
// time far less, and the best batch is the least disturbed.
const batches = 7;
const batchTime = 200; // ms
const batchRounds = 2;
const warmupTime = 1000; // ms

const [mode, encoding, ...files] = process.argv.slice(2);

if (mode === "cold") {
  // Everything from loading the package (and its WebAssembly module) to the
  // first count, in this fresh process.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { get_encoding } = await import("tiktoken");
  const enc = get_encoding(encoding);
  const n = enc.encode_ordinary("Hello, world!").length;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  enc.free();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(JSON.stringify({ side: "node", kind: "cold", encoding, ms, cpuMs, tokens: n }));
} else if (mode === "warm") {
  const { get_encoding } = await import("tiktoken");
  const enc = get_encoding(encoding);
  const texts = files.map((file) => readFileSync(file, "utf8"));
  // Warm up for warmupTime on all the texts first: V8 runs WebAssembly with
  // its baseline compiler until the optimising tier has compiled it in
  // the background, so the first texts measured would be slowed down.
  for (const t0 = performance.now(); performance.now() - t0 < warmupTime; ) {
    for (const text of texts) enc.encode_ordinary(text);
  }
  for (const [i, file] of files.entries()) {
    const text = texts[i];
    const bytes = Buffer.byteLength(text, "utf8");
    const tokens = enc.encode_ordinary(text).length; // also warms up
    let mbps = 0;
    for (let b = 0; b < batches; b++) {
      let rounds = 0;
      let elapsed = 0;
      const cpu0 = process.cpuUsage();
      while (rounds < batchRounds || elapsed < batchTime) {
        enc.encode_ordinary(text);
        rounds++;
        const cpu = process.cpuUsage(cpu0);
        elapsed = (cpu.user + cpu.system) / 1000; // ms
      }
      mbps = Math.max(mbps, (bytes * rounds) / (elapsed / 1000) / 1e6);
    }
    console.log(JSON.stringify({ side: "node", kind: "warm", encoding, text: basename(file), bytes, tokens, mbps }));
  }
  enc.free();
} else {
  console.error("usage: node count.mjs cold <encoding> | warm <encoding> <file>...");
  process.exit(2);
}
