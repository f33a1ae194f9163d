// Many senders of one short line each into one pipe, in one process, as the fault suite starts
// them: a thousand node processes would not fit in memory. Each sender has its own connection and
// session, as separate `skypipe send` processes would. Arguments: broker URL, pipe, how many.
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_SEND_SETTINGS, parseBrokerUrl, pipeTopics, send } from '../src/client/index.js';

/** Connections spread over a few seconds, as a fleet's would, rather than a SYN flood in one instant. */
const SPREAD_MS = 3;

const [url, pipe, count] = process.argv.slice(2) as [string, string, string];
const target = parseBrokerUrl(url, 'the bench');
const warnings = new Set<string>();
const outcomes: Promise<unknown>[] = [];
for (let sender = 0; sender < Number(count); sender++) {
  const input = new PassThrough();
  input.end(`sender ${sender}\n`);
  const sent = send({
    target,
    topics: pipeTopics(pipe),
    input,
    settings: DEFAULT_SEND_SETTINGS,
    events: { warn: (message) => warnings.add(message) },
  });
  // Kept as values: a failure is counted at the end, not thrown while others still start.
  outcomes.push(
    sent.then(
      () => null,
      (error: unknown) => error,
    ),
  );
  await sleep(SPREAD_MS);
}
const failures = (await Promise.all(outcomes)).filter((outcome) => outcome !== null);
for (const warning of warnings) console.error(`warning: ${warning}`);
if (failures.length > 0) {
  console.error(`${failures.length} of ${count} senders failed; the first: ${String(failures[0])}`);
  process.exit(1);
}
