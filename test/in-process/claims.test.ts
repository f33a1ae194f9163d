// Races for a pipe's mailbox: receivers started together, a sender and a receiver started together.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

/** What a receiver says once it is attached: consuming an empty pipe, or listening in on one another consumes. */
const ATTACHED = /listening in|waiting on/;

onEveryBroker((pipes) => {
  pipes.it('gives buffered data to exactly one of two receivers started together', async () => {
    // Several rounds: how a takeover interleaves with the frames in flight differs from run to run.
    for (let round = 0; round < 4; round++) {
      const name = `race${round}`;
      const data = randomBytes(4 * 1024 * 1024 + round);
      assert.equal(await pipes.send(name, data).result, data.length);
      const receivers = [pipes.receive(name), pipes.receive(name)];
      const winner = await Promise.race(
        receivers.map((receiver, index) =>
          receiver.result.then(
            () => index,
            () => index,
          ),
        ),
      );
      const [won, loser] = [receivers[winner]!, receivers[1 - winner]!];
      await won.result;
      await until(() => loser.statuses.some((status) => ATTACHED.test(status)), `round ${round}: the other receiver`);
      assert.equal(loser.settled, false, `round ${round}: the other receiver listens in, waiting`);
      loser.abort();
      assert.equal((await loser.failure()).kind, 'interrupted');
      assert.ok(
        won.output().equals(data),
        `round ${round}: the consumer wrote the whole stream (${won.output().length} bytes): ${won.warnings.join('; ')}`,
      );
      assert.equal(loser.output().length, 0);
    }
  });

  pipes.it(
    'delivers exactly once when a sender and a receiver start at the same instant',
    async () => {
      for (let round = 0; round < 5; round++) {
        const name = `together${round}`;
        const data = randomBytes(2 * 1024 * 1024 + round);
        const receiver = pipes.receive(name);
        const sender = pipes.send(name, data);
        assert.equal(await sender.result, data.length);
        await receiver.result;
        assert.deepEqual(receiver.warnings, []);
        assert.ok(
          receiver.output().equals(data),
          `round ${round}: ${receiver.output().length} of ${data.length} bytes`,
        );
      }
    },
    {
      nats: "NATS at times closes the receiver's connection to the mailbox session during its handshake when the sender's mailbox check connects at the same moment, and the receive fails ('the broker closed the connection during the handshake')",
    },
  );
});
