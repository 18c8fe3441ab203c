// count.mjs counts the tokens of each text with an npm tokenizer and
// measures its speed, as bench/cmd/counttokens does for internal/tokens. It
// prints one JSON object per line; tiktoken-compare.sh hands them to
// counttokens, which prints the table.
//
//	node count.mjs cold <library> <encoding>            cold start of a fresh process
//	node count.mjs warm <library> <encoding> <file>...  counts and throughput
//
// <library> is "tiktoken" (OpenAI's tokenizer compiled to WebAssembly) or
// "gpt-tokenizer" (the fastest pure-JavaScript one). Both count with
// encode_ordinary semantics, as internal/tokens does: special-token strings
// count as ordinary text.
//
// gpt-tokenizer keeps an LRU cache of merged pieces; warm reports its
// throughput with the cache kept between rounds ("mbps", as in a
// conversation that resends its history) and with the cache cleared before
// every round ("mbpsFirst", a first pass over new text). tiktoken has no
// such cache: both figures are the same measurement.
//
// Cold start is measured in wall-clock and in CPU time (all threads), each
// the median of several fresh processes.

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

const [mode, library, encoding, ...files] = process.argv.slice(2);

// load returns { count(text), clear() } for the library and encoding.
async function load() {
  if (library === "tiktoken") {
    const { get_encoding } = await import("tiktoken");
    const enc = get_encoding(encoding);
    return { count: (text) => enc.encode_ordinary(text).length, clear: () => {}, free: () => enc.free() };
  }
  if (library === "gpt-tokenizer") {
    const api = await import(`gpt-tokenizer/encoding/${encoding}`);
    const ordinary = { disallowedSpecial: new Set() };
    return { count: (text) => api.encode(text, ordinary).length, clear: () => api.clearMergeCache(), free: () => {} };
  }
  throw new Error(`unknown library ${library}`);
}

// throughput returns the best MB per CPU-second of count over batches,
// calling before() ahead of every round.
function throughput(count, text, bytes, before) {
  let mbps = 0;
  for (let b = 0; b < batches; b++) {
    let rounds = 0;
    let elapsed = 0;
    const cpu0 = process.cpuUsage();
    while (rounds < batchRounds || elapsed < batchTime) {
      before();
      count(text);
      rounds++;
      const cpu = process.cpuUsage(cpu0);
      elapsed = (cpu.user + cpu.system) / 1000; // ms
    }
    mbps = Math.max(mbps, (bytes * rounds) / (elapsed / 1000) / 1e6);
  }
  return mbps;
}

if (mode === "cold") {
  // Everything from loading the package (and its WebAssembly module or
  // vocabulary) to the first count, in this fresh process.
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const tok = await load();
  const n = tok.count("Hello, world!");
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  tok.free();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(JSON.stringify({ side: library, kind: "cold", encoding, ms, cpuMs, tokens: n }));
} else if (mode === "warm") {
  const tok = await load();
  const texts = files.map((file) => readFileSync(file, "utf8"));
  // Warm up for warmupTime on all the texts first: V8 runs code with its
  // baseline compilers until the optimising tier has compiled it in the
  // background, so the first texts measured would be slowed down.
  for (const t0 = performance.now(); performance.now() - t0 < warmupTime; ) {
    for (const text of texts) tok.count(text);
  }
  for (const [i, file] of files.entries()) {
    const text = texts[i];
    const bytes = Buffer.byteLength(text, "utf8");
    const tokens = tok.count(text); // also warms up
    const mbps = throughput(tok.count, text, bytes, () => {});
    const mbpsFirst = library === "tiktoken" ? mbps : throughput(tok.count, text, bytes, tok.clear);
    console.log(JSON.stringify({ side: library, kind: "warm", encoding, text: basename(file), bytes, tokens, mbps, mbpsFirst }));
  }
  tok.free();
} else {
  console.error("usage: node count.mjs cold <library> <encoding> | warm <library> <encoding> <file>...");
  process.exit(2);
}
