// The entry point. `--version` is answered before anything else loads: scripts and package
// managers call it to probe, and it should cost no more than starting node. Every other command
// line goes to the parser.
declare const SKYPIPE_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(`${SKYPIPE_VERSION}\n`);
} else {
  // A broker's young objects are its packets and sessions, not stream chunks: it keeps V8's default.
  if (args[0] !== 'broker') (await import('./streaming-heap.js')).collectReadChunksSooner();
  await import('./commands.js');
}
