import type { IPublishPacket, MqttClient } from 'mqtt';

/**
 * The part of MQTT.js's client that stores a QoS 1 PUBLISH and writes it (not in its public types;
 * package.json keeps mqtt within 5.16.x, and the in-process tests fail if this stops working).
 */
interface StoreAndSend {
  _storeAndSend(packet: IPublishPacket, cb?: (error?: Error) => void, cbStorePut?: () => void): void;
  _writePacket(packet: IPublishPacket, cb?: (error?: Error) => void): void;
}

/**
 * Makes MQTT.js keep each QoS 1 PUBLISH it sends in its outgoing store as it is, not as a deep
 * copy. It copies (payload and all) so that a topic alias set on the packet it writes cannot
 * change the one it would send again after reconnecting itself. skypipe sets no topic alias and
 * never lets MQTT.js reconnect (a lost connection is a new client; the sender keeps its own frames
 * for sending again), so the copy only doubled the memory of every frame in flight and cost a
 * pass over each payload. The store still holds the packet until its PUBACK, as MQTT.js expects.
 */
export function storeWithoutCopy(client: MqttClient): void {
  const internals = client as unknown as StoreAndSend;
  const storeAndSend = internals._storeAndSend.bind(client);
  internals._storeAndSend = (packet, cb, cbStorePut) => {
    if (packet.cmd !== 'publish' || packet.properties?.topicAlias !== undefined || packet.topic.length === 0)
      return storeAndSend(packet, cb, cbStorePut);
    client.outgoingStore.put(packet, (error?: Error) => {
      if (error) return cb?.(error);
      cbStorePut?.();
      internals._writePacket(packet, cb);
    });
  };
}
